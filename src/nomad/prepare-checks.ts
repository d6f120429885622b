/**
 * Checks of the parsed jobs as a set, before the first write of the run (Vault included): no two job files define
 * the same job (region, namespace and ID, where the run deploys it), and every namespace the jobs deploy to exists
 * in Nomad (GET /v1/namespace/:name).
 */
import * as core from '@actions/core'
import type { NomadConnection } from '../config.js'
import { ActionError, HttpError } from '../errors.js'
import type { NomadClient } from './nomad-client.js'
import type { LoadedJob } from './jobfile.js'

/** Where the run deploys a job: the connection's namespace/region override the job's (as deploy-job.ts does). */
export function jobTarget(conn: Pick<NomadConnection, 'namespace' | 'region'>, job: LoadedJob['job']): { namespace: string; region: string } {
  const namespace = conn.namespace || String(job.Namespace || '') || 'default'
  const region = conn.region || (job.Region && job.Region !== 'global' ? String(job.Region) : '')
  return { namespace, region }
}

/** Refuses two files that define the same job: they would plan against one job and the second would undo the first. */
export function checkDistinctJobs(conn: Pick<NomadConnection, 'namespace' | 'region'>, jobs: LoadedJob[]): void {
  const seen = new Map<string, LoadedJob>()
  const problems: string[] = []
  let repeated: string | undefined
  for (const loaded of jobs) {
    const { namespace, region } = jobTarget(conn, loaded.job)
    const key = JSON.stringify([region, namespace, String(loaded.job.ID)])
    const first = seen.get(key)
    if (!first) {
      seen.set(key, loaded)
      continue
    }
    repeated ??= loaded.file
    problems.push(
      `Job files "${first.file}" and "${loaded.file}" both define job "${String(loaded.job.ID)}" in namespace "${namespace}"` +
        `${region ? ` (region "${region}")` : ''}: one run cannot deploy both (they would plan against the same job and one would replace the other). ` +
        `Give one of them another job ID (the label of its \`job "…"\` block), or deploy them to different namespaces.`
    )
  }
  // The annotation goes on the first file that repeats a job.
  if (repeated) throw new ActionError(`${problems.join('\n')}\nNothing was changed.`, { annotation: { file: repeated } })
}

/**
 * Reads every namespace the jobs deploy to. 404 "Namespace not found": it does not exist. 403: the token has no
 * capability in it (Nomad authorizes the read with any capability on the namespace: nomad/namespace_endpoint.go
 * GetNamespace), so it could not plan or register there either, whether it exists or not.
 */
export async function checkNamespaces(client: NomadClient, jobs: LoadedJob[]): Promise<void> {
  const byNamespace = new Map<string, { region: string; files: string[] }>()
  for (const loaded of jobs) {
    const { namespace, region } = jobTarget(client.conn, loaded.job)
    const key = `${region}\n${namespace}`
    const entry = byNamespace.get(key) ?? { region, files: [] }
    entry.files.push(loaded.file)
    byNamespace.set(key, entry)
  }
  const api = client.api
  const problems: string[] = []
  await Promise.all(
    [...byNamespace].map(async ([key, { region, files }]) => {
      const namespace = key.split('\n')[1]
      const where = `${files.length === 1 ? `Job file "${files[0]}"` : `Job files ${files.map((f) => `"${f}"`).join(', ')}`} deploy${files.length === 1 ? 's' : ''} to Nomad namespace "${namespace}"`
      try {
        await api.namespaces().info(namespace, { region: region || undefined })
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        if (err.status === 404 && /namespace not found/i.test(err.serverMessage)) {
          problems.push(
            `${where}, which does not exist on this Nomad cluster. Create it (\`nomad namespace apply ${namespace}\`), or set the ` +
              "`nomad-namespace` input (or the job's `namespace`) to an existing one."
          )
        } else if (err.status === 403) {
          problems.push(
            `${where}, but the ACL token in \`nomad-token\` has no capability in that namespace (${err.serverMessage || 'Permission denied'}), ` +
              'so it can neither read it nor deploy to it (and Nomad does not tell whether the namespace exists). Give the token a policy with ' +
              `namespace "${namespace}" { capabilities = ["submit-job", "read-job"] }, or fix the namespace.`
          )
        } else if (err.status === 404) {
          // Not Nomad's answer for a missing namespace (a proxy path?): the plan will tell.
          core.warning(`Could not check that Nomad namespace "${namespace}" exists: ${err.message}`)
        } else {
          throw err
        }
      }
    })
  )
  if (problems.length) throw new ActionError(`${problems.sort().join('\n')}\nNothing was changed.`)
}
