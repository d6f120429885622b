/**
 * Shared pieces for the Vault safety tests: a JWKS server for test keyrings (like Nomad's /.well-known/jwks.json),
 * a Config per scenario, workload logins with real workload identities, and "is Vault before or desired?".
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Config } from '../src/config.js'
import { desiredState } from '../src/vault/desired.js'
import { planVault } from '../src/vault/plan-vault.js'
import { readCurrentState } from '../src/vault/read-state.js'
import { createVaultApi } from '../src/vault/vault-client.js'
import { testConfig, type SettingsOverrides } from './config-fixture.js'
import { Keyring } from './nomad-double/keyring.js'
import type { OpenBao } from './openbao.js'

export interface JwksServer {
  base: string
  keyring(name: string): Promise<{ ring: Keyring; url: string }>
  close(): Promise<void>
}

export async function startJwksServer(): Promise<JwksServer> {
  const rings = new Map<string, Keyring>()
  const server = http.createServer((req, res) => {
    const m = /^\/([^/]+)\/\.well-known\/jwks\.json$/.exec((req.url ?? '').replace(/\?.*$/, ''))
    const ring = m && rings.get(m[1])
    if (!ring) {
      res.statusCode = 404
      return res.end('not found')
    }
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(ring.jwks()))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    base,
    async keyring(name) {
      const ring = rings.get(name) ?? (await Keyring.create())
      rings.set(name, ring)
      return { ring, url: `${base}/${name}/.well-known/jwks.json` }
    },
    // OpenBao keeps its connections to the key server alive: close them, or close() waits for their idle timeout.
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      })
  }
}

export function scenarioConfig(addr: string, token: string, name: string, jwksUrl: string, over: SettingsOverrides = {}): Config {
  return testConfig({
    vault: { addr, token },
    nomad: { addr: 'http://127.0.0.1:4646' },
    settings: { authPath: `jwt-${name}`, role: `role-${name}`, jwksUrl, policy: `policy-${name}`, ...over }
  })
}

/** Logs in like a Nomad task of job "web" and reads its secret; returns the HTTP statuses. */
export async function workloadLogin(
  bao: OpenBao,
  cfg: Config,
  ring: Keyring,
  audience = cfg.settings.audience
): Promise<{ login: number; read?: number; token?: string }> {
  const jwt = await ring.mint({ jobId: 'web', task: 'server', namespace: 'default', audience, ttlSeconds: 3600 })
  const res = await fetch(`${bao.addr}/v1/auth/${cfg.settings.authPath}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role: cfg.settings.roles[0].name, jwt })
  })
  const body = (await res.json()) as { auth?: { client_token?: string } }
  const token = body.auth?.client_token
  if (!token) return { login: res.status }
  const read = await fetch(`${bao.addr}/v1/${cfg.settings.roles[0].kvMount}/data/default/web/config`, { headers: { 'X-Vault-Token': token } })
  await read.text()
  return { login: res.status, read: read.status, token }
}

/** Whether a token still works (lookup-self). */
export async function tokenAlive(bao: OpenBao, token: string): Promise<boolean> {
  const res = await fetch(`${bao.addr}/v1/auth/token/lookup-self`, { headers: { 'X-Vault-Token': token } })
  await res.text()
  return res.status === 200
}

/** The changes still needed to reach cfg's desired state, read directly from OpenBao (root token). */
export async function remaining(bao: OpenBao, cfg: Config): Promise<string[]> {
  const api = createVaultApi({ addr: bao.addr, token: bao.rootToken, namespace: '', skipVerify: false })
  const current = await readCurrentState(api, cfg.settings)
  return planVault(current, desiredState(cfg.settings)).map((c) => `${c.action} ${c.resource}`)
}
