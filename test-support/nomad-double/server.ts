/**
 * Nomad test double: an HTTP server that follows Nomad's documented HTTP API closely enough for the action's
 * end-to-end tests, and that really logs in to Vault/OpenBao with minted workload identities.
 * Every behaviour names its source in README.md (fidelity table); sections refer to
 * /work/shared/reference/nomad-vault-facts.md. No Nomad (BUSL) code is used; only documented facts.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { Keyring } from './keyring.js'
import { HttpError, UPDATE_DEFAULTS, canonicalVault, parseDurationNs, parseJobHCL } from './jobspec.js'
import { vaultWorkloadIdentityUpgradeCheck } from './upgrade-check.js'

type Obj = Record<string, any>

export type AclPolicy = 'management' | 'read-only' | 'submit' | 'agent-read' | string

export interface NomadDoubleOptions {
  /** Address of the real Vault/OpenBao the double's "clients" log in to. */
  vaultAddr?: string
  region?: string
  datacenter?: string
  /** Namespaces that exist (default ["default"]). */
  namespaces?: string[]
  acl?: {
    enabled: boolean
    /** SecretID of a management token (generated when omitted). */
    managementToken?: string
    tokens?: { secret: string; policies: AclPolicy[] | AclPolicy }[]
  }
  /** Agent `vault` block, server side (§2.1). Default: enabled with default_identity aud ["vault.io"] ttl "1h". */
  server?: { enabled: boolean; default_identity?: { aud: string[]; ttl?: string; extra_claims?: Record<string, string> } }
  /** Agent `vault` block, client side (§2.1). Default: enabled, address = vaultAddr, jwt_auth_backend_path "jwt-nomad". */
  client?: { enabled: boolean; address?: string; jwt_auth_backend_path?: string; create_from_role?: string; namespace?: string }
  /** server.oidc_issuer (§1.5). */
  oidcIssuer?: string
  /** ms from alloc creation until the client starts it (default 50). */
  allocStartMs?: number
  /** ms from task start until the alloc is healthy (service) or complete (batch) (default 100). */
  healthyAfterMs?: number
  /** ms from eval creation until the scheduler processes it (default 10). */
  evalDelayMs?: number
  /** Client nodes; default one node with 4000 MHz / 8192 MB in `datacenter`. */
  nodes?: { name?: string; datacenter?: string; cpu: number; memoryMB: number }[]
  port?: number
  host?: string
  /** Test hook: called after a plan is computed and before it is answered. */
  onPlan?: (jobId: string, namespace: string) => void
}

export interface RequestLogEntry {
  method: string
  path: string
  query: Record<string, string>
  time: number
  status?: number
  /** ms the request waited in a blocking query */
  blockedMs?: number
}

export interface SecretRead {
  namespace: string
  jobId: string
  allocId: string
  group: string
  task: string
  path: string
  data: unknown
}

export interface VaultLogin {
  allocId: string
  task: string
  role: string
  jwt: string
  ok: boolean
  error?: string
  policies?: string[]
}

export interface NomadDouble {
  url: string
  managementToken: string
  keyring: Keyring
  requests: RequestLogEntry[]
  secretReads: SecretRead[]
  vaultLogins: VaultLogin[]
  /** Current Raft-like index (every state change bumps it). */
  readonly index: number
  /** The next allocation placed for jobId fails its first task with a driver failure event carrying message. */
  failNextAlloc(jobId: string, message?: string, namespace?: string): void
  /** Deployment progress deadline in ms for deployments created from now on (overrides the jobspec). */
  setProgressDeadlineMs(ms: number | undefined): void
  /** Alloc healthy deadline in ms for allocs created from now on (overrides the jobspec). */
  setHealthyDeadlineMs(ms: number | undefined): void
  /** Simulates a concurrent `nomad job run` of the same job with a changed meta key: new version + JobModifyIndex. */
  modifyJobOutOfBand(jobId: string, namespace?: string, mutate?: (job: Obj) => void): number
  /** Alias of modifyJobOutOfBand (JobModifyIndex only moves on a spec change, like Nomad). */
  bumpJobModifyIndex(jobId: string, namespace?: string): number
  /** `nomad operator root keyring rotate -now`. */
  rotateKey(): Promise<void>
  /** Resolves when predicate() is true after a state change (or immediately). Rejects after timeoutMs. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>
  getJob(jobId: string, namespace?: string): Obj | undefined
  allocations(jobId: string, namespace?: string): Obj[]
  deployments(jobId: string, namespace?: string): Obj[]
  close(): Promise<void>
}

const DEFAULT_NS = 'default'
const nowNs = () => Date.now() * 1e6
const WAIT_DEFAULT_MS = 5 * 60_000
const WAIT_MAX_MS = 10 * 60_000

const READ_CAPS = ['list-jobs', 'read-job', 'parse-job']
const SUBMIT_CAPS = [...READ_CAPS, 'submit-job', 'dispatch-job']

function capsFor(policies: AclPolicy[]): Set<string> {
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

interface JobRecord {
  namespace: string
  id: string
  versions: Obj[] // index = Version
  submissions: Map<number, Obj>
  current: Obj
}

export async function startNomadDouble(opts: NomadDoubleOptions = {}): Promise<NomadDouble> {
  const region = opts.region ?? 'global'
  const datacenter = opts.datacenter ?? 'dc1'
  const namespaces = new Set(opts.namespaces ?? [DEFAULT_NS])
  const managementToken = opts.acl?.managementToken ?? randomUUID()
  const aclEnabled = opts.acl?.enabled ?? false
  const tokens = new Map<string, Set<string>>()
  tokens.set(managementToken, new Set(['*']))
  for (const t of opts.acl?.tokens ?? []) tokens.set(t.secret, capsFor(Array.isArray(t.policies) ? t.policies : [t.policies]))
  const serverVault = opts.server ?? { enabled: true, default_identity: { aud: ['vault.io'], ttl: '1h' } }
  const clientVault = {
    enabled: opts.client?.enabled ?? true,
    address: opts.client?.address ?? opts.vaultAddr ?? 'https://vault.service.consul:8200',
    jwt_auth_backend_path: opts.client?.jwt_auth_backend_path ?? 'jwt-nomad',
    create_from_role: opts.client?.create_from_role ?? '',
    namespace: opts.client?.namespace ?? ''
  }
  const allocStartMs = opts.allocStartMs ?? 50
  const healthyAfterMs = opts.healthyAfterMs ?? 100
  const evalDelayMs = opts.evalDelayMs ?? 10
  const nodes = (opts.nodes ?? [{ cpu: 4000, memoryMB: 8192 }]).map((n, i) => ({
    ID: randomUUID(),
    Name: n.name ?? `node-${i + 1}`,
    Datacenter: n.datacenter ?? datacenter,
    cpu: n.cpu,
    memoryMB: n.memoryMB
  }))
  const keyring = await Keyring.create()

  // ---------------------------------------------------------------- state
  let index = 1
  let closed = false
  const tables = { jobs: 1, evals: 1, allocs: 1, deployments: 1, keyring: 1 }
  const jobs = new Map<string, JobRecord>()
  const evals = new Map<string, Obj>()
  const allocs = new Map<string, Obj>()
  const deployments = new Map<string, Obj>()
  const failNext = new Map<string, string[]>()
  let progressDeadlineOverrideMs: number | undefined
  let healthyDeadlineOverrideMs: number | undefined
  const timers = new Set<NodeJS.Timeout>()
  const waiters = new Set<() => void>()
  const aborts = new Set<AbortController>()
  const requests: RequestLogEntry[] = []
  const secretReads: SecretRead[] = []
  const vaultLogins: VaultLogin[] = []
  const healthTimers = new Map<string, NodeJS.Timeout>() // alloc id → healthy deadline
  const progressTimers = new Map<string, NodeJS.Timeout>() // deployment id → progress deadline

  const jobKey = (ns: string, id: string) => `${ns}\u0000${id}`

  function bump(...tbls: (keyof typeof tables)[]): number {
    index++
    for (const t of tbls) tables[t] = index
    for (const w of [...waiters]) w()
    return index
  }

  function later(ms: number, fn: () => void | Promise<void>): NodeJS.Timeout {
    const t = setTimeout(() => {
      timers.delete(t)
      if (closed) return
      Promise.resolve()
        .then(fn)
        .catch((e) => {
          if (!closed) console.error('nomad-double timer error', e)
        })
    }, ms)
    timers.add(t)
    return t
  }
  function cancel(t: NodeJS.Timeout | undefined) {
    if (!t) return
    clearTimeout(t)
    timers.delete(t)
  }

  function waitForChange(untilMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (closed) return resolve()
      const done = () => {
        waiters.delete(done)
        cancel(t)
        resolve()
      }
      const t = later(Math.max(0, untilMs - Date.now()), done)
      waiters.add(done)
    })
  }

  // ---------------------------------------------------------------- helpers
  function taskGroupsUpdate(job: Obj, tg: Obj): Obj {
    return { ...UPDATE_DEFAULTS, ...(job.Update ?? {}), ...(tg.Update ?? {}) }
  }

  function tgResources(tg: Obj): { cpu: number; mem: number } {
    let cpu = 0
    let mem = 0
    for (const t of tg.Tasks ?? []) {
      cpu += Number(t.Resources?.CPU ?? 100)
      mem += Number(t.Resources?.MemoryMB ?? 300)
    }
    return { cpu, mem }
  }

  function liveAllocs(ns: string, jobId: string): Obj[] {
    return [...allocs.values()].filter(
      (a) => a.Namespace === ns && a.JobID === jobId && a.DesiredStatus === 'run' && !isTerminal(a)
    )
  }
  const isTerminal = (a: Obj) => ['complete', 'failed', 'lost'].includes(a.ClientStatus)

  function nodeUsage(nodeId: string): { cpu: number; mem: number } {
    let cpu = 0
    let mem = 0
    for (const a of allocs.values()) {
      if (a.NodeID !== nodeId || a.DesiredStatus !== 'run' || isTerminal(a)) continue
      cpu += a.AllocatedResources.Shared.cpu
      mem += a.AllocatedResources.Shared.mem
    }
    return { cpu, mem }
  }

  /** Strips server-managed fields so two versions can be compared. */
  function specOf(job: Obj): string {
    const {
      Version,
      JobModifyIndex,
      ModifyIndex,
      CreateIndex,
      SubmitTime,
      Status,
      StatusDescription,
      Stable,
      Stop,
      ...rest
    } = job
    void Version, JobModifyIndex, ModifyIndex, CreateIndex, SubmitTime, Status, StatusDescription, Stable, Stop
    return stableStringify(rest)
  }
  function taskSpec(t: Obj): string {
    return stableStringify(t)
  }

  type TgChange = 'none' | 'inplace' | 'destructive' | 'new'
  function tgChange(oldJob: Obj | undefined, newJob: Obj, tgName: string): TgChange {
    const oldTg = oldJob?.TaskGroups?.find((g: Obj) => g.Name === tgName)
    const newTg = newJob.TaskGroups.find((g: Obj) => g.Name === tgName)
    if (!oldTg) return 'new'
    const oldTasks = new Map<string, Obj>(oldTg.Tasks.map((t: Obj) => [t.Name, t]))
    if (oldTg.Tasks.length !== newTg.Tasks.length) return 'destructive'
    for (const t of newTg.Tasks) {
      const o = oldTasks.get(t.Name)
      if (!o) return 'destructive'
      // task Meta changes are in-place; everything else in a task is destructive (README: guess)
      const { Meta: m1, ...a } = o
      const { Meta: m2, ...b } = t
      if (taskSpec(a) !== taskSpec(b)) return 'destructive'
      if (stableStringify(m1) !== stableStringify(m2)) return 'inplace'
    }
    if (stableStringify(oldTg.Meta) !== stableStringify(newTg.Meta)) return 'inplace'
    if (stableStringify(oldJob?.Meta) !== stableStringify(newJob.Meta)) return 'inplace'
    if (stableStringify(oldTg.Update) !== stableStringify(newTg.Update)) return 'inplace'
    return 'none'
  }

  function allocMetric(tgName: string, exhausted: { dim: string; nodes: number; coalesced: number }): Obj {
    const byDc: Record<string, number> = {}
    for (const n of nodes) byDc[n.Datacenter] = (byDc[n.Datacenter] ?? 0) + 1
    void tgName
    return {
      NodesEvaluated: nodes.length,
      NodesFiltered: 0,
      NodesInPool: nodes.length,
      NodesAvailable: byDc,
      ClassFiltered: null,
      ConstraintFiltered: null,
      NodesExhausted: exhausted.nodes,
      ClassExhausted: null,
      DimensionExhausted: exhausted.nodes ? { [exhausted.dim]: exhausted.nodes } : null,
      QuotaExhausted: null,
      ResourcesExhausted: null,
      Scores: null,
      ScoreMetaData: null,
      AllocationTime: 12000,
      CoalescedFailures: exhausted.coalesced
    }
  }

  interface TgPlan {
    name: string
    change: TgChange
    place: number
    stop: number
    inplace: number
    destructive: number
    canary: number
    ignore: number
    failed?: Obj
  }

  /** What the scheduler would do (also used by plan). Does not mutate state. */
  function reconcile(ns: string, newJob: Obj, oldJob: Obj | undefined, isPlan: boolean): TgPlan[] {
    const result: TgPlan[] = []
    const live = liveAllocs(ns, newJob.ID)
    // capacity simulation: free resources per node excluding allocs that this plan stops
    const free = new Map(nodes.map((n) => [n.ID, { cpu: n.cpu - nodeUsage(n.ID).cpu, mem: n.memoryMB - nodeUsage(n.ID).mem }]))
    const plans: TgPlan[] = []
    for (const tg of newJob.TaskGroups) {
      const tgLive = live.filter((a) => a.TaskGroup === tg.Name)
      const change = tgChange(oldJob, newJob, tg.Name)
      const upd = taskGroupsUpdate(newJob, tg)
      const count = Number(tg.Count ?? 1)
      const p: TgPlan = { name: tg.Name, change, place: 0, stop: 0, inplace: 0, destructive: 0, canary: 0, ignore: 0 }
      if (newJob.Type === 'batch' && change === 'none') {
        // completed batch allocs are not re-placed
        const done = [...allocs.values()].filter(
          (a) => a.Namespace === ns && a.JobID === newJob.ID && a.TaskGroup === tg.Name && a.ClientStatus === 'complete'
        ).length
        p.ignore = tgLive.length
        p.place = Math.max(0, count - tgLive.length - done)
      } else if (change === 'new') {
        p.place = count
      } else if (change === 'none' || change === 'inplace') {
        const keep = Math.min(count, tgLive.length)
        if (change === 'none') p.ignore = keep
        else p.inplace = keep
        p.place = Math.max(0, count - tgLive.length)
        p.stop = Math.max(0, tgLive.length - count)
      } else {
        // destructive
        const canaries = newJob.Type === 'service' && tgLive.length > 0 ? Number(upd.Canary ?? 0) : 0
        if (canaries > 0) {
          p.canary = canaries
          p.ignore = Math.min(count, tgLive.length)
        } else {
          p.destructive = Math.min(count, tgLive.length)
          p.place = Math.max(0, count - tgLive.length)
          p.stop = Math.max(0, tgLive.length - count)
        }
      }
      plans.push(p)
    }
    // free resources of allocs that will be stopped or replaced
    for (const p of plans) {
      const tgLive = live.filter((a) => a.TaskGroup === p.name)
      const freed = p.destructive + p.stop
      for (const a of tgLive.slice(0, freed)) {
        const f = free.get(a.NodeID)!
        f.cpu += a.AllocatedResources.Shared.cpu
        f.mem += a.AllocatedResources.Shared.mem
      }
    }
    for (const p of plans) {
      const tg = newJob.TaskGroups.find((g: Obj) => g.Name === p.name)
      const need = tgResources(tg)
      const toPlace = p.place + p.destructive + p.canary
      let placed = 0
      let exhaustedDim = 'cpu'
      for (let i = 0; i < toPlace; i++) {
        const n = nodes.find((n) => {
          const f = free.get(n.ID)!
          if (f.cpu < need.cpu) {
            exhaustedDim = 'cpu'
            return false
          }
          if (f.mem < need.mem) {
            exhaustedDim = 'memory'
            return false
          }
          return true
        })
        if (!n) break
        const f = free.get(n.ID)!
        f.cpu -= need.cpu
        f.mem -= need.mem
        placed++
      }
      if (placed < toPlace) {
        p.failed = allocMetric(p.name, { dim: exhaustedDim, nodes: nodes.length, coalesced: toPlace - placed - 1 })
      }
      result.push(p)
    }
    void isPlan
    return result
  }

  // ---------------------------------------------------------------- jobs
  function findJob(ns: string, id: string): JobRecord | undefined {
    return jobs.get(jobKey(ns, id))
  }

  function validateVaultUse(job: Obj): void {
    const uses = job.TaskGroups.some((g: Obj) => (g.Tasks ?? []).some((t: Obj) => t.Vault))
    if (uses && !serverVault.enabled) throw new HttpError(500, 'Vault "default" not enabled but used in the job')
    for (const g of job.TaskGroups)
      for (const t of g.Tasks ?? [])
        if (t.Vault && (t.Vault.Cluster ?? 'default') !== 'default')
          throw new HttpError(500, `Task ${t.Name} uses Vault cluster ${t.Vault.Cluster}: non-default Vault cluster requires Nomad Enterprise`)
  }

  /** Server-side canonicalisation + implicit identity hook (§3.2). Returns warnings. */
  function admit(job: Obj): string[] {
    const warnings: string[] = []
    job.Type ??= 'service'
    job.Priority ??= 50
    job.Datacenters ??= ['*']
    job.NodePool ??= 'default'
    job.Name ??= job.ID
    for (const g of job.TaskGroups ?? []) {
      g.Count ??= 1
      for (const t of g.Tasks ?? []) {
        t.Resources = { CPU: 100, MemoryMB: 300, ...(t.Resources ?? {}) }
        if (!t.Vault) continue
        t.Vault = canonicalVault(t.Vault)
        const name = `vault_${t.Vault.Cluster || 'default'}`
        t.Identities ??= []
        const existing = t.Identities.find((i: Obj) => i.Name === name)
        const def = serverVault.default_identity
        if (!existing && def) {
          t.Identities.push({
            Name: name,
            Audience: [...def.aud],
            ChangeMode: '',
            ChangeSignal: '',
            Env: false,
            File: false,
            Filepath: '',
            ServiceName: '',
            TTL: def.ttl ? parseDurationNs(def.ttl) : 0
          })
        }
        if (t.Vault.Policies?.length && t.Identities.some((i: Obj) => i.Name === name))
          warnings.push(
            `Task ${t.Name} has a Vault block with policies but uses workload identity to authenticate with Vault, policies will be ignored`
          )
      }
      for (const t of g.Tasks ?? []) {
        for (const i of t.Identities ?? [])
          if (!i.TTL) {
            warnings.push('identities without an expiration are insecure')
            break
          }
        if (t.Identities && t.Identities.length === 0) t.Identities = null
      }
    }
    return [...new Set(warnings)]
  }

  function formatWarnings(ws: string[]): string {
    if (ws.length === 0) return ''
    return `${ws.length} warning(s):\n\n${ws.map((w) => `* ${w}`).join('\n')}`
  }

  interface RegisterResult {
    EvalID: string
    EvalCreateIndex: number
    JobModifyIndex: number
    Warnings: string
    Index: number
  }

  function register(
    ns: string,
    jobIn: Obj,
    o: { enforceIndex?: boolean; jobModifyIndex?: number; preserveCounts?: boolean; submission?: Obj; triggeredBy?: string }
  ): RegisterResult {
    if (!namespaces.has(ns)) throw new HttpError(500, `job "${jobIn.ID}" is in nonexistent namespace "${ns}"`)
    const job: Obj = structuredClone(jobIn)
    job.Namespace = ns
    job.Region = region
    validateVaultUse(job)
    const rec = findJob(ns, job.ID)
    const existing = rec?.current
    if (o.enforceIndex) {
      const want = o.jobModifyIndex ?? 0
      if (want === 0 && existing) throw new HttpError(500, `Enforcing job modify index 0: job already exists`)
      if (want !== 0 && !existing) throw new HttpError(500, `Enforcing job modify index ${want}: job does not exist`)
      if (existing && existing.JobModifyIndex !== want)
        throw new HttpError(
          500,
          `Enforcing job modify index ${want}: job exists with conflicting job modify index: ${existing.JobModifyIndex}`
        )
    }
    if (o.preserveCounts && existing)
      for (const g of job.TaskGroups) {
        const og = existing.TaskGroups.find((x: Obj) => x.Name === g.Name)
        if (og) g.Count = og.Count
      }
    const warnings = admit(job)
    const idx = bump('jobs')
    const changed = !existing || specOf(existing) !== specOf(job) || existing.Stop
    job.CreateIndex = existing?.CreateIndex ?? idx
    job.ModifyIndex = idx
    job.JobModifyIndex = changed ? idx : existing!.JobModifyIndex
    job.Version = existing ? (changed ? rec!.versions.length : existing.Version) : 0
    job.SubmitTime = nowNs()
    job.Stable = changed ? false : existing!.Stable
    job.Stop = false
    const periodicOrParam = Boolean(job.Periodic || job.ParameterizedJob)
    job.Status = periodicOrParam ? 'running' : existing && !changed ? existing.Status : 'pending'
    job.StatusDescription = ''
    let r = rec
    if (!r) {
      r = { namespace: ns, id: job.ID, versions: [], submissions: new Map(), current: job }
      jobs.set(jobKey(ns, job.ID), r)
    }
    if (changed) r.versions.push(job)
    else r.versions[job.Version] = job
    r.current = job
    if (o.submission) {
      r.submissions.set(job.Version, { ...o.submission, JobID: job.ID, Namespace: ns, Version: job.Version, JobModifyIndex: job.JobModifyIndex })
      const keep = [...r.submissions.keys()].sort((a, b) => b - a).slice(0, 6)
      for (const k of [...r.submissions.keys()]) if (!keep.includes(k)) r.submissions.delete(k)
    }
    if (periodicOrParam) {
      return { EvalID: '', EvalCreateIndex: 0, JobModifyIndex: job.JobModifyIndex, Warnings: formatWarnings(warnings), Index: idx }
    }
    const ev = createEval(ns, job, o.triggeredBy ?? 'job-register', existing)
    return {
      EvalID: ev.ID,
      EvalCreateIndex: ev.CreateIndex,
      JobModifyIndex: job.JobModifyIndex,
      Warnings: formatWarnings(warnings),
      Index: ev.CreateIndex
    }
  }

  function createEval(
    ns: string,
    job: Obj,
    triggeredBy: string,
    previousJob: Obj | undefined,
    extra: Obj = {},
    work?: (ev: Obj) => void
  ): Obj {
    const idx = bump('evals')
    const ev: Obj = {
      ID: randomUUID(),
      Namespace: ns,
      Priority: job.Priority ?? 50,
      Type: job.Type,
      TriggeredBy: triggeredBy,
      JobID: job.ID,
      JobModifyIndex: job.JobModifyIndex,
      NodeID: '',
      DeploymentID: '',
      Status: 'pending',
      StatusDescription: '',
      Wait: 0,
      NextEval: '',
      PreviousEval: '',
      BlockedEval: '',
      FailedTGAllocs: null,
      ClassEligibility: null,
      QueuedAllocations: null,
      SnapshotIndex: 0,
      CreateIndex: idx,
      ModifyIndex: idx,
      CreateTime: nowNs(),
      ModifyTime: nowNs(),
      ...extra
    }
    evals.set(ev.ID, ev)
    const prevSnapshot = previousJob ? structuredClone(previousJob) : undefined
    later(evalDelayMs, () => {
      if (!work) return processEval(ev.ID, prevSnapshot)
      if (ev.Status !== 'pending') return
      work(ev)
      const idx = bump('evals')
      ev.Status = 'complete'
      ev.ModifyIndex = idx
      ev.ModifyTime = nowNs()
    })
    return ev
  }

  function processEval(evalId: string, oldJob: Obj | undefined): void {
    const ev = evals.get(evalId)
    if (!ev || ev.Status !== 'pending') return
    const rec = findJob(ev.Namespace, ev.JobID)
    if (!rec) return
    const job = rec.current
    if (job.JobModifyIndex !== ev.JobModifyIndex && ev.TriggeredBy === 'job-register') {
      // a newer registration superseded this eval; still complete it like Nomad would (nothing to do)
    }
    const plans = reconcile(ev.Namespace, job, oldJob, false)
    const queued: Record<string, number> = {}
    const failed: Record<string, Obj> = {}
    let deployment: Obj | undefined
    const hasChanges = plans.some((p) => p.change !== 'none')
    const existingActive = [...deployments.values()].find(
      (d) => d.Namespace === ev.Namespace && d.JobID === job.ID && d.Status === 'running'
    )
    if (job.Type === 'service' && hasChanges) {
      if (existingActive && existingActive.JobVersion !== job.Version) {
        existingActive.Status = 'cancelled'
        existingActive.StatusDescription = 'Cancelled due to newer version of job'
        touchDeployment(existingActive)
        cancel(progressTimers.get(existingActive.ID))
      }
      if (!existingActive || existingActive.JobVersion !== job.Version) deployment = createDeployment(job, plans, ev.ID)
      else deployment = existingActive
    }
    const live = liveAllocs(ev.Namespace, job.ID)
    for (const p of plans) {
      const tg = job.TaskGroups.find((g: Obj) => g.Name === p.name)
      const tgLive = live.filter((a) => a.TaskGroup === p.name)
      // in-place: existing allocs move to the new version and join the deployment (healthy again after healthyAfterMs)
      if (p.change === 'none' || p.change === 'inplace') for (const a of tgLive) a.JobVersion = job.Version
      if (p.change === 'inplace' && deployment)
        for (const a of tgLive.slice(0, p.inplace)) {
          a.DeploymentID = deployment.ID
          a.DeploymentStatus = { Healthy: null, Timestamp: '0001-01-01T00:00:00Z', Canary: false, ModifyIndex: a.ModifyIndex }
          deployment.TaskGroups[p.name].PlacedAllocs++
          touchAlloc(a)
          later(healthyAfterMs, () => {
            if (a.DesiredStatus === 'run' && !isTerminal(a) && a.ClientStatus === 'running') setAllocHealth(a, true)
          })
        }
      const toStop = tgLive.slice(0, p.stop + p.destructive)
      for (const a of toStop) stopAlloc(a, 'alloc is being updated due to job update')
      const total = p.place + p.destructive + p.canary
      let placed = 0
      for (let i = 0; i < total; i++) {
        const a = placeAlloc(job, tg, ev, deployment, p.canary > 0)
        if (!a) break
        placed++
      }
      queued[p.name] = 0
      if (p.failed) {
        failed[p.name] = p.failed
        queued[p.name] = total - placed
      }
    }
    const idx = bump('evals')
    ev.Status = 'complete'
    ev.QueuedAllocations = queued
    ev.ModifyIndex = idx
    ev.ModifyTime = nowNs()
    ev.SnapshotIndex = idx
    if (deployment) ev.DeploymentID = deployment.ID
    if (Object.keys(failed).length) {
      ev.FailedTGAllocs = failed
      const blocked = {
        ...structuredClone(ev),
        ID: randomUUID(),
        Status: 'blocked',
        StatusDescription: 'created to place remaining allocations',
        TriggeredBy: 'queued-allocs',
        PreviousEval: ev.ID,
        FailedTGAllocs: null,
        DeploymentID: ev.DeploymentID,
        CreateIndex: idx,
        ModifyIndex: idx
      }
      evals.set(blocked.ID, blocked)
      ev.BlockedEval = blocked.ID
    }
    if (job.Type === 'batch' && plans.every((p) => p.place === 0) && liveAllocs(ev.Namespace, job.ID).length === 0) {
      setJobStatus(rec, 'dead')
    }
    if (deployment) maybeCompleteDeployment(deployment)
  }

  function createDeployment(job: Obj, plans: TgPlan[], evalId: string): Obj {
    const idx = bump('deployments')
    const TaskGroups: Obj = {}
    let requiresPromotion = false
    let autoPromote = true
    for (const p of plans) {
      const tg = job.TaskGroups.find((g: Obj) => g.Name === p.name)
      const upd = taskGroupsUpdate(job, tg)
      const progress = progressDeadlineOverrideMs !== undefined ? progressDeadlineOverrideMs * 1e6 : upd.ProgressDeadline
      if (p.canary > 0) {
        requiresPromotion = true
        autoPromote &&= Boolean(upd.AutoPromote)
      }
      TaskGroups[p.name] = {
        AutoRevert: Boolean(upd.AutoRevert),
        AutoPromote: Boolean(upd.AutoPromote),
        ProgressDeadline: progress,
        RequireProgressBy: progress ? new Date(Date.now() + progress / 1e6).toISOString() : '0001-01-01T00:00:00Z',
        Promoted: false,
        PlacedCanaries: null,
        DesiredCanaries: p.canary,
        DesiredTotal: Number(tg.Count ?? 1),
        PlacedAllocs: 0,
        HealthyAllocs: 0,
        UnhealthyAllocs: 0
      }
    }
    const d: Obj = {
      ID: randomUUID(),
      Namespace: job.Namespace,
      JobID: job.ID,
      JobVersion: job.Version,
      JobModifyIndex: job.JobModifyIndex,
      JobSpecModifyIndex: job.JobModifyIndex,
      JobCreateIndex: job.CreateIndex,
      IsMultiregion: false,
      TaskGroups,
      Status: 'running',
      StatusDescription: requiresPromotion
        ? autoPromote
          ? 'Deployment is running pending automatic promotion'
          : 'Deployment is running but requires manual promotion'
        : 'Deployment is running',
      EvalPriority: job.Priority ?? 50,
      CreateIndex: idx,
      ModifyIndex: idx,
      CreateTime: nowNs(),
      ModifyTime: nowNs()
    }
    void evalId
    deployments.set(d.ID, d)
    armProgress(d)
    return d
  }

  function armProgress(d: Obj): void {
    cancel(progressTimers.get(d.ID))
    const ms = Math.min(
      ...Object.values(d.TaskGroups as Obj)
        .map((t: Obj) => t.ProgressDeadline / 1e6)
        .filter((x: number) => x > 0)
    )
    if (!Number.isFinite(ms)) return
    for (const t of Object.values(d.TaskGroups as Obj)) t.RequireProgressBy = new Date(Date.now() + t.ProgressDeadline / 1e6).toISOString()
    progressTimers.set(
      d.ID,
      later(ms, () => {
        if (d.Status === 'running') failDeployment(d, 'Failed due to progress deadline')
      })
    )
  }

  function touchDeployment(d: Obj): void {
    const idx = bump('deployments')
    d.ModifyIndex = idx
    d.ModifyTime = nowNs()
  }

  function placeAlloc(job: Obj, tg: Obj, ev: Obj, deployment: Obj | undefined, canary: boolean): Obj | undefined {
    const need = tgResources(tg)
    const node = nodes.find((n) => {
      const u = nodeUsage(n.ID)
      return n.cpu - u.cpu >= need.cpu && n.memoryMB - u.mem >= need.mem
    })
    if (!node) return undefined
    const idx = bump('allocs')
    const sameTg = [...allocs.values()].filter((a) => a.JobID === job.ID && a.Namespace === job.Namespace && a.TaskGroup === tg.Name)
    const a: Obj = {
      ID: randomUUID(),
      EvalID: ev.ID,
      Name: `${job.ID}.${tg.Name}[${sameTg.length % Math.max(1, Number(tg.Count ?? 1))}]`,
      Namespace: job.Namespace,
      NodeID: node.ID,
      NodeName: node.Name,
      JobID: job.ID,
      JobType: job.Type,
      JobVersion: job.Version,
      TaskGroup: tg.Name,
      DesiredStatus: 'run',
      DesiredDescription: '',
      ClientStatus: 'pending',
      ClientDescription: 'No tasks have started',
      DeploymentID: deployment?.ID ?? '',
      DeploymentStatus: deployment ? { Healthy: null, Timestamp: '0001-01-01T00:00:00Z', Canary: canary, ModifyIndex: idx } : null,
      TaskStates: Object.fromEntries(
        (tg.Tasks ?? []).map((t: Obj) => [
          t.Name,
          {
            State: 'pending',
            Failed: false,
            Restarts: 0,
            LastRestart: null,
            StartedAt: null,
            FinishedAt: null,
            Events: [taskEvent('Received', 'Task received by client')]
          }
        ])
      ),
      FollowupEvalID: '',
      NextAllocation: '',
      PreviousAllocation: '',
      RescheduleTracker: null,
      AllocatedResources: { Shared: need },
      CreateIndex: idx,
      ModifyIndex: idx,
      AllocModifyIndex: idx,
      CreateTime: nowNs(),
      ModifyTime: nowNs()
    }
    allocs.set(a.ID, a)
    if (deployment) {
      const dtg = deployment.TaskGroups[tg.Name]
      if (dtg) {
        dtg.PlacedAllocs++
        if (canary) dtg.PlacedCanaries = [...(dtg.PlacedCanaries ?? []), a.ID]
      }
      touchDeployment(deployment)
      if (job.Type === 'service') {
        const hd =
          healthyDeadlineOverrideMs !== undefined ? healthyDeadlineOverrideMs : taskGroupsUpdate(job, tg).HealthyDeadline / 1e6
        if (hd > 0)
          healthTimers.set(
            a.ID,
            later(hd, () => {
              if (a.DeploymentStatus && a.DeploymentStatus.Healthy === null && !isTerminal(a) && a.DesiredStatus === 'run')
                setAllocHealth(a, false)
            })
          )
      }
    }
    const script = failNext.get(jobKey(job.Namespace, job.ID))?.shift()
    later(allocStartMs, () => startAlloc(a.ID, job, tg, script))
    return a
  }

  function taskEvent(type: string, display: string, extra: Obj = {}): Obj {
    const details: Record<string, string> = {}
    if (extra.FailsTask) details.fails_task = 'true'
    return {
      Type: type,
      Time: nowNs(),
      Message: extra.Message ?? '',
      DisplayMessage: display,
      Details: Object.keys(details).length ? details : {},
      FailsTask: false,
      RestartReason: '',
      SetupError: '',
      DriverError: '',
      DriverMessage: '',
      ExitCode: 0,
      Signal: 0,
      KillReason: '',
      KillTimeout: 0,
      KillError: '',
      StartDelay: 0,
      DownloadError: '',
      ValidationError: '',
      DiskLimit: 0,
      FailedSibling: '',
      VaultError: '',
      TaskSignalReason: '',
      TaskSignal: '',
      GenericSource: '',
      ...extra
    }
  }

  function touchAlloc(a: Obj): void {
    const idx = bump('allocs')
    a.ModifyIndex = idx
    a.ModifyTime = nowNs()
  }

  function addEvent(a: Obj, task: string, ev: Obj): void {
    a.TaskStates[task].Events.push(ev)
    touchAlloc(a)
  }

  function stopAlloc(a: Obj, why: string): void {
    a.DesiredStatus = 'stop'
    a.DesiredDescription = why
    cancel(healthTimers.get(a.ID))
    if (!isTerminal(a)) {
      a.ClientStatus = 'complete'
      a.ClientDescription = 'All tasks have completed'
      for (const [name, ts] of Object.entries(a.TaskStates as Obj)) {
        if (ts.State !== 'dead') {
          ts.Events.push(taskEvent('Killing', 'Sent interrupt. Waiting 5s before force killing'))
          ts.Events.push(taskEvent('Killed', 'Task successfully killed'))
          ts.State = 'dead'
          ts.FinishedAt = new Date().toISOString()
        }
        void name
      }
    }
    touchAlloc(a)
  }

  function failTask(a: Obj, task: string, ev: Obj): void {
    const ts = a.TaskStates[task]
    ts.Events.push(ev)
    ts.Failed = true
    ts.State = 'dead'
    ts.FinishedAt = new Date().toISOString()
    // siblings are killed
    for (const [name, other] of Object.entries(a.TaskStates as Obj)) {
      if (name === task || other.State === 'dead') continue
      other.Events.push(taskEvent('Sibling Task Failed', `Task's sibling "${task}" failed`, { FailedSibling: task }))
      other.State = 'dead'
      other.FinishedAt = new Date().toISOString()
    }
    a.ClientStatus = 'failed'
    a.ClientDescription = 'Failed tasks'
    cancel(healthTimers.get(a.ID))
    touchAlloc(a)
    if (a.DeploymentStatus && a.DeploymentStatus.Healthy === null) setAllocHealth(a, false)
    const rec = findJob(a.Namespace, a.JobID)
    if (rec && rec.current.Type === 'batch') maybeBatchDone(rec)
  }

  async function startAlloc(allocId: string, job: Obj, tg: Obj, scriptedFailure: string | undefined): Promise<void> {
    const a = allocs.get(allocId)
    if (!a || a.DesiredStatus !== 'run' || isTerminal(a)) return
    for (const t of tg.Tasks ?? []) addEvent(a, t.Name, taskEvent('Task Setup', 'Building Task Directory', { Message: 'Building Task Directory' }))
    for (const t of tg.Tasks ?? []) {
      if (!t.Vault) continue
      const outcome = await vaultPrestart(a, job, tg, t)
      if (closed || a.DesiredStatus !== 'run') return
      if (outcome === 'failed') return
      if (outcome === 'waiting') return // recoverable: alloc stays pending, no event (§7.8)
    }
    if (scriptedFailure !== undefined) {
      const t = tg.Tasks[0]
      failTask(
        a,
        t.Name,
        taskEvent('Driver Failure', scriptedFailure, { DriverError: scriptedFailure, FailsTask: true, Details: { fails_task: 'true', driver_error: scriptedFailure } })
      )
      return
    }
    for (const t of tg.Tasks ?? []) {
      const ts = a.TaskStates[t.Name]
      ts.State = 'running'
      ts.StartedAt = new Date().toISOString()
      ts.Events.push(taskEvent('Started', 'Task started by client'))
    }
    a.ClientStatus = 'running'
    a.ClientDescription = 'Tasks are running'
    touchAlloc(a)
    const rec = findJob(a.Namespace, a.JobID)
    if (rec && rec.current.Status === 'pending' && rec.current.Version === a.JobVersion) setJobStatus(rec, 'running')
    later(healthyAfterMs, () => {
      if (a.DesiredStatus !== 'run' || isTerminal(a)) return
      if (job.Type === 'batch') {
        for (const t of tg.Tasks ?? []) {
          const ts = a.TaskStates[t.Name]
          ts.Events.push(taskEvent('Terminated', 'Exit Code: 0', { ExitCode: 0, Details: { exit_code: '0', signal: '0', oom_killed: 'false' } }))
          ts.State = 'dead'
          ts.FinishedAt = new Date().toISOString()
        }
        a.ClientStatus = 'complete'
        a.ClientDescription = 'All tasks have completed'
        touchAlloc(a)
        if (rec) maybeBatchDone(rec)
      } else if (a.DeploymentStatus) {
        setAllocHealth(a, true)
      }
    })
  }

  function maybeBatchDone(rec: JobRecord): void {
    if (liveAllocs(rec.namespace, rec.id).length === 0) setJobStatus(rec, 'dead')
  }

  function setJobStatus(rec: JobRecord, status: string): void {
    if (rec.current.Status === status) return
    const idx = bump('jobs')
    rec.current.Status = status
    rec.current.ModifyIndex = idx
  }

  // ---------------------------------------------------------------- Vault (the client's vault_hook + template hook)
  function vaultLoginPath(): string {
    return clientVault.jwt_auth_backend_path.replace(/^\/+|\/+$/g, '')
  }

  async function vaultFetch(method: string, p: string, body?: unknown, token?: string): Promise<{ status: number; json: Obj | undefined; text: string }> {
    const ac = new AbortController()
    aborts.add(ac)
    try {
      const headers: Record<string, string> = { 'Content-Type': 'application/json' }
      if (token) headers['X-Vault-Token'] = token
      if (clientVault.namespace) headers['X-Vault-Namespace'] = clientVault.namespace
      const res = await fetch(`${clientVault.address.replace(/\/+$/, '')}/v1/${p}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ac.signal
      })
      const text = await res.text()
      let json: Obj | undefined
      try {
        json = text ? JSON.parse(text) : undefined
      } catch {
        json = undefined
      }
      return { status: res.status, json, text }
    } finally {
      aborts.delete(ac)
    }
  }

  /** Vault api client's ResponseError text (hashicorp/vault api/response.go format). */
  function vaultApiError(method: string, p: string, status: number, json: Obj | undefined, text: string): string {
    const errs: string[] = Array.isArray(json?.errors) ? json!.errors : text ? [text] : []
    const url = `${clientVault.address.replace(/\/+$/, '')}/v1/${p}`
    let s = `Error making API request.\n\nURL: ${method} ${url}\nCode: ${status}. Errors:\n\n`
    s += errs.map((e) => `* ${e}`).join('\n')
    return s
  }

  async function vaultPrestart(a: Obj, job: Obj, tg: Obj, t: Obj): Promise<'ok' | 'failed' | 'waiting'> {
    const idName = `vault_${t.Vault.Cluster || 'default'}`
    const ident = (t.Identities ?? []).find((i: Obj) => i.Name === idName)
    if (!ident) return 'waiting' // Nomad 1.10: "unable to find token for workload … vault_default", recoverable
    const jwt = await keyring.mint({
      namespace: a.Namespace,
      jobId: job.ParentID || job.ID,
      group: tg.Name,
      task: t.Name,
      region,
      allocId: a.ID,
      identityName: idName,
      audience: ident.Audience ?? [],
      ttlSeconds: ident.TTL ? Math.floor(ident.TTL / 1e9) : 0,
      role: t.Vault.Role || undefined,
      extraClaims: serverVault.default_identity?.extra_claims
    })
    const role = t.Vault.Role || clientVault.create_from_role || ''
    const loginPath = `auth/${vaultLoginPath()}/login`
    let r: { status: number; json: Obj | undefined; text: string }
    try {
      r = await vaultFetch('PUT', loginPath, { role, jwt })
    } catch (e) {
      if (closed) return 'failed'
      // network error: recoverable in Nomad (retried with backoff, logged only)
      vaultLogins.push({ allocId: a.ID, task: t.Name, role, jwt, ok: false, error: String(e) })
      return 'waiting'
    }
    if (r.status < 200 || r.status >= 300 || !r.json?.auth?.client_token) {
      const msg = vaultApiError('PUT', loginPath, r.status, r.json, r.text)
      vaultLogins.push({ allocId: a.ID, task: t.Name, role, jwt, ok: false, error: msg })
      const display = `Vault: failed to derive vault token: failed to derive Vault token for identity ${idName}: failed to login with JWT: ${msg}`
      failTask(a, t.Name, taskEvent('Killing', display, { FailsTask: true, VaultError: display, Details: { fails_task: 'true' } }))
      return 'failed'
    }
    const token: string = r.json.auth.client_token
    vaultLogins.push({ allocId: a.ID, task: t.Name, role, jwt, ok: true, policies: r.json.auth.policies })
    // template hook: every secret "path" the templates name
    const paths = new Set<string>()
    for (const tpl of t.Templates ?? []) {
      const re = /\bsecret\s+"([^"]+)"/g
      let m: RegExpExecArray | null
      while ((m = re.exec(tpl.EmbeddedTmpl ?? ''))) paths.add(m[1])
    }
    for (const p of paths) {
      let rr: { status: number; json: Obj | undefined; text: string }
      try {
        rr = await vaultFetch('GET', p, undefined, token)
      } catch {
        return 'waiting'
      }
      if (rr.status === 404) {
        // consul-template keeps waiting for data that does not exist yet
        addEvent(a, t.Name, taskEvent('Template', `Missing: vault.read(${p})`))
        return 'waiting'
      }
      if (rr.status < 200 || rr.status >= 300) {
        const msg = vaultApiError('GET', p, rr.status, rr.json, rr.text)
        const display = `Template failed: vault.read(${p}): vault.read(${p}): ${msg}`
        failTask(a, t.Name, taskEvent('Killing', display, { FailsTask: true, Details: { fails_task: 'true' } }))
        return 'failed'
      }
      secretReads.push({ namespace: a.Namespace, jobId: a.JobID, allocId: a.ID, group: tg.Name, task: t.Name, path: p, data: rr.json?.data })
    }
    return 'ok'
  }

  // ---------------------------------------------------------------- deployments
  function setAllocHealth(a: Obj, healthy: boolean): void {
    cancel(healthTimers.get(a.ID))
    a.DeploymentStatus = { ...(a.DeploymentStatus ?? {}), Healthy: healthy, Timestamp: new Date().toISOString() }
    touchAlloc(a)
    a.DeploymentStatus.ModifyIndex = a.ModifyIndex
    const d = deployments.get(a.DeploymentID)
    if (!d || d.Status !== 'running') return
    const dtg = d.TaskGroups[a.TaskGroup]
    if (healthy) {
      dtg.HealthyAllocs++
      armProgress(d)
      touchDeployment(d)
      maybeCompleteDeployment(d)
    } else {
      dtg.UnhealthyAllocs++
      touchDeployment(d)
      failDeployment(d, 'Failed due to unhealthy allocations')
    }
  }

  function maybeCompleteDeployment(d: Obj): void {
    if (d.Status !== 'running') return
    const tgs = Object.entries(d.TaskGroups as Obj)
    // canary phase
    const needsPromotion = tgs.some(([, t]) => t.DesiredCanaries > 0 && !t.Promoted)
    if (needsPromotion) {
      const canariesHealthy = tgs.every(
        ([, t]) => t.DesiredCanaries === 0 || t.Promoted || ((t.PlacedCanaries?.length ?? 0) >= t.DesiredCanaries && t.HealthyAllocs >= t.DesiredCanaries)
      )
      const auto = tgs.every(([, t]) => t.DesiredCanaries === 0 || t.AutoPromote)
      if (canariesHealthy && auto) promote(d)
      return
    }
    const done = tgs.every(([, t]) => t.HealthyAllocs >= t.DesiredTotal)
    if (!done) return
    cancel(progressTimers.get(d.ID))
    d.Status = 'successful'
    d.StatusDescription = 'Deployment completed successfully'
    touchDeployment(d)
    const rec = findJob(d.Namespace, d.JobID)
    if (rec) {
      const v = rec.versions[d.JobVersion]
      if (v) v.Stable = true
      bump('jobs')
    }
  }

  function failDeployment(d: Obj, why: string): void {
    if (d.Status !== 'running') return
    cancel(progressTimers.get(d.ID))
    d.Status = 'failed'
    d.StatusDescription = why
    const rec = findJob(d.Namespace, d.JobID)
    const autoRevert = Object.values(d.TaskGroups as Obj).some((t: Obj) => t.AutoRevert)
    let revertTo: Obj | undefined
    if (autoRevert && rec) {
      revertTo = [...rec.versions].reverse().find((v) => v.Stable && v.Version < d.JobVersion)
      if (revertTo) {
        if (specOf(revertTo) === specOf(rec.current))
          d.StatusDescription += ` - not rolling back to stable job version ${revertTo.Version} as current job has same specification`
        else d.StatusDescription += ` - rolling back to job version ${revertTo.Version}`
      }
    }
    touchDeployment(d)
    // canaries of a failed deployment are stopped
    for (const id of Object.values(d.TaskGroups as Obj).flatMap((t: Obj) => t.PlacedCanaries ?? []))
      if (allocs.get(id) && !isTerminal(allocs.get(id)!)) stopAlloc(allocs.get(id)!, 'alloc is being stopped due to failed deployment')
    if (revertTo && rec && d.StatusDescription.includes('rolling back to job version')) {
      const copy = structuredClone(revertTo)
      register(rec.namespace, copy, { triggeredBy: 'deployment-watcher' })
    }
  }

  function promote(d: Obj, groups?: string[]): Obj {
    const rec = findJob(d.Namespace, d.JobID)
    if (!rec) throw new HttpError(500, 'job not found')
    const job = rec.versions[d.JobVersion]
    for (const [name, t] of Object.entries(d.TaskGroups as Obj)) {
      if (groups && !groups.includes(name)) continue
      if (t.DesiredCanaries === 0 || t.Promoted) continue
      t.Promoted = true
    }
    d.StatusDescription = 'Deployment is running'
    touchDeployment(d)
    // the promotion eval replaces the remaining old allocs with new-version ones
    const ev = createEval(d.Namespace, job, 'deployment-watcher', undefined, { DeploymentID: d.ID }, (ev) => {
      for (const [name, t] of Object.entries(d.TaskGroups as Obj)) {
        if (!t.Promoted) continue
        const tg = job.TaskGroups.find((g: Obj) => g.Name === name)
        const old = liveAllocs(d.Namespace, d.JobID).filter((a) => a.TaskGroup === name && a.JobVersion !== job.Version)
        for (const a of old) stopAlloc(a, 'alloc is being updated due to job update')
        const have = liveAllocs(d.Namespace, d.JobID).filter((a) => a.TaskGroup === name && a.JobVersion === job.Version).length
        for (let i = have; i < t.DesiredTotal; i++) placeAlloc(job, tg, ev, d, false)
      }
      maybeCompleteDeployment(d)
    })
    return ev
  }

  // ---------------------------------------------------------------- HTTP
  function aclCheck(req: http.IncomingMessage, cap: string | null): void {
    if (!aclEnabled || cap === null) return
    let secret = req.headers['x-nomad-token'] as string | undefined
    const auth = req.headers.authorization
    if (!secret && auth && /^Bearer\s+/i.test(auth)) secret = auth.replace(/^Bearer\s+/i, '')
    if (!secret) throw new HttpError(403, 'Permission denied') // anonymous token has no policies
    const caps = tokens.get(secret)
    if (!caps) throw new HttpError(403, 'ACL token not found')
    if (caps.has('*') || caps.has(cap)) return
    throw new HttpError(403, 'Permission denied')
  }

  function parseWaitMs(v: string | undefined): number {
    if (!v) return WAIT_DEFAULT_MS
    let ms: number
    try {
      ms = /^\d+$/.test(v) ? Number(v) * 1000 : parseDurationNs(v) / 1e6
    } catch {
      throw new HttpError(400, `Invalid wait time`)
    }
    return Math.min(ms, WAIT_MAX_MS)
  }

  async function readBody(req: http.IncomingMessage): Promise<Obj> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    if (!text) return {}
    try {
      return JSON.parse(text)
    } catch (e) {
      throw new HttpError(400, `Failed to decode request: ${(e as Error).message}`)
    }
  }

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent) return
    const isText = typeof body === 'string' && status >= 400
    res.writeHead(status, {
      'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json',
      ...headers
    })
    res.end(isText ? body : JSON.stringify(body))
  }

  type Getter = () => { index: number; body: unknown }

  async function blocking(req: http.IncomingMessage, res: http.ServerResponse, q: URLSearchParams, get: Getter, entry: RequestLogEntry) {
    const minIndex = Number(q.get('index') ?? 0)
    const deadline = Date.now() + parseWaitMs(q.get('wait') ?? undefined)
    const t0 = Date.now()
    let r = get()
    while (minIndex > 0 && r.index <= minIndex && Date.now() < deadline && !closed) {
      await waitForChange(deadline)
      r = get()
    }
    entry.blockedMs = Date.now() - t0
    send(res, 200, r.body, { 'X-Nomad-Index': String(Math.max(1, r.index)), 'X-Nomad-KnownLeader': 'true', 'X-Nomad-LastContact': '0' })
  }

  function stub(a: Obj): Obj {
    const { AllocatedResources, AllocModifyIndex, ...rest } = a
    void AllocatedResources, AllocModifyIndex
    return structuredClone(rest)
  }
  function fullAlloc(a: Obj): Obj {
    const rec = findJob(a.Namespace, a.JobID)
    const { AllocatedResources, ...rest } = a
    return {
      ...structuredClone(rest),
      Job: rec?.versions[a.JobVersion] ?? null,
      AllocatedResources: {
        Shared: { DiskMB: 0 },
        Tasks: {}
      }
    }
    void AllocatedResources
  }

  function agentSelf(): Obj {
    const di = serverVault.default_identity
    return {
      config: {
        Region: region,
        Datacenter: datacenter,
        NodeName: nodes[0]?.Name ?? 'nomad-double',
        Version: { Version: '1.10.0', VersionPrerelease: '', VersionMetadata: '', Revision: 'nomad-double' },
        Server: { Enabled: true, OIDCIssuer: opts.oidcIssuer ?? '' },
        Client: { Enabled: true },
        ACL: { Enabled: aclEnabled },
        // One merged entry: a dev agent is both server and client, so the server's default_identity and the
        // client's address/jwt_auth_backend_path/create_from_role live in the same VaultConfig (README: shape).
        Vaults: [
          {
            Name: 'default',
            Enabled: serverVault.enabled || clientVault.enabled,
            Role: clientVault.create_from_role,
            Namespace: clientVault.namespace,
            Addr: clientVault.address,
            JWTAuthBackendPath: clientVault.jwt_auth_backend_path,
            ConnectionRetryIntv: 30e9,
            TLSCaFile: '',
            TLSCaPath: '',
            TLSCertFile: '',
            TLSKeyFile: '',
            TLSSkipVerify: null,
            TLSServerName: '',
            DefaultIdentity: di
              ? {
                  Audience: di.aud,
                  Env: null,
                  File: null,
                  Filepath: '',
                  TTL: di.ttl ? parseDurationNs(di.ttl) : null,
                  ExtraClaims: di.extra_claims ?? null
                }
              : null,
            Token: ''
          }
        ]
      },
      member: { Name: `${nodes[0]?.Name ?? 'nomad-double'}.${region}`, Addr: '127.0.0.1', Port: 4648, Tags: { region, dc: datacenter, role: 'nomad' }, Status: 'alive' },
      stats: { nomad: { server: 'true', leader: 'true', known_regions: '1' }, client: { known_servers: '127.0.0.1:4647' } }
    }
  }

  function jobRec(ns: string, id: string): JobRecord {
    const rec = findJob(ns, id)
    if (!rec) throw new HttpError(404, 'job not found')
    return rec
  }

  function planJob(ns: string, job: Obj, wantDiff: boolean): Obj {
    validateVaultUse(job)
    const j = structuredClone(job)
    j.Namespace = ns
    admit(j)
    const rec = findJob(ns, j.ID)
    const old = rec?.current
    if (old) j.Version = old.Version + 1
    const plans = reconcile(ns, j, old, true)
    const DesiredTGUpdates: Obj = {}
    const FailedTGAllocs: Obj = {}
    for (const p of plans) {
      DesiredTGUpdates[p.name] = {
        Ignore: p.ignore,
        Place: p.place + p.destructive,
        Migrate: 0,
        Stop: p.stop + p.destructive,
        InPlaceUpdate: p.inplace,
        DestructiveUpdate: p.destructive,
        Canary: p.canary,
        Preemptions: 0,
        Disconnect: 0,
        Reconnect: 0,
        RescheduleNow: 0,
        RescheduleLater: 0
      }
      if (p.destructive) DesiredTGUpdates[p.name].Place = 0
      if (p.failed) FailedTGAllocs[p.name] = p.failed
    }
    return {
      JobModifyIndex: old?.JobModifyIndex ?? 0,
      CreatedEvals: null,
      Diff: wantDiff ? jobDiff(old, j, plans) : null,
      Annotations: { DesiredTGUpdates, PreemptedAllocs: null },
      FailedTGAllocs: Object.keys(FailedTGAllocs).length ? FailedTGAllocs : null,
      NextPeriodicLaunch: '0001-01-01T00:00:00Z',
      Warnings: ''
    }
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const q = url.searchParams
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(q), time: Date.now() }
    requests.push(entry)
    for (const w of [...waiters]) w() // lets waitFor() observe request arrival; blocking queries re-check and keep waiting
    res.on('finish', () => (entry.status = res.statusCode))
    try {
      await handle(req, res, url, q, entry)
    } catch (e) {
      if (e instanceof HttpError) send(res, e.status, e.message)
      else send(res, 500, String((e as Error)?.message ?? e))
    }
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, q: URLSearchParams, entry: RequestLogEntry) {
    const method = req.method ?? 'GET'
    const p = url.pathname
    const isWrite = method === 'PUT' || method === 'POST'
    const ns = q.get('namespace') || DEFAULT_NS
    const qRegion = q.get('region')
    if (qRegion && qRegion !== region) throw new HttpError(500, 'No path to region')
    let m: RegExpExecArray | null

    if (p === '/.well-known/jwks.json') {
      if (method !== 'GET') throw new HttpError(405, 'Invalid method')
      // newest key CreateTime + root_key_rotation_threshold (720h), at least 15 min (§1.4)
      const maxAge = Math.max(15 * 60, Math.floor((keyring.active.createTime + 720 * 3600_000 - Date.now()) / 1000))
      res.setHeader('Cache-Control', `max-age=${maxAge}`)
      return blocking(req, res, q, () => ({ index: tables.keyring, body: keyring.jwks() }), entry)
    }
    if (p === '/.well-known/openid-configuration') {
      if (!opts.oidcIssuer) throw new HttpError(404, 'OIDC Discovery endpoint disabled')
      return send(res, 200, {
        issuer: opts.oidcIssuer,
        jwks_uri: `${opts.oidcIssuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: ['RS256', 'EdDSA'],
        response_types_supported: ['code'],
        subject_types_supported: ['public']
      })
    }
    if (p === '/v1/agent/self') {
      aclCheck(req, 'agent:read')
      return send(res, 200, agentSelf())
    }
    if (p === '/v1/status/leader') return send(res, 200, '127.0.0.1:4647')
    if (p === '/v1/operator/upgrade-check/vault-workload-identity') {
      if (method !== 'GET') throw new HttpError(405, 'Invalid method')
      aclCheck(req, 'operator:read')
      return send(res, 200, vaultWorkloadIdentityUpgradeCheck(jobs.values(), nodes, '1.10.0', index))
    }
    if (p === '/v1/jobs/parse') {
      if (!isWrite) throw new HttpError(405, 'Invalid method')
      aclCheck(req, 'parse-job')
      const body = await readBody(req)
      return send(res, 200, await parseJobHCL(body))
    }
    if (p === '/v1/jobs') {
      if (method === 'GET') {
        aclCheck(req, 'list-jobs')
        return blocking(req, res, q, () => ({
          index: tables.jobs,
          body: [...jobs.values()]
            .filter((r) => ns === '*' || r.namespace === ns)
            .map((r) => ({
              ID: r.current.ID,
              ParentID: '',
              Name: r.current.Name,
              Namespace: r.namespace,
              Datacenters: r.current.Datacenters,
              Type: r.current.Type,
              Priority: r.current.Priority,
              Periodic: Boolean(r.current.Periodic),
              ParameterizedJob: Boolean(r.current.ParameterizedJob),
              Stop: r.current.Stop,
              Status: r.current.Status,
              StatusDescription: '',
              JobSummary: null,
              CreateIndex: r.current.CreateIndex,
              ModifyIndex: r.current.ModifyIndex,
              JobModifyIndex: r.current.JobModifyIndex,
              SubmitTime: r.current.SubmitTime
            }))
        }), entry)
      }
      if (!isWrite) throw new HttpError(405, 'Invalid method')
      return registerHttp(req, res, q, null)
    }
    if ((m = /^\/v1\/job\/([^/]+)\/plan$/.exec(p))) {
      if (!isWrite) throw new HttpError(405, 'Invalid method')
      aclCheck(req, 'submit-job')
      const body = await readBody(req)
      if (!body.Job) throw new HttpError(400, 'Job must be specified')
      const id = decodeURIComponent(m[1])
      if (body.Job.ID !== id) throw new HttpError(400, 'Job ID does not match')
      const jobNs = q.get('namespace') || body.Job.Namespace || DEFAULT_NS
      const planned = planJob(jobNs, body.Job, Boolean(body.Diff))
      // test hook: runs after the plan is computed, before the response (e.g. a concurrent `nomad job run`)
      opts.onPlan?.(id, jobNs)
      return send(res, 200, planned)
    }
    if ((m = /^\/v1\/job\/([^/]+)\/submission$/.exec(p))) {
      aclCheck(req, 'read-job')
      const rec = jobRec(ns, decodeURIComponent(m[1]))
      const v = q.has('version') ? Number(q.get('version')) : rec.current.Version
      return blocking(req, res, q, () => {
        const s = rec.submissions.get(v)
        if (!s) throw new HttpError(404, 'job source not found')
        return { index: tables.jobs, body: s }
      }, entry)
    }
    if ((m = /^\/v1\/job\/([^/]+)\/allocations$/.exec(p))) {
      aclCheck(req, 'read-job')
      const id = decodeURIComponent(m[1])
      const all = q.get('all') === 'true'
      return blocking(req, res, q, () => {
        const rec = findJob(ns, id)
        const list = [...allocs.values()]
          .filter((a) => a.Namespace === ns && a.JobID === id)
          .filter((a) => all || !rec || a.JobVersion <= rec.current.Version)
          .sort((x, y) => y.CreateIndex - x.CreateIndex)
          .map(stub)
        return { index: tables.allocs, body: list }
      }, entry)
    }
    if ((m = /^\/v1\/job\/([^/]+)\/evaluations$/.exec(p))) {
      aclCheck(req, 'read-job')
      const id = decodeURIComponent(m[1])
      return blocking(req, res, q, () => ({
        index: tables.evals,
        body: [...evals.values()].filter((e) => e.Namespace === ns && e.JobID === id).sort((x, y) => y.CreateIndex - x.CreateIndex)
      }), entry)
    }
    if ((m = /^\/v1\/job\/([^/]+)\/deployments?$/.exec(p))) {
      aclCheck(req, 'read-job')
      const id = decodeURIComponent(m[1])
      const latest = p.endsWith('/deployment')
      return blocking(req, res, q, () => {
        const list = [...deployments.values()]
          .filter((d) => d.Namespace === ns && d.JobID === id)
          .sort((x, y) => y.CreateIndex - x.CreateIndex)
        return { index: tables.deployments, body: latest ? (list[0] ?? null) : list }
      }, entry)
    }
    if ((m = /^\/v1\/job\/([^/]+)\/versions$/.exec(p))) {
      aclCheck(req, 'read-job')
      const id = decodeURIComponent(m[1])
      return blocking(req, res, q, () => {
        const rec = jobRec(ns, id)
        return { index: tables.jobs, body: { Versions: [...rec.versions].reverse(), Diffs: null } }
      }, entry)
    }
    if ((m = /^\/v1\/job\/([^/]+)$/.exec(p))) {
      const id = decodeURIComponent(m[1])
      if (method === 'GET') {
        aclCheck(req, 'read-job')
        return blocking(req, res, q, () => {
          const rec = jobRec(ns, id)
          return { index: rec.current.ModifyIndex, body: rec.current }
        }, entry)
      }
      if (isWrite) return registerHttp(req, res, q, id)
      if (method === 'DELETE') {
        aclCheck(req, 'submit-job')
        const rec = jobRec(ns, id)
        const idx = bump('jobs')
        rec.current.Stop = true
        rec.current.ModifyIndex = idx
        rec.current.Status = 'dead'
        for (const a of liveAllocs(ns, id)) stopAlloc(a, 'alloc is being stopped because the job was stopped')
        for (const d of deployments.values())
          if (d.JobID === id && d.Namespace === ns && d.Status === 'running') {
            d.Status = 'cancelled'
            d.StatusDescription = 'Cancelled because job is stopped'
            cancel(progressTimers.get(d.ID))
            touchDeployment(d)
          }
        if (q.get('purge') === 'true') jobs.delete(jobKey(ns, id))
        const ev = createEval(ns, rec.current, 'job-deregister', undefined)
        ev.Status = 'complete'
        return send(res, 200, { EvalID: ev.ID, EvalCreateIndex: ev.CreateIndex, JobModifyIndex: rec.current.JobModifyIndex, Index: ev.CreateIndex })
      }
      throw new HttpError(405, 'Invalid method')
    }
    if ((m = /^\/v1\/evaluation\/([^/]+)$/.exec(p))) {
      aclCheck(req, 'read-job')
      const id = decodeURIComponent(m[1])
      return blocking(req, res, q, () => {
        const ev = evals.get(id)
        if (!ev) throw new HttpError(404, 'eval not found')
        const body = { ...ev }
        if (q.get('related') === 'true')
          body.RelatedEvals = [...evals.values()]
            .filter((e) => e.ID !== id && e.JobID === ev.JobID && (e.PreviousEval === id || ev.PreviousEval === e.ID || ev.BlockedEval === e.ID))
            .map((e) => ({ ID: e.ID, Namespace: e.Namespace, JobID: e.JobID, Status: e.Status, StatusDescription: e.StatusDescription, NextEval: e.NextEval, PreviousEval: e.PreviousEval, BlockedEval: e.BlockedEval, DeploymentID: e.DeploymentID, TriggeredBy: e.TriggeredBy, CreateIndex: e.CreateIndex, ModifyIndex: e.ModifyIndex }))
        return { index: ev.ModifyIndex, body }
      }, entry)
    }
    if ((m = /^\/v1\/evaluation\/([^/]+)\/allocations$/.exec(p))) {
      aclCheck(req, 'read-job')
      const id = decodeURIComponent(m[1])
      return blocking(req, res, q, () => ({ index: tables.allocs, body: [...allocs.values()].filter((a) => a.EvalID === id).map(stub) }), entry)
    }
    if ((m = /^\/v1\/deployment\/promote\/([^/]+)$/.exec(p))) {
      if (!isWrite) throw new HttpError(405, 'Invalid method')
      aclCheck(req, 'submit-job')
      const body = await readBody(req)
      const id = decodeURIComponent(m[1])
      if (body.DeploymentID && body.DeploymentID !== id) throw new HttpError(400, 'Deployment ID does not match')
      const d = deployments.get(id)
      if (!d) throw new HttpError(404, 'deployment not found')
      if (d.Status !== 'running') throw new HttpError(500, `can't promote terminal deployment`)
      const tgs = Object.entries(d.TaskGroups as Obj).filter(([n, t]) => t.DesiredCanaries > 0 && (body.All || (body.Groups ?? []).includes(n)))
      if (!tgs.length) throw new HttpError(500, 'no canaries to promote')
      for (const [n, t] of tgs) {
        const healthy = (t.PlacedCanaries ?? []).filter((aid: string) => allocs.get(aid)?.DeploymentStatus?.Healthy === true).length
        if (healthy < t.DesiredCanaries) throw new HttpError(500, `Task group "${n}" has ${healthy}/${t.DesiredCanaries} healthy allocations`)
      }
      const ev = promote(d, body.All ? undefined : body.Groups)
      return send(res, 200, { EvalID: ev.ID, EvalCreateIndex: ev.CreateIndex, DeploymentModifyIndex: d.ModifyIndex, Index: d.ModifyIndex })
    }
    if ((m = /^\/v1\/deployment\/fail\/([^/]+)$/.exec(p))) {
      aclCheck(req, 'submit-job')
      const d = deployments.get(decodeURIComponent(m[1]))
      if (!d) throw new HttpError(404, 'deployment not found')
      failDeployment(d, 'Deployment marked as failed')
      return send(res, 200, { EvalID: '', EvalCreateIndex: 0, DeploymentModifyIndex: d.ModifyIndex, Index: d.ModifyIndex })
    }
    if ((m = /^\/v1\/deployment\/allocations\/([^/]+)$/.exec(p))) {
      aclCheck(req, 'read-job')
      const id = decodeURIComponent(m[1])
      return blocking(req, res, q, () => ({ index: tables.allocs, body: [...allocs.values()].filter((a) => a.DeploymentID === id).map(stub) }), entry)
    }
    if ((m = /^\/v1\/deployment\/([^/]+)$/.exec(p))) {
      aclCheck(req, 'read-job')
      const id = decodeURIComponent(m[1])
      return blocking(req, res, q, () => {
        const d = deployments.get(id)
        if (!d) throw new HttpError(404, 'deployment not found')
        return { index: d.ModifyIndex, body: d }
      }, entry)
    }
    if ((m = /^\/v1\/allocation\/([^/]+)$/.exec(p))) {
      aclCheck(req, 'read-job')
      const id = decodeURIComponent(m[1])
      return blocking(req, res, q, () => {
        const a = allocs.get(id)
        if (!a) throw new HttpError(404, 'alloc not found')
        return { index: a.ModifyIndex, body: fullAlloc(a) }
      }, entry)
    }
    throw new HttpError(404, `Invalid URL path: ${p}`)
  }

  async function registerHttp(req: http.IncomingMessage, res: http.ServerResponse, q: URLSearchParams, pathId: string | null) {
    aclCheck(req, 'submit-job')
    const body = await readBody(req)
    if (!body.Job) throw new HttpError(400, 'Job must be specified')
    if (!body.Job.ID) throw new HttpError(400, 'Job ID hasn\'t been provided')
    if (pathId !== null && body.Job.ID !== pathId) throw new HttpError(400, 'Job ID does not match name')
    if (body.Job.Region && body.Job.Region !== 'global' && body.Job.Region !== region && !q.get('region'))
      throw new HttpError(500, 'No path to region')
    const jobNs = q.get('namespace') || body.Namespace || body.Job.Namespace || DEFAULT_NS
    const r = register(jobNs, body.Job, {
      enforceIndex: Boolean(body.EnforceIndex),
      jobModifyIndex: Number(body.JobModifyIndex ?? 0),
      preserveCounts: Boolean(body.PreserveCounts),
      submission: body.Submission ?? undefined
    })
    send(res, 200, { ...r, LastContact: 0, KnownLeader: false }, { 'X-Nomad-Index': String(r.Index) })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const addr = server.address() as AddressInfo
  const url = `http://${opts.host ?? '127.0.0.1'}:${addr.port}`

  const double: NomadDouble = {
    url,
    managementToken,
    keyring,
    requests,
    secretReads,
    vaultLogins,
    get index() {
      return index
    },
    failNextAlloc(jobId, message = 'failed to start task: scripted failure', namespace = DEFAULT_NS) {
      const k = jobKey(namespace, jobId)
      failNext.set(k, [...(failNext.get(k) ?? []), message])
    },
    setProgressDeadlineMs(ms) {
      progressDeadlineOverrideMs = ms
    },
    setHealthyDeadlineMs(ms) {
      healthyDeadlineOverrideMs = ms
    },
    modifyJobOutOfBand(jobId, namespace = DEFAULT_NS, mutate) {
      const rec = jobRec(namespace, jobId)
      const copy = structuredClone(rec.current)
      if (mutate) mutate(copy)
      else copy.Meta = { ...(copy.Meta ?? {}), 'nomad-double-out-of-band': String(index + 1) }
      return register(namespace, copy, { triggeredBy: 'job-register' }).JobModifyIndex
    },
    bumpJobModifyIndex(jobId, namespace = DEFAULT_NS) {
      return double.modifyJobOutOfBand(jobId, namespace)
    },
    async rotateKey() {
      await keyring.rotate()
      bump('keyring')
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate()) {
        if (closed) throw new Error('nomad double closed')
        if (Date.now() >= deadline) throw new Error('waitFor: timed out')
        await waitForChange(deadline)
      }
    },
    getJob(jobId, namespace = DEFAULT_NS) {
      return findJob(namespace, jobId)?.current
    },
    allocations(jobId, namespace = DEFAULT_NS) {
      return [...allocs.values()].filter((a) => a.JobID === jobId && a.Namespace === namespace)
    },
    deployments(jobId, namespace = DEFAULT_NS) {
      return [...deployments.values()].filter((d) => d.JobID === jobId && d.Namespace === namespace).sort((a, b) => a.CreateIndex - b.CreateIndex)
    },
    async close() {
      if (closed) return
      closed = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const w of [...waiters]) w()
      for (const ac of aborts) ac.abort()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
  }
  return double
}

// ---------------------------------------------------------------- diff (plan)
function stableStringify(v: unknown): string {
  if (v === undefined) return 'null'
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  const o = v as Obj
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`
}

function flatten(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v === null || v === undefined) return out
  if (typeof v !== 'object') {
    out[prefix] = String(v)
    return out
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => flatten(x, prefix ? `${prefix}[${i}]` : `[${i}]`, out))
    return out
  }
  for (const [k, x] of Object.entries(v as Obj)) flatten(x, prefix ? `${prefix}.${k}` : k, out)
  return out
}

function fieldDiffs(a: Obj | undefined, b: Obj | undefined): Obj[] {
  const fa = flatten(a ?? {})
  const fb = flatten(b ?? {})
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort()
  const out: Obj[] = []
  for (const k of keys) {
    if (fa[k] === fb[k]) continue
    out.push({
      Type: fa[k] === undefined ? 'Added' : fb[k] === undefined ? 'Deleted' : 'Edited',
      Name: k,
      Old: fa[k] ?? '',
      New: fb[k] ?? '',
      Annotations: null
    })
  }
  return out
}

const SERVER_FIELDS = ['Version', 'JobModifyIndex', 'ModifyIndex', 'CreateIndex', 'SubmitTime', 'Status', 'StatusDescription', 'Stable', 'Stop', 'TaskGroups']

function jobDiff(oldJob: Obj | undefined, newJob: Obj, plans: { name: string; place: number; stop: number; inplace: number; destructive: number; canary: number; ignore: number; change: string }[]): Obj {
  const strip = (j: Obj | undefined) => (j ? Object.fromEntries(Object.entries(j).filter(([k]) => !SERVER_FIELDS.includes(k))) : undefined)
  const jobFields = oldJob ? fieldDiffs(strip(oldJob), strip(newJob)) : []
  const TaskGroups = newJob.TaskGroups.map((tg: Obj) => {
    const p = plans.find((x) => x.name === tg.Name)!
    const oldTg = oldJob?.TaskGroups?.find((g: Obj) => g.Name === tg.Name)
    const Updates: Record<string, number> = {}
    if (p.place) Updates.create = p.place
    if (p.stop) Updates.destroy = p.stop
    if (p.inplace) Updates['in-place update'] = p.inplace
    if (p.destructive) Updates['create/destroy update'] = p.destructive
    if (p.canary) Updates.canary = p.canary
    if (p.ignore) Updates.ignore = p.ignore
    const { Tasks: nt, ...tgRest } = tg
    const { Tasks: ot, ...oldRest } = oldTg ?? {}
    const tgFields = oldTg ? fieldDiffs(oldRest, tgRest) : fieldDiffs(undefined, tgRest)
    const Tasks = nt.map((t: Obj) => {
      const o = (ot as Obj[] | undefined)?.find((x) => x.Name === t.Name)
      const Fields = fieldDiffs(o, t)
      const type = !o ? 'Added' : Fields.length ? 'Edited' : 'None'
      const ann = !o ? ['forces create'] : p.destructive || p.canary ? ['forces create/destroy update'] : p.inplace ? ['forces in-place update'] : null
      return { Name: t.Name, Type: type, Annotations: type === 'None' ? null : ann, Fields: Fields.length ? Fields : null, Objects: null }
    })
    const type = !oldTg ? 'Added' : tgFields.length || Tasks.some((t: Obj) => t.Type !== 'None') ? 'Edited' : 'None'
    return { Name: tg.Name, Type: type, Updates: Object.keys(Updates).length ? Updates : null, Fields: tgFields.length ? tgFields : null, Objects: null, Tasks }
  })
  for (const og of oldJob?.TaskGroups ?? [])
    if (!newJob.TaskGroups.some((g: Obj) => g.Name === og.Name))
      TaskGroups.push({ Name: og.Name, Type: 'Deleted', Updates: { destroy: og.Count }, Fields: null, Objects: null, Tasks: [] })
  const changed = !oldJob || jobFields.length > 0 || TaskGroups.some((g: Obj) => g.Type !== 'None')
  return {
    Type: !oldJob ? 'Added' : changed ? 'Edited' : 'None',
    ID: newJob.ID,
    Fields: jobFields.length ? jobFields : null,
    Objects: null,
    TaskGroups
  }
}
