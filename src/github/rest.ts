/**
 * The GitHub REST client of pr-comment and deployment-environment: @actions/github's octokit, with the transport
 * (src/transport) as its fetch, so that retries, timeouts, proxies, TLS and redaction are the ones every other request
 * of the action gets, and no second HTTP stack runs. Loaded only by the modules main.ts imports with import() when one
 * of those inputs is set (a run without them never loads octokit). The base URL is GITHUB_API_URL
 * (https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server); requests carry GitHub's recommended
 * `Accept: application/vnd.github+json` and `X-GitHub-Api-Version: 2022-11-28` (GitHub's REST API docs). Errors are
 * the project's HttpError ("GitHub POST /repos/… failed with HTTP 403: <GitHub's message>") or the transport's
 * NetworkError/RedirectError.
 */
import * as core from '@actions/core'
import { getOctokit } from '@actions/github'
import { HttpError } from '../errors.js'
import { NetworkError, RedirectError, Transport, transportFetch } from '../transport/index.js'

export type GitHubClient = ReturnType<typeof getOctokit>

export function gitHubClient(token: string, apiUrl: string): GitHubClient {
  const base = (apiUrl || 'https://api.github.com').replace(/\/+$/, '')
  const transport = new Transport({ base, server: { name: 'the GitHub API', addr: 'GITHUB_API_URL' }, secrets: () => [token] })
  const octokit = getOctokit(token, {
    baseUrl: base,
    userAgent: 'nomad-vault-action',
    request: { fetch: transportFetch(transport) },
    log: { debug: core.debug, info: core.debug, warn: core.info, error: core.info }
  })
  octokit.hook.before('request', (options) => {
    options.headers.accept = 'application/vnd.github+json'
    options.headers['x-github-api-version'] = '2022-11-28'
  })
  octokit.hook.error('request', (err) => {
    throw gitHubError(err, base)
  })
  return octokit
}

/** octokit's RequestError as our HttpError (path under the base URL, GitHub's message); the transport's errors as they are. */
function gitHubError(err: unknown, base: string): unknown {
  const cause = (err as { cause?: unknown }).cause
  if (cause instanceof NetworkError || cause instanceof RedirectError) return cause
  const e = err as { status?: unknown; request?: { method?: string; url?: string }; response?: { data?: unknown } }
  if (typeof e.status !== 'number' || !e.response || !e.request?.url) return err
  const said = (e.response.data as { message?: unknown } | undefined)?.message
  const prefix = new URL(base).pathname.replace(/\/+$/, '')
  const pathname = new URL(e.request.url, base).pathname
  const shown = prefix && pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : pathname
  return new HttpError('GitHub', e.request.method ?? 'GET', shown, e.status, typeof said === 'string' ? said : '')
}
