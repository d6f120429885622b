/**
 * End to end on dist/index.js: the action signs in to Vault and Nomad with the workflow's OIDC token (a local issuer
 * stands in for GitHub), deploys, and revokes its Vault token at the end; the post step revokes what a cancelled
 * main step left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import { startE2eCluster } from '../test-support/e2e-cluster.js'
import { startOidcIssuer, type OidcIssuer } from '../test-support/oidc-issuer.js'
import { DEPLOY_AUDIENCE, nomadOidcAcl, setupActionPolicy, setupVaultOidc } from '../test-support/oidc-setup.js'
import { startOpenBao, type OpenBao, type ListAnswer, type TokenAnswer } from '../test-support/openbao.js'
import { runAction } from '../test-support/run-action.js'

let bao: OpenBao
let issuer: OidcIssuer
let nomad: NomadDouble

beforeAll(async () => {
  ;[bao, issuer] = await Promise.all([startOpenBao(), startOidcIssuer()])
  await setupActionPolicy(bao)
  await setupVaultOidc(bao, issuer)
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-password' } })
  nomad = await startE2eCluster(bao.addr, { enabled: true, ...nomadOidcAcl(issuer) })
})
afterAll(async () => {
  await Promise.all([bao?.stop(), issuer?.close(), nomad?.close()])
})

const release = { repository: 'acme/web', ref: 'refs/tags/v1.2.3' }
const oidcInputs = (extra: Record<string, string> = {}) => ({
  'vault-addr': bao.addr,
  'vault-auth-method': 'jwt',
  'vault-auth-role': 'deploy',
  'vault-oidc-audience': DEPLOY_AUDIENCE,
  'nomad-addr': nomad.url,
  'nomad-auth-method': 'jwt',
  'nomad-oidc-audience': DEPLOY_AUDIENCE,
  timeout: '1m',
  ...extra
})

/** Vault tokens that came from a login with the role "deploy" and are still alive. */
async function liveDeployTokens(): Promise<string[]> {
  const list = await bao.api<ListAnswer>('LIST', 'auth/token/accessors')
  const live: string[] = []
  for (const accessor of list.data.keys as string[]) {
    const t = await bao.api<TokenAnswer>('POST', 'auth/token/lookup-accessor', { accessor })
    if (t.data.meta?.role === 'deploy') live.push(accessor)
  }
  return live
}

describe('signing in with the GitHub OIDC token, no stored secrets', () => {
  it('deploys with a Vault token and a Nomad token from JWT logins, and revokes the Vault token at the end', async () => {
    const r = await runAction(oidcInputs({ job: 'examples/web.nomad.hcl', variables: 'image_tag=1.2.3' }), {
      env: issuer.jobEnv(release)
    })
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('healthy')
    expect(r.stdout).toContain('Vault: signed in with a JWT login at auth/jwt (role deploy).')
    expect(r.stdout).toMatch(/Nomad: signed in with a JWT login through the auth method "github"/)
    expect(r.stdout).toContain('Vault: the token from the JWT login is revoked (auth/token/revoke-self).')
    expect(r.stdout).toMatch(/Nomad: the token from the JWT login cannot delete itself.*it expires at/)
    expect(await liveDeployTokens()).toEqual([])
    // The JWTs and tokens appear only in the mask commands.
    const masked = [...r.stdout.matchAll(/^::add-mask::(.+)$/gm)].map((m) => m[1])
    expect(masked.filter((s) => s.startsWith('eyJ'))).toHaveLength(2)
    for (const secret of masked) expect(r.stdout.split(secret).length - 1).toBe(1)
    // the task logged in with its own workload identity and read its secret
    expect(nomad.secretReads.some((s) => s.jobId === 'web')).toBe(true)
    // the main step cleared the hand-over to the post step
    expect(r.state).toEqual({ 'is-post': 'true', 'vault-revoke': '' })
  })

  it('fails before any write, with the fix, when the job has no id-token: write permission', async () => {
    const r = await runAction(oidcInputs({ job: 'examples/web.nomad.hcl' }))
    expect(r.code).toBe(1)
    const errors = r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
    expect(errors).toEqual([expect.stringMatching(/vault-auth-method: jwt.*permissions: id-token: write.*fork/)])
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/)
  })

  it('stops with the Nomad fix when no binding rule accepts the repository, and still revokes the Vault token', async () => {
    await setupVaultOidc(bao, issuer, { repository: 'acme/*' })
    try {
      const r = await runAction(oidcInputs({ job: 'examples/web.nomad.hcl' }), {
        env: { ...issuer.jobEnv({ repository: 'acme/api', ref: 'refs/tags/v2.0.0' }), GITHUB_REPOSITORY: 'acme/api', GITHUB_REF: 'refs/tags/v2.0.0' }
      })
      expect(r.code).toBe(1)
      const errors = r.annotations
        .filter((a) => a.level === 'error')
        .map((a) => a.message)
        .join('\n')
      expect(errors).toMatch(/no role or policy bindings matched.*repository "acme\/api"/)
      expect(r.stdout).toContain('Vault: the token from the JWT login is revoked')
      expect(await liveDeployTokens()).toEqual([])
    } finally {
      await setupVaultOidc(bao, issuer)
    }
  })

  it('the post step revokes a Vault token that a cancelled main step left behind', async () => {
    const jwt = await issuer.mint(release, DEPLOY_AUDIENCE)
    const login = await bao.api('POST', 'auth/jwt/login', { role: 'deploy', jwt }, '')
    const token: string = login.auth.client_token
    expect(await liveDeployTokens()).toHaveLength(1)
    const state = JSON.stringify({ conn: { addr: bao.addr, token: '', namespace: '', skipVerify: false }, token })
    const r = await runAction({}, { env: { 'STATE_is-post': 'true', 'STATE_vault-revoke': state } })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`::add-mask::${token}`)
    expect(r.stdout).toContain('Vault: the token from the JWT login is revoked')
    expect(await liveDeployTokens()).toEqual([])
    // and without a hand-over the post step does nothing
    const idle = await runAction({}, { env: { 'STATE_is-post': 'true' } })
    expect(idle.code).toBe(0)
    expect(idle.stdout).toBe('')
  })
})
