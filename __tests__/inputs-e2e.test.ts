/**
 * Input problems end to end: dist/index.js against a real OpenBao and the Nomad double, each behind a counting proxy.
 * Bad inputs of five groups give one error naming all five and no request at all; role names Vault would store
 * under another name, and claim names a JavaScript object cannot carry, are refused before any write; a numeric role
 * name in `roles` is the text written ("0123"), as Vault takes it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { scenarioInputs, startScenarioDouble } from '../test-support/e2e-scenario.js'
import { startFaultProxy, type FaultProxy } from '../test-support/fault-proxy.js'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import { startOpenBao, type ListAnswer, type MountsAnswer, type OpenBao } from '../test-support/openbao.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'

let bao: OpenBao
let nomad: NomadDouble
let vaultProxy: FaultProxy
let nomadProxy: FaultProxy

beforeAll(async () => {
  bao = await startOpenBao()
  nomad = await startScenarioDouble(bao, 'schema')
  vaultProxy = await startFaultProxy({ target: bao.addr })
  nomadProxy = await startFaultProxy({ target: nomad.url })
})
afterAll(async () => {
  await vaultProxy?.close()
  await nomadProxy?.close()
  await nomad?.close()
  await bao?.stop()
})

/** Inputs of the scenario with auth path jwt-<name>, through the counting proxies. */
const inputs = (name: string, extra: Record<string, string> = {}) => ({
  ...scenarioInputs(bao, nomad, name),
  'vault-addr': vaultProxy.url,
  'nomad-addr': nomadProxy.url,
  'jwks-url': `${nomad.url}/.well-known/jwks.json`,
  ...extra
})
const errors = (r: ActionRun) => r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
async function authMounts(): Promise<string[]> {
  const m = await bao.api<MountsAnswer>('GET', 'sys/auth')
  return Object.keys(m.data ?? m)
}

describe('input problems', () => {
  it('names bad inputs of five groups in one error, and sends no request to Vault or Nomad', async () => {
    const before = { vault: vaultProxy.log.length, nomad: nomadProxy.log.length }
    const r = await runAction(
      inputs('five', {
        'vault-skip-verify': 'yes', // 1 Vault connection
        'vault-auth-method': 'oidc', // 3 Signing in
        'max-parallel': '0', // 6 Deploy behaviour
        mode: 'upgrade', // 7 Modes and checks
        'pr-comment': 'yes', // 8 GitHub features
        'github-token': 'ghs_input-e2e'
      })
    )
    expect(r.code).toBe(1)
    const [error, ...more] = errors(r)
    expect(more).toEqual([])
    expect(error).toMatch(/^5 input problems:\n/)
    for (const name of ['vault-skip-verify', 'vault-auth-method', 'max-parallel', 'mode', 'pr-comment']) expect(error).toContain(`Input "${name}"`)
    expect(error).toContain('Input "pr-comment" must be true or false (spelled true, True, TRUE, false, False, FALSE), got "yes".')
    expect({ vault: vaultProxy.log.length, nomad: nomadProxy.log.length }).toEqual(before)
  })

  it('refuses an upper-case role name (Vault would store it lower-cased) before any write', async () => {
    const r = await runAction(inputs('upper', { role: 'WebProd' }))
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([
      expect.stringMatching(/^Input "role" is not a usable Vault role name: "WebProd" has upper-case letters.*Use "webprod"/)
    ])
    const r2 = await runAction(inputs('upper', { role: '', policy: '', roles: '- name: WebProd\n  namespace: default' }))
    // The policy defaults to the role's name, so it is refused too.
    expect(errors(r2)).toEqual([
      expect.stringMatching(/\n- Input "roles", role "WebProd": is not a usable Vault role name: "WebProd" has upper-case/)
    ])
    expect(await authMounts()).not.toContain('jwt-upper/')
  })

  it('refuses the claim names __proto__, constructor and prototype in bound-claims and in roles, before any write', async () => {
    const r = await runAction(inputs('proto', { 'bound-claims': '{"__proto__": "prod", "nomad_job_id": "web"}' }))
    expect(r.code).toBe(1)
    expect(errors(r)).toEqual([expect.stringMatching(/^Input "bound-claims" names the claim "__proto__", which the action refuses/)])
    const r2 = await runAction(inputs('proto', { role: '', policy: '', roles: '- name: web\n  bound-claims: {constructor: x}' }))
    expect(errors(r2)).toEqual([expect.stringMatching(/^Input "roles", role "web": "bound-claims" names the claim "constructor"/)])
    expect(await authMounts()).not.toContain('jwt-proto/')
  })

  it('takes a numeric role name in roles as the text written ("0123"), as Vault does; a second run changes nothing', async () => {
    const run = () => runAction(inputs('num', { role: '', policy: '', mode: 'setup', roles: '- name: 0123\n- name: web\n  namespace: prod' }))
    const first = await run()
    expect(errors(first)).toEqual([])
    expect(first.code).toBe(0)
    const roles = await bao.api<ListAnswer>('LIST', 'auth/jwt-num/role')
    expect(roles.data.keys.sort()).toEqual(['0123', 'web'])
    const second = await run()
    expect(second.code).toBe(0)
    expect(JSON.parse(second.outputs.changes)).toEqual([])
  })
})
