/**
 * mode: setup, check (and later destroy) end to end: dist/index.js against a real OpenBao and the Nomad test double.
 * Each test uses its own auth-path/role/policy so that the tests share one OpenBao without seeing each other.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { scenarioInputs, startScenarioDouble } from '../test-support/e2e-scenario.js'
import type { NomadDouble, NomadDoubleOptions } from '../test-support/nomad-double/server.js'
import { startOpenBao, type OpenBao, type ListAnswer, type MountsAnswer } from '../test-support/openbao.js'
import { startFaultProxy } from '../test-support/fault-proxy.js'
import { registerJobFile } from '../test-support/register-job-file.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'

let bao: OpenBao
let nomad: NomadDouble | undefined

beforeAll(async () => {
  bao = await startOpenBao()
})
afterAll(async () => {
  await bao?.stop()
})
afterEach(async () => {
  await nomad?.close()
  nomad = undefined
})

/** A double whose clients log in where the test's inputs put the auth method (jwt-<name>, role-<name>). */
async function cluster(name: string, opts: Partial<NomadDoubleOptions> = {}): Promise<NomadDouble> {
  nomad = await startScenarioDouble(bao, name, opts)
  return nomad
}

/** Inputs for one test: its own auth path, role and policy names. */
function inputs(n: NomadDouble, name: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...scenarioInputs(bao, n, name), ...extra }
}

interface Finding {
  severity: string
  check: string
  message: string
  fix: string
  evidence?: unknown
}
const findings = (r: ActionRun): Finding[] => JSON.parse(r.outputs.findings)
const errors = (r: ActionRun) => findings(r).filter((f) => f.severity === 'error')

describe('mode input', () => {
  it('refuses mode: setup with a job, and an unknown mode, before any write', async () => {
    const n = await cluster('modes')
    const r = await runAction(inputs(n, 'modes', { mode: 'setup', job: 'examples/web.nomad.hcl' }))
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('Inputs "mode: setup" and "job" conflict')
    const r2 = await runAction(inputs(n, 'modes', { mode: 'upgrade' }))
    expect(r2.code).toBe(1)
    expect(r2.stdout).toContain('Input "mode" must be one of "deploy", "setup", "check", "destroy", got "upgrade"')
    const mounts = await bao.api<MountsAnswer>('GET', 'sys/auth')
    expect(Object.keys(mounts.data ?? mounts)).not.toContain('jwt-modes/')
  })
})

describe('mode: check', () => {
  it('after setup finds nothing wrong; then reports drift field by field and fails, without writing', async () => {
    const n = await cluster('chk')
    const setup = await runAction(inputs(n, 'chk', { mode: 'setup' }))
    expect(setup.code).toBe(0)
    expect(setup.outputs['nomad-client-config']).toContain('jwt_auth_backend_path = "jwt-chk"')

    const ok = await runAction(inputs(n, 'chk', { mode: 'check' }))
    expect(ok.code).toBe(0)
    expect(errors(ok)).toEqual([])
    expect(findings(ok)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: 'info', check: 'vault-drift' }),
        expect.objectContaining({ severity: 'info', check: 'upgrade-check' }),
        expect.objectContaining({ severity: 'info', check: 'agent-vault' })
      ])
    )
    expect(ok.summary).toContain('check (read-only)')

    // Someone changes the role by hand.
    await bao.api('POST', 'auth/jwt-chk/role/role-chk', { role_type: 'jwt', token_period: 7200, bound_audiences: ['other'] })
    const drift = await runAction(inputs(n, 'chk', { mode: 'check' }))
    expect(drift.code).toBe(1)
    const d = errors(drift).find((f) => f.check === 'vault-drift')
    expect(d?.message).toContain('role auth/jwt-chk/role/role-chk differs from the desired state in bound_audiences, token_period')
    expect(d?.evidence).toEqual(expect.arrayContaining([{ field: 'token_period', before: 7200, after: 1800 }]))
    // The audience no longer matches the servers' default identity either.
    expect(errors(drift).map((f) => f.check)).toContain('audience')
    expect(drift.annotations.filter((a) => a.level === 'error').map((a) => a.props.title)).toEqual(
      expect.arrayContaining(['check: vault-drift', 'check: audience'])
    )
    // Read-only: the role is still as it was changed.
    const role = await bao.api('GET', 'auth/jwt-chk/role/role-chk')
    expect(role.data.token_period).toBe(7200)
  })

  it('finds agents that disagree with Vault, identities without TTL and jobs still on vault.policies', async () => {
    const n = await cluster('agents', {
      server: { enabled: true, default_identity: { aud: ['nomad.io'] } },
      client: { enabled: true, address: 'http://127.0.0.1:1', jwt_auth_backend_path: 'jwt-nomad', create_from_role: 'someone-else' }
    })
    expect((await runAction(inputs(n, 'agents', { mode: 'setup' }))).code).toBe(0)
    await registerJobFile(n, '__tests__/fixtures/jobs/legacy.nomad.hcl')
    const r = await runAction(inputs(n, 'agents', { mode: 'check' }))
    expect(r.code).toBe(1)
    const f = findings(r)
    const by = (check: string, severity: string) => f.filter((x) => x.check === check && x.severity === severity).map((x) => x.message)
    expect(by('agent-vault', 'error').join('\n')).toContain('logs in at auth/jwt-nomad/login, but the JWT auth method is at "jwt-agents"')
    expect(by('agent-vault', 'warning').join('\n')).toContain('create_from_role "someone-else"')
    expect(by('agent-vault', 'warning').join('\n')).toContain('talks to Vault at http://127.0.0.1:1')
    expect(by('identity-ttl', 'error').join('\n')).toContain('default_identity has no ttl')
    expect(by('audience', 'error').join('\n')).toContain('["nomad.io"]')
    expect(by('legacy-policies', 'warning').join('\n')).toContain('Job default/legacy still sets vault.policies in app/app')
    expect(by('identity-ttl', 'warning').join('\n')).toContain('Job default/legacy: the vault identity of app/app has no ttl')
    // Errors come first in the output.
    expect(f[0].severity).toBe('error')
  })

  it("lists jobs without a Vault identity from Nomad's upgrade check; warnings fail the step only with fail-on-warning", async () => {
    const n = await cluster('upg', { server: { enabled: true } })
    expect((await runAction(inputs(n, 'upg', { mode: 'setup' }))).code).toBe(0)
    const before = await runAction(inputs(n, 'upg', { mode: 'check' }))
    // no default_identity on the servers: a warning only, the step passes...
    expect(errors(before)).toEqual([])
    expect(before.code).toBe(0)
    expect(
      findings(before)
        .filter((f) => f.severity === 'warning')
        .map((f) => f.check)
    ).toContain('identity-ttl')
    // ...unless warnings fail it.
    const strict = await runAction(inputs(n, 'upg', { mode: 'check', 'fail-on-warning': 'true' }))
    expect(strict.code).toBe(1)

    await registerJobFile(n, '__tests__/fixtures/jobs/legacy.nomad.hcl')
    const r = await runAction(inputs(n, 'upg', { mode: 'check' }))
    expect(r.code).toBe(1)
    const up = errors(r).find((f) => f.check === 'upgrade-check')
    expect(up?.message).toContain('1 job(s) use Vault without a workload identity for it: default/legacy')
    expect(up?.evidence).toEqual([{ namespace: 'default', id: 'legacy' }])
  })

  it('static keys: a rotated Nomad key that Vault lacks is an error naming its kid; a deploy run repairs it', async () => {
    const n = await cluster('static')
    const base = inputs(n, 'static', { 'key-source': 'static' })
    expect((await runAction({ ...base, mode: 'setup' })).code).toBe(0)
    const clean = await runAction({ ...base, mode: 'check' })
    expect(errors(clean)).toEqual([])
    expect(clean.code).toBe(0)
    expect(findings(clean).find((f) => f.check === 'key-source')?.message).toContain('exactly the 1 key(s) Nomad publishes now')

    await n.rotateKey()
    const r = await runAction({ ...base, mode: 'check' })
    expect(r.code).toBe(1)
    const k = errors(r).find((f) => f.check === 'key-source')
    expect(k?.message).toContain(`kid ${n.keyring.active.kid}`)
    expect((await runAction({ ...base, mode: 'setup' })).code).toBe(0)
    expect((await runAction({ ...base, mode: 'check' })).code).toBe(0)
  })
})

describe('mode: destroy', () => {
  const exists = async (name: string) => {
    const mounts = await bao.api<MountsAnswer>('GET', 'sys/auth')
    const policies: string[] = (await bao.api<ListAnswer>('GET', 'sys/policies/acl?list=true')).data.keys
    return { mount: `jwt-${name}/` in (mounts.data ?? mounts), policy: policies.includes(`policy-${name}`) }
  }

  it('dry-run lists role, policy, mount in that order; destroy removes them; a re-run has nothing left to do', async () => {
    const n = await cluster('dst')
    const setup = await runAction(inputs(n, 'dst', { mode: 'setup' }))
    expect(setup.code).toBe(0)
    expect((await bao.api('GET', 'sys/policies/acl/policy-dst')).data.policy).toMatch(/^# managed by nomad-vault-action/)

    const dry = await runAction(inputs(n, 'dst', { mode: 'destroy', 'dry-run': 'true' }))
    expect(dry.code).toBe(0)
    expect(JSON.parse(dry.outputs.changes).map((c: { resource: string; path: string }) => `${c.resource} ${c.path}`)).toEqual([
      'role auth/jwt-dst/role/role-dst',
      'policy sys/policies/acl/policy-dst',
      'auth-mount sys/auth/jwt-dst'
    ])
    expect(dry.summary).toContain('would be removed')
    expect(await exists('dst')).toEqual({ mount: true, policy: true })

    const r = await runAction(inputs(n, 'dst', { mode: 'destroy' }))
    expect(r.code).toBe(0)
    expect(JSON.parse(r.outputs.changes)).toHaveLength(3)
    expect(await exists('dst')).toEqual({ mount: false, policy: false })
    const again = await runAction(inputs(n, 'dst', { mode: 'destroy' }))
    expect(again.code).toBe(0)
    expect(JSON.parse(again.outputs.changes)).toEqual([])
    expect(again.stdout).toContain('destroy: nothing to remove')
  })

  it('refuses objects the action did not create, removing nothing, unless force', async () => {
    const n = await cluster('hand')
    // What `nomad setup vault` or a person would have made: no marker on the mount or the policy.
    await bao.api('POST', 'sys/auth/jwt-hand', { type: 'jwt' })
    await bao.api('POST', 'auth/jwt-hand/role/role-hand', { role_type: 'jwt', user_claim: 'sub', bound_audiences: ['vault.io'] })
    await bao.api('POST', 'sys/policies/acl/policy-hand', { policy: 'path "secret/*" { capabilities = ["read"] }' })
    const r = await runAction(inputs(n, 'hand', { mode: 'destroy' }))
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('destroy refuses to remove what the action did not create')
    expect(r.stdout).toContain('policy sys/policies/acl/policy-hand (its first line is not the nomad-vault-action marker)')
    expect(await exists('hand')).toEqual({ mount: true, policy: true })

    const forced = await runAction(inputs(n, 'hand', { mode: 'destroy', force: 'true' }))
    expect(forced.code).toBe(0)
    expect(
      forced.annotations
        .filter((a) => a.level === 'warning')
        .map((a) => a.message)
        .join('\n')
    ).toContain('although')
    expect(await exists('hand')).toEqual({ mount: false, policy: false })
  })

  it('survives faults: an ambiguous DELETE is retried, a run that stops half-way puts back what it removed, and the next one finishes', async () => {
    const n = await cluster('flt')
    expect((await runAction(inputs(n, 'flt', { mode: 'setup' }))).code).toBe(0)
    let resets = 0
    const proxy = await startFaultProxy({
      target: bao.addr,
      rule: (req) => {
        // The policy DELETE is done by OpenBao, then the connection drops: the client cannot know it worked.
        if (req.method === 'DELETE' && req.path === '/v1/sys/policies/acl/policy-flt' && resets++ === 0) return 'reset-after'
        // The mount DELETE keeps failing with a server error for this run.
        if (req.method === 'DELETE' && req.path === '/v1/sys/auth/jwt-flt') return 'status-500'
        return null
      }
    })
    try {
      const r = await runAction({ ...inputs(n, 'flt', { mode: 'destroy' }), 'vault-addr': proxy.url })
      expect(r.code).toBe(1)
      expect(r.stdout).toContain('destroy stopped at sys/auth/jwt-flt')
      expect(r.stdout).toContain('Everything it removed was put back (3 object(s))')
      expect(r.stdout).toContain('Re-run the step')
      expect(proxy.log.filter((e) => e.fault === 'reset-after')).toHaveLength(1)
      // The transaction wrote the role and the policy back: everything is as it was before the run.
      expect(await exists('flt')).toEqual({ mount: true, policy: true })
      expect((await bao.api('GET', 'sys/policies/acl/policy-flt')).data.policy).toMatch(/^# managed by nomad-vault-action/)
      expect((await bao.api('GET', 'auth/jwt-flt/role/role-flt')).data.token_policies).toEqual(['policy-flt'])
      expect(JSON.parse(r.outputs.changes)).toEqual([])

      proxy.configure({ rule: () => null })
      const again = await runAction({ ...inputs(n, 'flt', { mode: 'destroy' }), 'vault-addr': proxy.url })
      expect(again.code).toBe(0)
      expect(JSON.parse(again.outputs.changes).map((c: { path: string }) => c.path)).toEqual([
        'auth/jwt-flt/role/role-flt',
        'sys/policies/acl/policy-flt',
        'sys/auth/jwt-flt'
      ])
      expect(await exists('flt')).toEqual({ mount: false, policy: false })
    } finally {
      await proxy.close()
    }
  })
})
