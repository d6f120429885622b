import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { createPublicKey, verify } from 'node:crypto'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { CompactSign, exportJWK, generateKeyPair } from 'jose'
import { ActionError } from '../src/errors.js'
import { fetchJwks, jwksToPem, keyFingerprint } from '../src/keys/jwks.js'

async function signedBy(alg: 'RS256' | 'EdDSA') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: `kid-${alg}`, alg, use: 'sig' }
  const payload = Buffer.from(`signed with ${alg}`)
  const jws = await new CompactSign(payload).setProtectedHeader({ alg }).sign(privateKey)
  const [h, p, s] = jws.split('.')
  return { jwk, data: Buffer.from(`${h}.${p}`), signature: Buffer.from(s, 'base64url') }
}

describe('jwksToPem', () => {
  it('converts RSA and Ed25519 keys to PEMs that verify signatures made with the private keys', async () => {
    const rsa = await signedBy('RS256')
    const ed = await signedBy('EdDSA')
    const pems = await jwksToPem({ keys: [rsa.jwk, ed.jwk] })
    expect(pems).toHaveLength(2)
    for (const pem of pems) expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/)

    const rsaKey = createPublicKey(pems[0])
    expect(rsaKey.asymmetricKeyType).toBe('rsa')
    expect(verify('sha256', rsa.data, rsaKey, rsa.signature)).toBe(true)
    expect(verify('sha256', Buffer.from('tampered'), rsaKey, rsa.signature)).toBe(false)

    const edKey = createPublicKey(pems[1])
    expect(edKey.asymmetricKeyType).toBe('ed25519')
    expect(verify(null, ed.data, edKey, ed.signature)).toBe(true)
    // a key does not verify the other key's signature
    expect(verify(null, ed.data, createPublicKey(pems[1]), rsa.signature.subarray(0, 64))).toBe(false)
  })

  it('skips keys not meant for signatures and unsupported key types', async () => {
    const rsa = await signedBy('RS256')
    const enc = { ...rsa.jwk, kid: 'enc', use: 'enc' }
    const ec = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'ec' }
    const pems = await jwksToPem({ keys: [enc, ec, rsa.jwk] })
    expect(pems).toHaveLength(1)
    expect(verify('sha256', rsa.data, createPublicKey(pems[0]), rsa.signature)).toBe(true)
  })

  it('rejects a JWKS with no usable key, naming what was skipped', async () => {
    const rsa = await signedBy('RS256')
    await expect(jwksToPem({ keys: [] })).rejects.toThrow(/no usable signing key.*it is empty/)
    await expect(jwksToPem({ keys: [{ ...rsa.jwk, use: 'enc' }] })).rejects.toThrow(/kid kid-RS256: use "enc"/)
    await expect(jwksToPem({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] })).rejects.toThrow(ActionError)
  })

  it('rejects bodies that are not a JWKS and broken keys', async () => {
    await expect(jwksToPem({ foo: 1 })).rejects.toThrow(/is not a JWKS/)
    await expect(jwksToPem(null)).rejects.toThrow(/is not a JWKS/)
    await expect(jwksToPem({ keys: 'x' })).rejects.toThrow(/is not a JWKS/)
    await expect(jwksToPem({ keys: [{ kty: 'RSA', kid: 'k1', n: '!!', e: 'AQAB' }] })).rejects.toThrow(/kid k1 is not a valid public key/)
    await expect(jwksToPem({ keys: [{ kty: 'RSA', kid: 'k2' }] })).rejects.toThrow(/RSA key without n\/e/)
  })
})

describe('keyFingerprint', () => {
  it('is short, stable and ignores PEM whitespace', async () => {
    const [pem] = await jwksToPem({ keys: [(await signedBy('RS256')).jwk] })
    const fp = keyFingerprint(pem)
    expect(fp).toMatch(/^sha256:[0-9a-f]{16}$/)
    expect(keyFingerprint(pem.replace(/\n/g, '\r\n') + '\n\n')).toBe(fp)
    const [other] = await jwksToPem({ keys: [(await signedBy('RS256')).jwk] })
    expect(keyFingerprint(other)).not.toBe(fp)
  })
})

describe('fetchJwks', () => {
  let server: http.Server
  let base: string
  let jwk: Record<string, unknown>
  beforeAll(async () => {
    jwk = (await signedBy('RS256')).jwk
    server = http.createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ keys: [jwk] }))
      } else if (req.url === '/html') {
        res.setHeader('content-type', 'text/html')
        res.end('<html>login</html>')
      } else if (req.url === '/notjwks') {
        res.end('{"keys": 3}')
      } else {
        res.statusCode = 404
        res.end('Not Found')
      }
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('fetches a JWKS', async () => {
    expect(await fetchJwks(`${base}/.well-known/jwks.json`)).toEqual({ keys: [jwk] })
  })

  it('names jwks-url and the status, body or transport error on failure', async () => {
    await expect(fetchJwks(`${base}/missing`)).rejects.toThrow(/jwks-url ".*\/missing" returned HTTP 404: Not Found/)
    await expect(fetchJwks(`${base}/html`)).rejects.toThrow(/did not return JSON \(content-type text\/html\)/)
    await expect(fetchJwks(`${base}/notjwks`)).rejects.toThrow(/is not a JWKS/)
    const closed = `http://127.0.0.1:1/.well-known/jwks.json`
    await expect(fetchJwks(closed)).rejects.toThrow(/Cannot fetch the Nomad JWKS from jwks-url ".*": ECONNREFUSED/)
    await expect(fetchJwks(closed)).rejects.toBeInstanceOf(ActionError)
  })

  it('never shows credentials of the URL', async () => {
    await expect(fetchJwks(`http://user:secret@127.0.0.1:1/jwks?token=abc`)).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringMatching(/secret|abc/) })
    )
  })
})
