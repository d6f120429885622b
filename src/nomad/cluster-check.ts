/**
 * Check the Nomad agent's vault configuration (`GET /v1/agent/self` → config.Vaults) against what the action
 * configured in Vault. Read-only and best effort: without `agent:read` it degrades to one info line.
 */
import * as core from '@actions/core'
import { errorMessage, HttpError } from '../errors.js'
import type { NomadClient } from './nomad-client.js'
import type { AgentConfig, AgentSelf } from './api-types.js'

export interface ClusterExpectation {
  audience: string
  /** JWT auth mount path, without slashes. */
  authPath: string
  role: string
}

export interface RenderedBlocks {
  renderedServerBlock?: string
  renderedClientBlock?: string
}

/** The agent's vault block "default", in the action's words (no token, ever). */
export interface AgentVaultBlock {
  name: string
  enabled: boolean
  /** create_from_role */
  role: string
  address: string
  namespace: string
  /** jwt_auth_backend_path as configured (slashes kept). */
  jwtAuthBackendPath: string
  /** null when the agent has no default_identity (always null on a pure client, which does not use it). */
  defaultIdentity: { audience: string[]; ttlSeconds?: number } | null
}

export interface ClusterCheck {
  warnings: string[]
  /** Informational lines (already logged with core.info). */
  notes: string[]
  /** False when the agent configuration could not be read (403, old Nomad, redacted); nothing was checked then. */
  readable: boolean
  /** The vault block of a server agent. */
  serverVault?: AgentVaultBlock
  /** The vault block of a client agent. */
  clientVault?: AgentVaultBlock
  agent?: { server: boolean; client: boolean; version?: string; name?: string }
  /**
   * The clients' side (vault block enabled, jwt_auth_backend_path): 'not-checked' when nomad-addr is not a client
   * (agent/self describes only that agent), 'this-agent-only' when it is one client among possibly many.
   */
  clientSide?: 'not-checked' | 'this-agent-only'
}

export type AgentSelfResult = { ok: true; self: AgentSelf } | { ok: false; reason: string }

/** `GET /v1/agent/self`; never throws (the check is advisory). */
export async function readAgentSelf(client: NomadClient): Promise<AgentSelfResult> {
  try {
    const [body] = await client.api.agent().self()
    return { ok: true, self: body }
  } catch (err) {
    if (err instanceof HttpError && err.status === 403) {
      return {
        ok: false,
        reason: 'the `nomad-token` has no `agent:read` permission (policy: agent { policy = "read" })'
      }
    }
    return { ok: false, reason: errorMessage(err) }
  }
}

/** The agent's Nomad version ("1.9.7"), when agent/self was readable and says it. */
export function agentVersion(res: AgentSelfResult): string | undefined {
  if (!res.ok) return undefined
  const v = res.self.config?.Version?.Version ?? res.self.member?.Tags?.build
  return typeof v === 'string' && v ? v : undefined
}

/** Check an already-read agent/self (so deploy.ts can fetch it once, in parallel with parsing). */
export function evaluateCluster(
  res: AgentSelfResult,
  expected: ClusterExpectation,
  jobNeedsDefaultIdentity: boolean,
  rendered: RenderedBlocks = {},
  opts: { quiet?: boolean } = {}
): ClusterCheck {
  const notes: string[] = []
  const note = (s: string) => {
    notes.push(s)
    if (!opts.quiet) core.info(s)
  }
  if (!res.ok) {
    note(`Skipped the Nomad agent vault configuration check: ${res.reason}. The deployment continues.`)
    return { warnings: [], notes, readable: false }
  }
  const config = res.self.config
  if (!config || typeof config !== 'object') {
    note('Skipped the Nomad agent vault configuration check: /v1/agent/self returned no configuration. The deployment continues.')
    return { warnings: [], notes, readable: false }
  }

  const isServer = config.Server?.Enabled === true
  const isClient = config.Client?.Enabled === true
  const version = agentVersion(res)
  const name: string | undefined = config.NodeName || res.self.member?.Name || undefined
  const agentLabel =
    `Nomad ${isServer && isClient ? 'server+client' : isServer ? 'server' : isClient ? 'client' : ''} agent${name ? ` "${name}"` : ''}`.replace(
      '  ',
      ' '
    )
  const warnings: string[] = []
  const check: ClusterCheck = { warnings, notes, readable: true, agent: { server: isServer, client: isClient, version, name } }

  const mm = version?.match(/^v?(\d+)\.(\d+)/)
  if (mm && (Number(mm[1]) < 1 || (Number(mm[1]) === 1 && Number(mm[2]) < 7))) {
    warnings.push(
      `${agentLabel} runs Nomad ${version}, which has no workload identities for Vault (added in 1.7): the JWT auth the action configured ` +
        'cannot be used by it. Upgrade Nomad to 1.7 or newer (1.10+ recommended).'
    )
  }

  const block = findDefaultVault(config)
  if (!block) {
    if (config.Vaults === undefined && config.Vault === undefined) {
      note('Skipped the Nomad agent vault configuration check: the agent configuration has no Vaults field (redacted or an unknown Nomad version).')
      return { ...check, readable: false }
    }
  }
  const vault = block ?? emptyBlock()
  if (isServer) check.serverVault = vault
  if (isClient) check.clientVault = vault

  if (!vault.enabled) {
    if (isServer) {
      warnings.push(
        `${agentLabel} has no enabled vault block "default": Nomad will refuse jobs that use Vault ("Vault \\"default\\" not enabled but used in the job"). ` +
          `Add this to the configuration of every Nomad server and restart them:${show(rendered.renderedServerBlock)}`
      )
    }
    if (isClient) {
      warnings.push(
        `${agentLabel} has no enabled vault block "default": tasks with a vault block cannot be placed on this node. ` +
          `Add this to the configuration of every Nomad client and restart them:${show(rendered.renderedClientBlock)}`
      )
    }
    return check
  }

  if (isServer) {
    const di = vault.defaultIdentity
    if (di && !di.audience.includes(expected.audience)) {
      warnings.push(
        `${agentLabel}: vault.default_identity.aud is ${JSON.stringify(di.audience)}, but Vault role "${expected.role}" expects the audience ` +
          `"${expected.audience}" (bound_audiences). Tasks without their own identity "vault_default" will fail to log in with ` +
          `"invalid audience (aud) claim". Use this server block:${show(rendered.renderedServerBlock)}`
      )
    }
    if (!di && jobNeedsDefaultIdentity) {
      warnings.push(
        `${agentLabel} has no vault.default_identity, and the job has tasks with a vault block but no identity "vault_default": ` +
          'those tasks will never get a Vault token (Nomad 1.10+ accepts the job and the client retries forever, nomad#25955). ' +
          `Fix: add default_identity to the servers' vault block, e.g.${show(rendered.renderedServerBlock)}\n` +
          `or give each such task identity { name = "vault_default" aud = ["${expected.audience}"] ttl = "1h" }.`
      )
    }
  } else if (jobNeedsDefaultIdentity) {
    note(
      `${agentLabel} is not a server, so the servers' vault.default_identity could not be checked; the job's Vault tasks rely on it ` +
        '(they have no identity "vault_default").'
    )
  }

  // /v1/agent/self describes only the agent nomad-addr points at (command/agent/agent_endpoint.go answers from the
  // local agent's config); a production nomad-addr is usually a server, whose answer says nothing about the clients.
  if (!isClient) {
    check.clientSide = 'not-checked'
    note(
      `Could not check the Nomad clients' vault block (enabled, address, jwt_auth_backend_path = "${expected.authPath.replace(/^\/+|\/+$/g, '')}"): ` +
        `nomad-addr points at ${agentLabel}, and /v1/agent/self describes only the agent it is sent to. Make sure every client has the rendered client block.`
    )
  } else {
    check.clientSide = 'this-agent-only'
    note(`Checked the vault block of ${agentLabel} only: /v1/agent/self describes only the agent nomad-addr points at, not the other clients.`)
  }

  if (isClient) {
    // Nomad merges its default ("jwt-nomad") into the agent config; treat an empty value the same way.
    const configured = vault.jwtAuthBackendPath.replace(/^\/+|\/+$/g, '') || 'jwt-nomad'
    const want = expected.authPath.replace(/^\/+|\/+$/g, '')
    if (configured !== want) {
      warnings.push(
        `${agentLabel}: vault.jwt_auth_backend_path is "${configured}", but the action configured the JWT auth method at ` +
          `"${want}": tasks on this client will log in at auth/${configured}/login and fail. Use this client block:` +
          show(rendered.renderedClientBlock)
      )
    }
  }
  return check
}

function show(text: string | undefined): string {
  return text ? `\n${text.replace(/\s+$/, '')}` : ' (see the rendered agent vault blocks in the action outputs)'
}

function emptyBlock(): AgentVaultBlock {
  return { name: 'default', enabled: false, role: '', address: '', namespace: '', jwtAuthBackendPath: '', defaultIdentity: null }
}

/** The vault block named "default" from config.Vaults (1.7+) or config.Vault (older agents). */
export function findDefaultVault(config: AgentConfig): AgentVaultBlock | undefined {
  const list = Array.isArray(config.Vaults) ? config.Vaults : config.Vault && typeof config.Vault === 'object' ? [config.Vault] : []
  const raw = list.find((v) => v && (v.Name === 'default' || v.Name === '' || v.Name === undefined))
  if (!raw) return undefined
  const di = raw.DefaultIdentity
  return {
    name: String(raw.Name || 'default'),
    enabled: raw.Enabled === true,
    role: String(raw.Role ?? ''),
    address: String(raw.Addr ?? ''),
    namespace: String(raw.Namespace ?? ''),
    jwtAuthBackendPath: String(raw.JWTAuthBackendPath ?? ''),
    defaultIdentity:
      di && typeof di === 'object'
        ? {
            audience: Array.isArray(di.Audience) ? di.Audience.map(String) : [],
            ...(typeof di.TTL === 'number' && di.TTL > 0 ? { ttlSeconds: Math.round(di.TTL / 1e9) } : {})
          }
        : null
  }
}
