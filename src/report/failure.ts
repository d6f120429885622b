/**
 * The step's failure message when jobs failed: one line per failed job, each reason at most MESSAGE_LIMIT, and at
 * most FAILED_JOBS_SHOWN jobs (it becomes an annotation and the summary's caution; the summary has every verdict).
 */
import { clip } from '../bounds.js'

export const FAILED_JOBS_SHOWN = 10

export function failedJobsMessage(failed: { jobId: string; verdict: string; reason?: string }[]): string {
  const how = (v: string) => (v === 'timeout' ? 'timed out' : v === 'unknown' ? 'has an unknown outcome' : 'failed')
  const lines = failed.slice(0, FAILED_JOBS_SHOWN).map((j) => clip(`Job "${j.jobId}" ${how(j.verdict)}: ${j.reason}`))
  if (failed.length > FAILED_JOBS_SHOWN) lines.push(`… and ${failed.length - FAILED_JOBS_SHOWN} more job(s) failed (see the job summary).`)
  return lines.join('\n')
}
