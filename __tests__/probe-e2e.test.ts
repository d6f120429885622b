/**
 * mode: check with probe-secret, end to end: dist/index.js against a real OpenBao and the Nomad test double. The
 * probe job's task logs in through its workload identity and reads the named secret; the finding says whether it
 * could (and which step failed, with the fix), and the probe job is purged afterwards.
 */
import { describe, expect, it } from '@jest/globals'
import { e2eSuite } from '../test-support/e2e-suite.js'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'

const e2e = e2eSuite({
  secrets: { 'default/nomad-vault-action-probe/config': { canary: 'yes' }, 'default/web/config': { password: 'not-for-the-probe' } },
  authPath: 'jwt-probe',
  role: 'role-probe'
})

interface Finding {
  severity: string
  check: string
  message: string
  fix: string
}
const probeFindings = (r: ActionRun): Finding[] => (JSON.parse(r.outputs.findings) as Finding[]).filter((f) => f.check === 'live-probe')

async function setUp(): Promise<{ n: NomadDouble; inputs: Record<string, string> }> {
  const n = await e2e.cluster()
  const inputs = e2e.inputs(n, { 'auth-path': 'jwt-probe', role: 'role-probe', policy: 'policy-probe' })
  const setup = await runAction({ ...inputs, mode: 'setup' })
  expect(setup.code).toBe(0)
  return { n, inputs }
}

describe('mode: check, live probe', () => {
  it('a probe that logs in and reads its secret: an info finding, and the probe job is purged', async () => {
    const { n, inputs } = await setUp()
    const r = await runAction({ ...inputs, mode: 'check', 'probe-secret': 'secret/data/default/nomad-vault-action-probe/config' })
    expect(probeFindings(r)).toEqual([
      expect.objectContaining({
        severity: 'info',
        message: expect.stringMatching(
          /logged in to Vault with its workload identity and read secret\/data\/default\/nomad-vault-action-probe\/config/
        )
      })
    ])
    expect(r.code).toBe(0)
    expect(n.vaultLogins).toEqual([expect.objectContaining({ role: 'role-probe', ok: true })])
    expect(n.secretReads.map((s) => `${s.jobId} ${s.path}`)).toEqual(['nomad-vault-action-probe secret/data/default/nomad-vault-action-probe/config'])
    expect(n.getJob('nomad-vault-action-probe')).toBeUndefined()
  }, 120_000)

  it('a denied secret: an error finding that names the failed step and the fix; the step fails; the probe job is purged', async () => {
    const { n, inputs } = await setUp()
    const r = await runAction({ ...inputs, mode: 'check', 'probe-secret': 'secret/data/default/web/config' })
    const [f] = probeFindings(r)
    expect(f).toMatchObject({ severity: 'error' })
    expect(f.message).toMatch(/logged in, but reading secret\/data\/default\/web\/config failed: Template failed: .*Code: 403/s)
    expect(f.fix).toMatch(/policies of role "role-probe" do not grant read on secret\/data\/default\/web\/config/)
    expect(r.code).toBe(1)
    expect(n.vaultLogins).toEqual([expect.objectContaining({ role: 'role-probe', ok: true })])
    expect(n.secretReads).toEqual([])
    expect(n.getJob('nomad-vault-action-probe')).toBeUndefined()
  }, 120_000)

  it('probe-secret outside mode: check is an input error', async () => {
    const r = await runAction({
      'vault-addr': e2e.bao.addr,
      'vault-token': e2e.bao.rootToken,
      'nomad-addr': 'http://127.0.0.1:1',
      mode: 'setup',
      'probe-secret': 'secret/data/x'
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('Input "probe-secret" only applies to mode: check')
  }, 60_000)
})
