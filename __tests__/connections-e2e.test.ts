/**
 * Connections through dist/index.js:
 * - mutual TLS: a real OpenBao whose HTTPS listener requires a client certificate (tls_require_and_verify_client_cert),
 *   and the Nomad double served over HTTPS requiring one (verify_https_client). With vault-/nomad-client-cert and
 *   -client-key the run works; without them it fails with a message that names the inputs to set. The private key
 *   never reaches the log.
 * - a forward proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY as on self-hosted runners): host names only the proxy can
 *   resolve prove that Vault and Nomad requests went through it, and that NO_PROXY sends a host direct.
 */
import * as fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startConnectProxy, type ConnectProxy } from '../test-support/connect-proxy.js'
import { startNomadDouble, type NomadDouble } from '../test-support/nomad-double/server.js'
import { startOpenBao, type MountsAnswer, type OpenBao } from '../test-support/openbao.js'
import { messages } from '../test-support/e2e-suite.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'
import { makeTestPki, type TestPki } from '../test-support/tls-certs.js'

let pki: TestPki
let bao: OpenBao
let plainNomad: NomadDouble
let tlsNomad: NomadDouble

const client = { jwt_auth_backend_path: 'jwt-nomad', create_from_role: 'nomad-workloads' }

beforeAll(async () => {
  pki = makeTestPki(['nomad.internal.test'])
  bao = await startOpenBao({ tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile, clientCaFile: pki.caFile } })
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-password' } })
  ;[plainNomad, tlsNomad] = await Promise.all([
    startNomadDouble({ vaultAddr: bao.addr, client: { enabled: true, address: bao.addr, ...client } }),
    startNomadDouble({
      vaultAddr: bao.addr,
      acl: { enabled: true },
      client: { enabled: true, address: bao.addr, ...client },
      tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca }
    })
  ])
}, 60_000)

afterAll(async () => {
  await Promise.all([plainNomad?.close(), tlsNomad?.close(), bao?.stop()])
  if (pki) fs.rmSync(pki.dir, { recursive: true, force: true })
})

/** Every line of the client key appears only in its ::add-mask:: command. */
function expectKeyHidden(run: ActionRun): void {
  const keyLines = pki.client.key.split('\n').filter((l) => l.trim() && !l.startsWith('-----'))
  const log = (run.stdout + run.stderr)
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')
  for (const line of keyLines) expect(log + run.summary + JSON.stringify(run.outputs)).not.toContain(line.trim())
}

describe('Vault listener that requires a client certificate', () => {
  const inputs = (extra: Record<string, string> = {}) => ({
    'vault-addr': bao.tlsAddr ?? '',
    'vault-token': bao.rootToken,
    'vault-ca-cert': pki.caFile,
    'nomad-addr': plainNomad.url,
    'auth-path': 'jwt-mtls',
    'max-retries': '1',
    ...extra
  })

  it('fails before any write without vault-client-cert, naming the inputs to set', async () => {
    const run = await runAction(inputs())
    expect(run.code).not.toBe(0)
    const errors = run.annotations.filter((a) => a.level === 'error').map((a) => a.message)
    expect(errors.join('\n')).toMatch(/client certificate/)
    expect(errors.join('\n')).toContain('vault-client-cert')
    const mounts = await bao.api<MountsAnswer>('GET', 'sys/auth')
    expect(mounts.data['jwt-mtls/']).toBeUndefined()
  })

  it('sets up the auth method with the client certificate (paths) and key (PEM text)', async () => {
    const run = await runAction(inputs({ 'vault-client-cert': pki.client.certFile, 'vault-client-key': pki.client.key }))
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.outputs['auth-path']).toBe('jwt-mtls')
    expect(run.outputs['auth-accessor']).toMatch(/^auth_jwt_/)
    const mounts = await bao.api<MountsAnswer>('GET', 'sys/auth')
    expect(mounts.data['jwt-mtls/'].type).toBe('jwt')
    expectKeyHidden(run)
  })

  it('refuses a client certificate from a CA the listener does not trust', async () => {
    const run = await runAction(
      inputs({ 'auth-path': 'jwt-stranger', 'vault-client-cert': pki.strangerClient.cert, 'vault-client-key': pki.strangerClient.key })
    )
    expect(run.code).not.toBe(0)
    expect(messages(run, 'error')).toContain('vault-client-cert')
    const mounts = await bao.api<MountsAnswer>('GET', 'sys/auth')
    expect(mounts.data['jwt-stranger/']).toBeUndefined()
  })
})

describe('Nomad HTTPS API that requires a client certificate', () => {
  const inputs = (extra: Record<string, string> = {}) => ({
    'vault-addr': bao.addr,
    'vault-token': bao.rootToken,
    'nomad-addr': tlsNomad.url,
    'nomad-token': tlsNomad.managementToken,
    'nomad-ca-cert': pki.ca,
    // Vault cannot present a client certificate to fetch Nomad's JWKS: the runner fetches it and writes PEM keys.
    'key-source': 'static',
    job: 'examples/web.nomad.hcl',
    timeout: '1m',
    'max-retries': '1',
    ...extra
  })

  it('fails without nomad-client-cert, naming the inputs to set', async () => {
    const run = await runAction(inputs())
    expect(run.code).not.toBe(0)
    expect(messages(run, 'error')).toContain('nomad-client-cert')
    expect(tlsNomad.requests.filter((r) => r.method === 'POST' && r.path === '/v1/jobs')).toHaveLength(0)
  })

  it('deploys with the client certificate: JWKS, parse, register and follow all over mTLS', async () => {
    const run = await runAction(inputs({ 'nomad-client-cert': pki.client.cert, 'nomad-client-key': pki.client.keyFile }))
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.outputs.verdict).toBe('healthy')
    expect(run.outputs['key-source']).toBe('static')
    expect(tlsNomad.requests.some((r) => r.path === '/.well-known/jwks.json')).toBe(true)
    expect(tlsNomad.requests.filter((r) => r.method === 'POST' && r.path === '/v1/jobs')).toHaveLength(1)
    // The workload really logged in to Vault with its identity and read its secret.
    expect(tlsNomad.secretReads.some((r) => r.path.includes('web/config'))).toBe(true)
    expectKeyHidden(run)
  })
})

describe('a forward proxy from the environment', () => {
  let proxy: ConnectProxy
  beforeAll(async () => {
    proxy = await startConnectProxy({ hosts: { 'vault.internal.test': '127.0.0.1', 'nomad.internal.test': '127.0.0.1' } })
  })
  afterAll(async () => {
    await proxy?.close()
  })

  const port = (url: string) => new URL(url).port
  const inputs = (extra: Record<string, string> = {}) => ({
    'vault-addr': `http://vault.internal.test:${port(bao.addr)}`,
    'vault-token': bao.rootToken,
    'nomad-addr': `https://nomad.internal.test:${port(tlsNomad.url)}`,
    'nomad-token': tlsNomad.managementToken,
    'nomad-ca-cert': pki.ca,
    'nomad-client-cert': pki.client.cert,
    'nomad-client-key': pki.client.key,
    'key-source': 'static',
    'auth-path': 'jwt-proxied',
    'max-retries': '1',
    ...extra
  })
  const env = (noProxy: string) => ({ HTTPS_PROXY: proxy.url, http_proxy: proxy.url, NO_PROXY: noProxy })

  it('sends Vault (absolute URI) and Nomad (CONNECT tunnel, with mTLS inside) through HTTPS_PROXY / http_proxy', async () => {
    const before = proxy.log.length
    const run = await runAction(inputs(), { env: env('unrelated.example') })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const seen = proxy.log.slice(before)
    expect(seen).toContain(`CONNECT nomad.internal.test:${port(tlsNomad.url)}`)
    expect(seen.some((l) => l.startsWith(`GET http://vault.internal.test:${port(bao.addr)}/v1/sys/auth`))).toBe(true)
    expect(seen.some((l) => l.startsWith(`POST http://vault.internal.test:${port(bao.addr)}/v1/sys/auth/jwt-proxied`))).toBe(true)
    const mounts = await bao.api<MountsAnswer>('GET', 'sys/auth')
    expect(mounts.data['jwt-proxied/'].type).toBe('jwt')
  })

  it('connects directly to a host in NO_PROXY: the proxy sees nothing for it, and the name does not resolve without it', async () => {
    const before = proxy.log.length
    const run = await runAction(inputs({ 'auth-path': 'jwt-direct' }), { env: env('vault.internal.test') })
    expect(run.code).not.toBe(0)
    expect(proxy.log.slice(before).filter((l) => l.includes('vault.internal.test'))).toEqual([])
    expect(messages(run, 'error')).toMatch(/vault\.internal\.test/)
  })
})
