/**
 * The workflow's GitHub OIDC token (a JWT), fetched through our transport as @actions/core's getIDToken does it
 * (its lib/oidc-utils.js, and GitHub's docs "About security hardening with OpenID Connect" → "Updating your
 * actions for OIDC"): GET $ACTIONS_ID_TOKEN_REQUEST_URL with `&audience=<url-encoded audience>` appended when one
 * is asked for, `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answer JSON `{"value": "<jwt>"}`.
 * Not through core.getIDToken: that would bring @actions/http-client's HTTP stack (and undici) onto the start-up
 * path (BENCHMARKS.md). GitHub's token endpoint fails now and then, so the call is retried with exponential backoff.
 * The token is masked (core.setSecret, through addSecret) the moment it arrives and is never logged; neither is the request token.
 */
import * as core from '@actions/core'
import { ActionError, errorMessage } from '../errors.js'
import { addSecret, Transport } from '../transport/index.js'

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
export async function getGitHubIdToken(
  audience: string,
  who: string,
  opts: IdTokenOptions = {},
  env: NodeJS.ProcessEnv = process.env
): Promise<string> {
  const reason = missingIdTokenReason(env)
  if (reason) throw new ActionError(`Cannot sign in with ${who}: ${reason}.`)
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL as string
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN as string
  // Kept out of our messages (redact); not announced with ::add-mask:: (core.getIDToken does not either).
  addSecret(requestToken, true)
  const url = audience ? `${requestUrl}&audience=${encodeURIComponent(audience)}` : requestUrl
  // As core.getIDToken logs it (the URL carries no secret: the request token goes in the header).
  core.debug(`ID token url is ${url}`)
  const attempts = opts.attempts ?? 4
  const base = opts.baseDelayMs ?? 1000
  // The attempts below are the retries (the transport's own retries would multiply them).
  const transport = new Transport({
    base: new URL(requestUrl).origin,
    server: { name: "GitHub's OIDC token service", addr: 'ACTIONS_ID_TOKEN_REQUEST_URL' },
    retry: { maxRetries: 0 }
  })
  let last = ''
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const token = await requestIdToken(transport, url, requestToken)
      addSecret(token)
      return token
    } catch (err) {
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

/** One request: the token, or an Error with the status and the service's message (never the request token). */
async function requestIdToken(transport: Transport, url: string, requestToken: string): Promise<string> {
  const res = await transport.request({
    method: 'GET',
    path: url,
    headers: { Accept: 'application/json', Authorization: `Bearer ${requestToken}`, 'User-Agent': 'actions/oidc-client' }
  })
  let body: { value?: unknown; message?: unknown } | undefined
  try {
    body = JSON.parse(res.body) as typeof body
  } catch {
    body = undefined
  }
  if (res.status !== 200) {
    const said = typeof body?.message === 'string' ? `: ${body.message}` : ''
    const hint = res.status === 401 || res.status === 403 ? ' (check "permissions: id-token: write" for this job)' : ''
    throw new Error(`GET ${new URL(url).pathname} answered HTTP ${res.status}${said}${hint}`)
  }
  if (typeof body?.value !== 'string' || body.value === '') throw new Error('the answer has no "value" field with the token')
  return body.value
}
