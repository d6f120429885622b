/**
 * Bounded concurrency for Vault: however many reads a run starts at once, the client has at most VAULT_CONCURRENCY
 * (16) requests in flight (10,000 roles must not open 10,000 sockets). And a local resource error of the runner
 * (EMFILE, ENFILE, ENOMEM…) is reported as such, with the fix, never as a problem with vault-addr.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import { limiter, mapLimit } from '../src/pool.js'
import { classifyNetworkError } from '../src/transport/index.js'
import { createVaultApi, VAULT_CONCURRENCY } from '../src/vault/vault-client.js'
import { toVaultError } from '../src/vault/vault-errors.js'
import { startHttpStub, type HttpStub } from '../test-support/http-stub.js'

let stub: HttpStub | undefined
afterEach(async () => {
  await stub?.close()
  stub = undefined
})

/** Resolves after the other callbacks have run a few times: in-flight work overlaps without any clock. */
const turns = async (n = 3) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r))
}

describe('bounded Vault requests', () => {
  it('500 reads started at once: at most 16 reach Vault at the same time, and every one is answered', async () => {
    let inFlight = 0
    let most = 0
    stub = await startHttpStub(async (req) => {
      inFlight++
      most = Math.max(most, inFlight)
      await turns(5)
      inFlight--
      return { json: { data: { policy: `# ${req.path}` } } }
    })
    const api = createVaultApi({ addr: stub.url, token: 't', namespace: '', skipVerify: false })
    const names = Array.from({ length: 500 }, (_, i) => `p${i}`)
    const answers = await Promise.all(names.map((n) => api.read(`sys/policies/acl/${n}`)))
    expect(answers.map((a) => a?.data?.policy)).toEqual(names.map((n) => `# /v1/sys/policies/acl/${n}`))
    expect(VAULT_CONCURRENCY).toBe(16)
    expect(most).toBeLessThanOrEqual(VAULT_CONCURRENCY)
    expect(most).toBeGreaterThan(1)
  })

  it('limiter: never more than the limit in flight, all run, in arrival order; a failure frees its slot', async () => {
    const gate = limiter(3)
    let inFlight = 0
    let most = 0
    const started: number[] = []
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        gate(async () => {
          started.push(i)
          inFlight++
          most = Math.max(most, inFlight)
          await turns()
          inFlight--
          if (i % 5 === 0) throw new Error(`job ${i}`)
          return i
        })
      )
    )
    expect(most).toBe(3)
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(4)
    expect(await mapLimit([1, 2, 3], 2, async (x) => x * 2)).toEqual([2, 4, 6])
  })
})

describe('local resource errors', () => {
  it.each([
    ['EMFILE', 'too many open files in this process'],
    ['ENFILE', 'too many open files on this machine'],
    ['ENOMEM', 'out of memory']
  ])('%s is the runner running out of a resource, with the fix; not an address problem', (code, what) => {
    expect(classifyNetworkError(code)).toBe('local')
    const message = toVaultError(
      Object.assign(new Error(`connect ${code} 127.0.0.1:8200 - Local (undefined:undefined)`), { code }),
      'GET',
      'auth/jwt-nomad/role/r1',
      'https://vault.example.com:8200'
    ).message
    expect(message).toBe(
      `Vault GET /v1/auth/jwt-nomad/role/r1 was not sent: the runner ran out of a local resource (${code}: ${what}). ` +
        "This is not a problem with vault-addr or the network. Raise the runner's open-file limit (ulimit -n), or make the run " +
        'send fewer requests at once (fewer roles in one step, a lower max-parallel).'
    )
    expect(message).not.toMatch(/Cannot reach|Check the address/)
  })
})
