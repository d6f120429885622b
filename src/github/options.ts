/**
 * Inputs of the GitHub-side features: fail-on-drift (a drift check: plan only, fail when Vault differs),
 * pr-comment (the plan as one pull-request comment, updated in place), deployment-environment (a GitHub
 * deployment record) and github-token (for the last two). Read with the common inputs (src/inputs/read-inputs.ts).
 */
import type { Collector } from '../inputs/collector.js'
import type { Change } from '../vault/plan-vault.js'

export interface GitHubOptions {
  failOnDrift: boolean
  prComment: boolean
  /** '' = no deployment record. */
  deploymentEnvironment: string
  token: string
}

export function readGitHubOptions(c: Collector, dryRun: boolean): GitHubOptions {
  const failOnDrift = c.bool('fail-on-drift')
  const prComment = c.bool('pr-comment')
  const deploymentEnvironment = c.text('deployment-environment')
  const token = c.secret('github-token')
  if ((prComment || deploymentEnvironment) && !token) {
    c.problem(
      `Input "github-token" is empty, but ${prComment ? 'pr-comment' : 'deployment-environment'} needs it: leave it at its default (\${{ github.token }}) or pass a token.`
    )
  }
  if (deploymentEnvironment && (failOnDrift || dryRun)) {
    c.problem(
      `Input "deployment-environment" records a deployment, but ${failOnDrift ? 'fail-on-drift' : 'dry-run'} deploys nothing: remove one of them.`
    )
  }
  return { failOnDrift, prComment, deploymentEnvironment, token }
}

/** With fail-on-drift: the message that fails the step when Vault differs from the desired state, else undefined. */
export function driftFailure(changes: Pick<Change, 'action' | 'path' | 'diff'>[]): string | undefined {
  if (changes.length === 0) return undefined
  const lines = changes.map((c) => `- ${c.action} ${c.path}${c.diff.length ? ` (${c.diff.map((d) => d.field).join(', ')})` : ''}`)
  return (
    `Vault has drifted from the desired state (fail-on-drift): ${changes.length} change(s) would be made:\n${lines.join('\n')}\n` +
    'Nothing was written. Run the action without fail-on-drift (or re-run the release) to repair it, or change the inputs if the new state is intended.'
  )
}
