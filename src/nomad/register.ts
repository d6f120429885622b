/** `POST /v1/jobs` with check-and-set (EnforceIndex) and readable errors. */
import * as core from '@actions/core'
import { ActionError, HttpError } from '../errors.js'
import type { NomadClient, Query } from './client.js'
import type { ApiJob } from './inject.js'
import { explainJobRefusal } from './job-errors.js'
import type { Submission } from './jobfile.js'
import { splitWarnings } from './warnings.js'

export interface RegisterOptions {
  /** Check-and-set: register only if the job's modify index still equals jobModifyIndex (0 = only if new). */
  enforceIndex: boolean
  jobModifyIndex: number
  preserveCounts: boolean
  policyOverride: boolean
  namespace?: string
  region?: string
  /** The server vault block the action rendered, shown when the servers have no vault block. */
  renderedServerBlock?: string
  /** The user's file, for messages. */
  file?: string
}

export interface RegisterResult {
  evalId: string
  jobModifyIndex: number
  warnings: string[]
}

interface RegisterResponse {
  EvalID?: string
  EvalCreateIndex?: number
  JobModifyIndex?: number
  Warnings?: string | null
}

/** Nomad only keeps sources up to job_max_source_size (default 1M) and drops bigger ones silently. */
const MAX_SOURCE = 1024 * 1024

export async function registerJob(
  client: NomadClient,
  job: ApiJob,
  submission: Submission | undefined,
  opts: RegisterOptions
): Promise<RegisterResult> {
  const id = String(job.ID ?? '')
  const query: Query = {}
  if (opts.namespace !== undefined) query.namespace = opts.namespace
  if (opts.region !== undefined) query.region = opts.region
  const body: Record<string, unknown> = {
    Job: job,
    EnforceIndex: opts.enforceIndex,
    JobModifyIndex: opts.jobModifyIndex,
    PolicyOverride: opts.policyOverride,
    PreserveCounts: opts.preserveCounts
  }
  if (submission) {
    body.Submission = submission
    if (Buffer.byteLength(submission.Source) > MAX_SOURCE) {
      core.info(`The source of job "${id}" is larger than 1 MiB; Nomad keeps it only if the servers' job_max_source_size allows it.`)
    }
  }
  let res: RegisterResponse
  try {
    res = (await client.post<RegisterResponse>('/v1/jobs', body, query)) ?? {}
  } catch (err) {
    throw explainRegisterError(err, id, opts)
  }
  const warnings = splitWarnings(res.Warnings)
  for (const w of warnings) core.warning(`Nomad job "${id}"${opts.file ? ` (${opts.file})` : ''}: ${w}`)
  return { evalId: res.EvalID ?? '', jobModifyIndex: res.JobModifyIndex ?? 0, warnings }
}

function explainRegisterError(err: unknown, id: string, opts: RegisterOptions): unknown {
  if (!(err instanceof HttpError)) return err
  const where = opts.file ? ` (${opts.file})` : ''
  const msg = err.serverMessage
  if (/Enforcing job modify index/i.test(msg)) {
    const existing = msg.match(/conflicting job modify index:?\s*(\d+)/i)?.[1]
    return new ActionError(
      `Nomad job "${id}"${where} was changed by someone else between plan and register` +
        ` (planned against job modify index ${opts.jobModifyIndex}${existing ? `, the job is now at ${existing}` : ''}). ` +
        'Nothing was overwritten: the registration was refused. Re-run the workflow to plan against the current job.',
      { cause: err }
    )
  }
  const refusal = explainJobRefusal(msg, { jobId: id, file: opts.file, renderedServerBlock: opts.renderedServerBlock })
  if (refusal) return new ActionError(refusal, { cause: err })
  const vaultMissing = msg.match(/Vault "([^"]+)" not enabled but used in the job/i)
  if (vaultMissing) {
    return new ActionError(
      `Nomad refused job "${id}"${where}: the Nomad servers have no enabled vault block named "${vaultMissing[1]}", but the job uses Vault. ` +
        'Add the vault block to the configuration of every Nomad server and restart them' +
        (opts.renderedServerBlock ? `:\n${opts.renderedServerBlock}` : ' (see the rendered server block output).'),
      { cause: err }
    )
  }
  if (err.status === 500 || err.status === 400) {
    return new ActionError(`Nomad refused job "${id}"${where}: ${msg.replace(/\n\s*\n/g, '\n').trim()}`, { cause: err })
  }
  return err
}
