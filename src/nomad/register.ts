/**
 * `POST /v1/jobs` with check-and-set (EnforceIndex) and readable errors. When the answer is lost (the
 * connection failed after Nomad may have accepted the job, or a retry was refused by the check index because
 * an earlier attempt took), the job is read back and its submission compared with this run's, so the run says
 * whether its registration took instead of "could not reach Nomad". A 2xx answer that is not Nomad's (empty, null,
 * {}, no EvalID or JobModifyIndex: api.ts checks the shape) is settled the same way, and is never taken as success.
 */
import * as core from '@actions/core'
import { ActionError, HttpError, UnexpectedAnswerError } from '../errors.js'
import { NetworkError } from '../transport/index.js'
import type { NomadApi } from './api.js'
import type { Job } from './api-types.js'
import type { AmbiguousMark, NomadClient } from './nomad-client.js'
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
  /** Warnings already shown (the plan's): not annotated again. */
  shownWarnings?: string[]
  /** expected-plan: the index is the approved plan's, so a refusal means the job changed after the approved plan. */
  approvedPlan?: boolean
}

export interface RegisterResult {
  evalId: string
  jobModifyIndex: number
  warnings: string[]
  /** The answer was lost and the registration was confirmed by reading the job back. */
  confirmedByReadBack?: boolean
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
  const api = client.api
  const where = { namespace: opts.namespace, region: opts.region }
  if (submission && Buffer.byteLength(submission.Source) > MAX_SOURCE) {
    core.info(`The source of job "${id}" is larger than 1 MiB; Nomad keeps it only if the servers' job_max_source_size allows it.`)
  }
  try {
    const res = await api.jobs().register(
      {
        Job: job,
        ...(submission ? { Submission: submission } : {}),
        EnforceIndex: opts.enforceIndex,
        JobModifyIndex: opts.jobModifyIndex,
        PolicyOverride: opts.policyOverride,
        PreserveCounts: opts.preserveCounts
      },
      where
    )
    const warnings = splitWarnings(res.Warnings)
    // Plan runs the same admission checks, so most warnings were already shown with the plan.
    for (const w of warnings) if (!opts.shownWarnings?.includes(w)) core.warning(`Nomad job "${id}"${opts.file ? ` (${opts.file})` : ''}: ${w}`)
    return { evalId: res.EvalID ?? '', jobModifyIndex: res.JobModifyIndex ?? 0, warnings }
  } catch (err) {
    // A 2xx whose body is not Nomad's answer (a proxy in between): Nomad may or may not have registered the job.
    const unclear = err instanceof UnexpectedAnswerError
    const lost =
      unclear ||
      (err instanceof NetworkError && err.ambiguous) ||
      (err instanceof HttpError && (err as HttpError & AmbiguousMark).retriedAfterAmbiguous === true)
    const answer = unclear ? `was not Nomad's answer (${err.problem})` : `was lost (${errorText(err)})`
    if (lost && opts.enforceIndex) {
      const outcome = await readBack(api, id, job, submission, opts).catch(() => undefined)
      if (outcome?.took) {
        core.info(
          `The answer to the registration of job "${id}" ${unclear ? "was not Nomad's answer" : 'was lost'}; read back: version ${outcome.job?.Version} (job modify index ${outcome.job?.JobModifyIndex}) ` +
            `holds this run's submission, so the registration took${outcome.evalId ? ` (evaluation ${outcome.evalId})` : ''}.`
        )
        return { evalId: outcome.evalId, jobModifyIndex: outcome.job?.JobModifyIndex ?? 0, warnings: [], confirmedByReadBack: true }
      }
      if (outcome && !outcome.took) {
        throw new ActionError(
          `The answer to the registration of job "${id}"${opts.file ? ` (${opts.file})` : ''} ${answer}; read back, the job ` +
            (outcome.job
              ? `is at job modify index ${outcome.job.JobModifyIndex} ${outcome.changed ? "with a submission that is not this run's (someone else registered it)" : '(unchanged since the plan)'}`
              : 'does not exist') +
            ", so this run's registration did not take. Nothing was changed by this run in Nomad; re-run the workflow."
        )
      }
      throw new ActionError(
        `The answer to the registration of job "${id}"${opts.file ? ` (${opts.file})` : ''} ${answer}, and reading the job back did not settle it: ` +
          `it is unknown whether this run registered it. Check with \`nomad job status ${id}\` and re-run the workflow.`
      )
    }
    throw explainRegisterError(err, id, opts)
  }
}

function errorText(err: unknown): string {
  return err instanceof NetworkError ? `${err.code}` : err instanceof HttpError ? `HTTP ${err.status}` : 'no answer'
}

interface ReadBack {
  took: boolean
  /** The job changed since the plan's job modify index. */
  changed: boolean
  job?: Job
  evalId: string
}

/**
 * Decides from the stored job whether this run's registration took: the job's modify index moved past the one
 * the plan saw, and the submission Nomad keeps with that version is this run's (same source, format and
 * variables); with no stored submission, the release metadata this run injected (github_run_id) decides.
 */
async function readBack(api: NomadApi, id: string, job: ApiJob, submission: Submission | undefined, opts: RegisterOptions): Promise<ReadBack> {
  const where = { namespace: opts.namespace, region: opts.region }
  let stored: Job | undefined
  try {
    ;[stored] = await api.jobs().info(id, where)
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return { took: false, changed: false, evalId: '' }
    throw err
  }
  const changed = (stored.JobModifyIndex ?? 0) > opts.jobModifyIndex || (opts.jobModifyIndex === 0 && !!stored)
  if (!changed) return { took: false, changed, job: stored, evalId: '' }
  let mine: boolean | undefined
  if (submission && typeof stored.Version === 'number') {
    const kept = await api
      .jobs()
      .submission(id, stored.Version, where)
      .catch(() => null)
    if (kept && typeof kept.Source === 'string') {
      mine =
        kept.Source === submission.Source &&
        (kept.Format ?? '') === submission.Format &&
        (kept.Variables ?? '') === (submission.Variables ?? '') &&
        JSON.stringify(kept.VariableFlags ?? {}) === JSON.stringify(submission.VariableFlags ?? {})
    }
  }
  const runId = (job.Meta as Record<string, string> | undefined)?.github_run_id
  if (mine !== false && runId) mine = stored.Meta?.github_run_id === runId && (mine ?? true)
  if (mine === undefined) throw new Error('cannot tell')
  if (!mine) return { took: false, changed, job: stored, evalId: '' }
  const [evals] = await api.jobs().evaluations(id, where)
  const ev = evals.filter((e) => e.JobModifyIndex === stored.JobModifyIndex).sort((a, b) => (a.CreateIndex ?? 0) - (b.CreateIndex ?? 0))[0]
  return { took: true, changed, job: stored, evalId: ev?.ID ?? '' }
}

function explainRegisterError(err: unknown, id: string, opts: RegisterOptions): unknown {
  if (!(err instanceof HttpError)) return err
  const where = opts.file ? ` (${opts.file})` : ''
  const msg = err.serverMessage
  if (/Enforcing job modify index/i.test(msg)) {
    const existing = msg.match(/conflicting job modify index:?\s*(\d+)/i)?.[1]
    const when = opts.approvedPlan ? 'changed after the approved plan (expected-plan)' : 'changed by someone else between plan and register'
    return new ActionError(
      `Nomad job "${id}"${where} was ${when}` +
        ` (planned against job modify index ${opts.jobModifyIndex}${existing ? `, the job is now at ${existing}` : ''}). ` +
        'Nothing was overwritten: the registration was refused. ' +
        (opts.approvedPlan ? 'Plan again and have the new plan approved.' : 'Re-run the workflow to plan against the current job.'),
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
