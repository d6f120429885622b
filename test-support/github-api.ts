/**
 * A stand-in for the GitHub REST API (GITHUB_API_URL) with the endpoints the action calls (src/github/rest.ts): issue
 * comments (list, create, update) and deployments (create, create status). It checks the `Authorization: token …`
 * header and records every request, so that tests assert on what the action sent.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ApiRequest {
  method: string
  path: string
  /** The JSON object sent ({} when none). */
  body: Record<string, unknown>
}

export interface GitHubApi {
  url: string
  token: string
  requests: ApiRequest[]
  comments: { id: number; issue: number; body: string }[]
  deployments: { id: number; environment: string; ref: string; statuses: string[] }[]
  /** Answer every request with this status (e.g. 403) until reset with undefined. */
  failWith(status: number | undefined): void
  close(): Promise<void>
}

export async function startGitHubApi(token = 'ghs_test_token_0123456789'): Promise<GitHubApi> {
  const requests: ApiRequest[] = []
  const comments: GitHubApi['comments'] = []
  const deployments: GitHubApi['deployments'] = []
  let nextId = 1000
  let failing: number | undefined
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', 'http://x')
    const r: ApiRequest = { method: req.method ?? 'GET', path: url.pathname, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
    requests.push(r)
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (req.headers.authorization !== `token ${token}`) return send(401, { message: 'Bad credentials' })
    if (failing) return send(failing, { message: failing === 403 ? 'Resource not accessible by integration' : 'error' })
    let m: RegExpExecArray | null
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(r.path))) {
      const issue = Number(m[1])
      if (r.method === 'GET')
        return send(
          200,
          comments.filter((c) => c.issue === issue).map((c) => ({ id: c.id, body: c.body }))
        )
      if (r.method === 'POST') {
        const c = { id: nextId++, issue, body: String(r.body.body) }
        comments.push(c)
        return send(201, { id: c.id, body: c.body })
      }
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(r.path)) && r.method === 'PATCH') {
      const c = comments.find((x) => x.id === Number(m![1]))
      if (!c) return send(404, { message: 'Not Found' })
      c.body = String(r.body.body)
      return send(200, { id: c.id, body: c.body })
    }
    if (/^\/repos\/[^/]+\/[^/]+\/deployments$/.test(r.path) && r.method === 'POST') {
      const d = { id: nextId++, environment: String(r.body.environment), ref: String(r.body.ref), statuses: [] as string[] }
      deployments.push(d)
      return send(201, { id: d.id, environment: d.environment, ref: d.ref })
    }
    if ((m = /^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(r.path)) && r.method === 'POST') {
      const d = deployments.find((x) => x.id === Number(m![1]))
      if (!d) return send(404, { message: 'Not Found' })
      d.statuses.push(String(r.body.state))
      return send(201, { id: nextId++, state: r.body.state })
    }
    send(404, { message: 'Not Found' })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    requests,
    comments,
    deployments,
    failWith(status) {
      failing = status
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
