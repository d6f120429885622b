/**
 * deployment-environment: a GitHub deployment record for this run, so that the repository's Environments page shows
 * what went where. Created (state in_progress) before the first job is registered, and finished with success or
 * failure; needs "permissions: deployments: write". GitHub REST API: create a deployment, create a deployment status
 * (src/github/rest.ts). A failure to record is a warning.
 */
import * as core from '@actions/core'
import { errorMessage, HttpError } from '../errors.js'
import { gitHubRest } from './rest.js'

export interface DeploymentRecord {
  id: number
  finish(state: 'success' | 'failure'): Promise<void>
}

export async function startDeploymentRecord(
  token: string,
  environment: string,
  jobIds: string[],
  env: NodeJS.ProcessEnv = process.env
): Promise<DeploymentRecord | undefined> {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  const logUrl = env.GITHUB_RUN_ID ? `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${owner}/${repo}/actions/runs/${env.GITHUB_RUN_ID}` : undefined
  const api = gitHubRest(token, env)
  const deployments = `/repos/${owner}/${repo}/deployments`
  let id: number
  try {
    // 201 with the deployment; 202 with only a message when GitHub merged the default branch into the ref first.
    const res = await api.request<{ id?: number; message?: string }>('POST', deployments, {
      ref: env.GITHUB_SHA || env.GITHUB_REF || 'HEAD',
      environment,
      auto_merge: false,
      required_contexts: [],
      description: `Nomad job(s) ${jobIds.join(', ')}`.slice(0, 140),
      payload: { jobs: jobIds }
    })
    if (typeof res?.id !== 'number') throw new Error(res?.message ?? 'no deployment created')
    id = res.id
    await api.request('POST', `${deployments}/${id}/statuses`, { state: 'in_progress', log_url: logUrl })
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
        await api.request('POST', `${deployments}/${id}/statuses`, {
          state,
          log_url: logUrl,
          auto_inactive: state === 'success'
        })
        core.info(`GitHub deployment ${id}: ${state}.`)
      } catch (err) {
        core.warning(`deployment-environment: could not set deployment ${id} to ${state}: ${errorMessage(err)}`)
      }
    }
  }
}
