/**
 * pr-comment: puts the run's summary (the plan) into ONE comment on the pull request and updates that comment in
 * place on later runs, found by a hidden marker for this workflow, job and job files (GitHub REST API: list, create and
 * update issue comments, through octokit in src/github/rest.ts; the event from @actions/github's context). main.ts
 * loads this module with import() only when pr-comment is set. A failure to comment is a warning, never a failed step.
 */
import * as core from '@actions/core'
import { context } from '@actions/github'
import { errorMessage, HttpError } from '../errors.js'
import { gitHubClient } from './rest.js'

/** GitHub's limit for a comment body is 65536 characters. */
const MAX_BODY = 65_000

/** The parts of @actions/github's context this module reads. */
export type CommentContext = Pick<typeof context, 'payload' | 'workflow' | 'job' | 'apiUrl' | 'repo'>

export function commentMarker(ctx: Pick<CommentContext, 'workflow' | 'job'>, jobFiles: string[]): string {
  const key = [ctx.workflow ?? '', ctx.job ?? '', jobFiles.join(',')].join(' / ').replace(/--/g, '-')
  return `<!-- nomad-vault-action plan: ${key} -->`
}

/** The pull request number of this run, or undefined when the event is not about a pull request. */
export function pullRequestNumber(ctx: Pick<CommentContext, 'payload'> = context): number | undefined {
  const n: unknown = ctx.payload.pull_request?.number
  return typeof n === 'number' && n > 0 ? n : undefined
}

export async function publishPlanComment(token: string, markdown: string, jobFiles: string[], ctx: CommentContext = context): Promise<void> {
  const number = pullRequestNumber(ctx)
  if (number === undefined) {
    core.info('pr-comment: this run is not for a pull request; no comment written.')
    return
  }
  const marker = commentMarker(ctx, jobFiles)
  let body = `${marker}\n${markdown}`
  if (body.length > MAX_BODY) body = `${body.slice(0, MAX_BODY)}\n\n… (cut at GitHub's comment size limit; the job summary has all of it)`
  try {
    const { owner, repo } = ctx.repo
    const octokit = gitHubClient(token, ctx.apiUrl)
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 })
    const mine = comments.find((c) => c.body?.startsWith(marker))
    if (mine) {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body })
      core.info(`pr-comment: updated the plan comment on pull request #${number}.`)
    } else {
      await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body })
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
