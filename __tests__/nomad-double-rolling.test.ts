/**
 * The Nomad test double's rolling updates (scheduler/reconcile.go `computeUnderProvisionedBy`,
 * nomad/deploymentwatcher/deployment_watcher.go): a destructive update replaces at most `max_parallel` allocations of
 * a group at a time and places the next ones only when those are healthy; the deployment's counts move as it goes;
 * an unhealthy allocation stops the rollout (the old allocations left keep running) until the progress deadline,
 * then auto_revert rolls back; canaries are promoted and the rest follows `max_parallel` at a time. Also the
 * deployment writes `nomad deployment` sends (pause/resume, fail, allocation-health; command/agent/deployment_endpoint.go,
 * nomad/deployment_endpoint.go) and the one blocked evaluation per job (nomad/blocked_evals.go).
 * No Vault here: the tasks have no vault block. The double's timers are scaled (timeScale 0.01).
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { startNomadDouble, type NomadDouble } from '../test-support/nomad-double/server.js'

interface AllocView {
  ID: string
  Name: string
  JobVersion: number
  DesiredStatus: string
  DesiredDescription: string
  ClientStatus: string
  DeploymentID: string
  PreviousAllocation: string
  DeploymentStatus: { Healthy: boolean | null; Canary: boolean } | null
}
interface GroupState {
  DesiredTotal: number
  PlacedAllocs: number
  HealthyAllocs: number
  UnhealthyAllocs: number
  DesiredCanaries: number
  PlacedCanaries: string[] | null
  Promoted: boolean
  RequireProgressBy: string
}
interface DeploymentView {
  ID: string
  JobVersion: number
  Status: string
  StatusDescription: string
  TaskGroups: Record<string, GroupState>
}

const doubles: NomadDouble[] = []
afterEach(async () => {
  await Promise.all(doubles.splice(0).map((d) => d.close()))
})

async function start(o: Parameters<typeof startNomadDouble>[0] = {}): Promise<NomadDouble> {
  const d = await startNomadDouble({ allocStartMs: 20, healthyAfterMs: 50, ...o })
  doubles.push(d)
  return d
}

async function call(d: NomadDouble, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: unknown }> {
  const res = await fetch(`${d.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-Nomad-Token': d.managementToken },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, text, json }
}

const jobHcl = (o: { count: number; update: string; image?: string; cpu?: number }) => `
job "web" {
  datacenters = ["dc1"]
  update {
${o.update}
  }
  group "web" {
    count = ${o.count}
    task "server" {
      driver = "docker"
      config {
        image = "${o.image ?? 'nginx:1.25'}"
      }
      resources {
        cpu    = ${o.cpu ?? 100}
        memory = 64
      }
    }
  }
}
`

async function parse(d: NomadDouble, hcl: string): Promise<unknown> {
  const p = await call(d, 'POST', '/v1/jobs/parse', { JobHCL: hcl, Canonicalize: true })
  expect(p.status).toBe(200)
  return p.json
}

async function register(d: NomadDouble, hcl: string): Promise<void> {
  const r = await call(d, 'POST', '/v1/jobs', { Job: await parse(d, hcl) })
  expect(r.status).toBe(200)
}

const allocs = (d: NomadDouble) => d.allocations('web') as unknown as AllocView[]
const deployments = (d: NomadDouble) => d.deployments('web') as unknown as DeploymentView[]
const deploymentOf = (d: NomadDouble, version: number) => deployments(d).find((x) => x.JobVersion === version)
const running = (d: NomadDouble, version: number) =>
  allocs(d).filter((a) => a.JobVersion === version && a.DesiredStatus === 'run' && a.ClientStatus === 'running')

/** Version 0 of the job, deployed and successful. */
async function deployed(d: NomadDouble, count: number, update: string): Promise<void> {
  await register(d, jobHcl({ count, update }))
  await d.waitFor(() => deploymentOf(d, 0)?.Status === 'successful', 20_000)
  expect(running(d, 0)).toHaveLength(count)
}

/** What a rollout looked like, sampled on every state change of the double. */
interface Rollout {
  /** most allocations placed for the new version, meant to run and not (yet) healthy at one time (in-place ones not counted) */
  maxNotHealthy: number
  /** fewest allocations serving at one time: old ones meant to run, plus healthy new ones */
  minServing: number
  /** the deployment's group counts as they moved: "placed/healthy/unhealthy status" */
  steps: string[]
  /** the RequireProgressBy values seen */
  deadlines: Set<string>
}

async function follow(d: NomadDouble, version: number, until: (dep: DeploymentView | undefined) => boolean): Promise<Rollout> {
  const r: Rollout = { maxNotHealthy: 0, minServing: Number.POSITIVE_INFINITY, steps: [], deadlines: new Set() }
  const before = new Set(allocs(d).map((a) => a.ID))
  await d.waitFor(() => {
    const all = allocs(d)
    const fresh = all.filter((a) => a.JobVersion === version && a.DesiredStatus === 'run')
    const notHealthy = fresh.filter((a) => !before.has(a.ID) && a.DeploymentStatus?.Healthy !== true).length
    const old = all.filter((a) => a.JobVersion < version && a.DesiredStatus === 'run' && a.ClientStatus !== 'failed').length
    r.maxNotHealthy = Math.max(r.maxNotHealthy, notHealthy)
    r.minServing = Math.min(r.minServing, old + fresh.length - notHealthy)
    const dep = deploymentOf(d, version)
    const g = dep?.TaskGroups.web
    if (dep && g) {
      const step = `${g.PlacedAllocs}/${g.HealthyAllocs}/${g.UnhealthyAllocs} ${dep.Status}`
      if (r.steps.at(-1) !== step) r.steps.push(step)
      r.deadlines.add(g.RequireProgressBy)
    }
    return until(dep)
  }, 30_000)
  return r
}

describe('rolling updates', () => {
  it.each([
    [3, 1],
    [4, 2]
  ])(
    'count %i, max_parallel %i: at most max_parallel new allocations are not healthy at a time; old ones stop batch by batch',
    async (count, maxParallel) => {
      const d = await start()
      const update = `    max_parallel     = ${maxParallel}\n    min_healthy_time = "1s"`
      await deployed(d, count, update)
      const v0 = running(d, 0)
      const next = jobHcl({ count, update, image: 'nginx:1.27' })

      // the plan shows what the first pass does: max_parallel create/destroy updates, the rest ignored for now
      const plan = await call(d, 'POST', '/v1/job/web/plan', { Job: await parse(d, next), Diff: true })
      expect(plan.status).toBe(200)
      expect(plan.json).toMatchObject({
        Annotations: { DesiredTGUpdates: { web: { DestructiveUpdate: maxParallel, Ignore: count - maxParallel, Place: 0 } } }
      })

      await register(d, next)
      const r = await follow(d, 1, (dep) => dep?.Status === 'successful')
      expect(r.maxNotHealthy).toBe(maxParallel)
      expect(r.minServing).toBe(count - maxParallel)
      const dep = deploymentOf(d, 1)
      expect(dep?.TaskGroups.web).toMatchObject({ DesiredTotal: count, PlacedAllocs: count, HealthyAllocs: count, UnhealthyAllocs: 0 })
      // while it ran, the deployment never had more than max_parallel placed allocations that were not healthy
      const running1 = r.steps.filter((s) => s.endsWith('running')).map((s) => s.split(' ')[0].split('/').map(Number))
      expect(running1.length).toBeGreaterThan(1)
      for (const [placed, healthy] of running1) expect(placed - healthy).toBeLessThanOrEqual(maxParallel)
      if (maxParallel === 1)
        expect(r.steps).toEqual(['1/0/0 running', '1/1/0 running', '2/1/0 running', '2/2/0 running', '3/2/0 running', '3/3/0 successful'])

      // every old allocation was replaced by one of the same name, and stopped as "being updated"
      const now = running(d, 1)
      expect(now).toHaveLength(count)
      for (const a of now) {
        const prev = v0.find((o) => o.ID === a.PreviousAllocation)
        expect(prev?.Name).toBe(a.Name)
      }
      expect(
        allocs(d)
          .filter((a) => a.JobVersion === 0)
          .map((a) => [a.DesiredStatus, a.DesiredDescription])
      ).toEqual(v0.map(() => ['stop', 'alloc is being updated due to job update']))
      // the next batches were placed by the deployment watcher's evaluations
      const evals = (await call(d, 'GET', '/v1/job/web/evaluations')).json as { TriggeredBy: string; DeploymentID: string; Status: string }[]
      const pushes = evals.filter((e) => e.TriggeredBy === 'deployment-watcher' && e.DeploymentID === dep?.ID)
      expect(pushes.length).toBeGreaterThanOrEqual(Math.ceil(count / maxParallel) - 1)
    }
  )

  it('the progress deadline starts again with each healthy allocation: a rollout longer than the deadline succeeds', async () => {
    const d = await start()
    const update = '    max_parallel     = 1\n    min_healthy_time = "30s"'
    await deployed(d, 4, update)
    // each step takes min_healthy_time (30 s, scaled: 300 ms); four steps take longer than the 1 s deadline
    d.setProgressDeadlineMs(1000)
    await register(d, jobHcl({ count: 4, update, image: 'nginx:1.27' }))
    const r = await follow(d, 1, (dep) => dep !== undefined && dep.Status !== 'running')
    expect(deploymentOf(d, 1)).toMatchObject({ Status: 'successful', StatusDescription: 'Deployment completed successfully' })
    expect(r.deadlines.size).toBeGreaterThanOrEqual(4)
  })

  it('a failing second batch stops the rollout (the old allocation left keeps running); auto_revert rolls back max_parallel at a time', async () => {
    const d = await start()
    const update = '    max_parallel     = 1\n    min_healthy_time = "1s"\n    auto_revert      = true'
    await deployed(d, 3, update)
    const v0 = running(d, 0)
    const last = v0.find((a) => a.Name === 'web.web[2]')
    d.setProgressDeadlineMs(1500)
    await register(d, jobHcl({ count: 3, update, image: 'nginx:1.27' }))
    // the first new allocation becomes healthy; every later one of version 1 fails
    await d.waitFor(() => (deploymentOf(d, 1)?.TaskGroups.web.HealthyAllocs ?? 0) >= 1, 20_000)
    d.setProgressDeadlineMs(undefined)
    d.failAllocs('web', 'Failed to start container: OCI runtime create failed', { version: 1, recoverable: false })
    const r = await follow(d, 1, (dep) => dep !== undefined && dep.Status !== 'running')
    expect(r.maxNotHealthy).toBe(1)
    const failed = deploymentOf(d, 1)
    expect(failed).toMatchObject({ Status: 'failed', StatusDescription: 'Failed due to progress deadline - rolling back to job version 0' })
    expect(failed?.TaskGroups.web).toMatchObject({ DesiredTotal: 3, HealthyAllocs: 1 })
    expect(failed?.TaskGroups.web.UnhealthyAllocs).toBeGreaterThanOrEqual(1)
    // the third old allocation was never replaced by version 1
    expect(allocs(d).find((a) => a.ID === last?.ID)).toMatchObject({ DesiredStatus: 'run', ClientStatus: 'running' })

    // the rollback (version 2 = version 0's spec) replaces the version-1 allocations one at a time and moves the old one in place
    const back = await follow(d, 2, (dep) => dep !== undefined && dep.Status !== 'running')
    expect(deploymentOf(d, 2)).toMatchObject({ Status: 'successful' })
    expect(back.maxNotHealthy).toBe(1)
    expect(running(d, 2)).toHaveLength(3)
    expect(running(d, 2).map((a) => a.ID)).toContain(last?.ID)
  })

  it('canaries, then promotion: the remaining allocations are replaced max_parallel at a time', async () => {
    const d = await start()
    const update = '    max_parallel     = 1\n    canary           = 1\n    min_healthy_time = "1s"'
    await deployed(d, 3, update)
    await register(d, jobHcl({ count: 3, update, image: 'nginx:1.27' }))
    await d.waitFor(() => (deploymentOf(d, 1)?.TaskGroups.web.HealthyAllocs ?? 0) >= 1, 20_000)
    const dep = deploymentOf(d, 1)
    expect(dep).toMatchObject({ Status: 'running', StatusDescription: 'Deployment is running but requires manual promotion' })
    expect(running(d, 0)).toHaveLength(3)
    const canary = running(d, 1)
    expect(canary).toHaveLength(1)
    expect(canary[0].DeploymentStatus).toMatchObject({ Canary: true, Healthy: true })

    const pr = await call(d, 'POST', `/v1/deployment/promote/${dep?.ID}`, { DeploymentID: dep?.ID, All: true })
    expect(pr.status).toBe(200)
    const r = await follow(d, 1, (x) => x?.Status === 'successful')
    expect(r.maxNotHealthy).toBe(1)
    expect(r.minServing).toBe(2)
    expect(running(d, 1)).toHaveLength(3)
    expect(running(d, 1).map((a) => a.ID)).toContain(canary[0].ID)
    // the old allocation with the canary's name is stopped, not replaced
    const twin = allocs(d).find((a) => a.JobVersion === 0 && a.Name === canary[0].Name)
    expect(twin).toMatchObject({ DesiredStatus: 'stop', DesiredDescription: 'alloc not needed due to job update' })
  })
})

interface UpdateResponse {
  EvalID: string
  EvalCreateIndex: number
  DeploymentModifyIndex: number
  RevertedJobVersion: number | null
}
interface EvalView {
  ID: string
  TriggeredBy: string
  DeploymentID: string
  Status: string
  StatusDescription: string
  BlockedEval: string
  FailedTGAllocs: Record<string, unknown> | null
}

/** Follows an evaluation with blocking queries until the scheduler has processed it. */
async function settled(d: NomadDouble, id: string): Promise<EvalView> {
  let index = 0
  for (;;) {
    const res = await fetch(`${d.url}/v1/evaluation/${id}?index=${index}&wait=2s`, { headers: { 'X-Nomad-Token': d.managementToken } })
    const ev = (await res.json()) as EvalView
    if (ev.Status !== 'pending') return ev
    index = Number(res.headers.get('x-nomad-index') ?? 0)
  }
}

/** update block lines whose allocations the client never reports healthy during a test (min_healthy_time 10m = 6 s scaled) */
const MANUAL = '    max_parallel      = 1\n    min_healthy_time  = "10m"\n    healthy_deadline  = "15m"\n    progress_deadline = "30m"'

/** `nomad deployment allocation-health -healthy`, then the evaluation it created is processed. */
async function markHealthy(d: NomadDouble, dep: DeploymentView, allocId: string): Promise<EvalView> {
  const r = await call(d, 'POST', `/v1/deployment/allocation-health/${dep.ID}`, { DeploymentID: dep.ID, HealthyAllocationIDs: [allocId] })
  expect(r.status).toBe(200)
  return settled(d, (r.json as UpdateResponse).EvalID)
}

/** Registers version 1 (a new image; `next`: another update block) of a deployed job and waits for its deployment. */
async function updating(d: NomadDouble, count: number, update: string, next = update): Promise<DeploymentView> {
  await deployed(d, count, update)
  await register(d, jobHcl({ count, update: next, image: 'nginx:1.27' }))
  await d.waitFor(() => deploymentOf(d, 1) !== undefined, 20_000)
  return deploymentOf(d, 1) as DeploymentView
}

describe('deployment writes: pause and resume, fail, allocation-health', () => {
  it('pause: a paused deployment places no further batch; resume creates an evaluation and the rollout goes on', async () => {
    const d = await start()
    const dep = await updating(d, 3, '    max_parallel     = 1\n    min_healthy_time = "1s"', MANUAL)
    const paused = await call(d, 'POST', `/v1/deployment/pause/${dep.ID}`, { DeploymentID: dep.ID, Pause: true })
    expect(paused.status).toBe(200)
    expect(paused.json).toMatchObject({ EvalID: '', EvalCreateIndex: 0, RevertedJobVersion: null })
    expect(deploymentOf(d, 1)).toMatchObject({ Status: 'paused', StatusDescription: 'Deployment is paused' })
    // the allocation placed before the pause becomes healthy (and is counted); the evaluation that follows places nothing
    await d.waitFor(() => running(d, 1).length === 1, 20_000)
    const pass = await markHealthy(d, dep, running(d, 1)[0].ID)
    expect(pass.Status).toBe('complete')
    expect(deploymentOf(d, 1)).toMatchObject({ Status: 'paused', TaskGroups: { web: { PlacedAllocs: 1, HealthyAllocs: 1 } } })
    expect(running(d, 0)).toHaveLength(2)

    const resumed = await call(d, 'POST', `/v1/deployment/pause/${dep.ID}`, { DeploymentID: dep.ID, Pause: false })
    expect(resumed.status).toBe(200)
    const r = resumed.json as UpdateResponse
    expect(r.EvalID).toMatch(/^[0-9a-f-]{36}$/)
    expect(r.EvalCreateIndex).toBeGreaterThan(0)
    expect(await settled(d, r.EvalID)).toMatchObject({ TriggeredBy: 'deployment-watcher', DeploymentID: dep.ID, Status: 'complete' })
    for (let placed = 2; placed <= 3; placed++) {
      expect(deploymentOf(d, 1)?.TaskGroups.web).toMatchObject({ PlacedAllocs: placed, HealthyAllocs: placed - 1 })
      await d.waitFor(() => running(d, 1).length === placed, 20_000)
      const fresh = running(d, 1).find((a) => a.DeploymentStatus?.Healthy !== true) as AllocView
      await markHealthy(d, dep, fresh.ID)
    }
    expect(deploymentOf(d, 1)?.Status).toBe('successful')
    expect(running(d, 1)).toHaveLength(3)
    // a terminal deployment can be neither paused nor resumed
    const again = await call(d, 'POST', `/v1/deployment/pause/${dep.ID}`, { DeploymentID: dep.ID, Pause: true })
    expect([again.status, again.text]).toEqual([500, "can't pause terminal deployment"])
    const resume = await call(d, 'POST', `/v1/deployment/pause/${dep.ID}`, { DeploymentID: dep.ID, Pause: false })
    expect([resume.status, resume.text]).toEqual([500, "can't resume terminal deployment"])
  })

  it.each(['pause', 'allocation-health', 'promote'])(
    '%s: the agent checks DeploymentID first (400), the server the deployment (500)',
    async (verb) => {
      const d = await start()
      const dep = await updating(d, 1, '    max_parallel = 1')
      const none = await call(d, 'POST', `/v1/deployment/${verb}/${dep.ID}`, {})
      expect([none.status, none.text]).toEqual([400, 'DeploymentID must be specified'])
      const other = await call(d, 'POST', `/v1/deployment/${verb}/${dep.ID}`, { DeploymentID: 'b1d7e6d2-0000-4000-8000-000000000000' })
      expect([other.status, other.text]).toEqual([400, 'Deployment ID does not match'])
      const id = 'b1d7e6d2-0000-4000-8000-000000000000'
      const missing = await call(d, 'POST', `/v1/deployment/${verb}/${id}`, { DeploymentID: id, Pause: true, All: true, HealthyAllocationIDs: [id] })
      expect([missing.status, missing.text]).toEqual([500, 'deployment not found'])
    }
  )

  it('fail: "Deployment marked as failed", auto_revert to the stable version (RevertedJobVersion), an evaluation; then 500 on a terminal one', async () => {
    const d = await start()
    const dep = await updating(d, 2, '    max_parallel     = 1\n    min_healthy_time = "1s"\n    auto_revert      = true')
    const res = await call(d, 'POST', `/v1/deployment/fail/${dep.ID}`)
    expect(res.status).toBe(200)
    const r = res.json as UpdateResponse
    expect(r.RevertedJobVersion).toBe(0)
    expect(r.EvalID).toMatch(/^[0-9a-f-]{36}$/)
    expect(deploymentOf(d, 1)).toMatchObject({ Status: 'failed', StatusDescription: 'Deployment marked as failed - rolling back to job version 0' })
    expect(d.getJob('web')?.Version).toBe(2)
    await d.waitFor(() => deploymentOf(d, 2)?.Status === 'successful', 20_000)
    const again = await call(d, 'POST', `/v1/deployment/fail/${dep.ID}`)
    expect([again.status, again.text]).toEqual([500, "can't fail terminal deployment"])
    const missing = await call(d, 'POST', '/v1/deployment/fail/b1d7e6d2-0000-4000-8000-000000000000')
    expect([missing.status, missing.text]).toEqual([500, 'deployment not found'])
  })

  it('allocation-health: healthy IDs count and push the rollout on; an unhealthy ID fails the deployment; bad IDs change nothing', async () => {
    const d = await start()
    const dep = await updating(d, 2, '    max_parallel = 1', MANUAL)
    await d.waitFor(() => running(d, 1).length === 1, 20_000)
    const [first] = running(d, 1)
    const url = `/v1/deployment/allocation-health/${dep.ID}`
    const empty = await call(d, 'POST', url, { DeploymentID: dep.ID })
    expect([empty.status, empty.text]).toEqual([500, 'must specify at least one healthy/unhealthy allocation ID'])
    const unknown = await call(d, 'POST', url, { DeploymentID: dep.ID, HealthyAllocationIDs: [first.ID, 'b1d7e6d2-0000-4000-8000-000000000000'] })
    expect([unknown.status, unknown.text]).toEqual([500, 'unknown alloc "b1d7e6d2-0000-4000-8000-000000000000"'])
    const old = allocs(d).find((a) => a.JobVersion === 0) as AllocView
    const foreign = await call(d, 'POST', url, { DeploymentID: dep.ID, UnhealthyAllocationIDs: [old.ID] })
    expect([foreign.status, foreign.text]).toEqual([500, `alloc "${old.ID}" is not part of deployment "${dep.ID}"`])
    expect(deploymentOf(d, 1)).toMatchObject({ Status: 'running', TaskGroups: { web: { HealthyAllocs: 0, UnhealthyAllocs: 0 } } })

    // the evaluation the route creates places the second batch
    expect(await markHealthy(d, dep, first.ID)).toMatchObject({ Status: 'complete', TriggeredBy: 'deployment-watcher' })
    expect(allocs(d).find((a) => a.ID === first.ID)?.DeploymentStatus?.Healthy).toBe(true)
    expect(deploymentOf(d, 1)?.TaskGroups.web).toMatchObject({ PlacedAllocs: 2, HealthyAllocs: 1, UnhealthyAllocs: 0 })
    const second = allocs(d).find((a) => a.JobVersion === 1 && a.ID !== first.ID) as AllocView
    const bad = await call(d, 'POST', url, { DeploymentID: dep.ID, UnhealthyAllocationIDs: [second.ID] })
    expect(bad.status).toBe(200)
    expect((bad.json as UpdateResponse).RevertedJobVersion).toBeNull()
    expect(deploymentOf(d, 1)).toMatchObject({
      Status: 'failed',
      StatusDescription: 'Failed due to unhealthy allocations',
      TaskGroups: { web: { HealthyAllocs: 1, UnhealthyAllocs: 1 } }
    })
    const terminal = await call(d, 'POST', url, { DeploymentID: dep.ID, HealthyAllocationIDs: [second.ID] })
    expect([terminal.status, terminal.text]).toEqual([500, "can't set health of allocations for a terminal deployment"])
  })
})

describe('health_check = "manual"', () => {
  it('the client reports no health, not even for a failed task; only allocation-health moves the rollout', async () => {
    const d = await start()
    const manual = '    max_parallel     = 1\n    min_healthy_time = "1s"\n    health_check     = "manual"'
    const dep = await updating(d, 2, '    max_parallel     = 1\n    min_healthy_time = "1s"', manual)
    await d.waitFor(() => running(d, 1).length === 1, 20_000)
    const [first] = running(d, 1)
    // a task-states deployment would have called it healthy after 50 ms (healthyAfterMs) and min_healthy_time (10 ms)
    await expect(d.waitFor(() => allocs(d).find((a) => a.ID === first.ID)?.DeploymentStatus?.Healthy !== null, 1000)).rejects.toThrow('timed out')
    expect(deploymentOf(d, 1)?.TaskGroups.web).toMatchObject({ PlacedAllocs: 1, HealthyAllocs: 0, UnhealthyAllocs: 0 })
    // the next one's task fails for good: the allocation fails, its health stays unset
    d.failAllocs('web', 'Failed to start container', { version: 1, recoverable: false })
    await markHealthy(d, dep, first.ID)
    await d.waitFor(() => allocs(d).some((a) => a.JobVersion === 1 && a.ClientStatus === 'failed'), 20_000)
    const second = allocs(d).find((a) => a.JobVersion === 1 && a.ClientStatus === 'failed') as AllocView
    expect(second.DeploymentStatus?.Healthy).toBeNull()
    expect(deploymentOf(d, 1)).toMatchObject({ Status: 'running', TaskGroups: { web: { HealthyAllocs: 1, UnhealthyAllocs: 0 } } })
  })
})

describe('blocked evaluations: one per job', () => {
  it('a newer blocked evaluation cancels the older one; an evaluation that places everything cancels the rest', async () => {
    // room for two allocations of 100 MHz
    const d = await start({ nodes: [{ cpu: 250, memoryMB: 8192 }] })
    const update = '    max_parallel     = 1\n    min_healthy_time = "1s"'
    const evalOf = async (id: string) => (await call(d, 'GET', `/v1/evaluation/${id}`)).json as EvalView
    const registered = async (hcl: string): Promise<EvalView> => {
      const r = await call(d, 'POST', '/v1/jobs', { Job: await parse(d, hcl) })
      return settled(d, (r.json as { EvalID: string }).EvalID)
    }
    const v0 = await registered(jobHcl({ count: 3, update }))
    expect(v0.FailedTGAllocs).not.toBeNull()
    const blocked0 = await evalOf(v0.BlockedEval)
    expect(blocked0.Status).toBe('blocked')
    const v1 = await registered(jobHcl({ count: 3, update, image: 'nginx:1.27' }))
    expect(v1.FailedTGAllocs).not.toBeNull()
    expect(await evalOf(v0.BlockedEval)).toMatchObject({ Status: 'cancelled', StatusDescription: 'existing blocked evaluation exists for job "web"' })
    expect((await evalOf(v1.BlockedEval)).Status).toBe('blocked')
    const v2 = await registered(jobHcl({ count: 2, update, image: 'nginx:1.27' }))
    expect(v2.FailedTGAllocs).toBeNull()
    expect(await evalOf(v1.BlockedEval)).toMatchObject({ Status: 'cancelled', StatusDescription: `evaluation "${v2.ID}" successful` })
    // new capacity places nothing for the cancelled evaluations: the job keeps its two allocations
    d.addNode({ cpu: 4000, memoryMB: 8192 })
    await d.waitFor(() => deploymentOf(d, 2)?.Status === 'successful', 20_000)
    expect(allocs(d).filter((a) => a.DesiredStatus === 'run')).toHaveLength(2)
  })
})
