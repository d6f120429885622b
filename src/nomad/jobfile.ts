/**
 * Job loading: read one job file (HCL2 or Nomad API JSON) and return it as api.Job JSON. HCL2 is parsed by the Nomad
 * server (`POST /v1/jobs/parse` through the typed API) with the variables; a parse error is mapped onto the user's
 * file and line (parse-error.ts). Which files: job-paths.ts.
 */
import type { JobSettings } from '../config.js'
import { ActionError, HttpError } from '../errors.js'
import { readUserFile } from '../files.js'
import type { NomadClient } from './nomad-client.js'
import type { ApiJob } from './inject.js'
import { declaredVariables, type DeclaredVariable } from './hcl.js'
import { parseError } from './parse-error.js'
import { buildVariables, checkVariableNames, type VariablesText } from './variables.js'

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
  let job: ApiJob
  try {
    job = await client.api.jobs().parse<ApiJob>({ JobHCL: source, Canonicalize: true, Variables: vars.text }, opts)
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
  // Fields api.Job does not have: warned in deploy.ts prepareJobs, which knows the cluster's Nomad version.
  const warnings: string[] = []
  if (Object.keys(settings.variables).length || settings.varFiles.length) {
    warnings.push(`"${file}" is a JSON job: the \`variables\` and \`var-files\` inputs only apply to HCL jobs and were not used for it.`)
  }
  return { file, job, source, format: 'json', submission: { Source: source, Format: 'json', VariableFlags: {}, Variables: '' }, warnings }
}
