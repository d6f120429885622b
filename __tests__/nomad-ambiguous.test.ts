/**
 * Ambiguous Nomad outcomes, against the Nomad double behind the fault proxy: a registration whose answer is
 * lost is read back and judged from the stored job and its submission; contact lost while following gives the
 * verdict "unknown" with the last state seen, never "failed".
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { NomadClient } from '../src/nomad/nomad-client.js'
import { followJob } from '../src/nomad/monitor.js'
import { registerJob } from '../src/nomad/register.js'
import { verdictFails } from '../src/nomad/verdict.js'
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../test-support/fault-proxy.js'
import { startNomadDouble, type NomadDouble } from '../test-support/nomad-double/server.js'
import { rawExecJob } from '../test-support/raw-exec-job.js'

const HCL = rawExecJob('amb')

let nomad: NomadDouble | undefined
let proxy: FaultProxy | undefined
afterEach(async () => {
  await proxy?.close()
  await nomad?.close()
  proxy = undefined
  nomad = undefined
})

async function setup(rule: (r: ProxiedRequest) => 'reset-after' | 'reset-before' | null, retries = 3) {
  nomad = await startNomadDouble({ acl: { enabled: true } })
  proxy = await startFaultProxy({ target: nomad.url, rule })
  const conn = { addr: proxy.url, token: nomad.managementToken, skipVerify: false, namespace: '', region: '' }
  const client = new NomadClient(conn, { retries, retryDelayMs: 5 })
  const job = await client.post<Record<string, unknown>>('/v1/jobs/parse', { JobHCL: HCL, Canonicalize: true })
  const submission = { Source: HCL, Format: 'hcl2' as const, VariableFlags: {}, Variables: '' }
  return { client, job, submission, direct: new NomadClient({ ...conn, addr: nomad.url }, { retries: 0 }) }
}

const opts = { enforceIndex: true, jobModifyIndex: 0, preserveCounts: false, policyOverride: false }
const firstRegister = (r: ProxiedRequest) => r.method === 'POST' && r.path === '/v1/jobs' && !proxy!.log.some((e) => e.path === '/v1/jobs')

describe('a registration whose answer is lost', () => {
  it('is confirmed by reading the job back when the retry is refused by the check index', async () => {
    const { client, job, submission, direct } = await setup((r) => (firstRegister(r) ? 'reset-after' : null))
    const res = await registerJob(client, job as never, submission, opts)
    expect(res.confirmedByReadBack).toBe(true)
    // two attempts reached Nomad; the second was refused by EnforceIndex, nothing was registered twice
    expect(proxy!.log.filter((e) => e.path === '/v1/jobs').map((e) => e.fault ?? e.status)).toEqual(['reset-after', 500])
    const { body: stored } = await direct.get<{ Version: number; JobModifyIndex: number }>('/v1/job/amb')
    expect(stored.Version).toBe(0)
    expect(res.jobModifyIndex).toBe(stored.JobModifyIndex)
    const { body: evals } = await direct.get<{ ID: string }[]>('/v1/job/amb/evaluations')
    expect(evals.map((e) => e.ID)).toContain(res.evalId)
  })

  it('is confirmed when every answer is lost but the first attempt took', async () => {
    const { client, job, submission } = await setup((r) => (r.method === 'POST' && r.path === '/v1/jobs' ? 'reset-after' : null), 1)
    const res = await registerJob(client, job as never, submission, opts)
    expect(res.confirmedByReadBack).toBe(true)
    expect(res.evalId).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('says plainly that the registration did not take when Nomad never got it', async () => {
    const { client, job, submission, direct } = await setup((r) => (r.method === 'POST' && r.path === '/v1/jobs' ? 'reset-before' : null), 1)
    const err = await registerJob(client, job as never, submission, opts).catch((e) => e)
    expect(err.message).toMatch(
      /The answer to the registration of job "amb" was lost \(ECONNRESET\); read back, the job does not exist, so this run's registration did not take/
    )
    await expect(direct.get('/v1/job/amb')).rejects.toThrow(/not found/)
  })

  it('does not claim a registration that someone else made', async () => {
    const { client, job, submission, direct } = await setup((r) => (r.method === 'POST' && r.path === '/v1/jobs' ? 'reset-before' : null), 1)
    // another run registers a different source in between
    await direct.post('/v1/jobs', { Job: job, Submission: { ...submission, Source: `${HCL}\n# other run\n` } })
    const err = await registerJob(client, job as never, submission, opts).catch((e) => e)
    expect(err.message).toMatch(/with a submission that is not this run's \(someone else registered it\)/)
  })
})

describe('contact lost while following', () => {
  it('gives the verdict unknown with the last state seen, which fails the step but is not "failed"', async () => {
    const { client, job, submission } = await setup(() => null, 1)
    const reg = await registerJob(client, job as never, submission, opts)
    // from now on, every deployment read is cut
    proxy!.configure({ rule: (r) => (r.path.startsWith('/v1/deployment/') ? 'reset-before' : null) })
    const v = await followJob(client, {
      jobId: 'amb',
      evalId: reg.evalId,
      wait: 'deployment',
      timeoutMs: 30_000,
      autoPromote: false,
      jobType: 'service',
      periodic: false,
      parameterized: false,
      jobVersion: 0
    })
    expect(v.verdict).toBe('unknown')
    expect(verdictFails(v.verdict)).toBe(true)
    expect(v.reason).toMatch(
      /Lost contact with Nomad after \d+s while following job "amb": Cannot reach Nomad at nomad-addr .* \(GET \/v1\/deployment\/[0-9a-f-]+: ECONNRESET\) after 2 attempts/
    )
    expect(v.reason).toMatch(/Last state seen: evaluation [0-9a-f-]+ complete/)
  })
})
