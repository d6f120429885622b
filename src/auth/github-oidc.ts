/**
 * The workflow's GitHub OIDC token (a JWT), from core.getIDToken. GitHub's token endpoint fails now and then, so the
 * call is retried with exponential backoff. core.getIDToken masks the token itself; it is never logged here.
 */
import * as core from '@actions/core'
import { ActionError, errorMessage } from '../errors.js'

export interface IdTokenOptions {
  /** Attempts in all (default 4). */
  attempts?: number
  /** Delay before the second attempt, doubled after each failure (default 1000 ms). */
  baseDelayMs?: number
}

/** Why no ID token can be requested at all, or undefined when the runner offers one. */
export function missingIdTokenReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = ['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'].filter((k) => !env[k])
  if (missing.length === 0) return undefined
  return (
    `the runner did not provide ${missing.join(' and ')}. GitHub only issues an OIDC token to a job with ` +
    '"permissions: id-token: write" (add it to the workflow or the job), and never to a pull_request run from a fork'
  )
}

/**
 * Requests an ID token for `audience` ('' = GitHub's default audience, the URL of the repository owner).
 * `who` names the input that asked for it, for messages ("vault-auth-method: jwt").
 */
export async function getGitHubIdToken(audience: string, who: string, opts: IdTokenOptions = {}): Promise<string> {
  const reason = missingIdTokenReason()
  if (reason) throw new ActionError(`Cannot sign in with ${who}: ${reason}.`)
  const attempts = opts.attempts ?? 4
  const base = opts.baseDelayMs ?? 1000
  let last = ''
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await core.getIDToken(audience || undefined)
    } catch (err) {
      // @actions/core's message spreads over several lines with extra blanks; keep it on one line.
      last = errorMessage(err).replace(/\s+/g, ' ').trim()
      if (attempt < attempts) {
        const wait = base * 2 ** (attempt - 1)
        core.info(`GitHub OIDC token request failed (attempt ${attempt} of ${attempts}): ${last}; retrying in ${wait} ms`)
        await new Promise((r) => setTimeout(r, wait))
      }
    }
  }
  throw new ActionError(
    `Cannot sign in with ${who}: GitHub did not issue an OIDC token after ${attempts} attempts (${last}). ` +
      'This is usually a transient GitHub problem: re-run the job.'
  )
}
