/**
 * The Nomad test double's state: configuration resolved from the options, the tables (jobs, evaluations,
 * allocations, deployments), the Raft-like index with per-table indexes for blocking queries, and the timers.
 * Every other file of the double reads and changes state only through a `State`.
 */
import { randomUUID } from 'node:crypto'
import { Keyring } from './keyring.js'
import { NomadApiError } from './api-error.js'
import type { Allocation, Deployment, Evaluation, Job, JobSubmission, TaskGroup } from './model.js'
import type { AclPolicy, DoubleSettings, RequestLogEntry, SecretRead, TaskFailure, VaultLogin } from './settings.js'

export const DEFAULT_NS = 'default'
export const nowNs = () => Date.now() * 1e6

const READ_CAPS = ['list-jobs', 'read-job', 'parse-job']
const SUBMIT_CAPS = [...READ_CAPS, 'submit-job', 'dispatch-job']

/** ACL policy shorthands → capabilities ('*' = management). */
export function capsFor(policies: AclPolicy[]): Set<string> {
  const caps = new Set<string>()
  for (const p of policies) {
    if (p === 'management') caps.add('*')
    else if (p === 'read-only') READ_CAPS.forEach((c) => caps.add(c))
    else if (p === 'submit') SUBMIT_CAPS.forEach((c) => caps.add(c))
    else if (p === 'agent-read') caps.add('agent:read')
    else caps.add(p)
  }
  return caps
}

export interface JobRecord {
  namespace: string
  id: string
  versions: Job[] // index = Version
  submissions: Map<number, JobSubmission>
  current: Job
}

export interface Node {
  ID: string
  Name: string
  Datacenter: string
  cpu: number
  memoryMB: number
}

/**
 * The moving parts that the state's lower layers hand work to, wired by server.ts: the scheduler processes an
 * evaluation (Nomad's eval broker hands it to a worker), and a client runs an allocation placed for it.
 */
export interface Workers {
  processEval(s: State, evalId: string, oldJob: Job | undefined): void
  runAlloc(s: State, allocId: string, job: Job, tg: TaskGroup): void | Promise<void>
}

const unwired = (): never => {
  throw new Error('nomad-double bug: State.workers is not wired (startNomadDouble sets it)')
}

export type Table = 'jobs' | 'evals' | 'allocs' | 'deployments' | 'keyring'

/** The Nomad version the double behaves like unless `nomadVersion` says otherwise. */
export const DEFAULT_NOMAD_VERSION = '1.10.5'

function parseVersion(v: string): number[] {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/.exec(v.trim())
  if (!m) throw new Error(`nomadVersion ${JSON.stringify(v)}: expected "1.10.5" or "1.10"`)
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)]
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}

/** Default timeScale: Nomad's 10-minute progress deadline takes 6 s, a 15 s restart delay 150 ms. */
export const DEFAULT_TIME_SCALE = 0.01

export const isTerminal = (a: Allocation) => ['complete', 'failed', 'lost'].includes(a.ClientStatus)
export const jobKey = (ns: string, id: string) => `${ns}\u0000${id}`

export class State {
  readonly region: string
  readonly datacenter: string
  readonly namespaces: Set<string>
  readonly nodePools: Set<string>
  readonly managementToken: string
  readonly aclEnabled: boolean
  readonly tokens = new Map<string, Set<string>>()
  /** SecretID → AccessorID and the policy names it was created with */
  readonly tokenInfo = new Map<string, { accessor: string; policies: string[]; createdAt: number; expiresAt?: number; name?: string }>()
  readonly serverVault: NonNullable<DoubleSettings['server']>
  readonly clientVault: { enabled: boolean; address: string; jwt_auth_backend_path: string; create_from_role: string; namespace: string }
  readonly allocStartMs: number
  readonly healthyAfterMs: number
  readonly evalDelayMs: number
  /** Multiplier from Nomad's durations (restart and reschedule delays, deadlines, min_healthy_time, template retries) to wall-clock ms/ns */
  readonly timeScale: number
  readonly nodes: Node[]
  /** The Nomad version modelled, e.g. "1.10.5" */
  readonly nomadVersion: string
  private readonly versionParts: number[]

  index = 1
  closed = false
  readonly tables: Record<Table, number> = { jobs: 1, evals: 1, allocs: 1, deployments: 1, keyring: 1 }
  readonly jobs = new Map<string, JobRecord>()
  readonly evals = new Map<string, Evaluation>()
  readonly allocs = new Map<string, Allocation>()
  readonly deployments = new Map<string, Deployment>()
  /** Scripted task start failures: each placed alloc of the job takes one while `remaining` > 0. */
  readonly failures: (TaskFailure & { ns: string; jobId: string; version?: number; remaining: number })[] = []
  /** alloc id → the scripted failure every run of that alloc's first task hits */
  readonly allocFailures = new Map<string, TaskFailure>()
  /** Blocked evals already scheduled for another scheduler pass. */
  readonly unblocking = new Set<string>()
  /** Images the registry does not have (docker pull fails). */
  readonly missingImages: Set<string>
  progressDeadlineOverrideMs: number | undefined
  healthyDeadlineOverrideMs: number | undefined
  readonly timers = new Set<NodeJS.Timeout>()
  readonly waiters = new Set<() => void>()
  readonly aborts = new Set<AbortController>()
  readonly requests: RequestLogEntry[] = []
  readonly secretReads: SecretRead[] = []
  readonly vaultLogins: VaultLogin[] = []
  readonly healthTimers = new Map<string, NodeJS.Timeout>() // alloc id → healthy deadline
  readonly progressTimers = new Map<string, NodeJS.Timeout>() // deployment id → progress deadline
  readonly progressMs = new Map<string, number>() // deployment id → wall-clock progress deadline (ms)
  /** Deployments whose watcher has a batched evaluation coming (deployment_watcher.go `createBatchedUpdate`). */
  readonly watcherBatches = new Set<string>()
  /** The scheduler and the clients (see Workers). */
  workers: Workers = { processEval: unwired, runAlloc: unwired }

  private constructor(
    readonly opts: DoubleSettings,
    readonly keyring: Keyring
  ) {
    this.region = opts.region ?? 'global'
    this.datacenter = opts.datacenter ?? 'dc1'
    this.namespaces = new Set(opts.namespaces ?? [DEFAULT_NS])
    this.nodePools = new Set(['default', 'all', ...(opts.nodePools ?? [])])
    this.managementToken = opts.acl?.managementToken ?? randomUUID()
    this.aclEnabled = opts.acl?.enabled ?? false
    this.addToken(this.managementToken, ['management'])
    for (const t of opts.acl?.tokens ?? []) this.addToken(t.secret, Array.isArray(t.policies) ? t.policies : [t.policies])
    this.serverVault = opts.server ?? { enabled: true, default_identity: { aud: ['vault.io'], ttl: '1h' } }
    this.clientVault = {
      enabled: opts.client?.enabled ?? true,
      address: opts.client?.address ?? opts.vaultAddr ?? 'https://vault.service.consul:8200',
      jwt_auth_backend_path: opts.client?.jwt_auth_backend_path ?? 'jwt-nomad',
      create_from_role: opts.client?.create_from_role ?? '',
      namespace: opts.client?.namespace ?? ''
    }
    this.nomadVersion = opts.nomadVersion ?? DEFAULT_NOMAD_VERSION
    this.versionParts = parseVersion(this.nomadVersion)
    if (compareVersions(this.versionParts, [1, 7, 0]) < 0 || compareVersions(this.versionParts, [2, 1, 0]) >= 0)
      throw new Error(`nomadVersion ${this.nomadVersion}: the double models Nomad 1.7.0 to 2.0.x`)
    this.missingImages = new Set(opts.missingImages ?? [])
    this.allocStartMs = opts.allocStartMs ?? 50
    this.healthyAfterMs = opts.healthyAfterMs ?? 100
    this.evalDelayMs = opts.evalDelayMs ?? 10
    this.timeScale = opts.timeScale ?? DEFAULT_TIME_SCALE
    this.nodes = (opts.nodes ?? [{ cpu: 4000, memoryMB: 8192 }]).map((n, i) => ({
      ID: randomUUID(),
      Name: n.name ?? `node-${i + 1}`,
      Datacenter: n.datacenter ?? this.datacenter,
      cpu: n.cpu,
      memoryMB: n.memoryMB
    }))
  }

  /** Adds an ACL token (also used by ACL login routes to issue tokens). */
  addToken(secret: string, policies: AclPolicy[], expiresAt?: number, name?: string, createdAt = Date.now()): void {
    this.tokens.set(secret, capsFor(policies))
    // createdAt: the login's CreateTime, so that acl/token/self answers ExpirationTTL = ExpirationTime - CreateTime exactly
    this.tokenInfo.set(secret, { accessor: randomUUID(), policies, createdAt, expiresAt, name })
  }

  static async create(opts: DoubleSettings): Promise<State> {
    return new State(opts, await Keyring.create(opts.keyAlgorithm))
  }

  /** Wall-clock ms for a Nomad duration in ns, scaled by timeScale. */
  scaledMs(ns: number): number {
    return Math.max(0, (ns / 1e6) * this.timeScale)
  }

  /** True when the modelled Nomad version is v or newer ("1.10.0"). */
  atLeast(v: string): boolean {
    return compareVersions(this.versionParts, parseVersion(v)) >= 0
  }

  /** Advances the global index, stamps the given tables with it and wakes every blocking query. */
  bump(...tbls: Table[]): number {
    this.index++
    for (const t of tbls) this.tables[t] = this.index
    this.wake()
    return this.index
  }

  wake(): void {
    for (const w of [...this.waiters]) w()
  }

  /** Runs fn after ms unless the double was closed; errors are logged, never thrown into the timer. */
  later(ms: number, fn: () => void | Promise<void>): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t)
      if (this.closed) return
      Promise.resolve()
        .then(fn)
        .catch((e) => {
          if (!this.closed) console.error('nomad-double timer error', e)
        })
    }, ms)
    this.timers.add(t)
    return t
  }

  cancel(t: NodeJS.Timeout | undefined): void {
    if (!t) return
    clearTimeout(t)
    this.timers.delete(t)
  }

  /** Resolves on the next state change or at untilMs (epoch ms). */
  waitForChange(untilMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve()
      const done = () => {
        this.waiters.delete(done)
        this.cancel(t)
        resolve()
      }
      const t = this.later(Math.max(0, untilMs - Date.now()), done)
      this.waiters.add(done)
    })
  }

  findJob(ns: string, id: string): JobRecord | undefined {
    return this.jobs.get(jobKey(ns, id))
  }

  /** The job or 404 "job not found". */
  jobRec(ns: string, id: string): JobRecord {
    const rec = this.findJob(ns, id)
    if (!rec) throw new NomadApiError(404, 'job not found')
    return rec
  }

  liveAllocs(ns: string, jobId: string): Allocation[] {
    return [...this.allocs.values()].filter((a) => a.Namespace === ns && a.JobID === jobId && a.DesiredStatus === 'run' && !isTerminal(a))
  }

  nodeUsage(nodeId: string): { cpu: number; mem: number } {
    let cpu = 0
    let mem = 0
    for (const a of this.allocs.values()) {
      if (a.NodeID !== nodeId || a.DesiredStatus !== 'run' || isTerminal(a)) continue
      cpu += a.AllocatedResources.Shared.cpu
      mem += a.AllocatedResources.Shared.mem
    }
    return { cpu, mem }
  }

  touchAlloc(a: Allocation): void {
    const idx = this.bump('allocs')
    a.ModifyIndex = idx
    a.ModifyTime = nowNs()
  }

  touchDeployment(d: Deployment): void {
    const idx = this.bump('deployments')
    d.ModifyIndex = idx
    d.ModifyTime = nowNs()
  }

  setJobStatus(rec: JobRecord, status: string): void {
    if (rec.current.Status === status) return
    const idx = this.bump('jobs')
    rec.current.Status = status
    rec.current.ModifyIndex = idx
  }
}
