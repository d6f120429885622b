/**
 * HCL2 jobspec → Nomad api.Job JSON, for the Nomad test double's /v1/jobs/parse.
 * Only the subset the project's tests use (see README.md "HCL subset"). Field names follow Nomad's MPL api/ structs
 * (Nomad api/jobs.go, api/tasks.go); defaults follow the api Canonicalize methods.
 */
import { parse } from '@cdktf/hcl2json'
import { NomadApiError } from './api-error.js'
import { parseDurationNs } from './duration.js'
import { defaultReschedulePolicy, defaultRestartPolicy } from './policies.js'
import type { Json, UpdateStrategy } from './model.js'

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

const asArr = <T = Json>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : v === undefined ? [] : [v as T])
const firstBlock = (v: unknown): Json | undefined => asArr<Json>(v)[0]
const mergeBlocks = (v: unknown): Json | undefined => {
  const arr = asArr<Json>(v)
  return arr.length ? Object.assign({}, ...arr) : undefined
}

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
    const out: Json = {}
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

type Convert = (v: unknown) => unknown
const asIs: Convert = (v) => v

/** The fields an HCL block sets, renamed and converted by a table `{ hcl_name: [JsonName, convert] }` (in api order). */
function convertFields(block: Json | undefined, fields: Record<string, [string, Convert]>): Json {
  const out: Json = {}
  for (const [hcl, [json, convert]] of Object.entries(fields)) if (block?.[hcl] !== undefined) out[json] = convert(block[hcl])
  return out
}

const UPDATE_FIELDS: Record<string, [string, Convert]> = {
  stagger: ['Stagger', parseDurationNs],
  max_parallel: ['MaxParallel', Number],
  health_check: ['HealthCheck', asIs],
  min_healthy_time: ['MinHealthyTime', parseDurationNs],
  healthy_deadline: ['HealthyDeadline', parseDurationNs],
  progress_deadline: ['ProgressDeadline', parseDurationNs],
  canary: ['Canary', Number],
  auto_revert: ['AutoRevert', Boolean],
  auto_promote: ['AutoPromote', Boolean]
}

const RESTART_FIELDS: Record<string, [string, Convert]> = {
  attempts: ['Attempts', Number],
  interval: ['Interval', parseDurationNs],
  delay: ['Delay', parseDurationNs],
  mode: ['Mode', asIs],
  render_templates: ['RenderTemplates', Boolean]
}

const RESCHEDULE_FIELDS: Record<string, [string, Convert]> = {
  attempts: ['Attempts', Number],
  interval: ['Interval', parseDurationNs],
  delay: ['Delay', parseDurationNs],
  delay_function: ['DelayFunction', asIs],
  max_delay: ['MaxDelay', parseDurationNs],
  unlimited: ['Unlimited', Boolean]
}

function convertUpdate(u: Json | undefined): Json | null {
  return u ? convertFields(u, UPDATE_FIELDS) : null
}

/** `restart` block → api.RestartPolicy; Canonicalize fills the job type's defaults (policies.ts). */
function convertRestart(r: Json | undefined, jobType: string, canonical: boolean): Json | null {
  const out = convertFields(r, RESTART_FIELDS)
  if (canonical) return { ...defaultRestartPolicy(jobType), ...out }
  return r ? out : null
}

/** `reschedule` block (group, else job) → api.ReschedulePolicy; Canonicalize fills the job type's defaults. */
function convertReschedule(r: Json | undefined, jobType: string, canonical: boolean): Json | null {
  const out = convertFields(r, RESCHEDULE_FIELDS)
  if (canonical && (jobType === 'service' || jobType === 'batch')) return { ...defaultReschedulePolicy(jobType), ...out }
  return r ? out : null
}

/** api.UpdateStrategy canonical defaults (api/jobs.go). */
export const UPDATE_DEFAULTS: UpdateStrategy = {
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

function convertVault(v: Json | undefined): Json | null {
  if (!v) return null
  const out: Json = {}
  if (v.policies !== undefined) out.Policies = v.policies
  if (v.role !== undefined) out.Role = v.role
  if (v.namespace !== undefined) out.Namespace = v.namespace
  if (v.cluster !== undefined) out.Cluster = v.cluster
  if (v.env !== undefined) out.Env = Boolean(v.env)
  if (v.disable_file !== undefined) out.DisableFile = Boolean(v.disable_file)
  if (v.change_mode !== undefined) out.ChangeMode = v.change_mode
  if (v.change_signal !== undefined) out.ChangeSignal = v.change_signal
  if (v.allow_token_expiration !== undefined) out.AllowTokenExpiration = Boolean(v.allow_token_expiration)
  return out
}

/** api.Vault.Canonicalize defaults (Nomad api/tasks.go). */
export function canonicalVault(v: Json): Json {
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

export function convertIdentity(i: Json): Json {
  return {
    Name: i.name ?? 'default',
    Audience: i.aud ?? null,
    ChangeMode: i.change_mode ?? '',
    ChangeSignal: i.change_signal ?? '',
    Env: Boolean(i.env ?? false),
    File: Boolean(i.file ?? false),
    Filepath: i.filepath ?? '',
    ServiceName: i.service_name ?? '',
    TTL: i.ttl === undefined ? 0 : parseDurationNs(i.ttl)
  }
}

function convertTemplate(t: Json, canonical: boolean): Json {
  const out: Json = {}
  if (t.source !== undefined) out.SourcePath = t.source
  if (t.destination !== undefined) out.DestPath = t.destination
  if (t.data !== undefined) out.EmbeddedTmpl = t.data
  if (t.change_mode !== undefined) out.ChangeMode = t.change_mode
  if (t.change_signal !== undefined) out.ChangeSignal = t.change_signal
  if (t.splay !== undefined) out.Splay = parseDurationNs(t.splay)
  if (t.perms !== undefined) out.Perms = t.perms
  if (t.left_delimiter !== undefined) out.LeftDelim = t.left_delimiter
  if (t.right_delimiter !== undefined) out.RightDelim = t.right_delimiter
  if (t.env !== undefined) out.Envvars = Boolean(t.env)
  if (t.error_on_missing_key !== undefined) out.ErrMissingKey = Boolean(t.error_on_missing_key)
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

function convertTask(name: string, t: Json, inheritedVault: Json | undefined, canonical: boolean): Json {
  const vaultBlock = firstBlock(t.vault) ?? inheritedVault
  let Vault = convertVault(vaultBlock)
  if (Vault && canonical) Vault = canonicalVault(Vault)
  const identities = asArr<Json>(t.identity).map(convertIdentity)
  const Identity = identities.find((i) => i.Name === 'default') ?? null
  const named = identities.filter((i) => i.Name !== 'default')
  const res = firstBlock(t.resources) ?? {}
  const Resources: Json = {}
  if (res.cpu !== undefined || canonical) Resources.CPU = Number(res.cpu ?? 100)
  if (res.memory !== undefined || canonical) Resources.MemoryMB = Number(res.memory ?? 300)
  if (res.memory_max !== undefined) Resources.MemoryMaxMB = Number(res.memory_max)
  if (res.cores !== undefined) Resources.Cores = Number(res.cores)
  const task: Json = {
    Name: name,
    Driver: t.driver ?? '',
    User: t.user ?? '',
    Config: mergeBlocks(t.config) ?? null,
    Env: strMap(t.env),
    Meta: strMap(t.meta),
    Resources,
    Templates: asArr<Json>(t.template).map((x) => convertTemplate(x, canonical)),
    Vault,
    Identity,
    Identities: named.length ? named : null
  }
  if (t.kill_timeout !== undefined) task.KillTimeout = parseDurationNs(t.kill_timeout)
  else if (canonical) task.KillTimeout = 5e9
  if (t.leader !== undefined) task.Leader = Boolean(t.leader)
  return task
}

function mergeUpdate(jobUpd: Json | null, grpUpd: Json | null, canonical: boolean): Json | null {
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
export async function parseJobHCL(input: ParseInput, o: { variablesDocsUrl?: string } = {}): Promise<Json> {
  const hcl = input.JobHCL ?? ''
  if (hcl === '') throw new NomadApiError(400, 'Job spec is empty')
  let doc: Json | undefined
  let jobError: string | undefined
  try {
    doc = (await parse('input.hcl', hcl)) as Json
  } catch (e) {
    jobError = `Failed to parse job: ${formatHclError(String((e as Error).message ?? e))}`
  }
  // the var content is parsed right after the job file, and its syntax errors are returned first
  let vf: Json = {}
  if (input.Variables) {
    try {
      vf = (await parse('input.hcl', input.Variables)) as Json
    } catch (e) {
      throw new NomadApiError(400, `Failed to parse job: unable to parse var content: ${formatHclError(String((e as Error).message ?? e))}`)
    }
  }
  if (jobError || !doc) throw new NomadApiError(400, jobError ?? 'Failed to parse job')
  // variable declarations
  const decls: Record<string, VarDecl> = {}
  for (const [name, blocks] of Object.entries((doc.variable as Json) ?? {})) {
    const b = firstBlock(blocks) ?? {}
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
  const jobs = Object.entries((doc.job as Json) ?? {})
  if (jobs.length !== 1)
    throw new NomadApiError(
      400,
      jobs.length === 0
        ? 'Failed to parse job: Missing job block; A job block is required'
        : 'Failed to parse job: Duplicate job block; Only one job block is allowed per file'
    )
  const [jobId, jobBlocks] = jobs[0]
  const j = substitute(firstBlock(jobBlocks) ?? {}, values, used) as Json
  for (const u of used)
    if (!(u in decls)) throw new NomadApiError(400, `Failed to parse job: Unknown variable; There is no variable named ${JSON.stringify(u)}.`)
  return toApiJob(jobId, j, Boolean(input.Canonicalize))
}

function toApiJob(id: string, j: Json, canonical: boolean): Json {
  const jobType = String(j.type ?? 'service')
  const jobVault = firstBlock(j.vault)
  const jobUpdate = convertUpdate(firstBlock(j.update))
  const groups = Object.entries((j.group as Json) ?? {}).map(([gname, gblocks]) => {
    const g = firstBlock(gblocks) ?? {}
    const gVault = firstBlock(g.vault) ?? jobVault
    const tasks = Object.entries((g.task as Json) ?? {}).map(([tname, tb]) => convertTask(tname, firstBlock(tb) ?? {}, gVault, canonical))
    const grp: Json = {
      Name: gname,
      Count: g.count !== undefined ? Number(g.count) : canonical ? 1 : null,
      Meta: strMap(g.meta),
      Update: mergeUpdate(jobUpdate, convertUpdate(firstBlock(g.update)), canonical),
      RestartPolicy: convertRestart(firstBlock(g.restart), jobType, canonical),
      ReschedulePolicy: convertReschedule(firstBlock(g.reschedule) ?? firstBlock(j.reschedule), jobType, canonical),
      Tasks: tasks
    }
    return grp
  })
  const periodicBlock = firstBlock(j.periodic)
  let Periodic: Json | null = null
  if (periodicBlock) {
    Periodic = {
      Enabled: periodicBlock.enabled ?? true,
      Spec: periodicBlock.cron ?? '',
      Specs: periodicBlock.crons ?? null,
      SpecType: 'cron',
      ProhibitOverlap: Boolean(periodicBlock.prohibit_overlap ?? false),
      TimeZone: periodicBlock.time_zone ?? 'UTC'
    }
  }
  const pb = firstBlock(j.parameterized)
  const ParameterizedJob = pb
    ? { Payload: pb.payload ?? 'optional', MetaRequired: pb.meta_required ?? null, MetaOptional: pb.meta_optional ?? null }
    : null
  const job: Json = {
    ID: id,
    Name: j.name ?? id,
    Namespace: j.namespace ?? (canonical ? 'default' : null),
    Region: j.region ?? (canonical ? 'global' : null),
    Type: j.type ?? (canonical ? 'service' : null),
    Priority: j.priority !== undefined ? Number(j.priority) : canonical ? 50 : null,
    AllAtOnce: Boolean(j.all_at_once ?? false),
    Datacenters: j.datacenters ?? (canonical ? ['*'] : null),
    NodePool: j.node_pool ?? (canonical ? 'default' : null),
    Meta: strMap(j.meta),
    Update: jobUpdate ? (canonical ? { ...UPDATE_DEFAULTS, ...jobUpdate } : jobUpdate) : null,
    Periodic,
    ParameterizedJob,
    TaskGroups: groups
  }
  return job
}
