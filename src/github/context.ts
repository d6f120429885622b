/**
 * The workflow run, read from the runner's GITHUB_* environment variables (documented in GitHub's "Variables
 * reference"), for every run: Job.Meta, the summary and the `release` output. No package is loaded for this:
 * @actions/github's `context` reads the same variables, but importing it loads octokit, which only pr-comment and
 * deployment-environment need (they use `context`, loaded with import()). Splits the facts into release metadata
 * that is stable for one commit (safe in Job.Meta) and per-run facts (summary and outputs only).
 */

export interface RunContext {
  sha: string
  ref: string
  /** owner/repo */
  repository: string
  workflow: string
  serverUrl: string
  runId: string
  runAttempt: string
  actor: string
}

export function runContextFromEnv(env: NodeJS.ProcessEnv = process.env): RunContext {
  const v = (name: string) => (env[name] ?? '').trim()
  return {
    sha: v('GITHUB_SHA'),
    ref: v('GITHUB_REF'),
    repository: v('GITHUB_REPOSITORY'),
    workflow: v('GITHUB_WORKFLOW'),
    serverUrl: v('GITHUB_SERVER_URL'),
    runId: /^[1-9][0-9]*$/.test(v('GITHUB_RUN_ID')) ? v('GITHUB_RUN_ID') : '',
    runAttempt: /^[1-9][0-9]*$/.test(v('GITHUB_RUN_ATTEMPT')) ? v('GITHUB_RUN_ATTEMPT') : '',
    actor: v('GITHUB_ACTOR')
  }
}

/**
 * Keys the action writes into Job.Meta: the same for every run of one commit. Real Nomad treats any Job.Meta
 * change as a destructive update of every task (and with canaries stops at awaiting-promotion), so a per-run key
 * such as the run ID would roll every allocation on a re-run of the same commit.
 */
export const STABLE_META_KEYS = ['github_sha', 'github_ref', 'github_repository', 'github_workflow'] as const

/** Release metadata for Job.Meta; keys whose source is unset (outside Actions) are left out. */
export function releaseMeta(ctx: RunContext): Record<string, string> {
  const values: Record<(typeof STABLE_META_KEYS)[number], string> = {
    github_sha: ctx.sha,
    github_ref: ctx.ref,
    github_repository: /^[^/\s]+\/[^/\s]+$/.test(ctx.repository) ? ctx.repository : '',
    github_workflow: ctx.workflow
  }
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ''))
}

/** Facts of this run: for the summary and the `release` output, never Job.Meta. */
export function runFacts(ctx: RunContext): Record<string, string> {
  const repository = /^[^/\s]+\/[^/\s]+$/.test(ctx.repository) ? ctx.repository : ''
  const server = (ctx.serverUrl || 'https://github.com').replace(/\/+$/, '')
  const facts: Record<string, string> = {
    github_run_id: ctx.runId,
    github_run_attempt: ctx.runAttempt,
    github_run_url:
      repository && ctx.runId ? `${server}/${repository}/actions/runs/${ctx.runId}${ctx.runAttempt ? `/attempts/${ctx.runAttempt}` : ''}` : '',
    github_actor: ctx.actor
  }
  return Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== ''))
}
