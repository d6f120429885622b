/**
 * Cancellation of the real bundle (dist/index.js) with real signals, as GitHub cancels a step: SIGINT during the
 * Vault writes puts back what was written; SIGINT while following a deployment leaves it to Nomad. Both write a
 * summary that says so, the outputs known so far, and exit non-zero.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { startFaultProxy, type FaultProxy } from '../test-support/fault-proxy.js'
import { startNomadDouble, type NomadDouble } from '../test-support/nomad-double/server.js'
import { startOidcIssuer } from '../test-support/oidc-issuer.js'
import { DEPLOY_AUDIENCE, setupActionPolicy, setupVaultOidc } from '../test-support/oidc-setup.js'
import { startOpenBao, type OpenBao } from '../test-support/openbao.js'
import { runAction } from '../test-support/run-action.js'

let bao: OpenBao
let proxy: FaultProxy
let nomad: NomadDouble | undefined

beforeAll(async () => {
  bao = await startOpenBao()
  proxy = await startFaultProxy({ target: bao.addr, delayMs: 1500 })
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-password' } })
}, 60_000)
afterAll(async () => {
  await proxy?.close()
  await bao?.stop()
})
afterEach(async () => {
  await nomad?.close()
  nomad = undefined
})

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('cancellation with real signals', () => {
  it('SIGINT during the Vault writes: the write in flight finishes, everything written is put back', async () => {
    nomad = await startNomadDouble({ vaultAddr: bao.addr })
    // the policy write is held for a while in the proxy: the signal arrives while it is in flight
    proxy.configure({ rule: (req) => (req.method === 'POST' && req.path === '/v1/sys/policies/acl/policy-sig' ? 'delay' : null) })
    const start = proxy.log.length
    const r = await runAction(
      {
        'vault-addr': proxy.url,
        'vault-token': bao.rootToken,
        'nomad-addr': nomad.url,
        'auth-path': 'jwt-sig',
        role: 'role-sig',
        policy: 'policy-sig',
        'key-source': 'jwks',
        job: 'examples/web.nomad.hcl'
      },
      {
        onSpawn: async (child) => {
          await until(
            () => proxy.log.slice(start).some((e) => e.method === 'POST' && e.path === '/v1/sys/policies/acl/policy-sig'),
            'the policy write'
          )
          child.kill('SIGINT')
        }
      }
    )
    proxy.configure({ rule: () => null })
    expect(r.code).not.toBe(0)
    expect(r.summary).toMatch(/cancelled while it was writing to Vault/)
    expect(r.summary).toMatch(/Rolled back/)
    const changes = JSON.parse(r.outputs.changes) as { resource: string; rollback?: string }[]
    // on a fresh mount the role is written with the config, before the policy (which names the mount's accessor)
    expect(changes.map((c) => `${c.resource} ${c.rollback}`)).toEqual([
      'auth-mount disabled',
      'auth-config deleted',
      'role deleted',
      'policy deleted'
    ])
    expect((await bao.api('GET', 'sys/auth')).data['jwt-sig/']).toBeUndefined()
    await expect(bao.api('GET', 'sys/policies/acl/policy-sig')).rejects.toThrow(/404/)
    expect(nomad.getJob('web')).toBeUndefined()
    expect(r.stdout.replace(/^::add-mask::.*$/gm, '') + r.stderr + r.summary + JSON.stringify(r.outputs)).not.toContain(bao.rootToken)
  }, 90_000)

  it('SIGINT with a Vault token from a JWT login: the token is revoked before the forced exit, even when a write outlasts it', async () => {
    const issuer = await startOidcIssuer()
    try {
      await setupActionPolicy(bao)
      await setupVaultOidc(bao, issuer)
      nomad = await startNomadDouble({ vaultAddr: bao.addr })
      // the policy write is held in the proxy for 8 s, longer than the run has before its forced exit
      proxy.configure({ delayMs: 8000, rule: (req) => (req.method === 'POST' && req.path === '/v1/sys/policies/acl/policy-rev' ? 'delay' : null) })
      const start = proxy.log.length
      const r = await runAction(
        {
          'vault-addr': proxy.url,
          'vault-auth-method': 'jwt',
          'vault-auth-role': 'deploy',
          'vault-oidc-audience': DEPLOY_AUDIENCE,
          'nomad-addr': nomad.url,
          'auth-path': 'jwt-rev',
          role: 'role-rev',
          policy: 'policy-rev',
          'key-source': 'jwks',
          job: 'examples/web.nomad.hcl'
        },
        {
          env: issuer.jobEnv({ repository: 'acme/web', ref: 'refs/tags/v1.2.3' }),
          onSpawn: async (child) => {
            await until(
              () => proxy.log.slice(start).some((e) => e.method === 'POST' && e.path === '/v1/sys/policies/acl/policy-rev'),
              'the policy write'
            )
            child.kill('SIGINT')
          }
        }
      )
      expect(r.code).not.toBe(0)
      expect(r.stdout).toMatch(/The run did not stop within [\d.]+ s of SIGINT: exiting now/)
      expect(r.stdout).toContain('Vault: the token from the JWT login is revoked (auth/token/revoke-self).')
      const masked = [...r.stdout.matchAll(/^::add-mask::(.+)$/gm)].map((m) => m[1])
      const tokens = masked.filter((m) => !m.startsWith('eyJ'))
      expect(tokens).toHaveLength(1) // the Vault token from the JWT login
      const lookup = await fetch(`${bao.addr}/v1/auth/token/lookup-self`, { headers: { 'X-Vault-Token': tokens[0] } })
      expect(lookup.status).toBe(403)
      // revoked by the main step: nothing left for the post step
      expect(r.state['vault-revoke']).toBe('')
      const shown = r.stdout.replace(/^::add-mask::.*$/gm, '') + r.stderr + r.summary + JSON.stringify(r.outputs)
      for (const secret of masked) expect(shown).not.toContain(secret)
    } finally {
      proxy.configure({ delayMs: 1500, rule: () => null })
      await issuer.close()
    }
  }, 90_000)

  it('SIGINT while following: outputs of the registered job, a summary that says the deployment continues in Nomad', async () => {
    nomad = await startNomadDouble({
      vaultAddr: bao.addr,
      server: { enabled: true, default_identity: { aud: ['vault.io'], ttl: '1h' } },
      client: { enabled: true, address: bao.addr, jwt_auth_backend_path: 'jwt-nomad', create_from_role: 'nomad-workloads' }
    })
    const n = nomad
    const r = await runAction(
      { 'vault-addr': bao.addr, 'vault-token': bao.rootToken, 'nomad-addr': n.url, job: 'examples/web.nomad.hcl', timeout: '5m' },
      {
        onSpawn: async (child) => {
          await until(() => n.getJob('web') !== undefined, 'the registration')
          child.kill('SIGINT')
        }
      }
    )
    expect(r.code).not.toBe(0)
    expect(r.outputs['job-id']).toBe('web')
    expect(r.outputs['eval-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(r.outputs.verdict).toBe('registered')
    expect(r.summary).toMatch(/cancelled while the job was being deployed/)
    expect(r.summary).toMatch(/the deployment continues in Nomad/)
    expect(JSON.parse(r.outputs.changes).length).toBeGreaterThan(0) // Vault was set up and stays
    expect(r.stdout.replace(/^::add-mask::.*$/gm, '') + r.stderr + r.summary + JSON.stringify(r.outputs)).not.toContain(bao.rootToken)
  }, 90_000)
})
