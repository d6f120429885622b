/**
 * Job files: resolve the `job` input (paths and globs, through @actions/glob) and load each file as api.Job
 * JSON, parsing HCL2 on the Nomad server (`POST /v1/jobs/parse`) with the variables, and mapping parse errors
 * onto the user's file and line.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { JobSettings } from '../config.js'
import { ActionError, HttpError } from '../errors.js'
import { readUserFile } from '../files.js'
import type { NomadClient, Query } from './client.js'
import type { ApiJob } from './inject.js'
import { declaredVariables, type DeclaredVariable } from './hcl.js'
import { buildVariables, checkVariableNames, locateInputLine, VARIABLES_INPUT, type VariablesText } from './variables.js'

const GLOB_CHARS = /[*?[]/

/**
 * Resolve the `job` input's entries (one per line, already split) to files, in input order, without
 * duplicates. An entry is a path or a glob (@actions/glob: `*`, `?`, `[abc]`, `**`). Wildcards do not match
 * names starting with "." unless the pattern names such a segment itself. Throws an ActionError naming the
 * `job` input when an entry matches no file.
 */
export async function resolveJobFiles(patterns: string[], opts: { cwd?: string } = {}): Promise<string[]> {
  const cwd = opts.cwd ?? process.cwd()
  const out: string[] = []
  const seen = new Set<string>()
  const problems: string[] = []
  for (const raw of patterns) {
    const trimmed = raw.trim()
    const pattern = process.platform === 'win32' ? trimmed.replace(/\\/g, '/') : trimmed
    if (!pattern || pattern.startsWith('#')) continue
    let matches: string[]
    if (!GLOB_CHARS.test(pattern)) {
      const abs = path.resolve(cwd, pattern)
      let st: fs.Stats | undefined
      try {
        st = fs.statSync(abs)
      } catch {
        st = undefined
      }
      if (!st) {
        problems.push(
          `The \`job\` input entry "${pattern}" does not exist (looked in ${cwd}); check the path, or check out the repository first (actions/checkout)`
        )
        continue
      }
      if (st.isDirectory()) {
        problems.push(`The \`job\` input entry "${pattern}" is a directory; name the files, e.g. "${path.posix.join(pattern, '*.nomad.hcl')}"`)
        continue
      }
      matches = [path.posix.normalize(pattern)]
    } else {
      matches = await globFiles(pattern, cwd)
      if (matches.length === 0) {
        problems.push(
          `The \`job\` input pattern "${pattern}" matches no file (looked in ${cwd}); check the pattern, or check out the repository first (actions/checkout)`
        )
        continue
      }
    }
    for (const m of matches) {
      const key = path.resolve(cwd, m)
      if (seen.has(key)) continue
      seen.add(key)
      out.push(m)
    }
  }
  if (problems.length)
    throw new ActionError(
      problems.length === 1 ? problems[0] : `${problems.length} problems with the \`job\` input:\n${problems.map((p) => `- ${p}`).join('\n')}`
    )
  return out
}

/** Files matching one glob pattern, sorted, relative to cwd (absolute for an absolute pattern). */
async function globFiles(raw: string, cwd: string): Promise<string[]> {
  const isAbs = path.posix.isAbsolute(raw)
  // @actions/glob refuses "." and ".." segments and resolves relative patterns against process.cwd(): normalise the
  // pattern and anchor it at cwd, escaping cwd's own glob characters.
  const anchored = path.posix.normalize(isAbs ? raw : `${escapeGlob(cwd.split(path.sep).join('/'))}/${raw}`)
  const pattern = isAbs ? anchored : path.posix.normalize(raw)
  const segs = pattern.split('/')
  const literal = literalSegments(segs)
  const dotAllowed = segs.some(isDotName)
  const globDot = segs.slice(literal).some(isDotName)
  let found: string[]
  try {
    // Without a dot segment in the pattern, hidden entries (.git, …) are not even walked.
    // Loaded on first use: plain paths (the common case) never evaluate @actions/glob and minimatch.
    const glob = await import('@actions/glob')
    const globber = await glob.create(anchored, {
      implicitDescendants: false,
      matchDirectories: false,
      followSymbolicLinks: true,
      excludeHiddenFiles: !dotAllowed
    })
    found = await globber.glob()
  } catch (err) {
    throw new ActionError(`The \`job\` input pattern "${raw}" is not a valid glob: ${(err as Error).message}`, { cause: err })
  }
  const base = path.resolve(cwd)
  return found
    .map((abs) => (isAbs ? abs : path.relative(base, abs).split(path.sep).join('/')))
    .filter((p) => globDot || !p.split('/').slice(literal).some(isDotName))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** How many leading segments of the pattern are literal (no glob characters): they may name dot directories. */
function literalSegments(segs: string[]): number {
  const first = segs.findIndex((s) => GLOB_CHARS.test(s))
  return first === -1 ? segs.length : first
}

function isDotName(seg: string): boolean {
  return seg.startsWith('.') && seg !== '.' && seg !== '..'
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[]/g, (c) => `[${c}]`)
}

// ---------------------------------------------------------------------------------------------
// Loading

/** `Submission` as sent with the registration (Nomad 1.6+: api.JobSubmission). */
export interface Submission {
  Source: string
  Format: 'hcl2' | 'json'
  VariableFlags: Record<string, string>
  Variables: string
}

export type JobFormat = 'hcl2' | 'json'

export interface LoadedJob {
  file: string
  job: ApiJob
  /** The file's text. */
  source: string
  format: JobFormat
  submission: Submission
  /** Notes for the user (e.g. variables ignored for JSON jobs). */
  warnings: string[]
  /** The variables an HCL job declares (undefined for JSON jobs, or when the file could not be scanned). */
  declared?: DeclaredVariable[]
}

export interface LoadOptions {
  namespace?: string
  region?: string
  /** Precomputed variables (deploy.ts builds them once for all files). */
  variables?: VariablesText
}

const HCL_EXT = /\.(nomad|hcl|nomad\.hcl|hcl2)$/i

/** Load one job file as api.Job JSON. HCL is parsed by the Nomad server (no HCL parser in the action). */
export async function loadJob(
  file: string,
  settings: Pick<JobSettings, 'variables' | 'varFiles' | 'fileAccess'>,
  client: NomadClient,
  opts: LoadOptions = {}
): Promise<LoadedJob> {
  let source: string
  try {
    source = readUserFile(file, 'job', settings.fileAccess)
  } catch (err) {
    throw new ActionError(`Job file "${file}" (input \`job\`) cannot be read: ${(err as Error).message}`, { cause: err })
  }
  if (source.trim() === '') throw new ActionError(`Job file "${file}" (input \`job\`) is empty`, { annotation: { file } })
  const format: JobFormat = /\.json$/i.test(file) ? 'json' : HCL_EXT.test(file) ? 'hcl2' : source.trimStart().startsWith('{') ? 'json' : 'hcl2'
  if (format === 'json') return loadJson(file, source, settings)

  const vars = opts.variables ?? (await buildVariables(settings))
  const declared = declaredVariables(source)
  const query: Query = {}
  if (opts.namespace !== undefined) query.namespace = opts.namespace
  if (opts.region !== undefined) query.region = opts.region
  let job: ApiJob
  try {
    job = await client.post<ApiJob>('/v1/jobs/parse', { JobHCL: source, Canonicalize: true, Variables: vars.text }, query)
  } catch (err) {
    if (!(err instanceof HttpError) || err.status !== 400) throw err
    // A misspelt variable often shows up as "Unset variable" for the real one: name the misspelling first.
    checkVariableNames(vars, [{ file, format, declared }])
    throw parseError(file, source, err.serverMessage, vars, declared)
  }
  if (!job || typeof job !== 'object' || !job.ID) {
    throw new ActionError(`Nomad parsed "${file}" but returned no job ID: does the file contain a \`job "<name>" { … }\` block?`, {
      annotation: { file }
    })
  }
  return {
    file,
    job,
    source,
    format,
    submission: { Source: source, Format: 'hcl2', VariableFlags: { ...settings.variables }, Variables: vars.fileText },
    warnings: [],
    declared
  }
}

function loadJson(file: string, source: string, settings: Pick<JobSettings, 'variables' | 'varFiles' | 'fileAccess'>): LoadedJob {
  let doc: unknown
  try {
    doc = JSON.parse(source)
  } catch (err) {
    const msg = (err as Error).message
    const pos = Number(msg.match(/position (\d+)/)?.[1])
    const annotation: { file: string; startLine?: number; startColumn?: number } = { file }
    if (Number.isFinite(pos)) {
      const before = source.slice(0, pos).split('\n')
      annotation.startLine = before.length
      annotation.startColumn = before[before.length - 1].length + 1
    }
    const where = annotation.startLine ? `${file}:${annotation.startLine},${annotation.startColumn}` : file
    throw new ActionError(`Job file ${where} is not valid JSON: ${msg}`, { annotation, cause: err })
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ActionError(`Job file "${file}" must contain a JSON object: {"Job": {…}} or the job object itself`, { annotation: { file } })
  }
  const obj = doc as Record<string, unknown>
  let job: ApiJob
  if (obj.Job && typeof obj.Job === 'object' && !Array.isArray(obj.Job)) job = obj.Job as ApiJob
  else if ('ID' in obj || 'TaskGroups' in obj || 'Name' in obj) job = obj as ApiJob
  else if ('job' in obj) {
    throw new ActionError(
      `Job file "${file}" looks like HCL JSON syntax ({"job": …}); the action expects Nomad API JSON (the output of \`nomad job run -output\` or ` +
        '`nomad job inspect`). Rename it to .nomad.hcl so Nomad parses it, or convert it.',
      { annotation: { file } }
    )
  } else {
    throw new ActionError(`Job file "${file}" is JSON but not a Nomad job: expected {"Job": {…}} or a job object with ID and TaskGroups`, {
      annotation: { file }
    })
  }
  if (!job.ID && typeof job.Name === 'string' && job.Name) job.ID = job.Name
  if (!job.ID || typeof job.ID !== 'string') throw new ActionError(`The job in "${file}" has no "ID"`, { annotation: { file } })
  const warnings: string[] = []
  if (Object.keys(settings.variables).length || settings.varFiles.length) {
    warnings.push(`"${file}" is a JSON job: the \`variables\` and \`var-files\` inputs only apply to HCL jobs and were not used for it.`)
  }
  return { file, job, source, format: 'json', submission: { Source: source, Format: 'json', VariableFlags: {}, Variables: '' }, warnings }
}

/** `input.hcl:L,C-C` or `input.hcl:L,C-L,C`: Nomad names both the job and the variables "input.hcl". */
const POSITION = /input\.hcl:(\d+),(\d+)(?:-(?:\d+,)?\d+)?/g
const DIAGNOSTIC = /^(?:input\.hcl:(\d+),(\d+)(?:-(?:\d+,)?\d+)?|<nil>):\s*/
/**
 * Diagnostics whose position is in the Variables text (jobspec2 collectInputVariableValues and Variable.Value):
 * the Variables are parsed as their own "input.hcl" from line 1, so their positions are not job file lines.
 */
const VARIABLE_SUMMARIES =
  /^(Invalid value for variable|Invalid value for varfile variable|Variable declaration in a \.var file|Undefined variable|Variables not allowed|Function calls not allowed|Unexpected "[^"]*" block)(;|$)/

interface Place {
  text: string
  annotation?: ActionError['annotation']
  /** What to name in the headline when this is the first diagnostic: the var-file or the input. */
  target?: string
}

/**
 * Turn a /v1/jobs/parse 400 into an ActionError that points at the file and line really at fault. Nomad parses the
 * job and the Variables as two files both called input.hcl (command/agent/job_endpoint.go, jobspec2/parse.go):
 * - `unable to parse var content: input.hcl:1,13-2,1: …`: a syntax error in the Variables (lines of vars.text);
 * - `input.hcl:L,C-C: Invalid value for variable; The value for n is not …`: a value in the Variables;
 * - `<nil>: Unset variable "n"; …`: no position; the job declares n with no default and nothing set it;
 * - anything else: a position in the job file.
 */
export function parseError(file: string, source: string, serverMessage: string, vars?: VariablesText, declared?: DeclaredVariable[]): ActionError {
  let body = serverMessage.replace(/^Failed to parse job:\s*/i, '').trim()
  const varSyntax = /^unable to parse var content:\s*/i.test(body)
  body = body.replace(/^unable to parse var content:\s*/i, '')
  const jobPlace = (line: number, column: number): Place => ({
    text: `${file}:${line},${column}`,
    annotation: { file, startLine: line, startColumn: column }
  })
  const varPlace = (line: number, column: number): Place => {
    const origin = vars?.origins[line - 1]
    if (!origin) return { text: `the variables (line ${line},${column})`, annotation: { file }, target: 'the variables' }
    if (origin.file === VARIABLES_INPUT) {
      const name = origin.name ? ` (${origin.name})` : ''
      return {
        text: `the \`variables\` input${name}`,
        annotation: (origin.name && locateInputLine(origin.name)) || { file },
        target: `the \`variables\` input${name}`
      }
    }
    const col = origin.rendered ? '' : `,${column}`
    return {
      text: `${origin.file}:${origin.line}${col}`,
      annotation: { file: origin.file, startLine: origin.line, ...(origin.rendered ? {} : { startColumn: column }) },
      target: origin.file
    }
  }

  let first: Place | undefined
  const lines = diagnostics(body).map((d) => {
    const m = DIAGNOSTIC.exec(d)
    if (!m) return d.replace(POSITION, (_x, l: string, c: string) => jobPlace(Number(l), Number(c)).text)
    let rest = d.slice(m[0].length)
    let place: Place
    if (m[1] === undefined) {
      // "<nil>: Unset variable "n"": point at the job's declaration of n, and say how to set it.
      const unset = /^Unset variable "([^"]+)"/.exec(rest)?.[1]
      const decl = unset ? declared?.find((v) => v.name === unset) : undefined
      place = decl ? { text: `${file}:${decl.line}`, annotation: { file, startLine: decl.line } } : { text: file, annotation: { file } }
      if (unset) rest += ` Set "${unset}" in the \`variables\` input or a var-file (input \`var-files\`), or give it a default.`
    } else {
      const inVars = varSyntax || VARIABLE_SUMMARIES.test(rest)
      place = (inVars ? varPlace : jobPlace)(Number(m[1]), Number(m[2]))
      // Positions inside the detail ("checked by the validation rule at input.hcl:5,3-13") are in the job file.
      rest = varSyntax
        ? rest.replace(POSITION, (_x, l: string, c: string) => varPlace(Number(l), Number(c)).text)
        : rest.replace(POSITION, (_x, l: string, c: string) => jobPlace(Number(l), Number(c)).text)
    }
    first ??= place
    return `${place.text}: ${rest}`
  })
  const annotation = first?.annotation ?? { file }
  const intro = first?.target ? `Nomad could not use ${first.target} (variables for job file ${file})` : `Nomad could not parse the job file ${file}`
  return new ActionError(`${intro}:\n${lines.join('\n')}`, { annotation })
}

/** The diagnostics of a message: each starts a line with a position (or "<nil>:"); details may span lines. */
function diagnostics(body: string): string[] {
  const out: string[] = []
  for (const line of body.split('\n')) {
    if (out.length === 0 || DIAGNOSTIC.test(line)) out.push(line)
    else out[out.length - 1] += `\n${line}`
  }
  return out
}
