/**
 * mode: destroy is ownership-safe, against a real OpenBao: it lists every role on the auth method and refuses to
 * disable one that holds a role this run does not remove; it refuses to delete a policy that a role on any auth
 * method still names; logins through the auth method and auth methods whose roles the token cannot list are
 * warnings (fail-on-warning refuses); dry-run and the `changes` output list everything a destroy takes with it.
 * `force: true` overrides the refusals, with a warning each.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import type { Config } from '../src/config.js'
import { ActionError } from '../src/errors.js'
import { runDestroy } from '../src/modes/destroy.js'
import type { ModeOptions } from '../src/inputs/mode-options.js'
import { reconcileVault } from '../src/vault/reconcile.js'
import { testRole } from '../test-support/config-fixture.js'
import { faultedVault } from '../test-support/faulted-vault.js'
import type { ListAnswer, MountsAnswer } from '../test-support/openbao.js'
import { scenarioConfig, workloadLogin } from '../test-support/vault-scenario.js'

const v = faultedVault({ fastRetries: true })
afterEach(() => {
  jest.restoreAllMocks()
})

interface Captured {
  error?: unknown
  warnings: string[]
  changes?: { resource: string; path: string; why: string; refused?: string; withMount?: boolean }[]
}

/** Runs a destroy, capturing its warnings and its `changes` output (the workflow commands it prints). */
async function destroy(cfg: Config, opts: Partial<ModeOptions> = {}): Promise<Captured> {
  let out = ''
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk)
    return true
  })
  const r: Captured = { warnings: [] }
  try {
    await runDestroy(cfg, { mode: 'destroy', force: false, failOnWarning: false, ...opts }, { log: () => {} })
  } catch (e) {
    r.error = e
  } finally {
    jest.restoreAllMocks()
  }
  const decode = (s: string) => s.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%')
  r.warnings = [...out.matchAll(/^::warning::(.*)$/gm)].map((m) => decode(m[1]))
  const changes = /^::set-output name=changes::(.*)$/m.exec(out)
  if (changes) r.changes = JSON.parse(decode(changes[1]))
  return r
}

async function setUp(name: string, over: Parameters<typeof scenarioConfig>[4] = {}): Promise<Config> {
  const { url } = await v.jwks.keyring(name)
  const cfg = scenarioConfig(v.bao.addr, v.bao.rootToken, name, url, over)
  await reconcileVault(cfg, { log: () => {} })
  return cfg
}

const mountExists = async (path: string) => `${path}/` in (await v.bao.api<MountsAnswer>('GET', 'sys/auth')).data
const policies = async () => (await v.bao.api<ListAnswer>('GET', 'sys/policies/acl?list=true')).data.keys
const roles = async (path: string) => (await v.bao.api<ListAnswer>('GET', `auth/${path}/role?list=true`)).data.keys.sort()

describe('destroy on a shared auth method', () => {
  it('refuses to disable an auth method that holds a role it does not remove, naming it; dry-run lists it; force takes it along', async () => {
    const cfg = await setUp('own', { roles: [testRole('prod')] })
    // Another workflow (or a person) added a role to the same auth method.
    await v.bao.api('POST', 'auth/jwt-own/role/other-team', { role_type: 'jwt', user_claim: 'sub', bound_audiences: ['vault.io'] })

    const refused = await destroy(cfg)
    expect(refused.error).toBeInstanceOf(ActionError)
    expect(String(refused.error)).toMatch(
      /auth-mount sys\/auth\/jwt-own \(it holds role\(s\) this run does not remove: auth\/jwt-own\/role\/other-team/
    )
    expect(String(refused.error)).toMatch(/Nothing was removed.*force: true/)
    expect(await roles('jwt-own')).toEqual(['other-team', 'prod'])
    expect(await policies()).toContain('prod-policy')
    expect(refused.changes).toEqual([])

    const dry = await destroy({ ...cfg, dryRun: true })
    expect(dry.error).toBeInstanceOf(ActionError)
    expect(dry.changes?.map((c) => [c.resource, c.path, c.refused !== undefined, c.withMount === true])).toEqual([
      ['role', 'auth/jwt-own/role/prod', false, false],
      ['role', 'auth/jwt-own/role/other-team', true, true],
      ['policy', 'sys/policies/acl/prod-policy', false, false],
      ['auth-mount', 'sys/auth/jwt-own', true, false]
    ])
    expect(dry.changes?.[1].why).toMatch(/goes with the auth method: it is not a declared role/)
    expect(await mountExists('jwt-own')).toBe(true)

    const forced = await destroy(cfg, { force: true })
    expect(forced.error).toBeUndefined()
    expect(forced.warnings.join('\n')).toMatch(/removing auth-mount sys\/auth\/jwt-own although it holds role\(s\).*other-team/)
    expect(await mountExists('jwt-own')).toBe(false)
    expect(forced.changes?.map((c) => c.path)).toEqual([
      'auth/jwt-own/role/prod',
      'auth/jwt-own/role/other-team',
      'sys/policies/acl/prod-policy',
      'sys/auth/jwt-own'
    ])
  }, 60_000)

  it('refuses to delete a policy that a role on another auth method (JWT or AppRole) still names, naming each', async () => {
    const cfg = await setUp('pa', { policy: 'shared-pol' })
    await v.bao.api('POST', 'sys/auth/jwt-pa-other', { type: 'jwt' })
    await v.bao.api('POST', 'auth/jwt-pa-other/role/reader', {
      role_type: 'jwt',
      user_claim: 'sub',
      bound_audiences: ['x'],
      token_policies: ['shared-pol']
    })
    await v.bao.api('POST', 'sys/auth/approle-pa', { type: 'approle' })
    await v.bao.api('POST', 'auth/approle-pa/role/ci', { token_policies: ['default', 'shared-pol'] })

    const refused = await destroy(cfg)
    expect(refused.error).toBeInstanceOf(ActionError)
    const message = String(refused.error)
    expect(message).toContain('policy sys/policies/acl/shared-pol (role(s) this run does not remove still name it:')
    expect(message).toContain('auth/jwt-pa-other/role/reader')
    expect(message).toContain('auth/approle-pa/role/ci')
    expect(await policies()).toContain('shared-pol')
    expect(await mountExists('jwt-pa')).toBe(true)

    // Once no other role names it, the destroy goes through.
    await v.bao.api('DELETE', 'auth/jwt-pa-other/role/reader')
    await v.bao.api('POST', 'auth/approle-pa/role/ci', { token_policies: ['default'] })
    const ok = await destroy(cfg)
    expect(ok.error).toBeUndefined()
    expect(await policies()).not.toContain('shared-pol')
    expect(await mountExists('jwt-pa')).toBe(false)
    expect(await mountExists('jwt-pa-other')).toBe(true)
  }, 60_000)

  it('warns about logins through the auth method; with fail-on-warning it refuses and removes nothing', async () => {
    const cfg = await setUp('live')
    await v.bao.api('POST', 'secret/data/default/web/config', { data: { password: 'p' } })
    const { ring } = await v.jwks.keyring('live')
    expect(await workloadLogin(v.bao, cfg, ring)).toMatchObject({ login: 200 })

    const strict = await destroy(cfg, { failOnWarning: true })
    expect(String(strict.error)).toMatch(/fail-on-warning: true: 1 identity has logged in through auth method jwt-live .*revokes every token/)
    expect(await mountExists('jwt-live')).toBe(true)
    expect(await policies()).toContain('policy-live')

    const loose = await destroy(cfg)
    expect(loose.error).toBeUndefined()
    expect(loose.warnings).toEqual([expect.stringMatching(/^1 identity has logged in through auth method jwt-live/)])
    expect(await mountExists('jwt-live')).toBe(false)
  }, 60_000)

  it('a token that may not list the roles of other auth methods: a warning naming them; fail-on-warning refuses', async () => {
    const cfg = await setUp('lim')
    await v.bao.api('POST', 'sys/auth/jwt-lim-hidden', { type: 'jwt' })
    // What a destroy of jwt-lim needs, and nothing on other auth methods.
    await v.bao.api('POST', 'sys/policies/acl/destroy-lim', {
      policy: [
        'path "sys/auth" { capabilities = ["read"] }',
        'path "sys/auth/jwt-lim" { capabilities = ["delete", "sudo"] }',
        'path "sys/auth/jwt-lim/tune" { capabilities = ["update", "sudo"] }',
        'path "auth/jwt-lim/role" { capabilities = ["list"] }',
        'path "auth/jwt-lim/role/*" { capabilities = ["read", "create", "update", "delete"] }',
        'path "sys/policies/acl/policy-lim" { capabilities = ["read", "create", "update", "delete"] }',
        'path "identity/entity-alias/id" { capabilities = ["list"] }'
      ].join('\n')
    })
    const token = (await v.bao.api('POST', 'auth/token/create', { policies: ['destroy-lim'], no_default_policy: true })).auth.client_token
    const limited: Config = { ...cfg, vault: { ...cfg.vault, token } }

    const strict = await destroy(limited, { failOnWarning: true })
    expect(String(strict.error)).toMatch(/fail-on-warning: true: destroy could not list or read the roles on .*auth\/jwt-lim-hidden.* \(403\)/)
    expect(await mountExists('jwt-lim')).toBe(true)

    const loose = await destroy(limited)
    expect(loose.error).toBeUndefined()
    expect(loose.warnings.join('\n')).toMatch(
      /could not list or read the roles on .*auth\/jwt-lim-hidden.*whether a role there still names "policy-lim"/
    )
    expect(await mountExists('jwt-lim')).toBe(false)
    expect(await policies()).not.toContain('policy-lim')
  }, 60_000)
})
