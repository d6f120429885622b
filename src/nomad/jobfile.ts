/**
 * Job files: resolve the `job` input (paths and globs, through @actions/glob) and load each file as api.Job
 * JSON, parsing HCL2 on the Nomad server (`POST /v1/jobs/parse`) with the variables, and mapping parse errors
 * onto the user's file and line.
 */
import * as glob from '@actions/glob'
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { JobSettings } from '../config.js'
import { ActionError, HttpError } from '../errors.js'
import { readUserFile } from '../files.js'
import type { NomadClient, Query } from './client.js'
import type { ApiJob } from './inject.js'
import { buildVariables, VARIABLES_INPUT, type VariablesText } from './variables.js'

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
        problems.push(`The \`job\` input entry "${pattern}" does not exist (looked in ${cwd}); check the path, or check out the repository first (actions/checkout)`)
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
        problems.push(`The \`job\` input pattern "${pattern}" matches no file (looked in ${cwd}); check the pattern, or check out the repository first (actions/checkout)`)
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
  if (problems.length) throw new ActionError(problems.length === 1 ? problems[0] : `${problems.length} problems with the \`job\` input:\n${problems.map((p) => `- ${p}`).join('\n')}`)
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
    const globber = await glob.create(anchored, { implicitDescendants: false, matchDirectories: false, followSymbolicLinks: true, excludeHiddenFiles: !dotAllowed })
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
  const query: Query = {}
  if (opts.namespace !== undefined) query.namespace = opts.namespace
  if (opts.region !== undefined) query.region = opts.region
  let job: ApiJob
  try {
    job = await client.post<ApiJob>('/v1/jobs/parse', { JobHCL: source, Canonicalize: true, Variables: vars.text }, query)
  } catch (err) {
    if (err instanceof HttpError && err.status === 400) throw parseError(file, source, err.serverMessage, vars)
    throw err
  }
  if (!job || typeof job !== 'object' || !job.ID) {
    throw new ActionError(`Nomad parsed "${file}" but returned no job ID: does the file contain a \`job "<name>" { … }\` block?`, { annotation: { file } })
  }
  return {
    file,
    job,
    source,
    format,
    submission: { Source: source, Format: 'hcl2', VariableFlags: { ...settings.variables }, Variables: vars.fileText },
    warnings: []
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

const DIAG = /input\.hcl:(\d+),(\d+)(?:-(?:\d+,)?\d+)?/g

/**
 * Turn a /v1/jobs/parse 400 into an ActionError that points at the user's file:
 * `Failed to parse job: input.hcl:5,3-9: Summary; Detail` → `<file>:5,3: Summary; Detail` with an annotation.
 * When the line is past the end of the job file it came from the variables, which Nomad also calls input.hcl.
 */
export function parseError(file: string, source: string, serverMessage: string, vars?: VariablesText): ActionError {
  const body = serverMessage.replace(/^Failed to parse job:\s*/i, '').trim()
  const first = /input\.hcl:(\d+),(\d+)/.exec(body)
  const jobLines = source.split('\n').length
  let annotation: ActionError['annotation'] = { file }
  let target = file
  if (first) {
    const line = Number(first[1])
    const column = Number(first[2])
    const origin = vars && line > jobLines ? vars.origins[line - 1] : undefined
    if (origin && origin.file !== VARIABLES_INPUT) {
      target = origin.file
      annotation = { file: origin.file, startLine: origin.line, startColumn: column }
    } else if (origin) {
      target = 'the `variables` input'
      annotation = { file }
    } else {
      annotation = { file, startLine: line, startColumn: column }
    }
  }
  const text = body.replace(DIAG, (_m, l: string, c: string) => {
    const line = Number(l)
    const origin = vars && line > jobLines ? vars.origins[line - 1] : undefined
    if (origin) return origin.file === VARIABLES_INPUT ? `variables input line ${origin.line},${c}` : `${origin.file}:${origin.line},${c}`
    return `${file}:${l},${c}`
  })
  const intro = target === file ? `Nomad could not parse the job file ${file}` : `Nomad could not parse ${target} (used for job file ${file})`
  return new ActionError(`${intro}:\n${text}`, { annotation })
}
