/**
 * The few GitHub REST API calls the action makes (pr-comment, deployment-environment), sent through our transport
 * (src/transport) instead of octokit: octokit with its HTTP stack (undici) would be about 550 kB of the bundle for five
 * endpoints (BENCHMARKS.md). What this follows from GitHub's REST API docs: the base URL is GITHUB_API_URL
 * (https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server), `Authorization: token <token>`,
 * `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28`, a User-Agent is required, list
 * endpoints take `per_page` (at most 100) and give the next page in the `Link` header (rel="next"), and an error
 * answer is JSON with a `message`.
 */
import { HttpError } from '../errors.js'
import { Transport } from '../transport/index.js'

export interface GitHubRest {
  /** One request with a JSON body (or none); resolves with the parsed JSON answer. */
  request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T>
  /** Every item of a list endpoint, page by page (per_page=100, following Link rel="next"). */
  paginate<T>(path: string): Promise<T[]>
}

export function gitHubRest(token: string, env: NodeJS.ProcessEnv = process.env): GitHubRest {
  const base = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '')
  const transport = new Transport({ base, server: { name: 'the GitHub API', addr: 'GITHUB_API_URL' }, secrets: () => [token] })
  const headers = {
    Accept: 'application/vnd.github+json',
    Authorization: `token ${token}`,
    'User-Agent': 'nomad-vault-action',
    'X-GitHub-Api-Version': '2022-11-28'
  }

  async function send(method: string, path: string, body?: unknown): Promise<{ data: unknown; link: string }> {
    const res = await transport.request({
      method,
      path,
      headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    let data: unknown
    try {
      data = res.body === '' ? undefined : JSON.parse(res.body)
    } catch {
      data = res.body
    }
    if (res.status >= 400) {
      const said = (data as { message?: unknown } | undefined)?.message
      const shown = /^https?:/.test(path) ? new URL(path).pathname : path.split('?')[0]
      throw new HttpError('GitHub', method, shown, res.status, typeof said === 'string' ? said : '')
    }
    const link = res.headers.link
    return { data, link: (Array.isArray(link) ? link[0] : link) ?? '' }
  }

  return {
    async request<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
      return (await send(method, path, body)).data as T
    },
    async paginate<T>(path: string): Promise<T[]> {
      const items: T[] = []
      let next: string | undefined = `${path}${path.includes('?') ? '&' : '?'}per_page=100`
      while (next) {
        const page: { data: unknown; link: string } = await send('GET', next)
        if (Array.isArray(page.data)) items.push(...(page.data as T[]))
        next = /<([^>]+)>;\s*rel="next"/.exec(page.link)?.[1]
      }
      return items
    }
  }
}
