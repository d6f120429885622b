/**
 * Leak scans of the bundled action (dist/index.js, run as the runner runs it): stdout, stderr, GITHUB_OUTPUT, the
 * step summary and the annotations must not contain any token or JWT the run used, on the paths where a server or an
 * input hands one back: a Nomad error body that echoes the Vault token (registration and mode: check), a job whose
 * allocation events carry it, `vault-addr` with credentials in it, and a JWT login under DEBUG=* and RUNNER_DEBUG=1.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { startFaultProxy, type FaultProxy } from '../test-support/fault-proxy.js'
import { startE2eCluster } from '../test-support/e2e-cluster.js'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import { startOidcIssuer, type OidcIssuer } from '../test-support/oidc-issuer.js'
import { DEPLOY_AUDIENCE, setupActionPolicy, setupVaultOidc } from '../test-support/oidc-setup.js'
import { freePort, startOpenBao, type OpenBao } from '../test-support/openbao.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'

let bao: OpenBao
let issuer: OidcIssuer
let nomad: NomadDouble
let proxy: FaultProxy

beforeAll(async () => {
  ;[bao, issuer] = await Promise.all([startOpenBao(), startOidcIssuer()])
  await setupActionPolicy(bao)
  await setupVaultOidc(bao, issuer)
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-password' } })
  nomad = await startE2eCluster(bao.addr)
  proxy = await startFaultProxy({ target: nomad.url })
}, 60_000)
afterAll(async () => {
  await proxy?.close()
  await Promise.all([bao?.stop(), issuer?.close(), nomad?.close()])
})

const release = { repository: 'acme/web', ref: 'refs/tags/v1.2.3' }

/** Everything the runner shows or keeps: the log (without the mask commands), stderr, the output file, the summary. */
function shown(r: ActionRun): string {
  return [
    r.stdout.replace(/^::add-mask::.*$/gm, ''),
    r.stderr,
    fs.readFileSync(path.join(r.tempDir, 'output'), 'utf8'),
    r.summary,
    JSON.stringify(r.annotations)
  ].join('\n')
}

/** The secrets found in what the runner shows: the given ones, every masked value, and anything shaped like a JWT or a Vault token. */
function leaks(r: ActionRun, secrets: Record<string, string>): string[] {
  const text = shown(r)
  const masked = [...r.stdout.matchAll(/^::add-mask::(.+)$/gm)].map((m) => m[1].trim())
  const found = Object.entries(secrets)
    .filter(([, v]) => text.includes(v))
    .map(([k]) => k)
  for (const m of masked) if (m.length >= 4 && text.includes(m)) found.push(`masked value ${m.slice(0, 6)}…`)
  for (const m of text.matchAll(/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g)) found.push(`JWT ${m[0].slice(0, 12)}…`)
  for (const m of text.matchAll(/\bhv[sbr]\.[A-Za-z0-9_-]{20,}/g)) found.push(`Vault token ${m[0].slice(0, 6)}…`)
  return found
}

function base(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'vault-addr': bao.addr,
    'vault-token': bao.rootToken,
    'nomad-addr': proxy.url,
    'nomad-token': nomad.managementToken,
    timeout: '1m',
    ...extra
  }
}

describe('no token in anything the runner shows', () => {
  it('a Nomad error body that echoes the Vault token (registration refused: the job-failure path)', async () => {
    const echo = `1 error occurred:\n\t* job validation failed: vault token ${bao.rootToken} (X-Vault-Token: ${bao.rootToken}) is not allowed here`
    proxy.configure({ respond: (req) => (req.method === 'POST' && req.path === '/v1/jobs' ? { status: 500, body: echo } : undefined) })
    try {
      const r = await runAction(base({ job: 'examples/web.nomad.hcl' }))
      expect(r.code).toBe(1)
      const errors = r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
      // the server's message is shown, with the token taken out
      expect(errors).toEqual([expect.stringMatching(/Nomad refused job "web".*vault token \*\*\*/s)])
      expect(r.summary).toMatch(/vault token \*\*\*/)
      expect(leaks(r, { 'vault-token': bao.rootToken, 'nomad-token': nomad.managementToken })).toEqual([])
    } finally {
      proxy.configure({ respond: undefined })
    }
  })

  it('allocation task events that carry the Vault token (rescheduled, then healthy)', async () => {
    nomad.failNextAlloc('web', `vault: login with token ${bao.rootToken} failed`)
    const r = await runAction(base({ job: 'examples/web.nomad.hcl', variables: 'image_tag=3.0.0' }))
    // the task events reached the summary, redacted
    expect(r.summary).toContain('vault: login with token *** failed')
    expect(leaks(r, { 'vault-token': bao.rootToken, 'nomad-token': nomad.managementToken })).toEqual([])
  })

  it('mode: check, when Nomad echoes the Vault token in an error body and the workload policy holds it in a comment', async () => {
    proxy.configure({
      respond: (req) =>
        req.path === '/v1/operator/upgrade-check/vault-workload-identity'
          ? { status: 500, body: `backend rejected token ${bao.rootToken}` }
          : undefined
    })
    expect((await runAction(base())).code).toBe(0) // Vault set up
    const policy = (await bao.api('GET', 'sys/policies/acl/nomad-workloads')).data.policy as string
    await bao.api('POST', 'sys/policies/acl/nomad-workloads', { policy: `# pasted by mistake: ${bao.rootToken}\n${policy}` })
    try {
      const r = await runAction(base({ mode: 'check' }))
      expect(r.summary).toMatch(/backend rejected token \*\*\*/)
      expect(leaks(r, { 'vault-token': bao.rootToken, 'nomad-token': nomad.managementToken })).toEqual([])
    } finally {
      proxy.configure({ respond: undefined })
      await bao.api('POST', 'sys/policies/acl/nomad-workloads', { policy })
    }
  })

  it('vault-addr with credentials in it, on a closed port, an invalid port and an unknown host', async () => {
    const closed = await freePort()
    for (const addr of [
      `http://admin:S3cretPassw0rd@127.0.0.1:${closed}`,
      'https://admin:S3cretPassw0rd@127.0.0.1:99999',
      'https://admin:S3cretPassw0rd@no-such-host.invalid:8200'
    ]) {
      const r = await runAction(base({ 'vault-addr': addr }))
      expect(r.code).toBe(1)
      expect(r.annotations.filter((a) => a.level === 'error')).toEqual([expect.objectContaining({ message: expect.stringMatching(/vault-addr/) })])
      expect({ addr, leaks: leaks(r, { password: 'S3cretPassw0rd', userinfo: 'admin:' }) }).toEqual({ addr, leaks: [] })
    }
  })

  it('a JWT login (vault-auth-method: jwt) with DEBUG=* and RUNNER_DEBUG=1', async () => {
    const r = await runAction(
      {
        'vault-addr': bao.addr,
        'vault-auth-method': 'jwt',
        'vault-auth-role': 'deploy',
        'vault-oidc-audience': DEPLOY_AUDIENCE,
        'nomad-addr': nomad.url,
        'nomad-token': nomad.managementToken,
        job: 'examples/web.nomad.hcl',
        timeout: '1m'
      },
      { env: { ...issuer.jobEnv(release), DEBUG: '*', RUNNER_DEBUG: '1', NODE_DEBUG: 'http,https,tls' } }
    )
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^::debug::/m) // debug output was on
    const masked = [...r.stdout.matchAll(/^::add-mask::(.+)$/gm)].map((m) => m[1])
    expect(masked.filter((s) => s.startsWith('eyJ'))).toHaveLength(1) // the GitHub OIDC token
    expect(masked.filter((s) => !s.startsWith('eyJ') && s !== nomad.managementToken)).toHaveLength(1) // the Vault token
    expect(leaks(r, { 'nomad-token': nomad.managementToken })).toEqual([])
  })
})
