/**
 * The roles input against a real OpenBao: two namespace-bound roles reconciled in one transaction, logins that
 * are bound to their namespace and read only their own secrets, an undeclared role that is kept without prune and
 * deleted with it, and a failed prune that writes the deleted role and policy back.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { Config, RoleSettings } from '../src/config.js'
import { createVaultApi, type VaultApi } from '../src/vault/vault-client.js'
import { buildSummary } from '../src/report/summary.js'
import { reconcileVault, vaultOutcomeOf } from '../src/vault/reconcile.js'
import { testRole } from '../test-support/config-fixture.js'
import { startOpenBao, type OpenBao } from '../test-support/openbao.js'
import { scenarioConfig, startJwksServer, type JwksServer } from '../test-support/vault-scenario.js'
import type { Keyring } from '../test-support/nomad-double/keyring.js'

let bao: OpenBao
let jwks: JwksServer

beforeAll(async () => {
  bao = await startOpenBao()
  jwks = await startJwksServer()
  await bao.api('POST', 'secret/data/prod/web/config', { data: { password: 'prod-secret' } })
  await bao.api('POST', 'secret/data/dev/web/config', { data: { password: 'dev-secret' } })
}, 60_000)

afterAll(async () => {
  await bao?.stop()
  await jwks?.close()
})

const role = testRole

function cfgFor(name: string, url: string, roles: RoleSettings[], prune = false): Config {
  return scenarioConfig(bao.addr, bao.rootToken, name, url, { roles, role: roles[0].name, policy: roles[0].policy, prune })
}

async function login(cfg: Config, ring: Keyring, roleName: string, namespace: string): Promise<{ login: number; reads: Record<string, number> }> {
  const jwt = await ring.mint({ jobId: 'web', task: 'server', namespace, audience: cfg.settings.audience, ttlSeconds: 3600 })
  const res = await fetch(`${bao.addr}/v1/auth/${cfg.settings.authPath}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role: roleName, jwt })
  })
  const body = (await res.json()) as { auth?: { client_token?: string } }
  const token = body.auth?.client_token
  const reads: Record<string, number> = {}
  if (!token) return { login: res.status, reads }
  for (const ns of ['prod', 'dev']) {
    const r = await fetch(`${bao.addr}/v1/secret/data/${ns}/web/config`, { headers: { 'X-Vault-Token': token } })
    await r.text()
    reads[ns] = r.status
  }
  return { login: res.status, reads }
}

const quiet = { log: () => {} }

describe('roles against OpenBao', () => {
  it('creates every role and policy, is idempotent, and each namespace logs in to its own role only', async () => {
    const { ring, url } = await jwks.keyring('many')
    const cfg = cfgFor('many', url, [role('prod', 'prod'), role('dev', 'dev')])
    const first = await reconcileVault(cfg, quiet)
    expect(first.changes.map((c) => `${c.action} ${c.path}`)).toEqual([
      'create sys/auth/jwt-many',
      'create auth/jwt-many/config',
      'create auth/jwt-many/role/prod',
      'create auth/jwt-many/role/dev',
      'create sys/policies/acl/prod-policy',
      'create sys/policies/acl/dev-policy'
    ])
    // The summary lists every declared role with its policy and namespaces.
    const md = buildSummary({
      dryRun: false,
      vault: { addr: cfg.vault.addr, authPath: first.authPath, accessor: first.accessor, keySource: 'jwks', roles: cfg.settings.roles, changes: [] },
      serverBlock: '',
      clientBlock: '',
      jobs: []
    })
    expect(md).toContain('| Role `prod` | policies `prod-policy`; namespaces `prod` |')
    expect(md).toContain('| Role `dev` | policies `dev-policy`; namespaces `dev` |')
    const second = await reconcileVault(cfg, quiet)
    expect(second.changes).toEqual([])
    expect(second.undeclared).toEqual([])

    expect(await login(cfg, ring, 'prod', 'prod')).toEqual({ login: 200, reads: { prod: 200, dev: 403 } })
    expect(await login(cfg, ring, 'dev', 'dev')).toEqual({ login: 200, reads: { prod: 403, dev: 200 } })
    // a dev workload cannot use the prod role: bound_claims refuse it (OpenBao answers 400)
    expect((await login(cfg, ring, 'prod', 'dev')).login).toBe(400)
  }, 60_000)

  it('an undeclared role is reported and kept; with prune it and its policy go, and nothing else', async () => {
    const { url } = await jwks.keyring('prune')
    await reconcileVault(cfgFor('prune', url, [role('prod', 'prod'), role('dev', 'dev')]), quiet)
    const logs: string[] = []
    const kept = await reconcileVault(cfgFor('prune', url, [role('prod', 'prod')]), { log: (l) => logs.push(l) })
    expect(kept.changes).toEqual([])
    expect(kept.undeclared.map((c) => `${c.action} ${c.path}`)).toEqual(['delete auth/jwt-prune/role/dev', 'delete sys/policies/acl/dev-policy'])
    expect(logs.join('\n')).toMatch(
      /role auth\/jwt-prune\/role\/dev, policy sys\/policies\/acl\/dev-policy are managed by the action but no longer declared.*prune: true/
    )
    expect(await bao.api('GET', 'auth/jwt-prune/role/dev')).toBeTruthy()

    const dry = await reconcileVault({ ...cfgFor('prune', url, [role('prod', 'prod')], true), dryRun: true }, quiet)
    expect(dry.changes.map((c) => `${c.action} ${c.path}`)).toEqual(['delete auth/jwt-prune/role/dev', 'delete sys/policies/acl/dev-policy'])
    expect(await bao.api('GET', 'sys/policies/acl/dev-policy')).toBeTruthy()

    const pruned = await reconcileVault(cfgFor('prune', url, [role('prod', 'prod')], true), quiet)
    expect(pruned.changes.map((c) => `${c.action} ${c.path}`)).toEqual(['delete auth/jwt-prune/role/dev', 'delete sys/policies/acl/dev-policy'])
    const api = createVaultApi({ addr: bao.addr, token: bao.rootToken, namespace: '', skipVerify: false })
    expect(await api.list('auth/jwt-prune/role')).toEqual(['prod'])
    expect(await api.read('sys/policies/acl/dev-policy')).toBeNull()
    expect(await api.read('sys/policies/acl/prod-policy')).not.toBeNull()
    expect((await reconcileVault(cfgFor('prune', url, [role('prod', 'prod')], true), quiet)).changes).toEqual([])
  }, 60_000)

  it('a prune that fails after deleting the role writes the role back (the transaction)', async () => {
    const { ring, url } = await jwks.keyring('undo')
    const both = cfgFor('undo', url, [role('prod', 'prod'), role('dev', 'dev')])
    await reconcileVault(both, quiet)
    const real = createVaultApi(both.vault)
    // The policy delete fails: the role delete before it must be undone.
    const api: VaultApi = {
      ...real,
      remove: async (p: string) => {
        if (p === 'sys/policies/acl/dev-policy') throw new Error('injected failure deleting the policy')
        return real.remove(p)
      }
    }
    let error: unknown
    try {
      await reconcileVault(cfgFor('undo', url, [role('prod', 'prod')], true), { ...quiet, api })
    } catch (e) {
      error = e
    }
    expect(String(error)).toMatch(/injected failure.*put back as it was before the run/)
    expect(vaultOutcomeOf(error)?.rollback?.map((r) => `${r.path} ${r.outcome}`)).toEqual([
      'sys/policies/acl/dev-policy restored',
      'auth/jwt-undo/role/dev restored'
    ])
    expect(await login(both, ring, 'dev', 'dev')).toEqual({ login: 200, reads: { prod: 403, dev: 200 } })
  }, 60_000)
})
