/**
 * Inputs of the GitHub-side features: fail-on-drift (a drift check: plan only, fail when Vault differs),
 * pr-comment (the plan as one pull-request comment, updated in place), deployment-environment (a GitHub
 * deployment record) and github-token (for the last two). Read after parseInputs, like the mode options.
 */
import * as core from '@actions/core'
import { ValidationErrors } from '../errors.js'
import type { Change } from '../vault/plan.js'

export interface GitHubOptions {
  failOnDrift: boolean
  prComment: boolean
  /** '' = no deployment record. */
  deploymentEnvironment: string
  token: string
}

export function parseGitHubOptions(read: (name: string) => string, dryRun: boolean): GitHubOptions {
  const problems: string[] = []
  const raw = (name: string) => (read(name) ?? '').trim()
  const bool = (name: string) => {
    const v = raw(name).toLowerCase()
    if (v === '' || v === 'false') return false
    if (v === 'true') return true
    problems.push(`Input "${name}" must be true or false, got "${raw(name)}".`)
    return false
  }
  const failOnDrift = bool('fail-on-drift')
  const prComment = bool('pr-comment')
  const deploymentEnvironment = raw('deployment-environment')
  const token = raw('github-token')
  if (token) core.setSecret(token)
  if ((prComment || deploymentEnvironment) && !token) {
    problems.push(
      `Input "github-token" is empty, but ${prComment ? 'pr-comment' : 'deployment-environment'} needs it: leave it at its default (\${{ github.token }}) or pass a token.`
    )
  }
  if (deploymentEnvironment && (failOnDrift || dryRun)) {
    problems.push(
      `Input "deployment-environment" records a deployment, but ${failOnDrift ? 'fail-on-drift' : 'dry-run'} deploys nothing: remove one of them.`
    )
  }
  if (deploymentEnvironment.length > 255) problems.push('Input "deployment-environment" is longer than 255 characters.')
  if (problems.length > 0) throw new ValidationErrors(problems)
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
