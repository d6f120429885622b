/**
 * Five runs at once against the same Vault and auth path, for ten rounds, on a fresh OpenBao: every run succeeds
 * or says another run changed the object; the end state is the desired one; no foreign mount is disabled; a
 * workload logs in at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { reconcileVault } from '../src/vault/reconcile.js'
import { startOpenBao, type OpenBao, type MountsAnswer } from '../test-support/openbao.js'
import { remaining, scenarioConfig, startJwksServer, workloadLogin, type JwksServer } from '../test-support/vault-scenario.js'

let bao: OpenBao
let jwks: JwksServer

beforeAll(async () => {
  bao = await startOpenBao()
  jwks = await startJwksServer()
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-secret' } })
  // a mount that belongs to someone else and must survive every round
  await bao.api('POST', 'sys/auth/foreign-jwt', { type: 'jwt' })
}, 60_000)

afterAll(async () => {
  await jwks?.close()
  await bao?.stop()
})

describe('concurrent runs', () => {
  it('5 runs at once, 10 rounds: consistent end state, no foreign mount disabled, a workload logs in', async () => {
    const { ring, url } = await jwks.keyring('cc')
    const foreignAccessor = (await bao.api<MountsAnswer>('GET', 'sys/auth')).data['foreign-jwt/'].accessor
    const failures: string[] = []
    for (let round = 1; round <= 10; round++) {
      // odd rounds: a fresh auth path (five first runs race to create it); even rounds: hand-made drift on the
      // previous round's path (five runs race to repair it)
      const name = `cc${round % 2 === 1 ? round : round - 1}`
      const cfg = scenarioConfig(bao.addr, bao.rootToken, name, url)
      if (round % 2 === 0) {
        const role = (await bao.api('GET', `auth/jwt-${name}/role/role-${name}`)).data
        await bao.api('POST', `auth/jwt-${name}/role/role-${name}`, { ...role, token_period: 60, bound_audiences: ['x.io'] })
        await bao.api('POST', `sys/policies/acl/policy-${name}`, { policy: 'path "secret/*" { capabilities = ["read"] }' })
      }
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => reconcileVault(cfg, { log: () => {} })))
      for (const r of results) {
        if (r.status === 'rejected') {
          const message = (r.reason as Error).message
          failures.push(message)
          expect(message).toMatch(/Another run \(or a person\) changed/)
        }
      }
      expect({ round, left: await remaining(bao, cfg) }).toEqual({ round, left: [] })
      const mounts = (await bao.api<MountsAnswer>('GET', 'sys/auth')).data
      expect(mounts['foreign-jwt/']?.accessor).toBe(foreignAccessor)
      expect(Object.keys(mounts).filter((m) => m.startsWith(`jwt-${name}`))).toEqual([`jwt-${name}/`])
      expect(await workloadLogin(bao, cfg, ring)).toMatchObject({ login: 200, read: 200 })
    }
    // identical desired states converge: no run should have needed to fail
    expect(failures).toEqual([])
  }, 120_000)
})
