/**
 * Migration from legacy Vault tokens to workload identity, the walk-through in docs/operations.md, end to end on dist/index.js
 * against a real OpenBao and the Nomad test double:
 *   1. check lists what must change; 2. the servers get default_identity; 3. deploy with inject-vault: missing moves
 *   the jobs one by one; 4. a final check shows nothing left.
 * The double cannot restart with a new agent configuration, so step 2 changes its server vault block in place
 * (what a rolling restart of the servers with the new block does); jobs registered before keep no identity, as in
 * Nomad, until they are submitted again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startE2eScenario, type E2eScenario } from '../test-support/e2e-scenario.js'
import type { NomadDouble, NomadDoubleOptions } from '../test-support/nomad-double/server.js'
import { jobFileAs, registerJobFile } from '../test-support/register-job-file.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'

const FIX = '__tests__/fixtures/jobs'
let n: NomadDouble
const server: NonNullable<NomadDoubleOptions['server']> = { enabled: true }

let scenario: E2eScenario | undefined

beforeAll(async () => {
  scenario = await startE2eScenario('mig', server)
  n = scenario.nomad
})
afterAll(async () => {
  await scenario?.stop()
})

const base = () => scenario?.inputs() ?? {}
interface Finding {
  severity: string
  check: string
  message: string
}
const findings = (r: ActionRun): Finding[] => JSON.parse(r.outputs.findings)
const upgrade = (r: ActionRun) => findings(r).filter((f) => f.check === 'upgrade-check')

describe('migration from legacy Vault tokens', () => {
  it('check lists what must change, deploy moves the jobs one by one, a final check shows nothing left', async () => {
    expect((await runAction({ ...base(), mode: 'setup' })).code).toBe(0)
    await registerJobFile(n, `${FIX}/legacy.nomad.hcl`)
    await registerJobFile(n, `${FIX}/legacy.nomad.hcl`, 'legacy-b')

    // 1. What must change.
    const first = await runAction({ ...base(), mode: 'check' })
    expect(first.code).toBe(1)
    expect(upgrade(first)[0]).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('2 job(s) use Vault without a workload identity for it: default/legacy, default/legacy-b')
    })
    expect(findings(first).find((f) => f.check === 'identity-ttl')?.message).toContain('has no vault.default_identity')

    // 2. The servers get the default identity the action renders (output nomad-server-config).
    server.default_identity = { aud: ['vault.io'], ttl: '1h' }
    const second = await runAction({ ...base(), mode: 'check' })
    expect(upgrade(second)[0].message).toContain('2 job(s)')
    expect(findings(second).some((f) => f.check === 'identity-ttl')).toBe(false)

    // 3. One job at a time: its migrated file, the vault block injected with the role.
    const a = await runAction({ ...base(), job: `${FIX}/migrated-legacy.nomad.hcl`, 'inject-vault': 'missing' })
    expect(a.outputs.verdict).toBe('healthy')
    expect(upgrade(await runAction({ ...base(), mode: 'check' }))[0].message).toContain(
      '1 job(s) use Vault without a workload identity for it: default/legacy-b'
    )
    const b = await runAction({ ...base(), job: jobFileAs(`${FIX}/migrated-legacy.nomad.hcl`, 'legacy-b'), 'inject-vault': 'missing' })
    expect(b.outputs.verdict).toBe('healthy')
    expect(n.vaultLogins.map((l) => l.ok)).toEqual([true, true])

    // 4. Nothing left.
    const last = await runAction({ ...base(), mode: 'check' })
    expect(findings(last).filter((f) => f.severity === 'error')).toEqual([])
    expect(last.code).toBe(0)
    expect(upgrade(last)).toEqual([expect.objectContaining({ severity: 'info', message: expect.stringContaining('is clean') })])
    expect(findings(last).filter((f) => f.check === 'legacy-policies')).toEqual([])
  })
})
