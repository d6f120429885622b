/**
 * The live probe of `mode: check` (input probe-secret): registers the probe job (src/diagnosis/probe-job.ts), follows its
 * allocation to a verdict with blocking queries, and purges the job again, whatever happened. The only writes of a
 * check run, and only when probe-secret is set.
 */
import * as core from '@actions/core'
import { errorMessage, HttpError } from '../errors.js'
import { PROBE_JOB_ID, probeFinding, probeJob, type ProbeSpec } from '../diagnosis/probe-job.js'
import type { Finding } from '../diagnosis/findings.js'
import type { NomadClient } from '../nomad/nomad-client.js'

export async function runProbe(client: NomadClient, p: ProbeSpec, authPath: string, timeoutMs: number): Promise<Finding> {
  const query = { namespace: p.namespace }
  const jobs = client.api.jobs()
  try {
    await jobs.register({ Job: probeJob(p) }, query)
    core.info(`check: probe job "${PROBE_JOB_ID}" registered in namespace "${p.namespace}"; waiting for its verdict.`)
    const deadline = Date.now() + timeoutMs
    let index = 0
    while (Date.now() < deadline) {
      const [allocs, meta] = await jobs.allocations(PROBE_JOB_ID, {
        ...query,
        index,
        waitMs: Math.min(5_000, Math.max(1, deadline - Date.now()))
      })
      index = meta.lastIndex ?? index
      const finding = probeFinding(allocs[0], p, authPath)
      if (finding) return finding
    }
    return {
      severity: 'warning',
      check: 'live-probe',
      message: `The probe job "${PROBE_JOB_ID}" in namespace "${p.namespace}" reached no verdict within ${Math.round(timeoutMs / 1000)}s.`,
      fix: 'Check that a client can place it (nomad job status); the Vault login and the template read happen before the task starts.'
    }
  } catch (err) {
    return {
      severity: 'warning',
      check: 'live-probe',
      message: `The probe job could not be run: ${errorMessage(err)}`,
      fix: `The nomad-token needs submit-job and read-job on namespace "${p.namespace}" for the probe.`
    }
  } finally {
    await purge(client, query)
  }
}

/** Purges the probe job; a 404 means it was never registered. */
async function purge(client: NomadClient, query: { namespace: string }): Promise<void> {
  try {
    await client.api.jobs().deregister(PROBE_JOB_ID, true, query)
    core.info(`check: probe job "${PROBE_JOB_ID}" purged.`)
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return
    core.warning(
      `check: the probe job "${PROBE_JOB_ID}" could not be purged (${errorMessage(err)}): run nomad job stop -purge -namespace ${query.namespace} ${PROBE_JOB_ID}.`
    )
  }
}
