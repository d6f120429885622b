/**
 * reconcileVault against a real OpenBao dev server, with a JWKS served from a test keyring (like Nomad's
 * /.well-known/jwks.json). Each test uses its own auth path, role, policy and keyring.
 */
import { testConfig, type SettingsOverrides } from '../test-support/config-fixture.js'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Config } from '../src/config.js'
import { roleOutputs } from '../src/report/outputs.js'
import { ActionError, HttpError } from '../src/errors.js'
import { createVaultApi, type VaultRequestEvent } from '../src/vault/vault-client.js'
import { toVaultError } from '../src/vault/vault-errors.js'
import { NEW_ACCESSOR } from '../src/vault/desired.js'
import { reconcileVault, type VaultResult } from '../src/vault/reconcile.js'
import { startHttpStub, type HttpStub } from '../test-support/http-stub.js'
import { Keyring } from '../test-support/nomad-double/keyring.js'
import { freePort, startOpenBao, type OpenBao, type MountsAnswer } from '../test-support/openbao.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

let bao: OpenBao
let jwksServer: HttpStub
const keyrings = new Map<string, Keyring>()

beforeAll(async () => {
  bao = await startOpenBao()
  jwksServer = await startHttpStub((req) => {
    const m = /^\/([^/]+)\/\.well-known\/jwks\.json$/.exec(req.url)
    const ring = m && keyrings.get(m[1])
    return ring ? { json: ring.jwks() } : { status: 404, text: 'not found' }
  })
  // the dev server mounts kv-v2 at secret/
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-secret' } })
  await bao.api('POST', 'secret/data/default/other/config', { data: { password: 'other-secret' } })
}, 60_000)

afterAll(async () => {
  await bao?.stop()
  await jwksServer?.close()
})

async function keyringFor(name: string): Promise<{ ring: Keyring; url: string }> {
  const ring = await Keyring.create()
  keyrings.set(name, ring)
  return { ring, url: `${jwksServer.url}/${name}/.well-known/jwks.json` }
}

function config(name: string, jwksUrl: string, over: SettingsOverrides = {}, token?: string): Config {
  return testConfig({
    vault: { addr: bao.addr, token: token ?? bao.rootToken },
    nomad: { addr: 'http://127.0.0.1:4646' },
    settings: { authPath: `jwt-${name}`, role: `role-${name}`, jwksUrl, policy: `policy-${name}`, ...over }
  })
}

interface Run {
  result: VaultResult
  requests: VaultRequestEvent[]
  writes: VaultRequestEvent[]
  logs: string[]
}

async function run(cfg: Config): Promise<Run> {
  const requests: VaultRequestEvent[] = []
  const logs: string[] = []
  const result = await reconcileVault(cfg, { onRequest: (e) => requests.push(e), log: (l) => logs.push(l) })
  return { result, requests, writes: requests.filter((r) => r.write), logs }
}

/** Runs and expects a failure; returns the error and the requests made. */
async function runFailing(cfg: Config): Promise<{ error: Error; writes: VaultRequestEvent[] }> {
  const requests: VaultRequestEvent[] = []
  try {
    await reconcileVault(cfg, { onRequest: (e) => requests.push(e), log: () => {} })
  } catch (error) {
    return { error: error as Error, writes: requests.filter((r) => r.write) }
  }
  throw new Error('reconcileVault succeeded but was expected to fail')
}

/** Vault's answer to a JWT login (the fields the tests read). */
interface LoginAuth {
  client_token: string
  metadata: Record<string, string>
  token_policies: string[]
}

async function login(cfg: Config, jwt: string): Promise<{ status: number; token?: string; errors?: string[]; auth?: LoginAuth }> {
  const res = await fetch(`${bao.addr}/v1/auth/${cfg.settings.authPath}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role: cfg.settings.roles[0].name, jwt })
  })
  const body = (await res.json()) as { auth?: LoginAuth; errors?: string[] }
  return { status: res.status, token: body.auth?.client_token, errors: body.errors, auth: body.auth }
}

async function readSecret(token: string, p: string): Promise<number> {
  const res = await fetch(`${bao.addr}/v1/${p}`, { headers: { 'X-Vault-Token': token } })
  await res.text()
  return res.status
}

const webJwt = (ring: Keyring, extra: Partial<Parameters<Keyring['mint']>[0]> = {}) =>
  ring.mint({ jobId: 'web', task: 'server', namespace: 'default', audience: 'vault.io', ttlSeconds: 3600, ...extra })

async function accessorOf(authPath: string): Promise<string | undefined> {
  const mounts = await bao.api<MountsAnswer>('GET', 'sys/auth')
  return mounts.data[`${authPath}/`]?.accessor
}

/** The ```hcl block of docs/security.md's "Vault token policy" section with the placeholders substituted. */
function minimalPolicy(cfg: Config): string {
  const doc = readFileSync(path.join(repoRoot, 'docs/security.md'), 'utf8').split('## Vault token policy')[1]
  const m = /```hcl\n([\s\S]*?)```/.exec(doc)
  if (!m) throw new Error('docs/security.md Vault token policy section has no ```hcl block')
  return m[1]
    .replaceAll('<auth-path>', cfg.settings.authPath)
    .replaceAll('<role>', cfg.settings.roles[0].name)
    .replaceAll('<policy>', cfg.settings.roles[0].policy)
}

async function tokenWithPolicy(name: string, policy: string): Promise<string> {
  await bao.api('POST', `sys/policies/acl/${name}`, { policy })
  const res = await bao.api('POST', 'auth/token/create', { policies: [name], no_default_policy: true, ttl: '1h' })
  return res.auth.client_token
}

describe('reconcileVault against OpenBao', () => {
  it('sets up JWT auth so that a Nomad workload identity reads exactly its own secrets', async () => {
    const { ring, url } = await keyringFor('e2e')
    const cfg = config('e2e', url)
    const first = await run(cfg)
    // a fresh mount: its config and role go together with the accessor read, the policy (naming the accessor) last
    expect(first.result.changes.map((c) => `${c.action} ${c.resource} ${c.path}`)).toEqual([
      'create auth-mount sys/auth/jwt-e2e',
      'create auth-config auth/jwt-e2e/config',
      'create role auth/jwt-e2e/role/role-e2e',
      'create policy sys/policies/acl/policy-e2e'
    ])
    expect(first.result.applied).toBe(true)
    expect(first.result.accessor).toMatch(/^auth_jwt_/)
    expect(first.result.accessor).toBe(await accessorOf('jwt-e2e'))
    expect(first.result).toMatchObject({ authPath: 'jwt-e2e' })
    // the role and policies outputs: the declared role and its policy
    expect(roleOutputs(cfg.settings.roles)).toEqual({ role: 'role-e2e', policies: '["policy-e2e"]' })
    // the reported policy is the written one, with the real accessor
    const written = (await bao.api('GET', 'sys/policies/acl/policy-e2e')).data.policy
    expect(first.result.changes[3].diff[0].after).toBe(written)
    expect(written).toContain(`identity.entity.aliases.${first.result.accessor}.metadata.nomad_job_id`)
    expect(first.writes.map((w) => w.path)).toEqual([
      'sys/auth/jwt-e2e',
      'auth/jwt-e2e/config',
      'auth/jwt-e2e/role/role-e2e',
      'sys/policies/acl/policy-e2e'
    ])
    expect(first.logs.join('\n')).not.toContain(bao.rootToken)

    // the role is exactly like `nomad setup vault`'s
    const role = (await bao.api('GET', 'auth/jwt-e2e/role/role-e2e')).data
    expect(role).toMatchObject({
      role_type: 'jwt',
      bound_audiences: ['vault.io'],
      user_claim: '/nomad_job_id',
      user_claim_json_pointer: true,
      token_type: 'service',
      token_period: 1800,
      token_policies: ['policy-e2e'],
      token_explicit_max_ttl: 0
    })

    const ok = await login(cfg, await webJwt(ring))
    expect(ok.status).toBe(200)
    expect(ok.auth?.metadata).toMatchObject({ nomad_namespace: 'default', nomad_job_id: 'web', nomad_task: 'server' })
    expect(ok.auth?.token_policies).toContain('policy-e2e')
    expect(await readSecret(ok.token!, 'secret/data/default/web/config')).toBe(200)
    expect(await readSecret(ok.token!, 'secret/data/default/other/config')).toBe(403)

    const wrongAud = await login(cfg, await webJwt(ring, { audience: 'nomadproject.io' }))
    expect(wrongAud.status).toBe(400)
    expect(wrongAud.errors).toEqual(['error validating token: invalid audience (aud) claim: audience claim does not match any expected audience'])

    const now = Math.floor(Date.now() / 1000)
    const expired = await login(cfg, await webJwt(ring, { issuedAt: now - 3600, ttlSeconds: 60 }))
    expect(expired.status).toBe(400)
    expect(expired.errors).toEqual(['error validating token: invalid expiration time (exp) claim: token is expired'])

    const unknownKey = await login(cfg, await webJwt(ring, { key: await Keyring.detachedKey() }))
    expect(unknownKey.status).toBe(400)
    expect(unknownKey.errors).toEqual(['error validating token: error verifying token signature: failed to verify id token signature'])

    // jwks mode follows key rotation without a re-run
    const newKey = await ring.rotate()
    const rotatedJwt = await webJwt(ring)
    expect(JSON.parse(Buffer.from(rotatedJwt.split('.')[0], 'base64url').toString()).kid).toBe(newKey.kid)
    expect((await login(cfg, rotatedJwt)).status).toBe(200)

    // an unchanged Vault: reads only, in parallel, and zero writes
    const second = await run(cfg)
    expect(second.result.changes).toEqual([])
    expect(second.result.applied).toBe(false)
    expect(second.result.accessor).toBe(first.result.accessor)
    expect(second.writes).toEqual([])
    expect(second.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      ['GET sys/auth', 'GET auth/jwt-e2e/config', 'GET auth/jwt-e2e/role/role-e2e', 'GET sys/policies/acl/policy-e2e'].sort()
    )
  })

  it('static keys: a rotated key fails until the next run updates the auth config', async () => {
    const { ring, url } = await keyringFor('static')
    const cfg = config('static', url, { keySource: 'static' })
    const first = await run(cfg)
    expect(first.result.changes).toHaveLength(4)
    const conf = (await bao.api('GET', 'auth/jwt-static/config')).data
    expect(conf.jwks_url).toBe('')
    expect(conf.jwt_validation_pubkeys).toHaveLength(1)
    expect((await login(cfg, await webJwt(ring))).status).toBe(200)

    await ring.rotate()
    const rotated = await login(cfg, await webJwt(ring))
    expect(rotated.status).toBe(400)
    expect(rotated.errors).toEqual([
      'error validating token: error verifying token signature: no known key successfully validated the token signature'
    ])

    const second = await run(cfg)
    expect(second.result.changes).toEqual([
      {
        resource: 'auth-config',
        action: 'update',
        path: 'auth/jwt-static/config',
        diff: [
          {
            field: 'jwt_validation_pubkeys',
            before: [expect.stringMatching(/^PEM sha256:[0-9a-f]{16}$/)],
            after: [expect.stringMatching(/^PEM sha256:/), expect.stringMatching(/^PEM sha256:/)]
          }
        ]
      }
    ])
    expect(second.writes.map((w) => w.path)).toEqual(['auth/jwt-static/config'])
    expect(JSON.stringify(second.result.changes)).not.toContain('BEGIN PUBLIC KEY')
    expect((await login(cfg, await webJwt(ring))).status).toBe(200)
    expect((await run(cfg)).writes).toEqual([])
  })

  it('repairs hand-made drift and reports it with before and after', async () => {
    const { url } = await keyringFor('drift')
    const { url: otherUrl } = await keyringFor('drift-other')
    const cfg = config('drift', url)
    await run(cfg)
    const role = (await bao.api('GET', 'auth/jwt-drift/role/role-drift')).data
    await bao.api('POST', 'auth/jwt-drift/role/role-drift', {
      ...role,
      token_period: '1h',
      bound_audiences: ['other.io']
    })
    await bao.api('POST', 'sys/policies/acl/policy-drift', { policy: 'path "secret/*" { capabilities = ["read"] }' })
    await bao.api('POST', 'auth/jwt-drift/config', {
      jwks_url: otherUrl,
      jwt_supported_algs: ['RS256', 'EdDSA'],
      default_role: 'role-drift'
    })

    const repair = await run(cfg)
    const byResource = Object.fromEntries(repair.result.changes.map((c) => [c.resource, c]))
    expect(Object.keys(byResource).sort()).toEqual(['auth-config', 'policy', 'role'])
    expect(byResource['auth-config'].diff).toEqual([{ field: 'jwks_url', before: otherUrl, after: url }])
    expect(byResource.role.diff).toEqual([
      { field: 'bound_audiences', before: ['other.io'], after: ['vault.io'] },
      { field: 'token_period', before: 3600, after: 1800 }
    ])
    expect(byResource.policy.diff[0]).toMatchObject({
      field: 'policy',
      before: 'path "secret/*" { capabilities = ["read"] }',
      after: expect.stringContaining('secret/metadata/*')
    })
    expect(repair.logs.join('\n')).toMatch(/token_period: 3600 → 1800/)
    expect(repair.logs.join('\n')).toMatch(/bound_audiences: \["other.io"\] → \["vault.io"\]/)
    expect(repair.logs.join('\n')).toContain('- path "secret/*" { capabilities = ["read"] }')

    const after = (await bao.api('GET', 'auth/jwt-drift/role/role-drift')).data
    expect(after).toMatchObject({ token_period: 1800, bound_audiences: ['vault.io'] })
    expect((await bao.api('GET', 'auth/jwt-drift/config')).data.jwks_url).toBe(url)
    expect((await run(cfg)).writes).toEqual([])
  })

  it('refuses an auth method of another type at the auth path and writes nothing', async () => {
    await bao.api('POST', 'sys/auth/jwt-approle', { type: 'approle' })
    const { url } = await keyringFor('approle')
    const { error, writes } = await runFailing(config('approle', url))
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toMatch(/auth-path "jwt-approle".*type "approle".*Choose another auth-path/s)
    expect(writes).toEqual([])
    expect((await bao.api<MountsAnswer>('GET', 'sys/auth')).data['jwt-approle/'].type).toBe('approle')
  })

  it('explains that the Vault server must reach an unreachable jwks-url', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/.well-known/jwks.json`
    const { error } = await runFailing(config('unreachable', closed))
    expect(error).toBeInstanceOf(HttpError)
    expect((error as HttpError).status).toBe(400)
    expect(error.message).toMatch(/POST \/v1\/auth\/jwt-unreachable\/config failed with HTTP 400: error checking jwks URL/)
    expect(error.message).toMatch(/Vault SERVER \(not the GitHub runner\) must reach jwks-url/)
    expect(error.message).toMatch(/key-source: static/)
    expect(error.message).not.toContain(bao.rootToken)
    // nothing half-written: the mount this run created is rolled back
    expect((await bao.api<MountsAnswer>('GET', 'sys/auth')).data['jwt-unreachable/']).toBeUndefined()
  })

  it('dry run lists the changes and writes nothing', async () => {
    const { url } = await keyringFor('dry')
    const cfg = { ...config('dry', url), dryRun: true }
    const dry = await run(cfg)
    expect(dry.writes).toEqual([])
    expect(dry.result.applied).toBe(false)
    expect(dry.result.accessor).toBe('')
    expect(dry.result.changes.map((c) => `${c.action} ${c.resource}`)).toEqual([
      'create auth-mount',
      'create auth-config',
      'create policy',
      'create role'
    ])
    expect(dry.result.changes[2].diff[0].after).toContain(NEW_ACCESSOR)
    expect(dry.logs.join('\n')).toMatch(/dry run.*4 change/i)
    expect(await accessorOf('jwt-dry')).toBeUndefined()
    await expect(bao.api('GET', 'sys/policies/acl/policy-dry')).rejects.toThrow(/404/)
  })

  it('works with a token that has exactly the documented minimal policy, on the first run and a re-run', async () => {
    const { ring, url } = await keyringFor('minimal')
    const cfg0 = config('minimal', url)
    const token = await tokenWithPolicy('nva-minimal', minimalPolicy(cfg0))
    const cfg = config('minimal', url, {}, token)
    const first = await run(cfg)
    expect(first.result.changes).toHaveLength(4)
    expect((await login(cfg, await webJwt(ring))).status).toBe(200)
    const again = await run(cfg)
    expect(again.result.changes).toEqual([])
    expect(again.writes).toEqual([])
    // and it can repair drift
    const role = (await bao.api('GET', 'auth/jwt-minimal/role/role-minimal')).data
    await bao.api('POST', 'auth/jwt-minimal/role/role-minimal', { ...role, token_period: 60 })
    const repaired = await run(cfg)
    expect(repaired.writes.map((w) => w.path)).toEqual(['auth/jwt-minimal/role/role-minimal'])
  })

  it('names the path and the missing capability on 403, without the token', async () => {
    const { url } = await keyringFor('denied')
    const readOnly = await tokenWithPolicy('nva-sys-auth-read', 'path "sys/auth" { capabilities = ["read"] }')
    // the mount does not exist: the 403s of the reads under it are ignored, enabling it needs sudo
    const create = await runFailing(config('denied', url, {}, readOnly))
    expect(create.error).toBeInstanceOf(HttpError)
    expect(create.error.message).toMatch(
      /Vault POST \/v1\/sys\/auth\/jwt-denied failed with HTTP 403: permission denied\. .*"sudo \+ create\/update" capability on path "sys\/auth\/jwt-denied".*docs\/security\.md, section "Vault token policy"/
    )
    expect(create.error.message).not.toContain(readOnly)
    expect(create.writes.map((w) => w.path)).toEqual(['sys/auth/jwt-denied'])

    // the mount exists: a read the token may not do fails and names "read"
    await run(config('denied', url))
    const read = await runFailing(config('denied', url, {}, readOnly))
    expect(read.error.message).toMatch(
      /Vault GET \/v1\/(auth\/jwt-denied\/(config|role\/role-denied)|sys\/policies\/acl\/policy-denied) failed with HTTP 403/
    )
    expect(read.error.message).toMatch(/needs the "read" capability on path/)
    expect(read.writes).toEqual([])
  })

  it('names vault-addr when Vault cannot be reached', async () => {
    const { url } = await keyringFor('noaddr')
    const cfg = config('noaddr', url)
    cfg.vault.addr = `http://127.0.0.1:${await freePort()}`
    const { error } = await runFailing(cfg)
    expect(error).toBeInstanceOf(ActionError)
    expect(error.message).toMatch(/Cannot reach Vault at vault-addr "http:\/\/127\.0\.0\.1:\d+" \(GET \/v1\/sys\/auth: ECONNREFUSED\)/)
    expect(error.message).not.toContain(bao.rootToken)
    expect(error.cause).toBeUndefined()
  })

  it('uses only the explicit connection settings, never the VAULT_* environment', async () => {
    const { url } = await keyringFor('env')
    const saved = { ...process.env }
    Object.assign(process.env, {
      VAULT_ADDR: 'http://127.0.0.1:1',
      VAULT_TOKEN: 'env-token-must-not-be-used',
      VAULT_NAMESPACE: 'no-such-namespace',
      VAULT_PREFIX: '/nope',
      VAULT_SKIP_VERIFY: 'false'
    })
    try {
      const { result } = await run(config('env', url))
      expect(result.changes).toHaveLength(4)
      // an empty token stays empty (no fallback to VAULT_TOKEN): Vault sees no token at all
      const noToken = createVaultApi({ addr: bao.addr, token: '', skipVerify: false, namespace: '' })
      await expect(noToken.read('auth/jwt-env/config')).rejects.toThrow(/HTTP 403/)
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
      Object.assign(process.env, saved)
    }
  })
})

describe('toVaultError', () => {
  const addr = 'https://vault.example.com:8200'
  it('explains TLS verification failures with vault-ca-cert', () => {
    const e = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })
    const mapped = toVaultError(e, 'GET', 'sys/auth', addr)
    expect(mapped).toBeInstanceOf(ActionError)
    expect(mapped.message).toMatch(
      /TLS to Vault at vault-addr "https:\/\/vault.example.com:8200" failed .*UNABLE_TO_VERIFY_LEAF_SIGNATURE.*vault-ca-cert/
    )
  })
  it('explains timeouts and unknown hosts with vault-addr', () => {
    expect(toVaultError(Object.assign(new Error('timeout of 30000ms exceeded'), { code: 'ECONNABORTED' }), 'GET', 'sys/auth', addr).message).toMatch(
      /did not answer GET \/v1\/sys\/auth in time \(ECONNABORTED\).*vault-addr/
    )
    expect(toVaultError(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), 'GET', 'sys/auth', addr).message).toMatch(
      /Cannot reach Vault at vault-addr ".*" \(GET \/v1\/sys\/auth: ENOTFOUND\)/
    )
  })
  it('flattens multi-errors and keeps bodies out of messages', () => {
    const e = { response: { statusCode: 500, body: { errors: ['2 errors occurred:\n\t* one\n\t* two\n\n'] } } }
    const mapped = toVaultError(e, 'POST', 'auth/x/config', addr) as HttpError
    expect(mapped.status).toBe(500)
    expect(mapped.message).toBe('Vault POST /v1/auth/x/config failed with HTTP 500: one; two')
    const html = { response: { statusCode: 502, body: '<html><body>Bad Gateway</body></html>' } }
    expect(toVaultError(html, 'GET', 'sys/auth', addr).message).toBe('Vault GET /v1/sys/auth failed with HTTP 502: Bad Gateway')
  })
  it('names list and oidc discovery hints', () => {
    const denied = { response: { statusCode: 403, body: { errors: ['permission denied'] } } }
    expect(toVaultError(denied, 'GET', 'auth/x/role', addr, '?list=true').message).toMatch(/"list" capability on path "auth\/x\/role"/)
    const oidc = { response: { statusCode: 400, body: { errors: ['error checking oidc discovery URL: connection refused'] } } }
    expect(toVaultError(oidc, 'POST', 'auth/x/config', addr).message).toMatch(
      /Vault SERVER \(not the GitHub runner\) must reach oidc-discovery-url.*key-source: static/
    )
  })
})
