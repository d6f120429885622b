/**
 * The jobs a cancelled run had registered: after SIGINT/SIGTERM while following (src/cancel.ts), main.ts reports
 * them with verdict "registered" and their latest deployment, because Nomad carries on without the action.
 */
import type { NomadClient } from './nomad-client.js'
import type { JobResult } from './result.js'

/**
 * After a cancel while following: the jobs this run registered (verdict "registered": the action stopped following,
 * Nomad goes on), with their latest deployment's ID when Nomad answers within a second.
 */
export async function registeredSoFar(started: JobResult[], client: NomadClient | undefined): Promise<JobResult[]> {
  const registered = started.filter((j) => j.evalId || j.jobModifyIndex !== undefined)
  await Promise.all(
    registered.map(async (j) => {
      j.verdict = 'registered'
      j.reason = 'The run was cancelled while following this job; the deployment continues in Nomad.'
      if (j.deploymentId || !client) return
      const deployment = client.api
        .jobs()
        .latestDeployment(j.jobId, { namespace: j.namespace })
        .then(
          ([d]) => d,
          () => null
        )
      const d = await Promise.race([deployment, new Promise<null>((r) => setTimeout(() => r(null), 1000).unref())])
      if (d?.ID) {
        j.deploymentId = d.ID
        if (d.Status) j.deploymentStatus = d.Status
      }
    })
  )
  return registered
}
