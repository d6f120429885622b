import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from '@jest/globals'
import { releaseMeta, runContextFromEnv, runFacts, STABLE_META_KEYS } from '../src/github/context.js'
import { HttpError } from '../src/errors.js'
import { gitHubClient } from '../src/github/rest.js'
import { NetworkError } from '../src/transport/index.js'
import { setRetryDefaults } from '../src/transport/retry.js'
import { startHttpStub } from '../test-support/http-stub.js'

const env = {
  GITHUB_SHA: 'deadbeef',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_WORKFLOW: 'deploy',
  GITHUB_SERVER_URL: 'https://github.example.com/',
  GITHUB_RUN_ID: '1234',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_ACTOR: 'octocat'
}

describe('release metadata from the runner environment', () => {
  it('puts only keys that are stable for one commit into Job.Meta', () => {
    expect(releaseMeta(runContextFromEnv(env))).toEqual({
      github_sha: 'deadbeef',
      github_ref: 'refs/heads/main',
      github_repository: 'acme/shop',
      github_workflow: 'deploy'
    })
  })

  it('gives the same Job.Meta for another run, attempt and actor of the same commit', () => {
    const rerun = { ...env, GITHUB_RUN_ID: '9999', GITHUB_RUN_ATTEMPT: '1', GITHUB_ACTOR: 'someone-else' }
    expect(releaseMeta(runContextFromEnv(rerun))).toEqual(releaseMeta(runContextFromEnv(env)))
    expect(Object.keys(releaseMeta(runContextFromEnv(env))).sort()).toEqual([...STABLE_META_KEYS].sort())
  })

  it('keeps per-run facts, with the run URL of this attempt, out of the meta', () => {
    const facts = runFacts(runContextFromEnv(env))
    expect(facts).toEqual({
      github_run_id: '1234',
      github_run_attempt: '2',
      github_run_url: 'https://github.example.com/acme/shop/actions/runs/1234/attempts/2',
      github_actor: 'octocat'
    })
    for (const key of Object.keys(facts)) expect(STABLE_META_KEYS).not.toContain(key)
  })

  it('leaves out what is unset or malformed (outside Actions)', () => {
    const ctx = runContextFromEnv({ GITHUB_SHA: 'abc', GITHUB_RUN_ID: 'NaN', GITHUB_REPOSITORY: 'no-slash' })
    expect(releaseMeta(ctx)).toEqual({ github_sha: 'abc' })
    expect(runFacts(ctx)).toEqual({})
  })
})

describe('gitHubClient (octokit over the transport, for pr-comment and deployment-environment)', () => {
  /** A GitHub Enterprise-style API under /api/v3 that lists 250 comments 100 per page with Link headers. */
  async function pagedApi(): Promise<{ url: string; seen: string[]; close: () => Promise<void> }> {
    const seen: string[] = []
    const server = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x')
      seen.push(
        `${req.method} ${u.pathname}${u.search} ${req.headers.authorization} ${req.headers.accept} ${req.headers['user-agent'] ? 'ua' : 'no-ua'}`
      )
      if (u.pathname === '/api/v3/repos/acme/shop/issues/7/comments' && req.method === 'GET') {
        const page = Number(u.searchParams.get('page') ?? '1')
        const per = Number(u.searchParams.get('per_page'))
        const all = Array.from({ length: 250 }, (_, i) => ({ id: i + 1, body: `c${i + 1}` }))
        const self = `http://${req.headers.host}/api/v3/repos/acme/shop/issues/7/comments?per_page=${per}`
        if (page * per < all.length) res.setHeader('Link', `<${self}&page=${page + 1}>; rel="next", <${self}&page=3>; rel="last"`)
        res.setHeader('Content-Type', 'application/json')
        return res.end(JSON.stringify(all.slice((page - 1) * per, page * per)))
      }
      res.writeHead(403, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify({ message: 'Resource not accessible by integration' }))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`
    return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
  }

  it('follows Link rel="next" under a GITHUB_API_URL with a path, with the token and GitHub headers', async () => {
    const api = await pagedApi()
    try {
      const octokit = gitHubClient('ghs_example', `${api.url}/`)
      const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner: 'acme', repo: 'shop', issue_number: 7, per_page: 100 })
      expect(comments.map((c) => c.id)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1))
      expect(api.seen).toEqual([
        'GET /api/v3/repos/acme/shop/issues/7/comments?per_page=100 token ghs_example application/vnd.github+json ua',
        'GET /api/v3/repos/acme/shop/issues/7/comments?per_page=100&page=2 token ghs_example application/vnd.github+json ua',
        'GET /api/v3/repos/acme/shop/issues/7/comments?per_page=100&page=3 token ghs_example application/vnd.github+json ua'
      ])
    } finally {
      await api.close()
    }
  })

  it('rejects an error answer with its status and GitHub message, without the token', async () => {
    const api = await pagedApi()
    try {
      const octokit = gitHubClient('ghs_secret_value', api.url)
      const err = await octokit.rest.repos.createDeployment({ owner: 'acme', repo: 'shop', ref: 'main' }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(HttpError)
      expect((err as HttpError).status).toBe(403)
      expect((err as HttpError).message).toBe('GitHub POST /repos/acme/shop/deployments failed with HTTP 403: Resource not accessible by integration')
    } finally {
      await api.close()
    }
  })

  it('sends through the transport: a 503 on a read is retried, an empty 204 answer is fine', async () => {
    setRetryDefaults({ baseDelayMs: 1, maxDelayMs: 5 })
    let calls = 0
    const api = await startHttpStub((req) => {
      if (req.path === '/repos/acme/shop/issues/7/comments') {
        calls++
        return calls === 1 ? { status: 503, json: { message: 'try later' } } : { json: [{ id: 1, body: 'x' }] }
      }
      return { status: 204 }
    })
    try {
      const octokit = gitHubClient('ghs_example', api.url)
      const list = await octokit.rest.issues.listComments({ owner: 'acme', repo: 'shop', issue_number: 7 })
      expect(list.data.map((c) => c.id)).toEqual([1])
      expect(api.seen.map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET /repos/acme/shop/issues/7/comments',
        'GET /repos/acme/shop/issues/7/comments'
      ])
      expect(api.seen[0].headers['x-github-api-version']).toBe('2022-11-28')
      const deleted = await octokit.rest.issues.deleteComment({ owner: 'acme', repo: 'shop', comment_id: 1 })
      expect(deleted.status).toBe(204)
    } finally {
      setRetryDefaults({})
      await api.close()
    }
  })

  it("fails with the transport's message when GitHub cannot be reached, naming GITHUB_API_URL and never the token", async () => {
    setRetryDefaults({ baseDelayMs: 1, maxDelayMs: 5 })
    const api = await startHttpStub(() => ({}))
    await api.close() // nothing listens on this port any more
    try {
      const octokit = gitHubClient('ghs_secret_value', api.url)
      const err = await octokit.rest.issues.createComment({ owner: 'acme', repo: 'shop', issue_number: 7, body: 'b' }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(NetworkError)
      expect((err as NetworkError).message).toMatch(
        /^Cannot reach the GitHub API at GITHUB_API_URL "http:\/\/127\.0\.0\.1:\d+" \(POST \/repos\/acme\/shop\/issues\/7\/comments: ECONNREFUSED\)/
      )
      expect((err as NetworkError).message).not.toContain('ghs_secret_value')
    } finally {
      setRetryDefaults({})
    }
  })
})
