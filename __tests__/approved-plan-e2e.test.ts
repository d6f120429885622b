/**
 * expected-plan end to end (dist/index.js, real OpenBao, the Nomad double): a dry-run's plan-id is stable, an apply
 * with it registers exactly the approved plan (EnforceIndex at the planned job modify index), and an apply whose
 * plan is out of date (the job registered again, the Vault role edited by hand, other variables) is refused before
 * any write, saying what changed.
 */
import { describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import { e2eSuite, messages } from '../test-support/e2e-suite.js'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'

const e2e = e2eSuite({ secrets: { 'default/web/config': { password: 'web-password' } } })
const { cluster, inputs } = e2e

const JOB = { job: 'examples/web.nomad.hcl', variables: 'image_tag=2.0.0' }
const ROLE_PATH = 'auth/jwt-nomad/role/nomad-workloads'

const registers = (n: NomadDouble) => n.requests.filter((q) => q.method !== 'GET' && q.path === '/v1/jobs')

/** A first release, so that later plans update an existing job and an existing Vault setup. */
async function released(n: NomadDouble): Promise<void> {
  const r = await runAction(inputs(n, JOB))
  expect(r.code).toBe(0)
  expect(r.outputs.verdict).toBe('healthy')
}

async function dryRun(n: NomadDouble, extra: Record<string, string> = {}): Promise<ActionRun> {
  const r = await runAction(inputs(n, { ...JOB, 'dry-run': 'true', ...extra }))
  expect(r.code).toBe(0)
  expect(r.outputs['plan-id']).toMatch(/^np1-[0-9a-f]{16}-t[0-9a-f]{6}-v[0-9a-f]{8}-j[0-9a-f]{8}$/)
  return r
}

/** An apply with expected-plan that must be refused before any write: nothing registered, Vault's role as it was. */
async function refused(n: NomadDouble, expected: string, extra: Record<string, string> = {}): Promise<string> {
  const role = (await e2e.bao.api<{ data: unknown }>('GET', ROLE_PATH)).data
  const before = registers(n).length
  const version = n.getJob('web')?.Version
  const r = await runAction(inputs(n, { ...JOB, 'expected-plan': expected, 'allow-outside-workspace': 'true', ...extra }))
  expect(r.code).toBe(1)
  const error = messages(r, 'error')
  expect(error).toContain('the approved plan is out of date')
  expect(error).toContain('Nothing was written to Vault or Nomad')
  expect(registers(n).length).toBe(before)
  expect(n.getJob('web')?.Version).toBe(version)
  expect((await e2e.bao.api<{ data: unknown }>('GET', ROLE_PATH)).data).toEqual(role)
  // The new plan is an output too, so that it can be reviewed and approved.
  expect(r.outputs['plan-id']).toMatch(/^np1-/)
  expect(r.outputs['plan-id']).not.toBe(typeof expected === 'string' && expected.startsWith('np1-') ? expected : '')
  return error
}

describe('expected-plan: apply exactly the plan that was reviewed', () => {
  it('two dry-runs give the same plan-id; the apply with it registers at the planned index, and its plan file holds no secret', async () => {
    const n = await cluster()
    await released(n)
    const a = await dryRun(n, { variables: 'image_tag=2.1.0' })
    // Another run of the same commit (other run ID, attempt and actor): the same plan.
    const b = await dryRun(n, { variables: 'image_tag=2.1.0' })
    expect(b.outputs['plan-id']).toBe(a.outputs['plan-id'])
    expect(a.summary).toContain(a.outputs['plan-id'])
    const doc = JSON.parse(fs.readFileSync(a.outputs['plan-file'], 'utf8'))
    expect(doc.planId).toBe(a.outputs['plan-id'])
    expect(doc.jobs[0]).toMatchObject({ jobId: 'web', namespace: 'default' })
    const plannedIndex = doc.jobs[0].jobModifyIndex
    expect(plannedIndex).toBe(n.getJob('web')?.JobModifyIndex)
    const text = JSON.stringify(doc)
    for (const secret of [e2e.bao.rootToken, n.managementToken]) expect(text).not.toContain(secret)

    const before = registers(n).length
    const r = await runAction(inputs(n, { ...JOB, variables: 'image_tag=2.1.0', 'expected-plan': a.outputs['plan-id'] }))
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('healthy')
    expect(r.outputs['plan-id']).toBe(a.outputs['plan-id'])
    const sent = registers(n).slice(before)
    expect(sent).toHaveLength(1)
    const body = JSON.parse(sent[0].body ?? '{}')
    expect(body).toMatchObject({ EnforceIndex: true, JobModifyIndex: plannedIndex })
    expect(JSON.stringify(body.Job.TaskGroups[0].Tasks[0].Config.args)).toContain('release 2.1.0')
  })

  it('refuses when the job was registered again after the plan, naming the job and the index', async () => {
    const n = await cluster()
    await released(n)
    const plan = await dryRun(n, { variables: 'image_tag=2.1.0' })
    // Another team's deploy after the review: the same job with another image.
    const other = await runAction(inputs(n, { ...JOB, variables: 'image_tag=9.9.9' }))
    expect(other.code).toBe(0)
    const byId = await refused(n, plan.outputs['plan-id'], { variables: 'image_tag=2.1.0' })
    expect(byId).toMatch(/job "web" \(examples\/web\.nomad\.hcl\) differs/)
    expect(byId).not.toMatch(/Vault changes differ/)
    // With the plan file, the difference is shown field by field, before and after.
    const byFile = await refused(n, plan.outputs['plan-file'], { variables: 'image_tag=2.1.0' })
    expect(byFile).toMatch(/job modify index \d+ → \d+ \(the job was registered again in Nomad after the plan\)/)
  })

  it('refuses when the Vault role was edited by hand after the plan, showing the field before and after', async () => {
    const n = await cluster()
    await released(n)
    const plan = await dryRun(n)
    await e2e.bao.api('POST', ROLE_PATH, { role_type: 'jwt', token_period: 7200 })
    const byId = await refused(n, plan.outputs['plan-id'])
    expect(byId).toContain('the Vault changes differ')
    expect(byId).not.toMatch(/job "web".*differs/)
    const byFile = await refused(n, plan.outputs['plan-file'])
    expect(byFile).toMatch(/Vault auth\/jwt-nomad\/role\/nomad-workloads: not in the approved plan; now update \(token_period 7200 → \d+\)/)
  })

  it('refuses when the variables differ from the reviewed run (a workflow_dispatch with another value)', async () => {
    const n = await cluster()
    await released(n)
    const plan = await dryRun(n, { variables: 'image_tag=2.1.0' })
    const byFile = await refused(n, plan.outputs['plan-file'], { variables: 'image_tag=6.6.6' })
    expect(byFile).toMatch(/job\.TaskGroups\[0\]\.Tasks\[0\]\.Config\.args\[\d+\] "[^"]*2\.1\.0[^"]*" → "[^"]*6\.6\.6[^"]*"/)
  })

  it('is an input error with mode: check or destroy, and for a plan-id that was cut', async () => {
    const n = await cluster()
    for (const mode of ['check', 'destroy']) {
      const r = await runAction(inputs(n, { mode, 'expected-plan': 'np1-0123456789abcdef-t012345-v01234567' }))
      expect(r.code).toBe(1)
      expect(messages(r, 'error')).toContain(`Input "expected-plan" only applies to mode: deploy, setup (mode is ${mode})`)
    }
    const cut = await runAction(inputs(n, { ...JOB, 'expected-plan': 'np1-0123456789abcdef-t0123' }))
    expect(cut.code).toBe(1)
    expect(messages(cut, 'error')).toContain('looks like a plan-id but is not one')
    expect(registers(n)).toHaveLength(0)
  })
})
