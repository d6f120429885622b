/**
 * Signing in with the workflow's OIDC token: a local issuer stands in for GitHub, a real OpenBao checks the token
 * through a role bound to repository, ref and audience, and the Nomad double's JWT auth method does the same.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { vaultJwtLogin } from '../src/auth/vault-jwt.js'
import { nomadJwtLogin } from '../src/auth/nomad-jwt.js'
import type { NomadAuthSettings, VaultAuthSettings, VaultConnection, NomadConnection } from '../src/config.js'
import { startOidcIssuer, type JobContext, type OidcIssuer } from '../test-support/oidc-issuer.js'
import { DEPLOY_AUDIENCE, nomadOidcAcl, setupActionPolicy, setupVaultOidc } from '../test-support/oidc-setup.js'
import { startOpenBao, type OpenBao, type TokenAnswer } from '../test-support/openbao.js'
import { startNomadDouble, type NomadDouble } from '../test-support/nomad-double/server.js'

let bao: OpenBao
let issuer: OidcIssuer
let nomad: NomadDouble
const saved = { ...process.env }

beforeAll(async () => {
  // core.getIDToken and core.setSecret write workflow commands (masks) to stdout: keep the test output readable
  const write = process.stdout.write.bind(process.stdout)
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (String(chunk).startsWith('::') ? true : write(chunk)))
  ;[bao, issuer] = await Promise.all([startOpenBao(), startOidcIssuer()])
  await setupActionPolicy(bao)
  await setupVaultOidc(bao, issuer)
  nomad = await startNomadDouble({ vaultAddr: bao.addr, acl: { enabled: true, ...nomadOidcAcl(issuer) } })
})
afterAll(async () => {
  await Promise.all([bao?.stop(), issuer?.close(), nomad?.close()])
})
afterEach(() => {
  for (const k of ['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'GITHUB_REPOSITORY', 'GITHUB_REF']) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
})

const release: JobContext = { repository: 'acme/web', ref: 'refs/tags/v1.2.3' }
function asJob(ctx: JobContext): void {
  Object.assign(process.env, issuer.jobEnv(ctx), { GITHUB_REPOSITORY: ctx.repository, GITHUB_REF: ctx.ref })
}
const vaultConn = (): VaultConnection => ({ addr: bao.addr, token: '', namespace: '', skipVerify: false })
const vaultAuth = (over: Partial<VaultAuthSettings> = {}): VaultAuthSettings => ({
  method: 'jwt',
  path: 'jwt',
  role: 'deploy',
  audience: DEPLOY_AUDIENCE,
  ...over
})
const fast = { baseDelayMs: 10 }
const loginError = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the login to fail')
    },
    (e: Error) => e.message
  )

describe('Vault: JWT login with the GitHub OIDC token', () => {
  it('logs in through the role bound to repository and ref, and revoke-self ends the token', async () => {
    asJob(release)
    const cred = await vaultJwtLogin(vaultConn(), vaultAuth(), fast).login()
    expect(cred.obtained).toBe(true)
    const self = await bao.api<TokenAnswer>('GET', 'auth/token/lookup-self', undefined, cred.token)
    expect(self.data.policies).toContain('root-like-for-tests')
    expect(self.data.meta?.role).toBe('deploy')
    await cred.revoke()
    await expect(bao.api('GET', 'auth/token/lookup-self', undefined, cred.token)).rejects.toThrow(/HTTP 403/)
  })

  it('refuses a token for another repository, and says which claims the role must accept', async () => {
    asJob({ repository: 'acme/other', ref: 'refs/tags/v1.2.3' })
    const msg = await loginError(vaultJwtLogin(vaultConn(), vaultAuth(), fast).login())
    expect(msg).toMatch(/HTTP 400/)
    expect(msg).toMatch(/bound_claims.*repository "acme\/other", ref "refs\/tags\/v1.2.3"/)
  })

  it('refuses a branch when the role only accepts tags', async () => {
    asJob({ repository: 'acme/web', ref: 'refs/heads/main' })
    const msg = await loginError(vaultJwtLogin(vaultConn(), vaultAuth(), fast).login())
    expect(msg).toMatch(/bound_claims.*ref "refs\/heads\/main"/)
  })

  it('refuses a wrong audience and names vault-oidc-audience', async () => {
    asJob(release)
    const msg = await loginError(vaultJwtLogin(vaultConn(), vaultAuth({ audience: 'something-else' }), fast).login())
    expect(msg).toMatch(/aud/)
    expect(msg).toMatch(/bound_audiences .*vault-oidc-audience is "something-else"/)
    // GitHub's default audience is the owner's URL, which the role does not accept either
    const dflt = await loginError(vaultJwtLogin(vaultConn(), vaultAuth({ audience: '' }), fast).login())
    expect(dflt).toMatch(/https:\/\/github\.com\/acme/)
  })

  it('names the role input when the role does not exist, and never shows the JWT', async () => {
    asJob(release)
    const msg = await loginError(vaultJwtLogin(vaultConn(), vaultAuth({ role: 'nope' }), fast).login())
    expect(msg).toMatch(/role "nope".*vault-auth-role/)
    expect(msg).not.toMatch(/eyJ/)
  })

  it('logs in inside the namespace of vault-namespace, and revokes the token there', async () => {
    await bao.api('POST', 'sys/namespaces/team', {})
    await setupVaultOidc(bao, issuer, { namespace: 'team', role: 'team-deploy' })
    asJob(release)
    const cred = await vaultJwtLogin({ ...vaultConn(), namespace: 'team' }, vaultAuth({ role: 'team-deploy' }), fast).login()
    const self = await bao.api<TokenAnswer>('GET', 'team/auth/token/lookup-self', undefined, cred.token)
    expect(self.data.meta?.role).toBe('team-deploy')
    expect(self.data.namespace_path).toBe('team/')
    // the role exists only in the namespace: without it, the root mount answers
    const msg = await loginError(vaultJwtLogin(vaultConn(), vaultAuth({ role: 'team-deploy' }), fast).login())
    expect(msg).toMatch(/role "team-deploy".*vault-auth-role/)
    await cred.revoke()
    await expect(bao.api('GET', 'team/auth/token/lookup-self', undefined, cred.token)).rejects.toThrow(/HTTP 403/)
  })

  it('retries the GitHub token request when it fails', async () => {
    asJob(release)
    const before = issuer.requests.length
    issuer.failNext(2, 500)
    const cred = await vaultJwtLogin(vaultConn(), vaultAuth(), fast).login()
    expect(issuer.requests.slice(before).map((r) => r.status)).toEqual([500, 500, 200])
    await cred.revoke()
  })

  it('says how to fix a job without id-token: write', async () => {
    const msg = await loginError(vaultJwtLogin(vaultConn(), vaultAuth(), fast).login())
    expect(msg).toMatch(/ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN/)
    expect(msg).toMatch(/permissions: id-token: write.*fork/)
  })
})

describe('Nomad: POST /v1/acl/login through the JWT auth method', () => {
  const conn = (): NomadConnection => ({ addr: nomad.url, token: '', namespace: '', region: '', skipVerify: false })
  const auth = (over: Partial<NomadAuthSettings> = {}): NomadAuthSettings => ({
    method: 'jwt',
    methodName: 'github',
    audience: DEPLOY_AUDIENCE,
    ...over
  })

  it('trades a release token for an ACL token whose policies come from the binding rules', async () => {
    asJob(release)
    const cred = await nomadJwtLogin(conn(), auth(), fast).login()
    const list = await fetch(`${nomad.url}/v1/jobs`, { headers: { 'X-Nomad-Token': cred.token } })
    expect(list.status).toBe(200)
    const agent = await fetch(`${nomad.url}/v1/agent/self`, { headers: { 'X-Nomad-Token': cred.token } })
    expect(agent.status).toBe(200)
  })

  it('answers the login with the ACLToken itself, named after the method, expiring after MaxTokenTTL', async () => {
    asJob(release)
    const jwt = await issuer.mint(release, DEPLOY_AUDIENCE)
    const res = await fetch(`${nomad.url}/v1/acl/login`, { method: 'POST', body: JSON.stringify({ AuthMethodName: 'github', LoginToken: jwt }) })
    const t = (await res.json()) as { ExpirationTime: string; CreateTime: string }
    expect(t).toMatchObject({ Name: 'JWT-github', Type: 'client', Policies: ['submit', 'agent-read'], Global: false, ExpirationTTL: 600e9 })
    expect(Date.parse(t.ExpirationTime) - Date.parse(t.CreateTime)).toBe(600_000)
  })

  it('maps "auth-method not found" to the nomad-auth-method-name input', async () => {
    asJob(release)
    const msg = await loginError(nomadJwtLogin(conn(), auth({ methodName: 'gh' }), fast).login())
    expect(msg).toMatch(/HTTP 400: auth-method "gh" not found/)
    expect(msg).toMatch(/nomad-auth-method-name/)
  })

  it('maps "no role or policy bindings matched" for another repository to the binding rules', async () => {
    asJob({ repository: 'acme/other', ref: 'refs/tags/v1.2.3' })
    const msg = await loginError(nomadJwtLogin(conn(), auth(), fast).login())
    expect(msg).toMatch(/HTTP 400: no role or policy bindings matched/)
    expect(msg).toMatch(/repository "acme\/other".*ClaimMappings/)
  })

  it('maps "unable to validate provided token" for a wrong audience to BoundAudiences and nomad-oidc-audience', async () => {
    asJob(release)
    const msg = await loginError(nomadJwtLogin(conn(), auth({ audience: 'other' }), fast).login())
    expect(msg).toMatch(/HTTP 401: unable to validate provided token: .*aud/)
    expect(msg).toMatch(/BoundAudiences must contain "other" \(input nomad-oidc-audience\)/)
  })
})

describe("the double's tokens from a JWT login", () => {
  it('show their expiry in acl/token/self (ExpirationTime, ExpirationTTL in ns); the bootstrap token has none', async () => {
    const acl = nomadOidcAcl(issuer)
    acl.authMethods![0].MaxTokenTTL = '10m'
    const n = await startNomadDouble({ acl: { enabled: true, ...acl } })
    try {
      const jwt = await issuer.mint(release, DEPLOY_AUDIENCE)
      const login = await fetch(`${n.url}/v1/acl/login`, { method: 'POST', body: JSON.stringify({ AuthMethodName: 'github', LoginToken: jwt }) })
      const t = (await login.json()) as { SecretID: string; AccessorID: string; ExpirationTime: string }
      const self = await fetch(`${n.url}/v1/acl/token/self`, { headers: { 'X-Nomad-Token': t.SecretID } })
      const body = (await self.json()) as Record<string, unknown>
      expect(body).toMatchObject({
        AccessorID: t.AccessorID,
        Name: 'JWT-github',
        Type: 'client',
        ExpirationTime: t.ExpirationTime,
        ExpirationTTL: 600e9
      })
      const boot = await fetch(`${n.url}/v1/acl/token/self`, { headers: { 'X-Nomad-Token': n.managementToken } })
      const bootBody = (await boot.json()) as Record<string, unknown>
      expect(bootBody.Type).toBe('management')
      expect('ExpirationTime' in bootBody).toBe(false)
      expect('ExpirationTTL' in bootBody).toBe(false)
    } finally {
      await n.close()
    }
  })

  it('stop working after MaxTokenTTL: 500 "ACL token expired"', async () => {
    const acl = nomadOidcAcl(issuer)
    acl.authMethods![0].MaxTokenTTL = '1s'
    const n = await startNomadDouble({ acl: { enabled: true, ...acl } })
    try {
      const jwt = await issuer.mint(release, DEPLOY_AUDIENCE)
      const res = await fetch(`${n.url}/v1/acl/login`, { method: 'POST', body: JSON.stringify({ AuthMethodName: 'github', LoginToken: jwt }) })
      const t = (await res.json()) as { SecretID: string; ExpirationTime: string }
      const wait = Date.parse(t.ExpirationTime) + 50 - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const after = await fetch(`${n.url}/v1/jobs`, { headers: { 'X-Nomad-Token': t.SecretID } })
      expect(after.status).toBe(500)
      expect(await after.text()).toBe('ACL token expired')
    } finally {
      await n.close()
    }
  })
})

describe("the double's binding rules see only mapped claims", () => {
  it('does not match a selector on a claim that ClaimMappings does not list, as Nomad', async () => {
    const acl = nomadOidcAcl(issuer)
    acl.bindingRules = [{ AuthMethod: 'github', Selector: 'value.job_workflow_ref matches "acme/web"', BindType: 'policy', BindName: 'submit' }]
    const n = await startNomadDouble({ acl: { enabled: true, ...acl } })
    try {
      const jwt = await issuer.mint(release, DEPLOY_AUDIENCE)
      const res = await fetch(`${n.url}/v1/acl/login`, { method: 'POST', body: JSON.stringify({ AuthMethodName: 'github', LoginToken: jwt }) })
      expect(res.status).toBe(400)
      expect(await res.text()).toBe('no role or policy bindings matched')
    } finally {
      await n.close()
    }
  })
})
