/**
 * The Nomad test double's rolling updates (scheduler/reconcile.go `computeUnderProvisionedBy`,
 * nomad/deploymentwatcher/deployment_watcher.go): a destructive update replaces at most `max_parallel` allocations of
 * a group at a time and places the next ones only when those are healthy; the deployment's counts move as it goes;
 * an unhealthy allocation stops the rollout (the old allocations left keep running) until the progress deadline,
 * then auto_revert rolls back; canaries are promoted and the rest follows `max_parallel` at a time.
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

async function start(): Promise<NomadDouble> {
  const d = await startNomadDouble({ allocStartMs: 20, healthyAfterMs: 50 })
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

const jobHcl = (o: { count: number; update: string; image?: string }) => `
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
        cpu    = 100
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
