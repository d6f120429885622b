/**
 * The shared transport (src/transport): retries and what is never retried, redirects, proxies, mTLS,
 * the TLS error mapping and the one redaction function.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import * as http from 'node:http'
import * as https from 'node:https'
import type { AddressInfo } from 'node:net'
import { addSecret, NetworkError, proxyFor, RedirectError, redact, Transport, type TransportOptions } from '../src/transport/index.js'
import { backoffMs, DEFAULT_RETRY } from '../src/transport/retry.js'
import { VAULT_INPUTS } from '../src/vault/vault-errors.js'
import { startConnectProxy } from '../test-support/connect-proxy.js'
import { startFaultProxy } from '../test-support/fault-proxy.js'
import { makeTestPki, type TestPki } from '../test-support/tls-certs.js'

interface Seen {
  method: string
  url: string
  token?: string
  body: string
  cert?: string
}

async function serve(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
  tls?: https.ServerOptions
): Promise<{ url: string; port: number; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = []
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate?.()
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        token: req.headers['x-vault-token'] as string | undefined,
        body,
        cert: peer?.subject?.CN as string | undefined
      })
      handler(req, res, body)
    })
  }
  const server = tls ? https.createServer(tls, listener) : http.createServer(listener)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as AddressInfo).port
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.()
        server.close(() => r())
      })
  }
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** The inputs errors name: Vault's (vault-addr, vault-ca-cert, …). */
const SERVER = VAULT_INPUTS
const fast = { maxRetries: 6, baseDelayMs: 5, maxDelayMs: 20 }
const transport = (base: string, extra: Partial<TransportOptions> = {}) =>
  new Transport({ base, server: SERVER, retry: fast, timeoutMs: 5_000, ...extra })

let upstream: Awaited<ReturnType<typeof serve>>
beforeAll(async () => {
  upstream = await serve((req, res, body) => json(res, 200, { path: req.url, body }))
})
afterAll(async () => {
  await upstream.close()
})

describe('retries', () => {
  it('repeats a GET through every transient fault until it succeeds, and counts the attempts', async () => {
    const faults = [
      'status-429',
      'status-500',
      'status-502',
      'status-503',
      'status-504',
      'status-412',
      'html-502',
      'reset-before',
      'reset-after',
      'truncate'
    ] as const
    const proxy = await startFaultProxy({ target: upstream.url, rule: (r) => faults[r.n - 1] ?? null })
    try {
      const res = await transport(proxy.url, { retry: { ...fast, maxRetries: faults.length } }).request({ method: 'GET', path: '/v1/sys/auth' })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body).path).toBe('/v1/sys/auth')
      expect(res.attempts).toBe(faults.length + 1)
      expect(proxy.log.map((e) => e.fault ?? 'ok')).toEqual([...faults, 'ok'])
    } finally {
      await proxy.close()
    }
  })

  it('stops after max retries and returns the last answer; a network failure names the attempts', async () => {
    const proxy = await startFaultProxy({ target: upstream.url, rule: () => 'status-503' })
    try {
      const res = await transport(proxy.url, { retry: { ...fast, maxRetries: 2 } }).request({ method: 'GET', path: '/v1/x' })
      expect(res.status).toBe(503)
      expect(res.attempts).toBe(3)
      proxy.configure({ rule: () => 'reset-before' })
      const err = await transport(proxy.url, { retry: { ...fast, maxRetries: 2 } })
        .request({ method: 'GET', path: '/v1/x?secret=1' })
        .catch((e) => e)
      expect(err).toBeInstanceOf(NetworkError)
      expect(err.message).toMatch(/Cannot reach Vault at vault-addr "http:\/\/127\.0\.0\.1:\d+" \(GET \/v1\/x: ECONNRESET\) after 3 attempts/)
      expect(err.message).not.toContain('secret=1')
    } finally {
      await proxy.close()
    }
  })

  it('never repeats a request that is not safe to repeat once it may have reached the server', async () => {
    const proxy = await startFaultProxy({ target: upstream.url, rule: (r) => (r.n === 1 ? 'reset-after' : null) })
    try {
      const err = await transport(proxy.url)
        .request({ method: 'POST', path: '/v1/jobs', body: '{}' })
        .catch((e) => e)
      expect(err).toBeInstanceOf(NetworkError)
      expect(err.ambiguous).toBe(true)
      expect(proxy.log).toHaveLength(1)
      // a 500 or 502 is not repeated either (the server may have done it), but 429 and 503 are (it did not)
      proxy.configure({ rule: (r) => (r.n === 2 ? 'status-502' : r.n === 3 ? 'status-429' : null) })
      expect((await transport(proxy.url).request({ method: 'POST', path: '/v1/jobs', body: '{}' })).status).toBe(502)
      const ok = await transport(proxy.url).request({ method: 'POST', path: '/v1/jobs', body: '{}' })
      expect(ok.status).toBe(200)
      expect(ok.attempts).toBe(2)
      expect(ok.retriedAfterAmbiguous).toBe(false)
      // marked idempotent, it is repeated, and the answer says an earlier attempt may have been done
      proxy.configure({ rule: (r) => (r.path === '/v1/sys/policies/acl/p' && !proxy.log.some((e) => e.path === r.path) ? 'reset-after' : null) })
      const again = await transport(proxy.url).request({ method: 'POST', path: '/v1/sys/policies/acl/p', body: '{"policy":""}', idempotent: true })
      expect(again.status).toBe(200)
      expect(again.retriedAfterAmbiguous).toBe(true)
    } finally {
      await proxy.close()
    }
  })

  it('draws full-jitter backoff below the exponential cap and honours Retry-After', () => {
    for (let n = 0; n < 8; n++) {
      const cap = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** n)
      expect(backoffMs(DEFAULT_RETRY, n, () => 0.999)).toBeLessThan(cap)
      expect(backoffMs(DEFAULT_RETRY, n, () => 0)).toBe(0)
    }
    expect(backoffMs(DEFAULT_RETRY, 0, () => 0, 2)).toBe(2000)
    expect(backoffMs(DEFAULT_RETRY, 0, () => 0, 3600)).toBe(DEFAULT_RETRY.maxDelayMs)
  })

  it('times out a request that gets no answer, and says which input to check', async () => {
    const slow = await serve(() => {
      /* never answers */
    })
    try {
      const err = await transport(slow.url, { timeoutMs: 200, retry: { maxRetries: 1, baseDelayMs: 1 } })
        .request({ method: 'GET', path: '/v1/sys/health' })
        .catch((e) => e)
      expect(err).toBeInstanceOf(NetworkError)
      expect(err.kind).toBe('timeout')
      expect(err.message).toMatch(/did not answer GET \/v1\/sys\/health in time \(ETIMEDOUT\) after 2 attempts.*vault-addr.*request-timeout/)
    } finally {
      await slow.close()
    }
  })
})

describe('redirects', () => {
  let other: Awaited<ReturnType<typeof serve>>
  beforeAll(async () => {
    other = await serve((req, res) => json(res, 200, { other: true }))
  })
  afterAll(async () => {
    await other.close()
  })

  it('follows a same-origin redirect with the token, and keeps method and body for a 307', async () => {
    const proxy = await startFaultProxy({ target: upstream.url, rule: (r) => (r.n === 1 ? 'redirect' : null) })
    proxy.configure({ redirectTo: (r) => `${proxy.url}/v1/moved${r.url.slice(3)}` })
    try {
      const res = await transport(proxy.url).request({
        method: 'POST',
        path: '/v1/sys/policies/acl/p',
        headers: { 'X-Vault-Token': 'tok-same' },
        body: '{"a":1}',
        idempotent: true
      })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body)).toEqual({ path: '/v1/moved/sys/policies/acl/p', body: '{"a":1}' })
      expect(upstream.seen.at(-1)).toMatchObject({ method: 'POST', token: 'tok-same' })
    } finally {
      await proxy.close()
    }
  })

  it('refuses a redirect to another origin and never sends the token there', async () => {
    const proxy = await startFaultProxy({
      target: upstream.url,
      rule: () => 'redirect',
      redirectTo: `${other.url.replace('127.0.0.1', 'localhost')}`
    })
    try {
      const err = await transport(proxy.url)
        .request({ method: 'GET', path: '/v1/sys/auth', headers: { 'X-Vault-Token': 'tok-cross' } })
        .catch((e) => e)
      expect(err).toBeInstanceOf(RedirectError)
      expect(err.message).toContain(`redirect to ${other.url.replace('127.0.0.1', 'localhost')}/v1/sys/auth`)
      expect(err.message).toMatch(/another origin than vault-addr.*Set vault-addr to the address that answers directly/)
      expect(other.seen).toEqual([])
      expect(proxy.log).toHaveLength(1)
    } finally {
      await proxy.close()
    }
  })

  it('bounds same-origin redirect loops', async () => {
    const proxy = await startFaultProxy({ target: upstream.url, rule: () => 'redirect' })
    proxy.configure({ redirectTo: (r) => `${proxy.url}${r.url}` })
    try {
      const err = await transport(proxy.url)
        .request({ method: 'GET', path: '/v1/loop' })
        .catch((e) => e)
      expect(err).toBeInstanceOf(RedirectError)
      expect(err.message).toMatch(/too many redirects/)
      expect(proxy.log.length).toBe(5)
    } finally {
      await proxy.close()
    }
  })
})

describe('TLS, mTLS and HTTPS redirects', () => {
  let pki: TestPki
  let mtls: Awaited<ReturnType<typeof serve>>
  let plain: Awaited<ReturnType<typeof serve>>
  beforeAll(async () => {
    pki = makeTestPki(['vault.internal.test'])
    plain = await serve((req, res) => json(res, 200, { plain: true }))
    mtls = await serve(
      (req, res) => {
        if (req.url === '/downgrade') return json(res, 307, {}, { Location: `${plain.url}/v1/x` })
        if (req.url === '/scheme') return json(res, 307, {}, { Location: `http://127.0.0.1:${mtls.port}/v1/x` })
        json(res, 200, { ok: true })
      },
      { cert: pki.server.cert, key: pki.server.key, ca: pki.ca, requestCert: true, rejectUnauthorized: true }
    )
  })
  afterAll(async () => {
    await mtls.close()
    await plain.close()
  })

  it('presents the client certificate, and explains a missing one and an unknown CA', async () => {
    const ok = await transport(mtls.url, { tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key } }).request({
      method: 'GET',
      path: '/v1/sys/health'
    })
    expect(ok.status).toBe(200)
    expect(mtls.seen.at(-1)?.cert).toBe('client')

    const missing = await transport(mtls.url, { tls: { ca: pki.ca }, retry: { maxRetries: 0 } })
      .request({ method: 'GET', path: '/v1/sys/health' })
      .catch((e) => e)
    expect(missing).toBeInstanceOf(NetworkError)
    expect(missing.message).toMatch(/TLS to Vault at vault-addr .* requires a client certificate|Cannot reach Vault/)
    expect(missing.message).toMatch(/vault-client-cert and vault-client-key|reset/)

    const unknownCa = await transport(mtls.url, { retry: { maxRetries: 0 } })
      .request({ method: 'GET', path: '/v1/sys/health' })
      .catch((e) => e)
    expect(unknownCa.kind).toBe('tls')
    expect(unknownCa.message).toMatch(
      /TLS to Vault at vault-addr "https:\/\/127\.0\.0\.1:\d+" failed for GET \/v1\/sys\/health: SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/
    )
    expect(unknownCa.message).toContain('vault-ca-cert')
  })

  it('checks the certificate against the server-name override', async () => {
    const viaName = transport(mtls.url.replace('127.0.0.1', 'localhost'), {
      tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key, servername: 'vault.internal.test' }
    })
    expect((await viaName.request({ method: 'GET', path: '/v1/sys/health' })).status).toBe(200)
    const wrong = await transport(mtls.url, {
      tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key, servername: 'nomad.other.test' },
      retry: { maxRetries: 0 }
    })
      .request({ method: 'GET', path: '/v1/sys/health' })
      .catch((e) => e)
    expect(wrong.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID.*does not name this host.*vault-tls-server-name/)
  })

  it('never follows HTTPS to plain HTTP, on another origin or on the same host', async () => {
    const t = transport(mtls.url, { tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key } })
    for (const p of ['/downgrade', '/scheme']) {
      const err = await t.request({ method: 'GET', path: p, headers: { 'X-Vault-Token': 'tok-https' } }).catch((e) => e)
      expect(err).toBeInstanceOf(RedirectError)
      expect(err.message).toMatch(/which is plain HTTP while vault-addr is HTTPS/)
    }
    expect(plain.seen).toEqual([])
  })

  describe('through a proxy', () => {
    const saved = { ...process.env }
    afterEach(() => {
      for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']) delete process.env[k]
      Object.assign(process.env, saved)
    })

    it('tunnels HTTPS with CONNECT and sends plain HTTP with the absolute URL; NO_PROXY skips it', async () => {
      const proxy = await startConnectProxy({ hosts: { 'vault.internal.test': '127.0.0.1', 'nomad.internal.test': '127.0.0.1' } })
      try {
        process.env.HTTPS_PROXY = proxy.url
        process.env.http_proxy = proxy.url
        process.env.NO_PROXY = 'direct.internal.test,.example'
        // these names resolve only in the proxy: an answer proves the request went through it
        const viaTunnel = transport(`https://vault.internal.test:${mtls.port}`, { tls: { ca: pki.ca, cert: pki.client.cert, key: pki.client.key } })
        expect((await viaTunnel.request({ method: 'GET', path: '/v1/sys/health' })).status).toBe(200)
        const viaHttp = transport(`http://nomad.internal.test:${upstream.port}`)
        expect(JSON.parse((await viaHttp.request({ method: 'GET', path: '/v1/agent/self?x=1' })).body).path).toBe('/v1/agent/self?x=1')
        expect(proxy.log).toEqual([`CONNECT vault.internal.test:${mtls.port}`, `GET http://nomad.internal.test:${upstream.port}/v1/agent/self?x=1`])

        // NO_PROXY: a direct connection, which cannot resolve the name; the proxy sees nothing
        const direct = await transport(`http://direct.internal.test:${upstream.port}`, { retry: { maxRetries: 0 } })
          .request({ method: 'GET', path: '/v1/x' })
          .catch((e) => e)
        expect(direct).toBeInstanceOf(NetworkError)
        expect(direct.kind).toBe('dns')
        expect(proxy.log).toHaveLength(2)
        expect(proxyFor(new URL('https://a.example:8200'))).toBeUndefined()
        expect(proxyFor(new URL('https://vault.internal.test'))?.href).toBe(`${proxy.url}/`)
        // loopback is never proxied (as @actions/http-client)
        expect(proxyFor(new URL('http://127.0.0.1:8200'))).toBeUndefined()
      } finally {
        await proxy.close()
      }
    })

    it('names the proxy when it refuses, and keeps its credentials out of messages', async () => {
      const proxy = await startConnectProxy({ requireAuth: 'u:right' })
      try {
        process.env.HTTPS_PROXY = proxy.url.replace('http://', 'http://u:wrong-pass@')
        const err = await transport('https://vault.internal.test:8200', { retry: { maxRetries: 0 } })
          .request({ method: 'GET', path: '/v1/x' })
          .catch((e) => e)
        expect(err.message).toMatch(/through the proxy.*HTTPS_PROXY/)
        expect(err.message).not.toContain('wrong-pass')
      } finally {
        await proxy.close()
      }
    })
  })
})

describe('redact', () => {
  it('removes registered secrets, JWTs, Vault tokens, token headers and URL userinfo', () => {
    addSecret('my-nomad-secret-id')
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'
    const text =
      `token my-nomad-secret-id and ${jwt}; hvs.CAESIJ1234567890abcdefghijklmnop; ` +
      'X-Vault-Token: s.abc; {"SecretID":"1c1d","client_token":"zz"}; https://user:pa55@vault.example.com:8200/v1'
    const out = redact(text)
    for (const leak of ['my-nomad-secret-id', jwt, 'CAESIJ', 's.abc', '1c1d', '"zz"', 'pa55', 'user:']) expect(out).not.toContain(leak)
    expect(out).toContain('https://***@vault.example.com:8200/v1')
    expect(redact('job web version 3, eval 4f1c2d3e-0000-1111-2222-333344445555')).toBe(
      'job web version 3, eval 4f1c2d3e-0000-1111-2222-333344445555'
    )
    expect(redact('plain text', ['plain'])).toBe('*** text')
  })
})
