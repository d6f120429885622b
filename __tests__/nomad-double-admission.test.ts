/**
 * Tests of the Nomad test double's job admission and of jobs that run to completion or not at all, from real-world
 * job shapes: plan and register share one admission path (Nomad's nomad/job_endpoint.go `Plan` and `Register` both run
 * `admissionControllers`), so a plan is refused where the register would be, and a job submitted as bare API JSON is
 * canonicalised before it is compared with the stored one. No task here uses Vault.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { startNomadDouble, type NomadDouble, type NomadDoubleOptions } from '../test-support/nomad-double/server.js'

/** The fields of Nomad's api.JobPlanResponse and api.JobRegisterResponse the tests read. */
interface Answers {
  plan: {
    Diff: { Type: string; Fields: { Name: string }[] | null }
    Annotations: { DesiredTGUpdates: Record<string, { Place: number; Ignore: number }> }
  }
  register: { EvalID: string; JobModifyIndex: number }
}

const doubles: NomadDouble[] = []
afterEach(async () => {
  for (const d of doubles.splice(0)) await d.close()
})

async function start(o: Partial<NomadDoubleOptions> = {}): Promise<NomadDouble> {
  // no task reads a secret: the clients never call this address
  const d = await startNomadDouble({ vaultAddr: 'http://127.0.0.1:9', allocStartMs: 10, healthyAfterMs: 20, ...o })
  doubles.push(d)
  return d
}

async function call<T>(d: NomadDouble, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: T }> {
  const res = await fetch(`${d.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-Nomad-Token': d.managementToken },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  let json: T = undefined as T
  try {
    json = JSON.parse(text)
  } catch {}
  return { status: res.status, text, json }
}

const plan = (d: NomadDouble, job: { ID: string }, q = '') => call<Answers['plan']>(d, 'POST', `/v1/job/${job.ID}/plan${q}`, { Job: job, Diff: true })
const register = (d: NomadDouble, job: { ID: string }, q = '') => call<Answers['register']>(d, 'POST', `/v1/jobs${q}`, { Job: job })

/** A service job as `nomad job run -output` would not write it: bare API JSON, only what the author set. */
function worker(extra: Record<string, unknown> = {}): { ID: string; [k: string]: unknown } {
  return {
    ID: 'worker',
    Type: 'service',
    TaskGroups: [
      {
        Name: 'worker',
        Tasks: [{ Name: 'worker', Driver: 'raw_exec', Config: { command: '/bin/sleep', args: ['3600'] }, Resources: { CPU: 50, MemoryMB: 32 } }]
      }
    ],
    ...extra
  }
}

describe('plan and register share one admission path', () => {
  it('canonicalises a bare JSON job before the plan: re-planning what was registered shows no difference', async () => {
    const d = await start()
    expect((await register(d, worker())).status).toBe(200)
    await d.waitFor(() => d.allocations('worker').length === 1) // the evaluation placed it
    const p = await plan(d, worker())
    expect(p.status).toBe(200)
    expect(p.json.Diff.Fields).toBeNull()
    expect(p.json.Diff.Type).toBe('None')
    expect(p.json.Annotations.DesiredTGUpdates.worker).toMatchObject({ Place: 0, Ignore: 1 })
    // the stored job has the agent's region, which the submitted one did not name
    expect(d.getJob('worker')?.Region).toBe('global')
  })

  it("stores a bare JSON job with api.Job.Canonicalize's defaults, per job type", async () => {
    const d = await start()
    expect((await register(d, worker())).status).toBe(200)
    const stored = d.getJob('worker')!
    expect(stored).toMatchObject({ Name: 'worker', Namespace: 'default', Priority: 50, Datacenters: ['*'], NodePool: 'default' })
    const g = stored.TaskGroups[0]
    // api/tasks.go TaskGroup.Canonicalize: a service job's groups get the default update strategy and policies
    expect(g).toMatchObject({
      Count: 1,
      Update: { MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10e9, HealthyDeadline: 300e9, ProgressDeadline: 600e9 },
      RestartPolicy: { Attempts: 2, Interval: 1800e9, Delay: 15e9, Mode: 'fail' },
      ReschedulePolicy: { Delay: 30e9, DelayFunction: 'exponential', MaxDelay: 3600e9, Unlimited: true }
    })
    expect(g.Tasks[0]).toMatchObject({ KillTimeout: 5e9, Resources: { CPU: 50, MemoryMB: 32 } })
    // an unset field may come as null (`nomad job run -output`): the default still applies
    const nulls = worker({ ID: 'nulls', Priority: null, NodePool: null, Region: null })
    nulls.TaskGroups = [{ Name: 'w', Count: null, Tasks: [{ Name: 't', Driver: 'exec', Resources: { CPU: null, MemoryMB: 64 }, KillTimeout: null }] }]
    expect((await register(d, nulls)).status).toBe(200)
    expect(d.getJob('nulls')).toMatchObject({ Priority: 50, NodePool: 'default', Region: 'global' })
    expect(d.getJob('nulls')!.TaskGroups[0]).toMatchObject({ Count: 1, Tasks: [{ KillTimeout: 5e9, Resources: { CPU: 100, MemoryMB: 64 } }] })
    // a sysbatch job: no update strategy, the batch restart policy, no rescheduling
    const sys = { ...worker({ ID: 'sweep', Type: 'sysbatch' }) }
    expect((await register(d, sys)).status).toBe(200)
    const sg = d.getJob('sweep')!.TaskGroups[0]
    expect(sg.Update).toBeUndefined()
    expect(sg.RestartPolicy).toMatchObject({ Attempts: 3, Interval: 86400e9 })
    expect(sg.ReschedulePolicy).toMatchObject({ Attempts: 0, Unlimited: false })
  })

  it('keeps the agent region for a job that says "global", on an agent in another region', async () => {
    const d = await start({ region: 'eu' })
    expect((await register(d, worker({ Region: 'global' }))).status).toBe(200)
    expect(d.getJob('worker')?.Region).toBe('eu')
    expect((await plan(d, worker())).json.Diff.Type).toBe('None')
    // a job for a region this agent has no path to
    const other = await plan(d, worker({ Region: 'us' }))
    expect(other).toMatchObject({ status: 500, text: 'No path to region' })
  })

  it('refuses a job in a namespace that does not exist at plan, as register does', async () => {
    const d = await start()
    const text = '1 error occurred:\n\t* job "worker" is in nonexistent namespace "payments"\n\n'
    expect(await plan(d, worker({ Namespace: 'payments' }))).toMatchObject({ status: 500, text })
    expect(await plan(d, worker(), '?namespace=payments')).toMatchObject({ status: 500, text })
    expect(await register(d, worker({ Namespace: 'payments' }))).toMatchObject({ status: 500, text })
    expect(d.getJob('worker', 'payments')).toBeUndefined()
  })

  it('refuses a job in a node pool that does not exist at plan and register; a pool that exists is fine', async () => {
    const d = await start({ nodePools: ['gpu'] })
    const text = '1 error occurred:\n\t* job "worker" is in nonexistent node pool "arm64"\n\n'
    expect(await plan(d, worker({ NodePool: 'arm64' }))).toMatchObject({ status: 500, text })
    expect(await register(d, worker({ NodePool: 'arm64' }))).toMatchObject({ status: 500, text })
    expect((await plan(d, worker({ NodePool: 'gpu' }))).status).toBe(200)
    expect((await plan(d, worker({ NodePool: 'all' }))).status).toBe(200)
    // both refusals at once: go-multierror lists every validator's error
    const both = await plan(d, worker({ Namespace: 'payments', NodePool: 'arm64' }))
    expect(both.text).toBe(
      '2 errors occurred:\n\t* job "worker" is in nonexistent namespace "payments"\n\t* job "worker" is in nonexistent node pool "arm64"\n\n'
    )
  })

  it('refuses a multiregion job: unlicensed on Nomad CE', async () => {
    const d = await start()
    // the shape of Nomad's multiregion example: the agent's region is one of the job's regions
    const multiregion = {
      Strategy: { MaxParallel: 1, OnFailure: 'fail_all' },
      Regions: [
        { Name: 'global', Count: 1, Datacenters: ['dc1'] },
        { Name: 'west', Count: 2, Datacenters: ['west-1'] }
      ]
    }
    const text = '1 error occurred:\n\t* Multiregion jobs are unlicensed.\n\n'
    expect(await plan(d, worker({ Multiregion: multiregion }))).toMatchObject({ status: 500, text })
    expect(await register(d, worker({ Multiregion: multiregion }))).toMatchObject({ status: 500, text })
    // the agent's region is not one of the job's: the request goes to the first of them, which this agent cannot reach
    const elsewhere = { ...multiregion, Regions: multiregion.Regions.slice(1) }
    expect(await plan(d, worker({ Multiregion: elsewhere }))).toMatchObject({ status: 500, text: 'No path to region' })
    expect(d.getJob('worker')).toBeUndefined()
  })
})

describe('jobs that run to completion, or only when launched', () => {
  const sysbatch = (id: string) => ({
    ID: id,
    Type: 'sysbatch',
    TaskGroups: [
      { Name: 'clean', Tasks: [{ Name: 'clean', Driver: 'raw_exec', Config: { command: '/bin/true' }, Resources: { CPU: 50, MemoryMB: 32 } }] }
    ]
  })

  it('runs a sysbatch job on every node to completion; the job ends dead', async () => {
    const d = await start({
      nodes: [
        { cpu: 1000, memoryMB: 1024 },
        { cpu: 1000, memoryMB: 1024 }
      ]
    })
    const r = await register(d, sysbatch('cleanup'))
    expect(r.status).toBe(200)
    expect(r.json.EvalID).toBeTruthy()
    await d.waitFor(() => d.getJob('cleanup')?.Status === 'dead', 10_000)
    const allocs = d.allocations('cleanup')
    expect(allocs).toHaveLength(2)
    expect(allocs.map((a) => a.ClientStatus)).toEqual(['complete', 'complete'])
    expect(allocs.every((a) => a.DeploymentID === '')).toBe(true)
    expect(d.deployments('cleanup')).toEqual([])
  })

  it('registers parameterized and periodic jobs without an evaluation or allocations; their status is running', async () => {
    const d = await start()
    const dispatched = {
      ...sysbatch('resize'),
      Type: 'batch',
      ParameterizedJob: { Payload: 'required', MetaRequired: ['image'], MetaOptional: null }
    }
    const nightly = {
      ...sysbatch('nightly'),
      Type: 'batch',
      Periodic: { Enabled: true, Specs: ['0 3 * * *'], SpecType: 'cron', ProhibitOverlap: true }
    }
    for (const job of [dispatched, nightly]) {
      const r = await register(d, job)
      expect(r.status).toBe(200)
      expect(r.json.EvalID).toBe('')
      expect(d.getJob(job.ID)?.Status).toBe('running')
      expect(d.allocations(job.ID)).toEqual([])
      // re-planned as registered: no difference
      expect((await plan(d, job)).json.Diff.Type).toBe('None')
    }
  })
})
