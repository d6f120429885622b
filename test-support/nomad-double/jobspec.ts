/**
 * HCL2 jobspec → Nomad api.Job JSON, for the Nomad test double's /v1/jobs/parse (command/agent/job_endpoint.go
 * JobsParseRequest: jobspec2.ParseWithConfig with AllowFS false, not strict, then `Canonicalize`).
 * tools/nomad-hcl evaluates the file (variables, locals, functions, dynamic blocks; its errors are Nomad's texts),
 * jobspec-decode.ts decodes the result into the api structs, and here the job, group and task decoders and
 * normalizeJob of Nomad's jobspec2 (types.config.go, hcl_conversions.go, parse_job.go at v1.10.5, MPL-2.0; facts
 * only) finish it. `Canonicalize: true` fills the api Canonicalize defaults that the double models (README "HCL").
 */
import { execFile } from 'node:child_process'
import { NomadApiError } from './api-error.js'
import type { Job, UpdateStrategy, Vault } from './api-job.js'
import { nomadHclBinary } from './hcl-tool.js'
import { Diags, type HclBlock, type HclBody, JobDecoder, missingItem, zero } from './jobspec-decode.js'
import { defaultReschedulePolicy, defaultRestartPolicy } from './policies.js'

type Obj = Record<string, unknown>

/** Where Nomad's "Unset variable" detail points; the docs moved in 1.11. */
export function variablesDocsUrl(nomadAtLeast111: boolean): string {
  return nomadAtLeast111
    ? 'https://developer.hashicorp.com/nomad/docs/reference/hcl2/variables'
    : 'https://developer.hashicorp.com/nomad/docs/job-specification/hcl2/variables'
}

/** api.UpdateStrategy canonical defaults (api/jobs.go). */
export const UPDATE_DEFAULTS: Required<UpdateStrategy> = {
  Stagger: 30e9,
  MaxParallel: 1,
  HealthCheck: 'checks',
  MinHealthyTime: 10e9,
  HealthyDeadline: 300e9,
  ProgressDeadline: 600e9,
  AutoRevert: false,
  AutoPromote: false,
  Canary: 0
}

/** api.Vault.Canonicalize defaults (Nomad api/tasks.go). */
export function canonicalVault(v: Vault): Required<Vault> {
  return {
    Policies: v.Policies ?? null,
    Role: v.Role ?? '',
    Namespace: v.Namespace ?? '',
    Cluster: v.Cluster || 'default',
    Env: v.Env ?? true,
    DisableFile: v.DisableFile ?? false,
    ChangeMode: v.ChangeMode ?? 'restart',
    ChangeSignal: v.ChangeSignal ?? 'SIGHUP',
    AllowTokenExpiration: v.AllowTokenExpiration ?? false
  }
}

export interface ParseInput {
  JobHCL?: string
  Canonicalize?: boolean
  Variables?: string
}

interface ToolAnswer {
  error?: string
  job?: HclBlock
}

/** Runs tools/nomad-hcl on one request (bounded time; a failure of the tool is a bug of the double, not a 400). */
function evaluate(input: ParseInput, docsUrl: string): Promise<ToolAnswer> {
  const bin = nomadHclBinary()
  return new Promise((resolve, reject) => {
    const child = execFile(bin, [], { timeout: 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`nomad double: ${bin} failed: ${err.message} ${stderr}`))
      try {
        resolve(JSON.parse(stdout) as ToolAnswer)
      } catch (e) {
        reject(new Error(`nomad double: ${bin} answered no JSON: ${(e as Error).message}`))
      }
    })
    child.stdin?.end(JSON.stringify({ JobHCL: input.JobHCL, Variables: input.Variables ?? '', UnsetDocs: docsUrl }))
  })
}

/**
 * Implements POST /v1/jobs/parse. Throws NomadApiError(400, …) with Nomad's texts. Like the agent's parse endpoint
 * (no `Strict`), a variable that the job does not declare is ignored. `Variables` is parsed as its own file named
 * input.hcl (jobspec2/parse.go).
 */
export async function parseJobHCL(input: ParseInput, o: { variablesDocsUrl?: string } = {}): Promise<Job> {
  if (!input.JobHCL) throw new NomadApiError(400, 'Job spec is empty')
  const answer = await evaluate(input, o.variablesDocsUrl ?? variablesDocsUrl(false))
  if (answer.error !== undefined || !answer.job) throw new NomadApiError(400, `Failed to parse job: ${answer.error ?? 'no job'}`)
  const diags = new Diags()
  const job = decodeJob(new JobDecoder(diags), answer.job)
  if (diags.list.length) throw new NomadApiError(400, `Failed to parse job: ${diags.list.join('\n')}`)
  normalizeJob(job, answer.job.labels[0])
  if (input.Canonicalize) canonicalize(job)
  return job as unknown as Job
}

const without = (body: HclBody, names: string[]): HclBody => ({
  attrs: Object.fromEntries(Object.entries(body.attrs).filter(([k]) => !names.includes(k))),
  blocks: body.blocks
})

/** types.config.go decodeJob: `meta =`, one job-level `vault`, lone `task` blocks, the rest into api.Job. */
function decodeJob(d: JobDecoder, b: HclBlock): Obj {
  d.custom.TaskGroup = (g) => decodeGroup(d, g)
  d.custom.Task = (t) => decodeTask(d, t)
  const meta = d.asAttribute(b.body, 'meta')
  const vaults = b.body.blocks.filter((x) => x.type === 'vault')
  for (const dup of vaults.slice(1))
    d.diags.add(dup.range, 'Duplicate vault block', `Only one block of type "vault" is allowed. Previous definition was at ${vaults[0].range}.`)
  const job = d.struct('Job', without(b.body, meta ? ['meta'] : []), [], { attrs: ['meta'], blocks: ['vault', 'task'] }, missingItem(b))
  if (meta) job.Meta = meta
  const lone = b.body.blocks.filter((x) => x.type === 'task').map((t) => decodeTask(d, t))
  return { ...job, __vault: vaults[0] ? d.struct('Vault', vaults[0].body, [], {}, missingItem(vaults[0])) : null, __tasks: lone }
}

/** hcl_conversions.go decodeTaskGroup: `meta =`, a group `vault` for tasks without one, scaling type "horizontal". */
function decodeGroup(d: JobDecoder, b: HclBlock): Obj {
  const meta = d.asAttribute(b.body, 'meta')
  const vaults = b.body.blocks.filter((x) => x.type === 'vault')
  if (vaults.length > 1)
    d.diags.add(vaults[1].range, 'Duplicate vault block', `Only one vault block is allowed. Another was defined at ${vaults[0].range}.`)
  const vault = vaults[0] ? d.struct('Vault', vaults[0].body, [], {}, missingItem(vaults[0])) : null
  const tg = d.struct('TaskGroup', without(b.body, meta ? ['meta'] : []), b.labels, { attrs: ['meta'], blocks: ['vault'] }, missingItem(b))
  if (meta) tg.Meta = meta
  if (vault) for (const t of (tg.Tasks as Obj[] | null) ?? []) t.Vault ??= vault
  const scaling = tg.Scaling as Obj | null
  if (scaling && !scaling.Type) scaling.Type = 'horizontal'
  return tg
}

/** hcl_conversions.go decodeTask: `env =`, `meta =`, and `scaling "cpu"|"mem"` blocks → ScalingPolicies. */
function decodeTask(d: JobDecoder, b: HclBlock): Obj {
  const env = d.asAttribute(b.body, 'env')
  const meta = d.asAttribute(b.body, 'meta')
  const t = d.struct(
    'Task',
    without(b.body, [...(env ? ['env'] : []), ...(meta ? ['meta'] : [])]),
    b.labels,
    { attrs: ['env', 'meta'], blocks: ['scaling'] },
    b.range
  )
  if (env) t.Env = env
  if (meta) t.Meta = meta
  const seen = new Map<string, string>()
  const policies: Obj[] = []
  for (const s of b.body.blocks.filter((x) => x.type === 'scaling')) {
    const label = (s.labels[0] ?? '').toLowerCase()
    const kind = label === 'cpu' ? 'vertical_cpu' : label === 'mem' ? 'vertical_mem' : undefined
    if (!kind) {
      d.diags.add(s.range, 'Invalid scaling policy name', 'scaling policy name must be "cpu" or "mem"')
      continue
    }
    if (seen.has(label)) {
      d.diags.add(
        s.range,
        `Duplicate scaling "${label}" block`,
        `Only one scaling ${label} block is allowed. Another was defined at ${seen.get(label)}.`
      )
      continue
    }
    seen.set(label, s.range)
    const p = d.struct('ScalingPolicy', s.body, [], {}, missingItem(s))
    if (!p.Type) p.Type = kind
    else if (p.Type !== kind) {
      d.diags.add(s.range, 'Invalid scaling policy type', `Invalid policy type, expected "${p.Type}" but found "${kind}"`)
      continue
    }
    policies.push(p)
  }
  if (policies.length) t.ScalingPolicies = policies
  return t
}

/** parse_job.go normalizeJob. */
function normalizeJob(job: Obj, label: string): void {
  job.Name ??= label
  job.ID ??= label
  const periodic = job.Periodic as Obj | null
  if (periodic && (periodic.Spec != null || periodic.Specs != null)) periodic.SpecType = 'cron'
  const jobVault = job.__vault as Obj | null
  const lone = job.__tasks as Obj[]
  delete job.__vault
  delete job.__tasks
  normalizeVault(jobVault)
  if (lone.length) {
    const groups = lone.map((t) => ({ ...(zero('TaskGroup') as Obj), Name: t.Name, Tasks: [t] }))
    job.TaskGroups = [...groups, ...((job.TaskGroups as Obj[] | null) ?? [])]
  }
  for (const tg of (job.TaskGroups as Obj[] | null) ?? []) {
    normalizePorts(tg.Networks as Obj[] | null)
    for (const t of (tg.Tasks as Obj[] | null) ?? []) {
      normalizePorts(((t.Resources as Obj | null)?.Networks as Obj[] | null) ?? null)
      for (const tpl of (t.Templates as Obj[] | null) ?? []) {
        tpl.ChangeMode ??= 'restart'
        tpl.Perms ??= '0644'
        tpl.Splay ??= 5e9
        tpl.ErrMissingKey ??= false
        const cs = tpl.ChangeScript as Obj | null
        if (cs) {
          cs.Args ??= []
          cs.Timeout ??= 5e9
          cs.FailOnError ??= false
        }
      }
      normalizeVault(t.Vault as Obj | null)
      t.Vault ??= jobVault
      const ids = (t.Identities as Obj[] | null) ?? []
      const i = ids.findIndex((w) => w.Name === '' || w.Name === 'default')
      if (i >= 0) {
        t.Identity = ids[i]
        t.Identities = ids.filter((_, k) => k !== i)
      }
    }
  }
}

function normalizeVault(v: Obj | null): void {
  if (!v) return
  v.Env ??= true
  v.DisableFile ??= false
  v.ChangeMode ??= 'restart'
}

/** A `port` with a static value is reserved, the others dynamic (only when the network has any `port`). */
function normalizePorts(networks: Obj[] | null): void {
  for (const n of networks ?? []) {
    const ports = (n.DynamicPorts as Obj[] | null) ?? []
    if (!ports.length) continue
    const dynamic = ports.filter((p) => !(Number(p.Value) > 0))
    const reserved = ports.filter((p) => Number(p.Value) > 0)
    n.DynamicPorts = dynamic.length ? dynamic : null
    n.ReservedPorts = reserved.length ? reserved : null
  }
}

/** The part of api Canonicalize (api/jobs.go, api/tasks.go) that the double models; other nil fields stay null. */
function canonicalize(job: Obj): void {
  const fill = (o: Obj, defaults: Obj): void => {
    for (const [k, v] of Object.entries(defaults)) if (o[k] == null) o[k] = v
  }
  fill(job, { Namespace: 'default', Region: 'global', Type: 'service', Priority: 50, AllAtOnce: false, Datacenters: ['*'], NodePool: 'default' })
  const type = String(job.Type)
  const periodic = job.Periodic as Obj | null
  if (periodic) {
    fill(periodic, { Enabled: true, Spec: '', Specs: [], SpecType: 'cron', ProhibitOverlap: false })
    if (!periodic.TimeZone) periodic.TimeZone = 'UTC'
  }
  const jobUpdate = job.Update as Obj | null
  if (jobUpdate) fill(jobUpdate, UPDATE_DEFAULTS as unknown as Obj)
  for (const tg of (job.TaskGroups as Obj[] | null) ?? []) {
    fill(tg, { Count: 1 })
    const own = tg.Update as Obj | null
    if (own || jobUpdate) {
      const merged: Obj = { ...UPDATE_DEFAULTS, ...nonNull(jobUpdate), ...nonNull(own) }
      tg.Update = merged
    }
    tg.RestartPolicy = { ...defaultRestartPolicy(type), ...nonNull(tg.RestartPolicy as Obj | null) }
    if (type === 'service' || type === 'batch')
      tg.ReschedulePolicy = { ...defaultReschedulePolicy(type), ...nonNull((tg.ReschedulePolicy ?? job.Reschedule) as Obj | null) }
    for (const t of (tg.Tasks as Obj[] | null) ?? []) {
      t.Resources = { ...(zero('Resources') as Obj), ...nonNull(t.Resources as Obj | null) }
      fill(t.Resources as Obj, { CPU: 100, MemoryMB: 300 })
      fill(t, { KillTimeout: 5e9 })
      if (t.Vault) t.Vault = canonicalVault(nonNull(t.Vault as Obj) as Vault)
      for (const tpl of (t.Templates as Obj[] | null) ?? [])
        fill(tpl, {
          SourcePath: '',
          DestPath: '',
          EmbeddedTmpl: '',
          ChangeMode: 'restart',
          ChangeSignal: '',
          Splay: 5e9,
          Perms: '0644',
          LeftDelim: '{{',
          RightDelim: '}}',
          Envvars: false,
          ErrMissingKey: false
        })
    }
  }
}

const nonNull = (o: Obj | null | undefined): Obj => Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v != null))
