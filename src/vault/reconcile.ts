/**
 * Reads what Vault has, plans, and applies the changes (mount → accessor → auth config → policy → role).
 * A run against an unchanged Vault only reads (4 GETs, in parallel).
 */
import * as core from '@actions/core'
import type { Config, VaultSettings } from '../config.js'
import { ActionError, HttpError } from '../errors.js'
import type { TlsSettings as TlsOptions } from '../transport/index.js'
import { fetchJwks, jwksToPem } from '../keys/jwks.js'
import { createVaultApi, type VaultApi, type VaultRequestEvent } from './client.js'
import { desiredState, NEW_ACCESSOR, type DesiredState } from './desired.js'
import { formatChange, planVault, type Change, type CurrentMount, type CurrentState } from './plan.js'

export interface VaultResult {
  /** Accessor of the JWT auth mount; '' in a dry run when the mount does not exist yet. */
  accessor: string
  /** The changes made (or, in a dry run, that would be made). Empty when Vault was already up to date. */
  changes: Change[]
  /** true when changes were written to Vault (false in a dry run and when there was nothing to do). */
  applied: boolean
  /** Token policies the role grants. */
  policies: string[]
  authPath: string
  role: string
}

export interface ReconcileOptions {
  /** For key-source static: returns the PEM public keys of the JWKS at `url`. Default: fetchJwks + jwksToPem. */
  fetchStaticKeys?: (url: string, tls: TlsOptions) => Promise<string[]>
  /** Use this client instead of creating one from cfg.vault. */
  api?: VaultApi
  /** Called before every Vault request (when the client is created here). */
  onRequest?: (event: VaultRequestEvent) => void
  /** Log sink; default core.info. */
  log?: (line: string) => void
  /** The current state, when the caller started readCurrentState earlier (main.ts reads while job files parse). */
  current?: Promise<CurrentState>
}

export async function defaultFetchStaticKeys(url: string, tls: TlsOptions): Promise<string[]> {
  return jwksToPem(await fetchJwks(url, tls), `The JWKS at jwks-url "${url}"`)
}

/** Parses GET sys/auth into a map "path/" → mount. Vault returns the mounts under `data` (and, older, top level). */
export function parseMounts(res: unknown): Record<string, CurrentMount> {
  const body = (res ?? {}) as Record<string, unknown>
  const data = (body.data && typeof body.data === 'object' ? body.data : body) as Record<string, unknown>
  const out: Record<string, CurrentMount> = {}
  for (const [key, value] of Object.entries(data)) {
    if (!key.endsWith('/') || !value || typeof value !== 'object') continue
    const m = value as { type?: unknown; accessor?: unknown }
    out[key] = { type: String(m.type ?? ''), accessor: String(m.accessor ?? '') }
  }
  return out
}

/**
 * Reads the current state in parallel. The reads under the mount and the policy read only matter when the mount
 * exists: if it does not, a 400/403/404 from them is ignored (the token may only have access once it exists).
 */
export async function readCurrentState(api: VaultApi, settings: VaultSettings): Promise<CurrentState> {
  const path = settings.authPath.replace(/^\/+|\/+$/g, '')
  const soft = <T>(p: Promise<T>) =>
    p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error })
    )
  const [mounts, config, role, policy] = await Promise.all([
    api.read('sys/auth'),
    soft(api.read(`auth/${path}/config`)),
    soft(api.read(`auth/${path}/role/${settings.role}`)),
    soft(api.read(`sys/policies/acl/${settings.policy}`))
  ])
  const mount = parseMounts(mounts)[`${path}/`] ?? null
  const settle = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T | null => {
    if (r.ok) return r.value
    if (!mount && r.error instanceof HttpError && [400, 403, 404].includes(r.error.status)) return null
    throw r.error
  }
  const configRes = settle(config)
  const roleRes = settle(role)
  const policyRes = settle(policy)
  return {
    mount,
    authConfig: mount ? dataOf(configRes) : null,
    role: mount ? dataOf(roleRes) : null,
    policy: typeof policyRes?.data?.policy === 'string' ? policyRes.data.policy : (policyRes?.data?.rules ?? null)
  }
}

function dataOf(res: any): Record<string, unknown> | null {
  const d = res?.data
  return d && typeof d === 'object' && Object.keys(d).length > 0 ? (d as Record<string, unknown>) : null
}

export async function reconcileVault(cfg: Config, opts: ReconcileOptions = {}): Promise<VaultResult> {
  const log = opts.log ?? ((l: string) => core.info(l))
  const settings = cfg.settings
  const api = opts.api ?? createVaultApi(cfg.vault, { onRequest: opts.onRequest })
  const fetchStatic = opts.fetchStaticKeys ?? defaultFetchStaticKeys

  const [current, staticKeys] = await Promise.all([
    opts.current ?? readCurrentState(api, settings),
    settings.keySource === 'static'
      ? fetchStatic(settings.jwksUrl, { ca: settings.jwksCaPem })
      : Promise.resolve(undefined)
  ])
  const desired = desiredState(settings, { staticKeys })
  const planned = planVault(current, desired)
  const result = (accessor: string, changes: Change[], applied: boolean): VaultResult => ({
    accessor,
    changes,
    applied,
    policies: [...desired.role.token_policies],
    authPath: desired.mount.path,
    role: settings.role
  })

  if (planned.length === 0) {
    log(`Vault: auth method "${desired.mount.path}", role "${settings.role}" and policy "${settings.policy}" are up to date.`)
    return result(current.mount?.accessor ?? '', [], false)
  }
  if (cfg.dryRun) {
    log(`Vault (dry run): ${planned.length} change(s) would be made; nothing was written.`)
    for (const c of planned) for (const l of formatChange(c)) log(`  ${l}`)
    return result(current.mount?.accessor ?? '', planned, false)
  }

  const applied: Change[] = []
  let accessor = current.mount?.accessor ?? ''
  let state = current
  const mountChange = planned.find((c) => c.resource === 'auth-mount')
  if (mountChange) {
    logChange(log, mountChange)
    accessor = await createMount(api, desired)
    applied.push(mountChange)
    // Re-plan with the real accessor, so that the reported policy is the one written.
    state = { ...current, mount: { type: desired.mount.type, accessor } }
  }
  const rest = mountChange ? planVault(state, desired) : planned
  try {
    // The auth config, the policy and the role do not depend on each other (the role names the policy, which Vault
    // does not require to exist): one round of writes. Every write settles before a failure is reported.
    for (const change of rest) logChange(log, change)
    const settled = await Promise.allSettled(rest.map((change) => applyChange(api, desired, change, accessor)))
    rest.forEach((change, i) => settled[i].status === 'fulfilled' && applied.push(change))
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  } catch (err) {
    // Nothing half-written: a mount this run created (still empty of working config) is removed again.
    if (mountChange) await rollBackMount(api, desired, log)
    throw err
  }
  log(`Vault: ${applied.length} change(s) applied.`)
  return result(accessor, applied, true)
}

async function rollBackMount(api: VaultApi, desired: DesiredState, log: (l: string) => void): Promise<void> {
  try {
    await api.remove(desired.mountPath)
    log(`Vault: rolled back: disabled the auth method "${desired.mount.path}" that this run had just enabled.`)
  } catch (e) {
    log(`Vault: could not roll back the new auth method "${desired.mount.path}" (${(e as Error).message}); the next run continues from it.`)
  }
}

function logChange(log: (l: string) => void, change: Change): void {
  const lines = formatChange(change)
  log(`Vault: ${lines[0]}`)
  for (const l of lines.slice(1)) log(l)
}

async function createMount(api: VaultApi, desired: DesiredState): Promise<string> {
  const { path, type, description } = desired.mount
  try {
    await api.write(desired.mountPath, { type, description })
  } catch (err) {
    // Another run created it between our read and this write: fine if it is a JWT mount (checked below).
    if (!(err instanceof HttpError && err.status === 400 && /path is already in use/i.test(err.serverMessage))) throw err
  }
  const mount = parseMounts(await api.read('sys/auth'))[`${path}/`]
  if (!mount || !mount.accessor) {
    throw new ActionError(
      `Vault accepted enabling the JWT auth method at auth-path "${path}", but GET /v1/sys/auth does not list it. ` +
        'Check that the Vault namespace (vault-namespace) is right and re-run.'
    )
  }
  if (mount.type !== type) {
    throw new ActionError(
      `auth-path "${path}": an auth method of type "${mount.type}" was mounted there concurrently. Choose another auth-path.`
    )
  }
  return mount.accessor
}

async function applyChange(api: VaultApi, desired: DesiredState, change: Change, accessor: string): Promise<void> {
  switch (change.resource) {
    case 'auth-mount':
      return // handled by createMount
    case 'auth-config':
      await api.write(change.path, desired.authConfig)
      return
    case 'policy': {
      if (!accessor) throw new ActionError(`Internal error: the accessor of auth-path "${desired.mount.path}" is unknown.`)
      const text = desired.policy.text(accessor)
      if (text.includes(NEW_ACCESSOR)) throw new ActionError('Internal error: policy still holds the accessor placeholder.')
      await api.write(change.path, { policy: text })
      return
    }
    case 'role':
      // bound_claims is always sent, so that claims removed from the input are removed from the role too.
      await api.write(change.path, { ...desired.role, bound_claims: desired.role.bound_claims ?? {} })
      return
  }
}
