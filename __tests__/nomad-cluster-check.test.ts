import { afterEach, describe, expect, it } from '@jest/globals'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { evaluateCluster, findDefaultVault, readAgentSelf } from '../src/nomad/cluster-check.js'
import { NomadClient } from '../src/nomad/nomad-client.js'

let server: http.Server | undefined
afterEach(async () => {
  if (server) await new Promise<void>((r) => server!.close(() => r()))
  server = undefined
})

async function agent(status: number, body: unknown) {
  const paths: string[] = []
  server = http.createServer((req, res) => {
    paths.push(req.url ?? '')
    if (status !== 200) res.writeHead(status, { 'Content-Type': 'text/plain' }).end(String(body))
    else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body))
  })
  server.keepAliveTimeout = 1
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { client: new NomadClient({ addr: url, token: 't0ken-value', skipVerify: false, namespace: '', region: '' }, { retries: 0 }), paths }
}

function vaultBlock(extra: Record<string, unknown> = {}) {
  return {
    Name: 'default',
    Enabled: true,
    Role: '',
    Namespace: '',
    Addr: 'https://vault.example.com:8200',
    JWTAuthBackendPath: 'jwt-nomad',
    Token: '<redacted>',
    DefaultIdentity: { Audience: ['vault.io'], Env: null, File: null, Filepath: '', TTL: 3600000000000 },
    ...extra
  }
}

function self(opts: { server?: boolean; client?: boolean; vaults?: unknown[] }) {
  return {
    config: {
      NodeName: 'nomad-1',
      Version: { Version: '1.10.3' },
      Server: { Enabled: opts.server ?? true },
      Client: { Enabled: opts.client ?? false },
      Vaults: opts.vaults ?? [vaultBlock()]
    },
    member: { Name: 'nomad-1.global' },
    stats: {}
  }
}

const expected = { audience: 'vault.io', authPath: 'jwt-nomad', role: 'nomad-workloads' }
const rendered = {
  renderedServerBlock: 'vault {\n  enabled = true\n  default_identity {\n    aud = ["vault.io"]\n  }\n}',
  renderedClientBlock: 'vault { jwt_auth_backend_path = "jwt-nomad" }'
}

describe('evaluateCluster over readAgentSelf', () => {
  it('passes a correctly configured server', async () => {
    const a = await agent(200, self({}))
    const r = evaluateCluster(await readAgentSelf(a.client), expected, true, rendered)
    expect(a.paths).toEqual(['/v1/agent/self'])
    expect(r.readable).toBe(true)
    expect(r.warnings).toEqual([])
    expect(r.serverVault?.defaultIdentity).toEqual({ audience: ['vault.io'], ttlSeconds: 3600 })
  })

  it('says it could not check the clients when nomad-addr is a server, and checked one client when it is a client', async () => {
    const a = await agent(200, self({ vaults: [vaultBlock({ JWTAuthBackendPath: 'somewhere-else' })] }))
    const r = evaluateCluster(await readAgentSelf(a.client), expected, false, rendered)
    // A server's jwt_auth_backend_path says nothing about the clients: neither a pass nor a failure.
    expect(r.warnings).toEqual([])
    expect(r.clientSide).toBe('not-checked')
    expect(r.notes.join('\n')).toContain("Could not check the Nomad clients' vault block")
    expect(r.notes.join('\n')).toContain('describes only the agent it is sent to')
    await new Promise<void>((done) => server!.close(() => done()))
    const c = await agent(200, self({ server: false, client: true, vaults: [vaultBlock({ DefaultIdentity: null })] }))
    const rc = evaluateCluster(await readAgentSelf(c.client), expected, false, rendered)
    expect(rc.clientSide).toBe('this-agent-only')
    expect(rc.notes.join('\n')).toContain('Checked the vault block of Nomad client agent "nomad-1" only')
  })

  it('warns about an audience mismatch and shows the rendered server block', async () => {
    const a = await agent(200, self({ vaults: [vaultBlock({ DefaultIdentity: { Audience: ['nomadproject.io'], TTL: 3600000000000 } })] }))
    const r = evaluateCluster(await readAgentSelf(a.client), expected, false, rendered)
    expect(r.warnings).toHaveLength(1)
    expect(r.warnings[0]).toContain('["nomadproject.io"]')
    expect(r.warnings[0]).toContain('"vault.io"')
    expect(r.warnings[0]).toContain(rendered.renderedServerBlock)
    expect(r.warnings[0]).not.toContain('t0ken-value')
  })

  it('warns when tasks rely on a default identity the server does not have', async () => {
    const a = await agent(200, self({ vaults: [vaultBlock({ DefaultIdentity: null })] }))
    const r = evaluateCluster(await readAgentSelf(a.client), expected, true, rendered)
    expect(r.warnings).toHaveLength(1)
    expect(r.warnings[0]).toContain('never get a Vault token')
    expect(r.warnings[0]).toContain('nomad#25955')
    expect(r.warnings[0]).toContain('identity { name = "vault_default"')
    // no such warning when the job does not need the default identity
    const b = evaluateCluster(await readAgentSelf(a.client), expected, false, rendered)
    expect(b.warnings).toEqual([])
  })

  it('warns about a disabled vault block on a server', async () => {
    const a = await agent(200, self({ vaults: [vaultBlock({ Enabled: false })] }))
    const r = evaluateCluster(await readAgentSelf(a.client), expected, false, rendered)
    expect(r.warnings[0]).toContain('no enabled vault block "default"')
    expect(r.warnings[0]).toContain(rendered.renderedServerBlock)
  })

  it('checks the client auth path (slashes trimmed)', async () => {
    const ok = await agent(
      200,
      self({ server: false, client: true, vaults: [vaultBlock({ JWTAuthBackendPath: 'jwt-nomad/', DefaultIdentity: null })] })
    )
    expect(evaluateCluster(await readAgentSelf(ok.client), expected, false, rendered).warnings).toEqual([])
    await new Promise<void>((r) => server!.close(() => r()))
    const bad = await agent(200, self({ server: false, client: true, vaults: [vaultBlock({ JWTAuthBackendPath: 'jwt', DefaultIdentity: null })] }))
    const r = evaluateCluster(await readAgentSelf(bad.client), expected, true, rendered)
    expect(r.warnings).toHaveLength(1)
    expect(r.warnings[0]).toContain('jwt_auth_backend_path is "jwt"')
    expect(r.warnings[0]).toContain(rendered.renderedClientBlock)
    expect(r.notes.some((n) => n.includes('not a server'))).toBe(true)
  })

  it('degrades gracefully on 403', async () => {
    const a = await agent(403, 'Permission denied')
    const r = evaluateCluster(await readAgentSelf(a.client), expected, true, rendered)
    expect(r.readable).toBe(false)
    expect(r.warnings).toEqual([])
    expect(r.notes).toHaveLength(1)
    expect(r.notes[0]).toContain('agent:read')
  })

  it('degrades gracefully without config', async () => {
    const a = await agent(200, { member: {}, stats: {} })
    const r = evaluateCluster(await readAgentSelf(a.client), expected, true, rendered)
    expect(r.readable).toBe(false)
    expect(r.warnings).toEqual([])
  })

  it('warns about Nomad versions without workload identity for Vault', async () => {
    const s = self({})
    s.config.Version.Version = '1.6.5'
    const a = await agent(200, s)
    const r = evaluateCluster(await readAgentSelf(a.client), expected, false, rendered)
    expect(r.warnings.some((w) => w.includes('1.6.5') && w.includes('1.7'))).toBe(true)
  })
})

describe('findDefaultVault', () => {
  it('finds the default block and ignores others', () => {
    const v = findDefaultVault({ Vaults: [vaultBlock({ Name: 'other', Enabled: false }), vaultBlock({ Role: 'nomad-workloads' })] })
    expect(v?.role).toBe('nomad-workloads')
    expect(v?.enabled).toBe(true)
    expect(findDefaultVault({ Vaults: [] })).toBeUndefined()
  })
})
