/**
 * Thousands of roles against a real OpenBao: the setup, a re-run with nothing to do, and the destroy all work, with
 * every Vault request through the client's bound (at most VAULT_CONCURRENCY in flight, counted at a proxy in front
 * of OpenBao). Before the bound, every request of such a run was sent at once and a large enough run failed with
 * EMFILE, reported as "Cannot reach Vault … check the address".
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Config } from '../src/config.js'
import { runDestroy } from '../src/modes/destroy.js'
import { VAULT_CONCURRENCY } from '../src/vault/vault-client.js'
import { reconcileVault } from '../src/vault/reconcile.js'
import { testRole } from '../test-support/config-fixture.js'
import { startOpenBao, type ListAnswer, type MountsAnswer, type OpenBao } from '../test-support/openbao.js'
import { scenarioConfig, startJwksServer, type JwksServer } from '../test-support/vault-scenario.js'

const ROLES = 3000

let bao: OpenBao
let jwks: JwksServer
let counter: { url: string; most: number; close(): Promise<void> }

/** A pass-through proxy that counts the requests it has in flight at once. */
async function countingProxy(target: string): Promise<typeof counter> {
  const to = new URL(target)
  let inFlight = 0
  const state = { most: 0 }
  const agent = new http.Agent({ keepAlive: true })
  const server = http.createServer((req, res) => {
    inFlight++
    state.most = Math.max(state.most, inFlight)
    const up = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
      r.on('end', () => inFlight--)
    })
    up.on('error', () => {
      inFlight--
      res.destroy()
    })
    req.pipe(up)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get most() {
      return state.most
    },
    close: () =>
      new Promise<void>((r) => {
        agent.destroy()
        server.close(() => r())
        server.closeAllConnections()
      })
  }
}

beforeAll(async () => {
  bao = await startOpenBao()
  jwks = await startJwksServer()
  counter = await countingProxy(bao.addr)
}, 60_000)
afterAll(async () => {
  await counter?.close()
  await jwks?.close()
  await bao?.stop()
})

describe(`${ROLES} roles`, () => {
  it('set up, re-run with nothing to do, destroy: every Vault request bounded', async () => {
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const { url } = await jwks.keyring('many')
    const roles = Array.from({ length: ROLES }, (_, i) => testRole(`ns${i}`))
    const direct = scenarioConfig(bao.addr, bao.rootToken, 'many', url, { roles, role: roles[0].name, policy: roles[0].policy })
    const cfg: Config = { ...direct, vault: { ...direct.vault, addr: counter.url } }

    const setup = await reconcileVault(cfg, { log: () => {} })
    expect(setup.changes).toHaveLength(2 * ROLES + 2)
    const listed = (await bao.api<ListAnswer>('GET', 'auth/jwt-many/role?list=true')).data.keys
    expect(listed).toHaveLength(ROLES)

    const again = await reconcileVault(cfg, { log: () => {} })
    expect(again.changes).toEqual([])

    const destroyed = await runDestroy(cfg, { mode: 'destroy', force: false, failOnWarning: false }, { log: () => {} })
    expect(destroyed.removed).toHaveLength(2 * ROLES + 1)
    expect(`jwt-many/` in (await bao.api<MountsAnswer>('GET', 'sys/auth')).data).toBe(false)
    expect(counter.most).toBeLessThanOrEqual(VAULT_CONCURRENCY)
    jest.restoreAllMocks()
  }, 300_000)
})
