/**
 * mode: destroy on the transaction, against a real OpenBao behind test-support/fault-proxy.ts, with two roles: a
 * fault at each request of a destroy (a permanent server error on that request, then a lost answer on it) leaves
 * every object either as it was or removed, and the next run finishes the job.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import type { Config } from '../src/config.js'
import { ActionError } from '../src/errors.js'
import { runDestroy } from '../src/modes/destroy.js'
import { createVaultApi } from '../src/vault/vault-client.js'
import { reconcileVault } from '../src/vault/reconcile.js'
import { testRole } from '../test-support/config-fixture.js'
import { faultedVault } from '../test-support/faulted-vault.js'
import { scenarioConfig } from '../test-support/vault-scenario.js'

const v = faultedVault({ fastRetries: true })
beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
})
afterEach(() => {
  jest.restoreAllMocks()
})

const role = testRole

async function setUp(url: string): Promise<Config> {
  const roles = [role('prod'), role('dev')]
  const cfg = scenarioConfig(v.bao.addr, v.bao.rootToken, 'dfault', url, { roles, role: 'prod', policy: 'prod-policy' })
  await reconcileVault(cfg, { log: () => {} })
  return cfg
}

const root = () => createVaultApi({ addr: v.bao.addr, token: v.bao.rootToken, namespace: '', skipVerify: false })

/** Each managed object: its content as read, or null when absent. */
async function snapshot(): Promise<Record<string, unknown>> {
  const api = root()
  const mounts = await api.read('sys/auth')
  const out: Record<string, unknown> = { mount: (mounts?.data?.['jwt-dfault/'] as { description?: string } | undefined)?.description ?? null }
  for (const p of ['auth/jwt-dfault/role/prod', 'auth/jwt-dfault/role/dev', 'sys/policies/acl/prod-policy', 'sys/policies/acl/dev-policy']) {
    const data = out.mount === null && p.startsWith('auth/') ? null : ((await api.read(p))?.data ?? null)
    out[p] = data && p.startsWith('sys/policies/') ? data.policy : data
  }
  return out
}

const destroy = (cfg: Config, addr: string) =>
  runDestroy({ ...cfg, vault: { ...cfg.vault, addr } }, { mode: 'destroy', force: false, failOnWarning: false }, { log: () => {} })

describe('destroy survives a fault at each request', () => {
  it('permanent error or lost answer at any request: each object as it was or removed; the next run finishes', async () => {
    const { url } = await v.jwks.keyring('dfault')
    // The requests of a fault-free destroy, in order.
    let cfg = await setUp(url)
    const start = v.proxy.log.length
    await destroy(cfg, v.proxy.url)
    const keys = [...new Set(v.proxy.log.slice(start).map((e) => `${e.method} ${e.path}`))]
    expect(keys.filter((k) => k.startsWith('DELETE'))).toEqual([
      'DELETE /v1/auth/jwt-dfault/role/prod',
      'DELETE /v1/auth/jwt-dfault/role/dev',
      'DELETE /v1/sys/policies/acl/prod-policy',
      'DELETE /v1/sys/policies/acl/dev-policy',
      'DELETE /v1/sys/auth/jwt-dfault'
    ])
    const gone = {
      mount: null,
      ...Object.fromEntries(
        Object.keys(await snapshot())
          .filter((k) => k !== 'mount')
          .map((k) => [k, null])
      )
    }
    expect(await snapshot()).toEqual(gone)

    for (const key of keys) {
      for (const fault of ['status-500', 'reset-after'] as const) {
        cfg = await setUp(url)
        const before = await snapshot()
        let once = false
        v.proxy.configure({
          rule: (req) => {
            if (`${req.method} ${req.path}` !== key) return null
            if (fault === 'reset-after' && once) return null
            once = true
            return fault
          }
        })
        let error: unknown
        try {
          await destroy(cfg, v.proxy.url)
        } catch (e) {
          error = e
        }
        v.proxy.configure({ rule: () => null })
        if (fault === 'status-500') {
          // A failed read (or the mark before the first delete) stops the run before any delete; a failed delete says where.
          expect(error).toBeInstanceOf(ActionError)
          if (key.startsWith('DELETE')) expect(String(error)).toMatch(/destroy stopped at .*Re-run the step/)
          else expect(String(error)).toMatch(/Vault (GET|POST) .* failed with HTTP 500/)
        }
        const after = await snapshot()
        for (const [k, v] of Object.entries(after)) {
          if (v !== null) expect({ key, fault, object: k, v }).toEqual({ key, fault, object: k, v: before[k] })
        }
        // A failed run removed nothing for good except, at most, what cannot be put back; the next run finishes.
        await destroy(cfg, v.proxy.url)
        expect({ key, fault, state: await snapshot() }).toEqual({ key, fault, state: gone })
      }
    }
  }, 180_000)

  it('a failed delete puts back what the run removed: the roles and policies are as they were', async () => {
    const { url } = await v.jwks.keyring('dfault')
    const cfg = await setUp(url)
    const before = await snapshot()
    v.proxy.configure({ rule: (req) => (req.method === 'DELETE' && req.path === '/v1/sys/auth/jwt-dfault' ? 'status-500' : null) })
    try {
      await expect(destroy(cfg, v.proxy.url)).rejects.toThrow(
        /destroy stopped at sys\/auth\/jwt-dfault: .*Everything it removed was put back \(5 object\(s\)\)/
      )
    } finally {
      v.proxy.configure({ rule: () => null })
    }
    expect(await snapshot()).toEqual(before)
    await destroy(cfg, v.proxy.url)
  }, 60_000)
})
