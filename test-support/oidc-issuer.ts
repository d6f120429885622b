/**
 * A local OIDC issuer that stands in for GitHub Actions' token service (token.actions.githubusercontent.com).
 *
 * - `GET /_apis/token?api-version=2.0[&audience=X]` is the ACTIONS_ID_TOKEN_REQUEST_URL endpoint that
 *   core.getIDToken calls, with `Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>`. It answers `{"value": jwt}`.
 *   Without an audience the token's `aud` is the repository owner's URL (https://github.com/<owner>), as on GitHub.
 * - `GET /.well-known/openid-configuration` and `GET /.well-known/jwks` (GitHub's paths) publish the RS256 key.
 * - Tokens carry GitHub's claim shape: iss, aud, sub (`repo:<owner>/<repo>:ref:<ref>`, or `:pull_request`,
 *   or `:environment:<env>`), repository, repository_owner, ref, ref_type, sha, event_name, job_workflow_ref,
 *   workflow_ref, run_id, actor, ... (GitHub docs: "About security hardening with OpenID Connect").
 *
 * Each runner job gets its own request token from `jobEnv(context)`, so that one issuer serves runs with different
 * repositories and refs at the same time.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes, randomUUID } from 'node:crypto'
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose'

/** What GitHub knows about the job that asks for a token. */
export interface JobContext {
  repository: string
  ref: string
  sha?: string
  event_name?: string
  environment?: string
  workflow?: string
  actor?: string
  run_id?: string
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>
}

export interface OidcIssuer {
  /** Issuer URL (the `iss` claim), e.g. http://127.0.0.1:PORT */
  url: string
  jwksUrl: string
  /** The environment a runner gives a job with `permissions: id-token: write`. */
  jobEnv(context: JobContext): { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string }
  /** Mints a token directly (audience '' = GitHub's default). */
  mint(context: JobContext, audience?: string, opts?: { expiresInS?: number }): Promise<string>
  /** The next `n` token requests fail with `status` (default 500). */
  failNext(n: number, status?: number): void
  /** Every token request: the audience asked for ('' = none) and the status answered. */
  requests: { audience: string; status: number }[]
  close(): Promise<void>
}

export async function startOidcIssuer(): Promise<OidcIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const kid = randomBytes(8).toString('hex')
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }
  const jobs = new Map<string, JobContext>()
  const requests: OidcIssuer['requests'] = []
  let failures: { left: number; status: number } = { left: 0, status: 500 }
  let url = ''

  async function mint(ctx: JobContext, audience = '', opts: { expiresInS?: number } = {}): Promise<string> {
    const [owner] = ctx.repository.split('/')
    const event = ctx.event_name ?? 'push'
    const sub = ctx.environment
      ? `repo:${ctx.repository}:environment:${ctx.environment}`
      : event === 'pull_request'
        ? `repo:${ctx.repository}:pull_request`
        : `repo:${ctx.repository}:ref:${ctx.ref}`
    const workflowFile = `.github/workflows/${ctx.workflow ?? 'release'}.yml`
    const now = Math.floor(Date.now() / 1000)
    const claims: Record<string, unknown> = {
      jti: randomUUID(),
      sub,
      ...(ctx.environment ? { environment: ctx.environment } : {}),
      ref: ctx.ref,
      sha: ctx.sha ?? '0123456789abcdef0123456789abcdef01234567',
      repository: ctx.repository,
      repository_owner: owner,
      repository_owner_id: '1001',
      repository_id: '2002',
      repository_visibility: 'private',
      run_id: ctx.run_id ?? '4242',
      run_number: '7',
      run_attempt: '1',
      actor: ctx.actor ?? 'octocat',
      actor_id: '3003',
      workflow: ctx.workflow ?? 'release',
      head_ref: '',
      base_ref: '',
      event_name: event,
      ref_type: ctx.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      ref_protected: 'false',
      workflow_ref: `${ctx.repository}/${workflowFile}@${ctx.ref}`,
      workflow_sha: ctx.sha ?? '0123456789abcdef0123456789abcdef01234567',
      job_workflow_ref: `${ctx.repository}/${workflowFile}@${ctx.ref}`,
      job_workflow_sha: ctx.sha ?? '0123456789abcdef0123456789abcdef01234567',
      runner_environment: 'github-hosted',
      ...ctx.claims
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid, x5t: kid })
      .setIssuer(url)
      .setAudience(audience || `https://github.com/${owner}`)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + (opts.expiresInS ?? 300))
      .sign(privateKey)
  }

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', url)
    ;(async () => {
      if (u.pathname === '/.well-known/openid-configuration') {
        return send(res, 200, {
          issuer: url,
          jwks_uri: `${url}/.well-known/jwks`,
          subject_types_supported: ['public', 'pairwise'],
          response_types_supported: ['id_token'],
          claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_owner', 'job_workflow_ref'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid']
        })
      }
      if (u.pathname === '/.well-known/jwks') return send(res, 200, { keys: [jwk] })
      if (u.pathname === '/_apis/token') {
        const audience = u.searchParams.get('audience') ?? ''
        const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''
        const ctx = jobs.get(bearer)
        let status = 200
        if (!ctx) status = 401
        else if (failures.left > 0) {
          failures.left--
          status = failures.status
        }
        requests.push({ audience, status })
        if (status !== 200) return send(res, status, { message: status === 401 ? 'Unauthorized' : 'Internal Server Error' })
        return send(res, 200, { count: 1, value: await mint(ctx!, audience) })
      }
      send(res, 404, { message: 'Not Found' })
    })().catch((e) => send(res, 500, { message: String(e) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    jwksUrl: `${url}/.well-known/jwks`,
    jobEnv(context) {
      const token = `job-${randomBytes(16).toString('hex')}`
      jobs.set(token, context)
      return { ACTIONS_ID_TOKEN_REQUEST_URL: `${url}/_apis/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: token }
    },
    mint,
    failNext(n, status = 500) {
      failures = { left: n, status }
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
