/**
 * deployment-environment: a GitHub deployment record for this run, so that the repository's Environments page shows
 * what went where. Created (state in_progress) before the first job is registered, and finished with success or
 * failure; needs "permissions: deployments: write". Octokit is loaded only here. A failure to record is a warning.
 */
import * as core from '@actions/core'
import { errorMessage } from '../errors.js'
import { loadOctokit, type Octokit } from './octokit.js'

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
  let octokit: Octokit
  let id: number
  try {
    octokit = await loadOctokit(token)
    const res = await octokit.rest.repos.createDeployment({
      owner,
      repo,
      ref: env.GITHUB_SHA || env.GITHUB_REF || 'HEAD',
      environment,
      auto_merge: false,
      required_contexts: [],
      description: `Nomad job(s) ${jobIds.join(', ')}`.slice(0, 140),
      payload: { jobs: jobIds }
    })
    if (!('id' in res.data)) throw new Error(res.data.message ?? 'no deployment created')
    id = res.data.id
    await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: id, state: 'in_progress', log_url: logUrl })
    core.info(`GitHub deployment ${id} to environment "${environment}" started.`)
  } catch (err) {
    const status = (err as { status?: number }).status
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
        await octokit.rest.repos.createDeploymentStatus({
          owner,
          repo,
          deployment_id: id,
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
