/**
 * deployment-environment: a GitHub deployment record for this run, so that the repository's Environments page shows
 * what went where. Created (state in_progress) before the first job is registered, and finished with success or
 * failure; needs "permissions: deployments: write". GitHub REST API: create a deployment, create a deployment status
 * (through octokit in src/github/rest.ts; repository, commit and run from @actions/github's context). main.ts loads
 * this module with import() only when deployment-environment is set. A failure to record is a warning.
 */
import * as core from '@actions/core'
import { context } from '@actions/github'
import { errorMessage, HttpError } from '../errors.js'
import { gitHubClient } from './rest.js'

export interface DeploymentRecord {
  id: number
  finish(state: 'success' | 'failure'): Promise<void>
}

/** The parts of @actions/github's context this module reads. */
export type DeploymentContext = Pick<typeof context, 'repo' | 'sha' | 'ref' | 'runId' | 'serverUrl' | 'apiUrl'>

export async function startDeploymentRecord(
  token: string,
  environment: string,
  jobIds: string[],
  ctx: DeploymentContext = context
): Promise<DeploymentRecord | undefined> {
  let id: number
  let finishWith: (state: 'success' | 'failure') => Promise<unknown>
  try {
    const { owner, repo } = ctx.repo
    const logUrl = Number.isInteger(ctx.runId) && ctx.runId > 0 ? `${ctx.serverUrl}/${owner}/${repo}/actions/runs/${ctx.runId}` : undefined
    const octokit = gitHubClient(token, ctx.apiUrl)
    // 201 with the deployment; 202 with only a message when GitHub merged the default branch into the ref first.
    const res = await octokit.rest.repos.createDeployment({
      owner,
      repo,
      ref: ctx.sha || ctx.ref || 'HEAD',
      environment,
      auto_merge: false,
      required_contexts: [],
      description: `Nomad job(s) ${jobIds.join(', ')}`.slice(0, 140),
      payload: { jobs: jobIds }
    })
    const data = res.data as { id?: unknown; message?: string }
    if (typeof data?.id !== 'number') throw new Error(data?.message ?? 'no deployment created')
    const deployment = data.id
    id = deployment
    finishWith = (state) =>
      octokit.rest.repos.createDeploymentStatus({
        owner,
        repo,
        deployment_id: deployment,
        state,
        log_url: logUrl,
        auto_inactive: state === 'success'
      })
    await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: id, state: 'in_progress', log_url: logUrl })
    core.info(`GitHub deployment ${id} to environment "${environment}" started.`)
  } catch (err) {
    const status = err instanceof HttpError ? err.status : undefined
    core.warning(
      `deployment-environment: could not create the GitHub deployment record: ${errorMessage(err)}` +
        (status === 403 || status === 404 ? '. The workflow needs "permissions: deployments: write".' : '')
    )
    return undefined
  }
  return {
    id,
    async finish(state) {
      try {
        await finishWith(state)
        core.info(`GitHub deployment ${id}: ${state}.`)
      } catch (err) {
        core.warning(`deployment-environment: could not set deployment ${id} to ${state}: ${errorMessage(err)}`)
      }
    }
  }
}
