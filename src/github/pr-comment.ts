/**
 * pr-comment: puts the run's summary (the plan) into ONE comment on the pull request and updates that comment in
 * place on later runs, found by a hidden marker for this workflow, job and job files (GitHub REST API: list, create and
 * update issue comments; src/github/rest.ts). A failure to comment is a warning, never a failed step.
 */
import * as core from '@actions/core'
import * as fs from 'node:fs'
import { errorMessage, HttpError } from '../errors.js'
import { gitHubRest } from './rest.js'

/** GitHub's limit for a comment body is 65536 characters. */
const MAX_BODY = 65_000

export function commentMarker(env: NodeJS.ProcessEnv, jobFiles: string[]): string {
  const key = [env.GITHUB_WORKFLOW ?? '', env.GITHUB_JOB ?? '', jobFiles.join(',')].join(' / ').replace(/--/g, '-')
  return `<!-- nomad-vault-action plan: ${key} -->`
}

/** The pull request number of this run, or undefined when the event is not about a pull request. */
export function pullRequestNumber(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (!env.GITHUB_EVENT_PATH) return undefined
  try {
    const payload = JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { pull_request?: { number?: number } }
    const n = payload.pull_request?.number
    return typeof n === 'number' && n > 0 ? n : undefined
  } catch {
    return undefined
  }
}

export async function publishPlanComment(token: string, markdown: string, jobFiles: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const number = pullRequestNumber(env)
  if (number === undefined) {
    core.info('pr-comment: this run is not for a pull request; no comment written.')
    return
  }
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/')
  const marker = commentMarker(env, jobFiles)
  let body = `${marker}\n${markdown}`
  if (body.length > MAX_BODY) body = `${body.slice(0, MAX_BODY)}\n\n… (cut at GitHub's comment size limit; the job summary has all of it)`
  try {
    const api = gitHubRest(token, env)
    const issue = `/repos/${owner}/${repo}/issues`
    const comments = await api.paginate<{ id: number; body?: string }>(`${issue}/${number}/comments`)
    const mine = comments.find((c) => c.body?.startsWith(marker))
    if (mine) {
      await api.request('PATCH', `${issue}/comments/${mine.id}`, { body })
      core.info(`pr-comment: updated the plan comment on pull request #${number}.`)
    } else {
      await api.request('POST', `${issue}/${number}/comments`, { body })
      core.info(`pr-comment: wrote the plan comment on pull request #${number}.`)
    }
  } catch (err) {
    const status = err instanceof HttpError ? err.status : undefined
    core.warning(
      `pr-comment: could not write the plan comment on pull request #${number}: ${errorMessage(err)}` +
        (status === 403 || status === 404
          ? '. The workflow needs "permissions: pull-requests: write" (pull requests from forks get a read-only token).'
          : '')
    )
  }
}
