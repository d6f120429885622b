/**
 * HCL2 jobspec → Nomad api.Job JSON, for the Nomad test double's /v1/jobs/parse.
 * Only the subset the project's tests use (see README.md "HCL subset"). Field names follow Nomad's MPL api/ structs
 * (Nomad api/jobs.go, api/tasks.go); defaults follow the api Canonicalize methods.
 */
import { parse } from '@cdktf/hcl2json'
import { NomadApiError } from './api-error.js'
import { parseDurationNs } from './duration.js'
import type {
  Job,
  ParameterizedJobConfig,
  PeriodicConfig,
  ReschedulePolicy,
  Resources,
  RestartPolicy,
  Task,
  TaskGroup,
  Template,
  UpdateStrategy,
  Vault,
  WorkloadIdentity
} from './api-job.js'
import { defaultReschedulePolicy, defaultRestartPolicy } from './policies.js'

/** A block (or object attribute) of hcl2json's output: untrusted JSON, narrowed where it is read. */
type Block = Record<string, unknown>

/** hcl2json error "parse config: [input.hcl:3,4-5: S; D input.hcl:...]" → Nomad's hcl.Diagnostics.Error() text. */
export function formatHclError(raw: string, file = 'input.hcl'): string {
  let s = raw
    .replace(/^Error:\s*/, '')
    .replace(/^parse config: \[/, '')
    .replace(/\]$/, '')
  const esc = file.replace(/[.]/g, '\\.')
  const parts = s.split(new RegExp(`\\s(?=${esc}:\\d+,\\d+)`))
  s = parts[0]
  return parts.length > 1 ? `${s}, and ${parts.length - 1} other diagnostic(s)` : s
}

const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v])
const isBlock = (v: unknown): v is Block => typeof v === 'object' && v !== null && !Array.isArray(v)
/** hcl2json gives each block type as a list of bodies (an object attribute as one object). */
const blocks = (v: unknown): Block[] => asArr(v).filter(isBlock)
const firstBlock = (v: unknown): Block | undefined => blocks(v)[0]
const mergeBlocks = (v: unknown): Block | undefined => {
  const arr = blocks(v)
  return arr.length ? Object.assign({}, ...arr) : undefined
}
/** Labeled blocks (`group "web" { … }`): label → bodies. */
const labeled = (v: unknown): [string, unknown][] => Object.entries(isBlock(v) ? v : {})

// Attribute values as the api field types want them (gohcl converts the same way into Go fields).
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v))
/** The string, or undefined when the attribute is unset (or null), for `?? default`. */
const strOpt = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : str(v))
const strList = (v: unknown): string[] => asArr(v).map(str)
const strListOrNull = (v: unknown): string[] | null => (v === undefined || v === null ? null : strList(v))
const num = (v: unknown): number => Number(v)
const bool = (v: unknown): boolean => Boolean(v)

interface VarDecl {
  type?: string
  default?: unknown
  hasDefault: boolean
}

class TypeMismatch extends Error {}

/** cty-style conversion of a variable value to its declared type; TypeMismatch carries cty's reason. */
function convertToType(value: unknown, type: string | undefined): unknown {
  if (type === 'number') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN
    if (Number.isNaN(n)) throw new TypeMismatch('a number is required')
    return n
  }
  if (type === 'bool') {
    if (typeof value === 'boolean') return value
    if (value === 'true' || value === 'false') return value === 'true'
    throw new TypeMismatch('a bool is required')
  }
  if (type === 'string' && typeof value !== 'string' && value !== null && typeof value !== 'object') return String(value)
  return value
}

/**
 * The HCL range of `name = <expr>`'s expression in var-file text, as `input.hcl:L,C-C` (1-based, end exclusive).
 * Single-line expressions only; a multi-line one is given up to the end of its first line.
 */
function varExprRange(text: string, name: string): string {
  const lines = text.split('\n')
  const re = new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}\\s*=\\s*`)
  for (let i = 0; i < lines.length; i++) {
    const m = re.exec(lines[i])
    if (!m) continue
    const expr = lines[i]
      .slice(m[0].length)
      .replace(/\s+(#|\/\/).*$/, '')
      .trimEnd()
    return `input.hcl:${i + 1},${m[0].length + 1}-${m[0].length + 1 + expr.length}`
  }
  return 'input.hcl:1,1-1'
}

/** Where Nomad's "Unset variable" detail points; the docs moved in 1.11. */
export function variablesDocsUrl(nomadAtLeast111: boolean): string {
  return nomadAtLeast111
    ? 'https://developer.hashicorp.com/nomad/docs/reference/hcl2/variables'
    : 'https://developer.hashicorp.com/nomad/docs/job-specification/hcl2/variables'
}

/** Replaces ${var.x} references. A string that is exactly one reference keeps the value's type. */
function substitute(v: unknown, vars: Record<string, unknown>, used: Set<string>): unknown {
  if (typeof v === 'string') {
    const whole = /^\$\{\s*var\.([A-Za-z_][\w-]*)\s*\}$/.exec(v)
    if (whole) {
      used.add(whole[1])
      return whole[1] in vars ? vars[whole[1]] : v
    }
    return v.replace(/\$\{\s*var\.([A-Za-z_][\w-]*)\s*\}/g, (all, name: string) => {
      used.add(name)
      if (!(name in vars)) return all
      const val = vars[name]
      return typeof val === 'string' ? val : JSON.stringify(val)
    })
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars, used))
  if (v && typeof v === 'object') {
    const out: Block = {}
    for (const [k, x] of Object.entries(v)) out[k] = substitute(x, vars, used)
    return out
  }
  return v
}

function strMap(v: unknown): Record<string, string> | null {
  const m = mergeBlocks(v)
  if (!m) return null
  const out: Record<string, string> = {}
  for (const [k, x] of Object.entries(m)) out[k] = typeof x === 'string' ? x : JSON.stringify(x)
  return out
}

/** Per api field of T: the HCL attribute that sets it and how its value converts (number, bool, Go duration in ns). */
type FieldTable<T> = { [K in keyof T]-?: [hclName: string, convert: (v: unknown) => Exclude<T[K], undefined>] }

/** The api fields a block's attributes set, in the table's order; a field whose attribute is absent stays unset. */
function fields<T extends object>(block: Block | undefined, table: FieldTable<T>): T {
  const out: Partial<T> = {}
  for (const key of Object.keys(table) as (keyof T & string)[]) {
    const [hcl, convert] = table[key]
    const v = block?.[hcl]
    if (v !== undefined) out[key] = convert(v)
  }
  return out as T
}

function convertUpdate(u: Block | undefined): UpdateStrategy | null {
  if (!u) return null
  return fields<UpdateStrategy>(u, {
    Stagger: ['stagger', parseDurationNs],
    MaxParallel: ['max_parallel', num],
    HealthCheck: ['health_check', str],
    MinHealthyTime: ['min_healthy_time', parseDurationNs],
    HealthyDeadline: ['healthy_deadline', parseDurationNs],
    ProgressDeadline: ['progress_deadline', parseDurationNs],
    Canary: ['canary', num],
    AutoRevert: ['auto_revert', bool],
    AutoPromote: ['auto_promote', bool]
  })
}

/** `restart` block → api.RestartPolicy; Canonicalize fills the job type's defaults (policies.ts). */
function convertRestart(r: Block | undefined, jobType: string, canonical: boolean): RestartPolicy | null {
  const out = fields<RestartPolicy>(r, {
    Attempts: ['attempts', num],
    Interval: ['interval', parseDurationNs],
    Delay: ['delay', parseDurationNs],
    Mode: ['mode', str],
    RenderTemplates: ['render_templates', bool]
  })
  if (canonical) return { ...defaultRestartPolicy(jobType), ...out }
  return r ? out : null
}

/** `reschedule` block (group, else job) → api.ReschedulePolicy; Canonicalize fills the job type's defaults. */
function convertReschedule(r: Block | undefined, jobType: string, canonical: boolean): ReschedulePolicy | null {
  const out = fields<ReschedulePolicy>(r, {
    Attempts: ['attempts', num],
    Interval: ['interval', parseDurationNs],
    Delay: ['delay', parseDurationNs],
    DelayFunction: ['delay_function', str],
    MaxDelay: ['max_delay', parseDurationNs],
    Unlimited: ['unlimited', bool]
  })
  if (canonical && (jobType === 'service' || jobType === 'batch')) return { ...defaultReschedulePolicy(jobType), ...out }
  return r ? out : null
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

function convertVault(v: Block | undefined): Vault | null {
  if (!v) return null
  return fields<Vault>(v, {
    Policies: ['policies', strList],
    Role: ['role', str],
    Namespace: ['namespace', str],
    Cluster: ['cluster', str],
    Env: ['env', bool],
    DisableFile: ['disable_file', bool],
    ChangeMode: ['change_mode', str],
    ChangeSignal: ['change_signal', str],
    AllowTokenExpiration: ['allow_token_expiration', bool]
  })
}

/** api.Vault.Canonicalize defaults (Nomad api/tasks.go). */
export function canonicalVault(v: Vault): Required<Vault> {
  return {
    Policies: v.Policies ?? null,
    Role: v.Role ?? '',
    Namespace: v.Namespace ?? '',
    Cluster: v.Cluster ?? 'default',
    Env: v.Env ?? true,
    DisableFile: v.DisableFile ?? false,
    ChangeMode: v.ChangeMode ?? 'restart',
    ChangeSignal: v.ChangeSignal ?? 'SIGHUP',
    AllowTokenExpiration: v.AllowTokenExpiration ?? false
  }
}

export function convertIdentity(i: Block): WorkloadIdentity {
  return {
    Name: strOpt(i.name) ?? 'default',
    Audience: strListOrNull(i.aud),
    ChangeMode: strOpt(i.change_mode) ?? '',
    ChangeSignal: strOpt(i.change_signal) ?? '',
    Env: Boolean(i.env ?? false),
    File: Boolean(i.file ?? false),
    Filepath: strOpt(i.filepath) ?? '',
    ServiceName: strOpt(i.service_name) ?? '',
    TTL: i.ttl === undefined ? 0 : parseDurationNs(i.ttl)
  }
}

function convertTemplate(t: Block, canonical: boolean): Template {
  const out = fields<Template>(t, {
    SourcePath: ['source', str],
    DestPath: ['destination', str],
    EmbeddedTmpl: ['data', str],
    ChangeMode: ['change_mode', str],
    ChangeSignal: ['change_signal', str],
    Splay: ['splay', parseDurationNs],
    Perms: ['perms', str],
    LeftDelim: ['left_delimiter', str],
    RightDelim: ['right_delimiter', str],
    Envvars: ['env', bool],
    ErrMissingKey: ['error_on_missing_key', bool]
  })
  if (!canonical) return out
  return {
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
    ErrMissingKey: false,
    ...out
  }
}

function convertTask(name: string, t: Block, inheritedVault: Block | undefined, canonical: boolean): Task {
  const vaultBlock = firstBlock(t.vault) ?? inheritedVault
  let Vault = convertVault(vaultBlock)
  if (Vault && canonical) Vault = canonicalVault(Vault)
  const identities = blocks(t.identity).map(convertIdentity)
  const Identity = identities.find((i) => i.Name === 'default') ?? null
  const named = identities.filter((i) => i.Name !== 'default')
  const res = firstBlock(t.resources) ?? {}
  const Resources: Resources = {}
  if (res.cpu !== undefined || canonical) Resources.CPU = Number(res.cpu ?? 100)
  if (res.memory !== undefined || canonical) Resources.MemoryMB = Number(res.memory ?? 300)
  if (res.memory_max !== undefined) Resources.MemoryMaxMB = Number(res.memory_max)
  if (res.cores !== undefined) Resources.Cores = Number(res.cores)
  const task: Task = {
    Name: name,
    Driver: strOpt(t.driver) ?? '',
    User: strOpt(t.user) ?? '',
    Config: mergeBlocks(t.config) ?? null,
    Env: strMap(t.env),
    Meta: strMap(t.meta),
    Resources,
    Templates: blocks(t.template).map((x) => convertTemplate(x, canonical)),
    Vault,
    Identity,
    Identities: named.length ? named : null
  }
  if (t.kill_timeout !== undefined) task.KillTimeout = parseDurationNs(t.kill_timeout)
  else if (canonical) task.KillTimeout = 5e9
  if (t.leader !== undefined) task.Leader = Boolean(t.leader)
  return task
}

function mergeUpdate(jobUpd: UpdateStrategy | null, grpUpd: UpdateStrategy | null, canonical: boolean): UpdateStrategy | null {
  if (!jobUpd && !grpUpd) return canonical ? null : null
  const merged = { ...(jobUpd ?? {}), ...(grpUpd ?? {}) }
  return canonical ? { ...UPDATE_DEFAULTS, ...merged } : merged
}

export interface ParseInput {
  JobHCL?: string
  Canonicalize?: boolean
  Variables?: string
}

/**
 * Implements POST /v1/jobs/parse. Throws NomadApiError(400, …) with Nomad's texts. Like the agent's parse endpoint
 * (command/agent/job_endpoint.go: no `Strict`), a variable that the job does not declare is ignored.
 * `Variables` is parsed as its own file named input.hcl (jobspec2/parse.go).
 */
export async function parseJobHCL(input: ParseInput, o: { variablesDocsUrl?: string } = {}): Promise<Job> {
  const hcl = input.JobHCL ?? ''
  if (hcl === '') throw new NomadApiError(400, 'Job spec is empty')
  let doc: Block | undefined
  let jobError: string | undefined
  try {
    doc = await parse('input.hcl', hcl)
  } catch (e) {
    jobError = `Failed to parse job: ${formatHclError(String((e as Error).message ?? e))}`
  }
  // the var content is parsed right after the job file, and its syntax errors are returned first
  let vf: Block = {}
  if (input.Variables) {
    try {
      vf = await parse('input.hcl', input.Variables)
    } catch (e) {
      throw new NomadApiError(400, `Failed to parse job: unable to parse var content: ${formatHclError(String((e as Error).message ?? e))}`)
    }
  }
  if (jobError || !doc) throw new NomadApiError(400, jobError ?? 'Failed to parse job')
  // variable declarations
  const decls: Record<string, VarDecl> = {}
  for (const [name, bodies] of labeled(doc.variable)) {
    const b = firstBlock(bodies) ?? {}
    const type = typeof b.type === 'string' ? b.type.replace(/^\$\{(.*)\}$/, '$1') : undefined
    decls[name] = { type, default: b.default, hasDefault: 'default' in b }
  }
  const values: Record<string, unknown> = {}
  const diags: string[] = []
  for (const [name, d] of Object.entries(decls))
    if (d.hasDefault)
      try {
        values[name] = convertToType(d.default, d.type)
      } catch {
        values[name] = d.default
      }
  for (const [name, v] of Object.entries(vf)) {
    if (!(name in decls)) continue // non-strict: an undeclared variable is a warning Nomad drops
    try {
      values[name] = convertToType(v, decls[name].type)
    } catch (e) {
      if (!(e instanceof TypeMismatch)) throw e
      diags.push(
        `${varExprRange(input.Variables ?? '', name)}: Invalid value for variable; The value for ${name} is not compatible with the variable's type constraint: ${e.message}.`
      )
    }
  }
  // Nomad evaluates all declared variables; an unset one is an error even if unused. No subject: "<nil>".
  const docs = o.variablesDocsUrl ?? variablesDocsUrl(false)
  for (const name of Object.keys(decls))
    if (!(name in values) && !diags.some((d) => d.includes(`The value for ${name} is`)))
      diags.push(`<nil>: Unset variable ${JSON.stringify(name)}; A used variable must be set or have a default value; see ${docs} for details.`)
  if (diags.length) throw new NomadApiError(400, `Failed to parse job: ${diags.join('\n')}`)
  const used = new Set<string>()
  const jobs = labeled(doc.job)
  if (jobs.length !== 1)
    throw new NomadApiError(
      400,
      jobs.length === 0
        ? 'Failed to parse job: Missing job block; A job block is required'
        : 'Failed to parse job: Duplicate job block; Only one job block is allowed per file'
    )
  const [jobId, jobBlocks] = jobs[0]
  const substituted = substitute(firstBlock(jobBlocks) ?? {}, values, used)
  const j = isBlock(substituted) ? substituted : {}
  for (const u of used)
    if (!(u in decls)) throw new NomadApiError(400, `Failed to parse job: Unknown variable; There is no variable named ${JSON.stringify(u)}.`)
  return toApiJob(jobId, j, Boolean(input.Canonicalize))
}

function toApiJob(id: string, j: Block, canonical: boolean): Job {
  const jobType = String(j.type ?? 'service')
  const jobVault = firstBlock(j.vault)
  const jobUpdate = convertUpdate(firstBlock(j.update))
  const groups = labeled(j.group).map(([gname, gblocks]): TaskGroup => {
    const g = firstBlock(gblocks) ?? {}
    const gVault = firstBlock(g.vault) ?? jobVault
    const tasks = labeled(g.task).map(([tname, tb]) => convertTask(tname, firstBlock(tb) ?? {}, gVault, canonical))
    return {
      Name: gname,
      Count: g.count !== undefined ? Number(g.count) : canonical ? 1 : null,
      Meta: strMap(g.meta),
      Update: mergeUpdate(jobUpdate, convertUpdate(firstBlock(g.update)), canonical),
      RestartPolicy: convertRestart(firstBlock(g.restart), jobType, canonical),
      ReschedulePolicy: convertReschedule(firstBlock(g.reschedule) ?? firstBlock(j.reschedule), jobType, canonical),
      Tasks: tasks
    }
  })
  const periodicBlock = firstBlock(j.periodic)
  let Periodic: PeriodicConfig | null = null
  if (periodicBlock) {
    Periodic = {
      Enabled: periodicBlock.enabled === undefined || periodicBlock.enabled === null ? true : bool(periodicBlock.enabled),
      Spec: strOpt(periodicBlock.cron) ?? '',
      Specs: strListOrNull(periodicBlock.crons),
      SpecType: 'cron',
      ProhibitOverlap: Boolean(periodicBlock.prohibit_overlap ?? false),
      TimeZone: strOpt(periodicBlock.time_zone) ?? 'UTC'
    }
  }
  const pb = firstBlock(j.parameterized)
  const ParameterizedJob: ParameterizedJobConfig | null = pb
    ? { Payload: strOpt(pb.payload) ?? 'optional', MetaRequired: strListOrNull(pb.meta_required), MetaOptional: strListOrNull(pb.meta_optional) }
    : null
  const job: Job = {
    ID: id,
    Name: strOpt(j.name) ?? id,
    Namespace: strOpt(j.namespace) ?? (canonical ? 'default' : null),
    Region: strOpt(j.region) ?? (canonical ? 'global' : null),
    Type: strOpt(j.type) ?? (canonical ? 'service' : null),
    Priority: j.priority !== undefined ? Number(j.priority) : canonical ? 50 : null,
    AllAtOnce: Boolean(j.all_at_once ?? false),
    Datacenters: strListOrNull(j.datacenters) ?? (canonical ? ['*'] : null),
    NodePool: strOpt(j.node_pool) ?? (canonical ? 'default' : null),
    Meta: strMap(j.meta),
    Update: jobUpdate ? (canonical ? { ...UPDATE_DEFAULTS, ...jobUpdate } : jobUpdate) : null,
    Periodic,
    ParameterizedJob,
    TaskGroups: groups
  }
  return job
}
