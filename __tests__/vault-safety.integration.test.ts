/**
 * A failed run never leaves a working Vault worse off: rollback of what a run wrote, write order, foreign mounts,
 * and one permanent fault at each single request of a run (real OpenBao behind the fault proxy).
 */
import { describe, expect, it } from '@jest/globals'
import type { Config } from '../src/config.js'
import { HttpError } from '../src/errors.js'
import { changesOutput } from '../src/report/vault-changes.js'
import { createVaultApi, type VaultApi, type VaultSecret } from '../src/vault/vault-client.js'
import { desiredState } from '../src/vault/desired.js'
import { planVault, type CurrentState } from '../src/vault/plan-vault.js'
import { reconcileVault, vaultOutcomeOf, type VaultResult } from '../src/vault/reconcile.js'
import { VaultTransaction } from '../src/vault/transaction.js'
import { faultedVault } from '../test-support/faulted-vault.js'
import type { MountsAnswer } from '../test-support/openbao.js'
import { remaining, scenarioConfig, tokenAlive, workloadLogin } from '../test-support/vault-scenario.js'

const v = faultedVault({
  seed: async (bao) => {
    await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-secret' } })
    await bao.api('POST', 'sys/mounts/kv2', { type: 'kv', options: { version: '2' } })
    await bao.api('POST', 'kv2/data/default/web/config', { data: { password: 'web-secret-2' } })
  }
})

const quiet = { log: () => {} }

async function runOk(cfg: Config): Promise<VaultResult> {
  return reconcileVault(cfg, quiet)
}

async function runFails(cfg: Config, api?: VaultApi): Promise<{ error: Error; outcome?: VaultResult }> {
  try {
    await reconcileVault(cfg, { ...quiet, api })
  } catch (error) {
    return { error: error as Error, outcome: vaultOutcomeOf(error) }
  }
  throw new Error('expected the run to fail')
}

async function tokenWithPolicy(name: string, policy: string): Promise<string> {
  await v.bao.api('POST', `sys/policies/acl/${name}`, { policy })
  const res = await v.bao.api('POST', 'auth/token/create', { policies: [name], no_default_policy: true, ttl: '1h' })
  return res.auth.client_token
}

/** The policy of docs/security.md for cfg, with only read on one path (a token that may not change that object). */
function tokenPolicyReadOnly(cfg: Config, readOnly: string): string {
  const s = cfg.settings
  const paths: Record<string, string[]> = {
    'sys/auth': ['read'],
    [`sys/auth/${s.authPath}`]: ['create', 'update', 'delete', 'sudo'],
    [`auth/${s.authPath}/config`]: ['read', 'create', 'update'],
    [`auth/${s.authPath}/role/${s.roles[0].name}`]: ['read', 'create', 'update', 'delete'],
    [`sys/policies/acl/${s.roles[0].policy}`]: ['read', 'create', 'update', 'delete'],
    'identity/entity-alias/id': ['list']
  }
  return Object.entries(paths)
    .map(([p, caps]) => `path "${p}" { capabilities = ${JSON.stringify(p === readOnly ? ['read'] : caps)} }`)
    .join('\n')
}

/** The real client with its writes going through `write` (to inject what another writer does, or a refusal). */
function withWrites(real: VaultApi, write: (path: string, body: unknown, real: VaultApi) => Promise<VaultSecret | null>): VaultApi {
  return { addr: real.addr, read: (p) => real.read(p), list: (p) => real.list(p), remove: (p) => real.remove(p), write: (p, b) => write(p, b, real) }
}

describe('rollback of a failed run', () => {
  it('a role write Vault refuses: the config written before it is put back, the live policy is never touched', async () => {
    const { ring, url } = await v.jwks.keyring('rb1')
    const { url: otherUrl } = await v.jwks.keyring('rb1-other')
    const before = scenarioConfig(v.bao.addr, v.bao.rootToken, 'rb1', url)
    await runOk(before)
    const login = await workloadLogin(v.bao, before, ring)
    expect(login).toMatchObject({ login: 200, read: 200 })
    const policyBefore = (await v.bao.api('GET', 'sys/policies/acl/policy-rb1')).data.policy

    // new key source (config), new audience (role) and another KV mount (policy): the role write is denied
    const changed = { jwksUrl: otherUrl, audience: 'other.io', kvMount: 'kv2' }
    const token = await tokenWithPolicy('nva-rb1', tokenPolicyReadOnly(before, 'auth/jwt-rb1/role/role-rb1'))
    const { error, outcome } = await runFails(scenarioConfig(v.bao.addr, token, 'rb1', url, changed))
    expect(error).toBeInstanceOf(HttpError)
    expect(error.message).toMatch(/POST \/v1\/auth\/jwt-rb1\/role\/role-rb1 failed with HTTP 403/)
    expect(error.message).toMatch(/Vault was put back as it was before the run \(1 object\(s\) restored\)/)
    expect(error.message).not.toContain(token)
    // exactly what was written, and what happened to it
    expect(outcome?.changes.map((c) => `${c.action} ${c.resource}`)).toEqual(['update auth-config'])
    expect(changesOutput(outcome!)).toEqual([expect.objectContaining({ resource: 'auth-config', rollback: 'restored' })])

    expect(await remaining(v.bao, before)).toEqual([])
    expect((await v.bao.api('GET', 'sys/policies/acl/policy-rb1')).data.policy).toBe(policyBefore)
    expect(await tokenAlive(v.bao, login.token!)).toBe(true)
    expect(await workloadLogin(v.bao, before, ring)).toMatchObject({ login: 200, read: 200 })
  })

  it('a new policy name is written before the role, and deleted again when the role write fails', async () => {
    const { ring, url } = await v.jwks.keyring('rb2')
    const before = scenarioConfig(v.bao.addr, v.bao.rootToken, 'rb2', url)
    await runOk(before)
    const after = scenarioConfig(v.bao.addr, v.bao.rootToken, 'rb2', url, { policy: 'policy-rb2-new' })
    const token = await tokenWithPolicy('nva-rb2', tokenPolicyReadOnly(after, 'auth/jwt-rb2/role/role-rb2'))
    const requests: string[] = []
    const api = createVaultApi({ ...after.vault, token }, { onRequest: (e) => e.write && requests.push(`${e.method} ${e.path}`) })
    const { outcome } = await runFails({ ...after, vault: { ...after.vault, token } }, api)
    expect(requests).toEqual(['POST sys/policies/acl/policy-rb2-new', 'POST auth/jwt-rb2/role/role-rb2', 'DELETE sys/policies/acl/policy-rb2-new'])
    expect(outcome?.rollback).toEqual([{ resource: 'policy', path: 'sys/policies/acl/policy-rb2-new', outcome: 'deleted' }])
    await expect(v.bao.api('GET', 'sys/policies/acl/policy-rb2-new')).rejects.toThrow(/404/)
    expect(await remaining(v.bao, before)).toEqual([])
    expect(await workloadLogin(v.bao, before, ring)).toMatchObject({ login: 200, read: 200 })
  })

  it('keeps an object another writer changed after this run wrote it, and says how to fix it', async () => {
    const { url } = await v.jwks.keyring('rb3')
    const { url: otherUrl } = await v.jwks.keyring('rb3-other')
    const before = scenarioConfig(v.bao.addr, v.bao.rootToken, 'rb3', url)
    await runOk(before)
    const after = scenarioConfig(v.bao.addr, v.bao.rootToken, 'rb3', url, { jwksUrl: otherUrl, audience: 'other.io' })
    // a person rewrites the config right after this run's write; then the role write fails
    const api = withWrites(createVaultApi(after.vault), async (p, body, real) => {
      if (p.endsWith('/role/role-rb3')) {
        await v.bao.api('POST', 'auth/jwt-rb3/config', { jwks_url: url, jwt_supported_algs: ['RS256'], default_role: 'someone' })
        throw new HttpError('Vault', 'POST', `/v1/${p}`, 400, 'injected refusal')
      }
      return real.write(p, body)
    })
    const { error, outcome } = await runFails(after, api)
    expect(outcome?.rollback).toEqual([
      expect.objectContaining({ path: 'auth/jwt-rb3/config', outcome: 'kept', reason: expect.stringMatching(/another run or a person changed it/) })
    ])
    expect(outcome?.rollback?.[0].fix).toMatch(
      /^vault write auth\/jwt-rb3\/config - <<'EOF'\n\{.*"jwks_url":"http:\/\/127\.0\.0\.1:\d+\/rb3\/\.well-known\/jwks\.json".*\}\nEOF$/s
    )
    expect(error.message).toMatch(/Vault could NOT be fully put back: auth\/jwt-rb3\/config/)
    expect((await v.bao.api('GET', 'auth/jwt-rb3/config')).data.default_role).toBe('someone')
  })

  it('never disables a mount another run created between the read and the POST', async () => {
    const { url } = await v.jwks.keyring('rb4')
    const cfg = scenarioConfig(v.bao.addr, v.bao.rootToken, 'rb4', url)
    const api = withWrites(createVaultApi(cfg.vault), async (p, body, real) => {
      if (p === 'sys/auth/jwt-rb4') await v.bao.api('POST', 'sys/auth/jwt-rb4', { type: 'jwt' }) // the other run
      if (p === 'sys/policies/acl/policy-rb4') throw new HttpError('Vault', 'POST', `/v1/${p}`, 400, 'injected refusal')
      return real.write(p, body)
    })
    const { outcome } = await runFails(cfg, api)
    expect(outcome?.changes.map((c) => c.resource)).toEqual(['auth-config'])
    // Vault cannot remove an auth config, and the mount is the other run's: both stay, reported.
    expect(outcome?.rollback).toEqual([
      expect.objectContaining({
        path: 'auth/jwt-rb4/config',
        outcome: 'kept',
        reason: expect.stringMatching(/cannot remove an auth method's config/)
      })
    ])
    expect((await v.bao.api<MountsAnswer>('GET', 'sys/auth')).data['jwt-rb4/']).toMatchObject({ type: 'jwt' })
  })

  it('keeps its own new mount, and all it wrote, once a workload has logged in through it', async () => {
    const { ring, url } = await v.jwks.keyring('rb5')
    const cfg = scenarioConfig(v.bao.addr, v.bao.rootToken, 'rb5', url)
    const api = createVaultApi(cfg.vault)
    const desired = desiredState(cfg.settings)
    const empty: CurrentState = { mount: null, authConfig: null, roles: {}, policies: {} }
    const changes = planVault(empty, desired)
    const tx = new VaultTransaction(api, desired, () => {})
    await api.write(desired.mountPath, { type: 'jwt' })
    tx.recordMount(changes[0], 'created')
    tx.accessor = (await v.bao.api<MountsAnswer>('GET', 'sys/auth')).data['jwt-rb5/'].accessor
    for (const c of changes.slice(1)) await tx.write(c, empty)
    expect(await workloadLogin(v.bao, cfg, ring)).toMatchObject({ login: 200, read: 200 })

    const rollback = await tx.rollback()
    expect(rollback.find((r) => r.resource === 'auth-mount')).toMatchObject({
      outcome: 'kept',
      reason: '1 identity has logged in through it',
      fix: 'vault auth disable jwt-rb5'
    })
    expect(rollback.map((r) => r.outcome)).toEqual(['kept', 'kept', 'kept', 'kept'])
    expect(await workloadLogin(v.bao, cfg, ring)).toMatchObject({ login: 200, read: 200 })

    // without a login, the same rollback disables the mount and deletes the new policy
    const cfg2 = scenarioConfig(v.bao.addr, v.bao.rootToken, 'rb5b', url)
    const desired2 = desiredState(cfg2.settings)
    const tx2 = new VaultTransaction(api, desired2, () => {})
    await api.write(desired2.mountPath, { type: 'jwt' })
    tx2.recordMount(planVault(empty, desired2)[0], 'created')
    tx2.accessor = (await v.bao.api<MountsAnswer>('GET', 'sys/auth')).data['jwt-rb5b/'].accessor
    for (const c of planVault(empty, desired2).slice(1)) await tx2.write(c, empty)
    expect((await tx2.rollback()).map((r) => `${r.outcome} ${r.path}`)).toEqual([
      'deleted sys/policies/acl/policy-rb5b',
      'deleted auth/jwt-rb5b/role/role-rb5b',
      'deleted auth/jwt-rb5b/config',
      'disabled sys/auth/jwt-rb5b'
    ])
    expect(await remaining(v.bao, cfg2)).toEqual(['create auth-mount', 'create auth-config', 'create policy', 'create role'])
  })
})

describe('one permanent fault at each single request of a run', () => {
  /** Runs cfg through the proxy with an HTML page instead of the answer to its k-th request (1-based). */
  async function runWithFaultAt(cfg: Config, k: number): Promise<{ ok: boolean; error?: Error; requests: number }> {
    const start = v.proxy.log.length
    v.proxy.configure({ rule: (req) => (req.n === start + k ? 'html-200' : null) })
    try {
      await reconcileVault({ ...cfg, vault: { ...cfg.vault, addr: v.proxy.url } }, quiet)
      return { ok: true, requests: v.proxy.log.length - start }
    } catch (error) {
      return { ok: false, error: error as Error, requests: v.proxy.log.length - start }
    } finally {
      v.proxy.configure({ rule: () => null })
    }
  }

  it('first run: Vault ends as before (nothing) or as desired, never in between', async () => {
    const { url } = await v.jwks.keyring('pf')
    const clean = await runWithFaultAt(scenarioConfig(v.bao.addr, v.bao.rootToken, 'pf0', url), 0)
    expect(clean.ok).toBe(true)
    expect(clean.requests).toBeGreaterThanOrEqual(9)
    for (let k = 1; k <= clean.requests; k++) {
      const cfg = scenarioConfig(v.bao.addr, v.bao.rootToken, `pf${k}`, url)
      const r = await runWithFaultAt(cfg, k)
      const left = await remaining(v.bao, cfg)
      const nothing =
        (await v.bao.api<MountsAnswer>('GET', 'sys/auth')).data[`jwt-pf${k}/`] === undefined &&
        (await fetch(`${v.bao.addr}/v1/sys/policies/acl/policy-pf${k}`, { headers: { 'X-Vault-Token': v.bao.rootToken } })).status === 404
      if (r.ok) expect(left).toEqual([])
      else {
        expect(r.error?.message).toMatch(/not Vault's JSON API/)
        expect({ k, state: left.length === 0 || nothing ? 'before-or-desired' : left }).toEqual({ k, state: 'before-or-desired' })
      }
    }
  })

  it('update of a working setup: as before or as desired, and existing logins keep working', async () => {
    const { ring, url } = await v.jwks.keyring('pu')
    const before = scenarioConfig(v.bao.addr, v.bao.rootToken, 'pu', url)
    // another key source URL (same keys), another KV mount, another token period: config, policy and role change
    const after = scenarioConfig(v.bao.addr, v.bao.rootToken, 'pu', `${url}?v=2`, { kvMount: 'kv2', tokenPeriodSeconds: 3600 })
    await runOk(before)
    const login = await workloadLogin(v.bao, before, ring)
    expect(login).toMatchObject({ login: 200, read: 200 })
    const clean = await (async () => {
      const r = await runWithFaultAt(after, 0)
      await runOk(before)
      return r
    })()
    expect(clean.ok).toBe(true)
    for (let k = 1; k <= clean.requests; k++) {
      const r = await runWithFaultAt(after, k)
      const asBefore = (await remaining(v.bao, before)).length === 0
      const asDesired = (await remaining(v.bao, after)).length === 0
      expect({ k, ok: r.ok, asBefore, asDesired: asDesired }).toEqual({ k, ok: r.ok, asBefore: !asDesired, asDesired: !asBefore })
      if (!r.ok) expect(r.error?.message).toMatch(/not Vault's JSON API/)
      expect(await tokenAlive(v.bao, login.token!)).toBe(true)
      const now = asDesired ? after : before
      expect(await workloadLogin(v.bao, now, ring)).toMatchObject({ login: 200, read: 200 })
      await runOk(before) // back to the working setup for the next k
    }
  })
})
