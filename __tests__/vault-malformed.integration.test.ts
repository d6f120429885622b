/**
 * Vault answers that are not what Vault answers there (null, [], {}, a page, fields of the wrong type), put on the
 * reads the action relies on by test-support/fault-proxy.ts in front of a real OpenBao: each is a clear error that
 * names Vault, the method and the path, before the first write or delete; never read as "absent". And a policy
 * write that did not stick is found by the read-back of a fresh setup.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import type { Config } from '../src/config.js'
import { ActionError } from '../src/errors.js'
import { runDestroy } from '../src/modes/destroy.js'
import { reconcileVault } from '../src/vault/reconcile.js'
import type { ProxiedRequest } from '../test-support/fault-proxy.js'
import { faultedVault } from '../test-support/faulted-vault.js'
import type { MountsAnswer } from '../test-support/openbao.js'
import { scenarioConfig } from '../test-support/vault-scenario.js'

const v = faultedVault({ fastRetries: true })
beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
})
afterEach(() => {
  v.proxy.configure({ respond: undefined, rule: () => null })
  jest.restoreAllMocks()
})

/** The answers that are not Vault's, with the content type they come with. */
const MALFORMED: [string, string, string][] = [
  ['null', 'null', 'application/json'],
  ['[]', '[]', 'application/json'],
  ['{}', '{}', 'application/json'],
  ['a page', '<html><body>Sign in</body></html>', 'text/html'],
  ['data of the wrong type', '{"data":"yes"}', 'application/json']
]

/** A config for `name` whose requests go through the proxy. */
async function proxied(name: string): Promise<{ cfg: Config; direct: Config }> {
  const { url } = await v.jwks.keyring(name)
  const direct = scenarioConfig(v.bao.addr, v.bao.rootToken, name, url)
  return { direct, cfg: { ...direct, vault: { ...direct.vault, addr: v.proxy.url } } }
}

/** Answers `body` to the GET of `path` (path and query as sent); every other request goes to OpenBao. */
function answer(path: string, body: string, contentType: string): void {
  v.proxy.configure({ respond: (req: ProxiedRequest) => (req.method === 'GET' && req.url === path ? { status: 200, body, contentType } : undefined) })
}

const changesSince = (start: number) => v.proxy.log.slice(start).filter((e) => e.method !== 'GET')
const mountExists = async (path: string) => `${path}/` in (await v.bao.api<MountsAnswer>('GET', 'sys/auth')).data

describe('malformed Vault answers are errors, never "absent"', () => {
  it('GET sys/auth: a setup stops before its first write, naming Vault, the method and the path', async () => {
    for (const [what, body, type] of MALFORMED) {
      const name = `mf${MALFORMED.findIndex((m) => m[0] === what)}`
      const { cfg } = await proxied(name)
      answer('/v1/sys/auth', body, type)
      const start = v.proxy.log.length
      const err = await reconcileVault(cfg, { log: () => {} }).catch((e: unknown) => e)
      expect({ what, error: err instanceof ActionError ? err.message : String(err) }).toEqual({
        what,
        error: expect.stringMatching(/^Vault at vault-addr "http:\/\/127\.0\.0\.1:\d+" answered GET \/v1\/sys\/auth with /)
      })
      expect({ what, writes: changesSince(start) }).toEqual({ what, writes: [] })
      expect(await mountExists(`jwt-${name}`)).toBe(false)
    }
  }, 60_000)

  it('GET sys/auth without the token method, or a mount without an accessor: not Vault either', async () => {
    const { cfg } = await proxied('mfa')
    answer('/v1/sys/auth', JSON.stringify({ data: {} }), 'application/json')
    await expect(reconcileVault(cfg, { log: () => {} })).rejects.toThrow(
      /answered GET \/v1\/sys\/auth with a JSON object with "data", where Vault answers an object listing the auth methods/
    )
    answer('/v1/sys/auth', JSON.stringify({ data: { 'token/': { type: 'token' } } }), 'application/json')
    await expect(reconcileVault(cfg, { log: () => {} })).rejects.toThrow(
      /answered GET \/v1\/sys\/auth .*for "token\/" an object with a type and an accessor/
    )
  }, 30_000)

  it('a policy read answered [] or with a policy that is not text, a role read answered {}: errors before any write', async () => {
    const { cfg, direct } = await proxied('mfp')
    await reconcileVault(direct, { log: () => {} })
    // drift, so that a run that misread would write
    await v.bao.api('POST', 'sys/policies/acl/policy-mfp', { policy: 'path "secret/*" { capabilities = ["read"] }' })
    for (const [path, body, expected] of [
      [
        '/v1/sys/policies/acl/policy-mfp',
        '[]',
        /answered GET \/v1\/sys\/policies\/acl\/policy-mfp with a JSON list of 0 item\(s\), where Vault answers a JSON object/
      ],
      [
        '/v1/sys/policies/acl/policy-mfp',
        '{"data":{"policy":5}}',
        /GET \/v1\/sys\/policies\/acl\/policy-mfp .*where Vault answers data.policy, the text of the policy/
      ],
      [
        '/v1/auth/jwt-mfp/role/role-mfp',
        '{}',
        /GET \/v1\/auth\/jwt-mfp\/role\/role-mfp with an empty JSON object \(\{\}\), where Vault answers an object under "data"/
      ]
    ] as const) {
      answer(path, body, 'application/json')
      const start = v.proxy.log.length
      await expect(reconcileVault(cfg, { log: () => {} })).rejects.toThrow(expected)
      expect({ path, writes: changesSince(start) }).toEqual({ path, writes: [] })
    }
  }, 30_000)

  it('destroy: a malformed sys/auth or role list stops it before the first delete', async () => {
    const { cfg, direct } = await proxied('mfd')
    await reconcileVault(direct, { log: () => {} })
    for (const [path, body, expected] of [
      ['/v1/sys/auth', '[]', /answered GET \/v1\/sys\/auth with a JSON list/],
      [
        '/v1/auth/jwt-mfd/role?list=true',
        '{"data":{}}',
        /answered GET \/v1\/auth\/jwt-mfd\/role\?list=true with .*where Vault answers data.keys, a list of names/
      ],
      ['/v1/auth/jwt-mfd/role?list=true', '{"data":{"keys":[1,2]}}', /GET \/v1\/auth\/jwt-mfd\/role\?list=true .*data.keys, a list of names/]
    ] as const) {
      answer(path, body, 'application/json')
      const start = v.proxy.log.length
      const destroy = runDestroy(cfg, { mode: 'destroy', force: false, failOnWarning: false }, { log: () => {} })
      await expect(destroy).rejects.toThrow(expected)
      expect({ path, deletes: changesSince(start) }).toEqual({ path, deletes: [] })
      expect(await mountExists('jwt-mfd')).toBe(true)
    }
  }, 30_000)

  it('a fresh setup reads its policy back: a policy write that did not stick fails the run', async () => {
    const { cfg } = await proxied('mfr')
    let written = false
    v.proxy.configure({
      // After the policy write, its read answers an old text: as if the write was not kept.
      respond: (req) => {
        if (req.method === 'POST' && req.path === '/v1/sys/policies/acl/policy-mfr') written = true
        if (written && req.method === 'GET' && req.path === '/v1/sys/policies/acl/policy-mfr') {
          return { status: 200, body: JSON.stringify({ data: { name: 'policy-mfr', policy: 'path "secret/*" { capabilities = ["read"] }' } }) }
        }
        return undefined
      }
    })
    await expect(reconcileVault(cfg, { log: () => {} })).rejects.toThrow(/changed sys\/policies\/acl\/policy-mfr while this run was writing/)
    expect(written).toBe(true)
  }, 30_000)
})
