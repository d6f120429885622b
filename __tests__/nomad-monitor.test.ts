import { afterEach, describe, expect, it } from '@jest/globals'
import { NomadClient } from '../src/nomad/nomad-client.js'
import type { FollowOptions } from '../src/nomad/follow-context.js'
import { followJob } from '../src/nomad/monitor.js'
import { verdictFails } from '../src/nomad/verdict.js'
import { routes as routeTable, startHttpStub, type HttpStub, type StubRequest } from '../test-support/http-stub.js'

// ---------------------------------------------------------------------------------------------
// A tiny in-process Nomad stub. Resources are state sequences; a blocking GET (index+wait) must carry the
// index of the last response and is held until the resource changes (or the wait runs out).

class Resource {
  private i = 0
  private waiters: (() => void)[] = []
  nonBlockingGets = 0
  blockingGets = 0
  constructor(
    private readonly states: { index: number; body: unknown }[],
    /** Advance to the next state when a blocking request arrives (proves the client blocks). */
    private readonly autoAdvance = true
  ) {}
  get current() {
    return this.states[this.i]
  }
  advance() {
    if (this.i < this.states.length - 1) this.i++
    const w = this.waiters
    this.waiters = []
    w.forEach((f) => f())
  }
  async get(q: URLSearchParams, errors: string[]): Promise<{ index: number; body: unknown }> {
    const index = q.get('index')
    if (index === null) {
      this.nonBlockingGets++
      return this.current
    }
    this.blockingGets++
    const wait = q.get('wait') ?? ''
    if (!/^\d+ms$/.test(wait)) errors.push(`blocking query without wait=<n>ms: "${wait}"`)
    const waitMs = parseInt(wait, 10)
    if (!(waitMs > 0 && waitMs <= 30_000)) errors.push(`wait out of range: ${wait}`)
    // The index must be one this resource answered with. The state may have moved on since that answer (a timer
    // in a route advanced it): then, like Nomad, answer at once with the current state.
    const served = this.states.slice(0, this.i + 1).map((st) => st.index)
    if (!served.includes(Number(index))) errors.push(`index ${index} is not an X-Nomad-Index this resource sent (${served.join(', ')})`)
    if (Number(index) < this.current.index) return this.current
    const changed = new Promise<void>((r) => this.waiters.push(r))
    if (this.autoAdvance && this.i < this.states.length - 1) setTimeout(() => this.advance(), 15)
    await Promise.race([changed, sleep(Math.min(waitMs || 0, 5_000))])
    return this.current
  }
}

type Route = (
  q: URLSearchParams,
  body: unknown,
  seen: StubRequest
) => Promise<{ index?: number; body: unknown; status?: number }> | { index?: number; body: unknown; status?: number }

type Stub = HttpStub

const servers: Stub[] = []
afterEach(async () => {
  while (servers.length) await servers.pop()!.close()
})

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms).unref())
}

/** Nomad-like answers: JSON with an X-Nomad-Index header. */
async function stub(routes: Record<string, Route>): Promise<Stub> {
  const table = Object.fromEntries(
    Object.entries(routes).map(([key, route]) => [
      key,
      async (req: StubRequest) => {
        const out = await route(req.query, req.body, req)
        return { status: out.status, json: out.body, headers: { 'X-Nomad-Index': String(out.index ?? 1) } }
      }
    ])
  )
  const st = await startHttpStub(routeTable(table))
  servers.push(st)
  return st
}

function resource(r: Resource, errors: () => string[]): Route {
  return (q) => r.get(q, errors())
}

function client(url: string) {
  return new NomadClient({ addr: url, token: 'secret-token-value', skipVerify: false, namespace: '', region: '' }, { retries: 0 })
}

const EVAL_ID = 'eval-1111-2222'
const DEP_ID = 'dep-3333-4444'

function base(extra: Partial<FollowOptions> = {}): FollowOptions {
  return {
    jobId: 'web',
    namespace: 'default',
    evalId: EVAL_ID,
    wait: 'deployment',
    timeoutMs: 20_000,
    autoPromote: false,
    jobType: 'service',
    periodic: false,
    parameterized: false,
    jobVersion: 2,
    vaultDiag: {
      audience: 'vault.io',
      boundAudiences: ['vault.io'],
      authPath: 'jwt-nomad',
      role: 'nomad-workloads',
      policies: ['nomad-workloads'],
      kvMount: 'secret'
    },
    ...extra
  }
}

function evalStates(extra: Record<string, unknown> = {}) {
  return new Resource([
    { index: 10, body: { ID: EVAL_ID, Status: 'pending' } },
    { index: 12, body: { ID: EVAL_ID, Status: 'complete', DeploymentID: DEP_ID, ...extra } }
  ])
}

function dep(status: string, description: string, tg: Record<string, unknown> = {}) {
  return {
    ID: DEP_ID,
    JobID: 'web',
    JobVersion: 2,
    Status: status,
    StatusDescription: description,
    TaskGroups: {
      web: {
        DesiredTotal: 2,
        PlacedAllocs: 2,
        HealthyAllocs: 0,
        UnhealthyAllocs: 0,
        DesiredCanaries: 0,
        PlacedCanaries: null,
        Promoted: false,
        ...tg
      }
    }
  }
}

const VAULT_AUD_ERROR =
  'Vault: failed to derive vault token: failed to derive Vault token for identity vault_default: failed to login with JWT: Error making API request.\n\n' +
  'URL: PUT https://vault.example.com:8200/v1/auth/jwt-nomad/login\nCode: 400. Errors:\n\n* invalid audience (aud) claim: audience claim does not match any expected audience'

function alloc(id: string, clientStatus: string, extra: Record<string, unknown> = {}) {
  return {
    ID: id,
    Name: `web.web[${id.slice(-1)}]`,
    TaskGroup: 'web',
    JobVersion: 2,
    DesiredStatus: 'run',
    ClientStatus: clientStatus,
    TaskStates: {},
    ...extra
  }
}

describe('followJob', () => {
  it('uses blocking queries and reports a successful deployment as healthy', async () => {
    const ev = evalStates()
    const d = new Resource([
      { index: 20, body: dep('running', 'Deployment is running') },
      { index: 25, body: dep('running', 'Deployment is running', { HealthyAllocs: 1 }) },
      { index: 31, body: dep('successful', 'Deployment completed successfully', { HealthyAllocs: 2 }) }
    ])
    let s!: Stub
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: resource(ev, () => s.errors),
      [`GET /v1/deployment/${DEP_ID}`]: resource(d, () => s.errors),
      'GET /v1/job/web/allocations': () => ({
        index: 40,
        body: [alloc('a1', 'running', { DeploymentStatus: { Healthy: true } }), alloc('a2', 'running')]
      })
    })
    const v = await followJob(client(s.url), base())
    expect(s.errors).toEqual([])
    expect(v.verdict).toBe('healthy')
    expect(v.deploymentId).toBe(DEP_ID)
    expect(v.deploymentStatus).toBe('successful')
    expect(v.groups).toEqual([
      expect.objectContaining({ name: 'web', desiredTotal: 2, healthyAllocs: 2, placedAllocs: 2, desiredCanaries: 0, promoted: false })
    ])
    expect(v.allocations.map((a) => a.id)).toEqual(['a1', 'a2'])
    expect(v.allocations[0].healthy).toBe(true)
    // One plain GET per resource, then only blocking ones (index = previous X-Nomad-Index).
    expect(ev.nonBlockingGets).toBe(1)
    expect(ev.blockingGets).toBe(1)
    expect(d.nonBlockingGets).toBe(1)
    expect(d.blockingGets).toBe(2)
    const depQueries = s.seen.filter((x) => x.path === `/v1/deployment/${DEP_ID}`).map((x) => x.query.get('index'))
    expect(depQueries).toEqual([null, '20', '25'])
    expect(s.seen.every((x) => x.query.get('namespace') === 'default')).toBe(true)
    expect(verdictFails(v.verdict)).toBe(false)
    expect(JSON.parse(JSON.stringify(v))).toEqual(v)
  })

  it('reports a failed deployment with the Killing event and a Vault diagnosis', async () => {
    let s!: Stub
    const ev = evalStates()
    const d = new Resource([
      { index: 20, body: dep('running', 'Deployment is running') },
      { index: 22, body: dep('failed', 'Failed due to unhealthy allocations', { UnhealthyAllocs: 2 }) }
    ])
    const killed = alloc('a1', 'failed', {
      DeploymentStatus: { Healthy: false },
      TaskStates: {
        app: {
          State: 'dead',
          Failed: true,
          Events: [
            { Type: 'Received', DisplayMessage: 'Task received by client' },
            { Type: 'Task Setup', DisplayMessage: 'Building Task Directory' },
            { Type: 'Killing', FailsTask: true, DisplayMessage: VAULT_AUD_ERROR, Details: { fails_task: 'true' } }
          ]
        }
      }
    })
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: resource(ev, () => s.errors),
      [`GET /v1/deployment/${DEP_ID}`]: resource(d, () => s.errors),
      'GET /v1/job/web/allocations': () => ({ index: 40, body: [killed, alloc('old', 'running', { JobVersion: 1 })] })
    })
    const v = await followJob(client(s.url), base({ failEarly: false }))
    expect(s.errors).toEqual([])
    expect(v.verdict).toBe('failed')
    expect(verdictFails(v.verdict)).toBe(true)
    expect(v.reason).toContain('Failed due to unhealthy allocations')
    expect(v.reason).toContain('Killing: Vault: failed to derive vault token')
    expect(v.allocations.map((a) => a.id)).toEqual(['a1']) // only the deployed version
    expect(v.allocations[0].events).toEqual([{ task: 'app', type: 'Killing', message: VAULT_AUD_ERROR }])
    expect(v.diagnoses).toHaveLength(1)
    expect(v.diagnoses[0]).toContain(`bound_audiences ["vault.io"] do not include the token's aud`)
    expect(v.reason).toContain('Vault diagnosis:')
  })

  it('fails fast when an allocation of a running deployment failed on Vault', async () => {
    let s!: Stub
    const d = new Resource(
      [
        { index: 20, body: dep('running', 'Deployment is running') },
        { index: 21, body: dep('running', 'Deployment is running', { UnhealthyAllocs: 1 }) }
      ],
      true
    )
    const failed = alloc('a1', 'failed', {
      TaskStates: { app: { Events: [{ Type: 'Killing', FailsTask: true, DisplayMessage: VAULT_AUD_ERROR }] } }
    })
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: resource(evalStates(), () => s.errors),
      [`GET /v1/deployment/${DEP_ID}`]: resource(d, () => s.errors),
      'GET /v1/job/web/allocations': () => ({ index: 40, body: [failed] })
    })
    // The deployment never leaves "running": only failing early gives "failed" (else the budget ends in "timeout").
    const v = await followJob(client(s.url), base({ timeoutMs: 10_000 }))
    expect(v.verdict).toBe('failed')
    expect(v.deploymentStatus).toBe('running')
    expect(v.reason).toContain('failed on Vault')
  })

  it('explains a placement failure in words', async () => {
    let s!: Stub
    const ev = new Resource([
      { index: 10, body: { ID: EVAL_ID, Status: 'pending' } },
      {
        index: 11,
        body: {
          ID: EVAL_ID,
          Status: 'complete',
          BlockedEval: 'blocked-eval-1',
          FailedTGAllocs: { web: { NodesEvaluated: 1, NodesFiltered: 0, NodesExhausted: 1, DimensionExhausted: { memory: 1 }, CoalescedFailures: 0 } }
        }
      }
    ])
    s = await stub({ [`GET /v1/evaluation/${EVAL_ID}`]: resource(ev, () => s.errors) })
    const v = await followJob(client(s.url), base())
    expect(s.errors).toEqual([])
    expect(v.verdict).toBe('failed')
    expect(v.reason).toContain('Placement failure for job "web"')
    expect(v.reason).toContain('group "web": no node had enough memory (1 of 1 nodes exhausted on memory)')
    expect(v.reason).toContain('blocked-eval-1')
    // no deployment lookups after a placement failure
    expect(s.seen.some((x) => x.path.includes('deployment'))).toBe(false)
  })

  it('fails on a failed evaluation and follows NextEval', async () => {
    let s!: Stub
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: () => ({ index: 5, body: { ID: EVAL_ID, Status: 'complete', NextEval: 'eval-next' } }),
      'GET /v1/evaluation/eval-next': () => ({
        index: 6,
        body: { ID: 'eval-next', Status: 'failed', StatusDescription: 'maximum attempts reached (5)' }
      })
    })
    const v = await followJob(client(s.url), base())
    expect(v.verdict).toBe('failed')
    expect(v.reason).toContain('maximum attempts reached (5)')
    expect(v.evalId).toBe('eval-next')
  })

  const canaryWaiting = dep('running', 'Deployment is running but requires manual promotion', {
    DesiredCanaries: 1,
    PlacedCanaries: ['c1'],
    HealthyAllocs: 1,
    PlacedAllocs: 1
  })

  it('stops at awaiting-promotion when canaries are healthy and auto-promote is off', async () => {
    let s!: Stub
    const d = new Resource([
      { index: 20, body: dep('running', 'Deployment is running', { DesiredCanaries: 1, PlacedCanaries: ['c1'], PlacedAllocs: 1 }) },
      { index: 24, body: canaryWaiting }
    ])
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: resource(evalStates(), () => s.errors),
      [`GET /v1/deployment/${DEP_ID}`]: resource(d, () => s.errors),
      'GET /v1/job/web/allocations': () => ({ index: 40, body: [alloc('c1', 'running', { DeploymentStatus: { Healthy: true, Canary: true } })] }),
      [`POST /v1/deployment/promote/${DEP_ID}`]: () => ({ body: { EvalID: 'x' } })
    })
    const v = await followJob(client(s.url), base())
    expect(s.errors).toEqual([])
    expect(v.verdict).toBe('awaiting-promotion')
    expect(verdictFails(v.verdict)).toBe(false)
    expect(v.reason).toContain(`nomad deployment promote ${DEP_ID}`)
    expect(v.allocations[0].canary).toBe(true)
    expect(s.seen.some((x) => x.method === 'POST')).toBe(false)
  })

  it('promotes canaries with auto-promote and follows the deployment to success', async () => {
    let s!: Stub
    // The deployment only changes after the promote request: the blocking GET is held until then.
    const d = new Resource(
      [
        { index: 24, body: canaryWaiting },
        {
          index: 30,
          body: dep('running', 'Deployment is running', { DesiredCanaries: 1, PlacedCanaries: ['c1'], HealthyAllocs: 1, Promoted: true })
        },
        {
          index: 35,
          body: dep('successful', 'Deployment completed successfully', {
            DesiredCanaries: 1,
            PlacedCanaries: ['c1'],
            HealthyAllocs: 2,
            Promoted: true
          })
        }
      ],
      false
    )
    let promoteBody: unknown
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: resource(evalStates(), () => s.errors),
      [`GET /v1/deployment/${DEP_ID}`]: async (q) => {
        const r = d.get(q, s.errors)
        // after the promotion, let the deployment finish on the next blocking request
        if (d.current.index === 30) setTimeout(() => d.advance(), 10)
        return r
      },
      'GET /v1/job/web/allocations': () => ({ index: 40, body: [] }),
      [`POST /v1/deployment/promote/${DEP_ID}`]: (_q, body) => {
        promoteBody = body
        setTimeout(() => d.advance(), 10)
        return { body: { EvalID: 'promote-eval', DeploymentModifyIndex: 30 } }
      }
    })
    const v = await followJob(client(s.url), base({ autoPromote: true }))
    expect(s.errors).toEqual([])
    expect(promoteBody).toEqual({ DeploymentID: DEP_ID, All: true })
    expect(s.seen.filter((x) => x.method === 'POST')).toHaveLength(1)
    expect(v.verdict).toBe('healthy')
    expect(v.promoted).toBe(true)
  })

  it('names a progress deadline failure', async () => {
    let s!: Stub
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: resource(evalStates(), () => s.errors),
      [`GET /v1/deployment/${DEP_ID}`]: () => ({ index: 50, body: dep('failed', 'Failed due to progress deadline', { HealthyAllocs: 0 }) }),
      'GET /v1/job/web/allocations': () => ({ index: 40, body: [alloc('a1', 'pending')] })
    })
    const v = await followJob(client(s.url), base())
    expect(v.verdict).toBe('failed')
    expect(v.reason).toContain('Failed due to progress deadline')
    expect(v.reason).toContain('progress_deadline')
    expect(v.rollbackVersion).toBeUndefined()
  })

  it('reports a rollback', async () => {
    let s!: Stub
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: resource(evalStates(), () => s.errors),
      [`GET /v1/deployment/${DEP_ID}`]: () => ({
        index: 50,
        body: dep('failed', 'Failed due to unhealthy allocations - rolling back to job version 1', { UnhealthyAllocs: 1, AutoRevert: true })
      }),
      'GET /v1/job/web/allocations': () => ({ index: 40, body: [] })
    })
    const v = await followJob(client(s.url), base({ vaultDiag: undefined }))
    expect(v.verdict).toBe('failed')
    expect(v.rollbackVersion).toBe(1)
    expect(v.reason).toContain('rolling back to job version 1')
    expect(v.groups[0].autoRevert).toBe(true)
  })

  it('does not report a rollback for "not rolling back"', async () => {
    let s!: Stub
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: resource(evalStates(), () => s.errors),
      [`GET /v1/deployment/${DEP_ID}`]: () => ({
        index: 50,
        body: dep('failed', 'Failed due to unhealthy allocations - not rolling back to stable job version 1 as current job has same specification')
      }),
      'GET /v1/job/web/allocations': () => ({ index: 40, body: [] })
    })
    const v = await followJob(client(s.url), base())
    expect(v.rollbackVersion).toBeUndefined()
  })

  it('follows a batch job to complete with blocking allocation queries', async () => {
    let s!: Stub
    const allocs = new Resource([
      { index: 60, body: [alloc('b1', 'pending'), alloc('b2', 'pending'), alloc('old', 'complete', { JobVersion: 1 })] },
      { index: 61, body: [alloc('b1', 'running'), alloc('b2', 'pending')] },
      { index: 65, body: [alloc('b1', 'complete'), alloc('b2', 'complete')] }
    ])
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: () => ({ index: 5, body: { ID: EVAL_ID, Status: 'complete' } }),
      'GET /v1/job/web/allocations': resource(allocs, () => s.errors)
    })
    const v = await followJob(client(s.url), base({ jobType: 'batch', groupCounts: { web: 2 } }))
    expect(s.errors).toEqual([])
    expect(v.verdict).toBe('complete')
    expect(v.allocations.map((a) => a.clientStatus)).toEqual(['complete', 'complete'])
    expect(allocs.blockingGets).toBe(2)
    expect(s.seen.some((x) => x.path.includes('deployment'))).toBe(false)
  })

  it('fails a batch job when an allocation fails, with its events', async () => {
    let s!: Stub
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: () => ({ index: 5, body: { ID: EVAL_ID, Status: 'complete' } }),
      'GET /v1/job/web/allocations': () => ({
        index: 70,
        body: [
          alloc('b1', 'failed', {
            TaskStates: {
              run: {
                Events: [
                  { Type: 'Started', DisplayMessage: 'Task started by client' },
                  { Type: 'Terminated', ExitCode: 3, DisplayMessage: 'Exit Code: 3' },
                  { Type: 'Not Restarting', FailsTask: true, DisplayMessage: 'Error was unrecoverable' }
                ]
              }
            }
          })
        ]
      })
    })
    const v = await followJob(client(s.url), base({ jobType: 'batch' }))
    expect(v.verdict).toBe('failed')
    expect(v.allocations[0].events.map((e) => e.type)).toEqual(['Terminated', 'Not Restarting'])
    expect(v.reason).toContain('Exit Code: 3')
  })

  it('does not follow periodic or parameterized jobs', async () => {
    let s!: Stub
    s = await stub({})
    const p = await followJob(client(s.url), base({ evalId: '', periodic: true, nextPeriodicLaunch: '2030-01-01T00:00:00Z' }))
    expect(p.verdict).toBe('registered')
    expect(p.reason).toContain('2030-01-01T00:00:00Z')
    const q = await followJob(client(s.url), base({ evalId: '', parameterized: true }))
    expect(q.verdict).toBe('registered')
    expect(q.reason).toContain('nomad job dispatch web')
    expect(s.seen).toHaveLength(0)
  })

  it('returns registered for wait none and evaluated for wait evaluation', async () => {
    let s!: Stub
    s = await stub({ [`GET /v1/evaluation/${EVAL_ID}`]: resource(evalStates(), () => s.errors) })
    expect((await followJob(client(s.url), base({ wait: 'none' }))).verdict).toBe('registered')
    expect(s.seen).toHaveLength(0)
    const v = await followJob(client(s.url), base({ wait: 'evaluation' }))
    expect(v.verdict).toBe('evaluated')
    expect(s.seen.some((x) => x.path.includes('deployment'))).toBe(false)
  })

  it('times out with what it last saw, blocking no longer than the budget', async () => {
    let s!: Stub
    const d = new Resource([{ index: 20, body: dep('running', 'Deployment is running', { HealthyAllocs: 1 }) }], false)
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: () => ({ index: 5, body: { ID: EVAL_ID, Status: 'complete', DeploymentID: DEP_ID } }),
      [`GET /v1/deployment/${DEP_ID}`]: resource(d, () => s.errors),
      'GET /v1/job/web/allocations': () => ({ index: 40, body: [alloc('a1', 'running'), alloc('a2', 'pending')] })
    })
    const v = await followJob(client(s.url), base({ timeoutMs: 600 }))
    expect(s.errors).toEqual([])
    expect(v.verdict).toBe('timeout')
    expect(v.reason).toContain('last seen: running - Deployment is running')
    expect(v.reason).toContain('web: 1/2 healthy')
    expect(v.reason).toContain('1 allocation(s) still pending')
    const waits = s.seen.filter((x) => x.query.get('wait')).map((x) => parseInt(x.query.get('wait')!, 10))
    expect(waits.length).toBeGreaterThan(0)
    expect(Math.max(...waits)).toBeLessThanOrEqual(600)
  })

  describe('early verdicts from task events while the deployment is running', () => {
    const ev = (Type: string, DisplayMessage: string, extra: Record<string, unknown> = {}) => ({ Type, DisplayMessage, ...extra })
    const PULL = 'Failed to pull `nginx:nope`: Error response from daemon: manifest for nginx:nope not found: manifest unknown: manifest unknown'
    const EXCEEDED = 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"'

    /** The deployment stays "running" throughout; the job's allocations move through `states`. */
    async function follow(states: unknown[][], extra: Partial<FollowOptions> = {}) {
      let s!: Stub
      const running = new Resource([{ index: 20, body: dep('running', 'Deployment is running') }], false)
      const allocs = new Resource(states.map((body, i) => ({ index: 40 + i, body })))
      s = await stub({
        [`GET /v1/evaluation/${EVAL_ID}`]: () => ({ index: 5, body: { ID: EVAL_ID, Status: 'complete', DeploymentID: DEP_ID } }),
        [`GET /v1/deployment/${DEP_ID}`]: resource(running, () => s.errors),
        'GET /v1/job/web/allocations': resource(allocs, () => s.errors)
      })
      const v = await followJob(client(s.url), base({ timeoutMs: 20_000, ...extra }))
      expect(s.errors).toEqual([])
      return v
    }

    it('fails at once on an image that cannot be pulled, naming the image and the fix', async () => {
      const pulling = [ev('Driver Failure', PULL), ev('Restarting', 'Task restarting in 16.2s')]
      const v = await follow([
        [alloc('a1', 'pending', { TaskStates: { app: { Events: pulling } } })],
        [
          alloc('a1', 'failed', {
            TaskStates: { app: { Events: [...pulling, ev('Driver Failure', PULL), ev('Not Restarting', EXCEEDED, { FailsTask: true })] } }
          })
        ]
      ])
      expect(v.verdict).toBe('failed')
      expect(v.deploymentStatus).toBe('running')
      expect(v.reason).toContain('cannot succeed, so the action stops waiting')
      expect(v.reason).toContain('could not pull image `nginx:nope` for task "app"')
      expect(v.reason).toContain('check the image name and tag in the task\'s config { image = "nginx:nope" }')
    })

    it('fails at once on an unrecoverable start error', async () => {
      const v = await follow([
        [
          alloc('a1', 'failed', {
            TaskStates: {
              app: {
                Events: [
                  ev('Driver Failure', 'failed to create container: invalid mount'),
                  ev('Not Restarting', 'Error was unrecoverable', { FailsTask: true })
                ]
              }
            }
          })
        ]
      ])
      expect(v.verdict).toBe('failed')
      expect(v.reason).toContain('could not start: failed to create container: invalid mount. Nomad marked the error unrecoverable')
    })

    it('fails at once on a crash loop with one exit code, and points at the logs', async () => {
      const run = [ev('Terminated', 'Exit Code: 1', { ExitCode: 1 }), ev('Restarting', 'Task restarting in 15.9s')]
      const v = await follow([
        [alloc('a1', 'pending', { TaskStates: { app: { Events: run } } })],
        [
          alloc('a1', 'failed', {
            TaskStates: { app: { Events: [...run, ...run, ev('Terminated', 'Exit Code: 1', { ExitCode: 1 }), ev('Not Restarting', EXCEEDED)] } }
          })
        ]
      ])
      expect(v.verdict).toBe('failed')
      expect(v.reason).toContain('exited with code 1 each time it started (3 times)')
      expect(v.reason).toContain('nomad alloc logs -stderr a1 app')
    })

    it('keeps waiting when the exit codes differ, the start error is an ordinary one, or a pull timed out (Nomad may still get there)', async () => {
      const mixed = [
        ev('Terminated', 'Exit Code: 1', { ExitCode: 1 }),
        ev('Restarting', 'x'),
        ev('Terminated', 'Exit Code: 2', { ExitCode: 2 }),
        ev('Not Restarting', EXCEEDED)
      ]
      const slow =
        'Failed to pull `nginx:1.27`: Error response from daemon: Get "https://registry.example/v2/": net/http: request canceled (Client.Timeout exceeded)'
      const pull = [ev('Driver Failure', slow), ev('Restarting', 'x'), ev('Driver Failure', slow), ev('Not Restarting', EXCEEDED)]
      const driver = [
        ev('Driver Failure', 'exec: permission denied'),
        ev('Restarting', 'x'),
        ev('Driver Failure', 'exec: permission denied'),
        ev('Not Restarting', EXCEEDED)
      ]
      const v = await follow(
        [
          [
            alloc('a1', 'failed', { TaskStates: { app: { Events: mixed } } }),
            alloc('a2', 'failed', { TaskStates: { app: { Events: driver } } }),
            alloc('a3', 'failed', { TaskStates: { app: { Events: pull } } })
          ]
        ],
        {
          timeoutMs: 500
        }
      )
      expect(v.verdict).toBe('timeout')
    })

    it('reports a template that waits for a Vault secret, and says so when the budget ends', async () => {
      const v = await follow(
        [[alloc('a1', 'pending', { TaskStates: { app: { Events: [ev('Template', 'Missing: vault.read(secret/data/default/web/config)')] } } })]],
        { timeoutMs: 500 }
      )
      expect(v.verdict).toBe('timeout')
      expect(v.reason).toContain('Still waiting: Task "app" of allocation web.web[1] (a1) waits for Vault secret(s) "secret/data/default/web/config"')
      expect(v.reason).toContain('Nomad retries for about 5 minutes')
    })

    it('can be turned off (failEarly: false)', async () => {
      const v = await follow(
        [[alloc('a1', 'failed', { TaskStates: { app: { Events: [ev('Driver Failure', PULL), ev('Not Restarting', 'Error was unrecoverable')] } } })]],
        {
          timeoutMs: 500,
          failEarly: false
        }
      )
      expect(v.verdict).toBe('timeout')
    })
  })

  it('finds the deployment through the job when the eval has none, ignoring older versions', async () => {
    let s!: Stub
    s = await stub({
      [`GET /v1/evaluation/${EVAL_ID}`]: () => ({ index: 5, body: { ID: EVAL_ID, Status: 'complete' } }),
      'GET /v1/job/web/deployment': () => ({ index: 6, body: { ...dep('successful', 'Deployment completed successfully'), JobVersion: 1 } }),
      'GET /v1/job/web/allocations': () => ({ index: 7, body: [alloc('a1', 'running'), alloc('a2', 'running')] })
    })
    const v = await followJob(client(s.url), base({ groupCounts: { web: 2 } }))
    // the version-1 deployment is not ours: fall back to allocations
    expect(v.verdict).toBe('evaluated')
    expect(v.reason).toContain('no deployment')
  })
})
