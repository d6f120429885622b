/**
 * A destroy and a deploy on one auth method at the same time, against a real OpenBao: the deploy (the action's own
 * run, in this process, mode: setup) never exits 0 while the auth method or its role is gone afterwards. Either the
 * destroy sees the deploy's role and refuses (before the first delete, or when it lists the roles again right before
 * disabling the auth method), or the deploy sees the destroy's mark on the auth method, or its auth method or role
 * vanish (when it reads, reads back, or in the last look before it reports success) and fails naming it. And,
 * deterministically: the last look names what vanished.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Config } from '../src/config.js'
import { runDestroy } from '../src/modes/destroy.js'
import { createVaultApi } from '../src/vault/vault-client.js'
import { reconcileVault } from '../src/vault/reconcile.js'
import { MOUNT_DESCRIPTION_DESTROYING } from '../src/vault/desired.js'
import { confirmVault, VanishedError } from '../src/vault/verify.js'
import { faultedVault } from '../test-support/faulted-vault.js'
import { runInProcess } from '../test-support/fault-suite.js'
import type { MountsAnswer } from '../test-support/openbao.js'
import { scenarioConfig } from '../test-support/vault-scenario.js'

const v = faultedVault()
let dir: string
const saved = { ...process.env }
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-race-'))
})
afterAll(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
  Object.assign(process.env, saved)
  fs.rmSync(dir, { recursive: true, force: true })
})

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms))
const quiet = () => jest.spyOn(process.stdout, 'write').mockImplementation(() => true)

async function present(authPath: string, role: string): Promise<{ mount: boolean; role: boolean }> {
  const mount = `${authPath}/` in (await v.bao.api<MountsAnswer>('GET', 'sys/auth')).data
  if (!mount) return { mount, role: false }
  const res = await fetch(`${v.bao.addr}/v1/auth/${authPath}/role/${role}`, { headers: { 'X-Vault-Token': v.bao.rootToken } })
  await res.text()
  return { mount, role: res.status === 200 }
}

describe('destroy racing a deploy on one auth method', () => {
  it('40 rounds of destroy(A) and deploy(B) at once: a deploy that exits 0 leaves its auth method and role in place', async () => {
    const outcomes: string[] = []
    // The destroy goes through the proxy, which holds each of its deletes a moment (a slow Vault): the deploy, started
    // later each round, meets it before, while and after it deletes.
    v.proxy.configure({ rule: (req) => (req.method === 'DELETE' ? 'delay' : null), delayMs: 10 })
    for (let round = 1; round <= 40; round++) {
      const name = `race${round}`
      const { url } = await v.jwks.keyring(name)
      const a = scenarioConfig(v.bao.addr, v.bao.rootToken, name, url, { role: 'team-a', policy: `pol-a-${round}` })
      const spy = quiet()
      try {
        await reconcileVault(a, { log: () => {} })
      } finally {
        spy.mockRestore()
      }
      const deployB = {
        'vault-addr': v.bao.addr,
        'vault-token': v.bao.rootToken,
        'nomad-addr': 'http://127.0.0.1:4646',
        'jwks-url': url,
        'auth-path': `jwt-${name}`,
        role: 'team-b',
        policy: `pol-b-${round}`,
        mode: 'setup'
      }
      // runInProcess captures stdout while the deploy runs; the destroy throws when it fails.
      const muted = quiet()
      const [b, d] = await Promise.allSettled([
        // Staggered by round, so that the deploy meets the destroy at every stage of it (reads, deletes, disable).
        delay(((round - 1) % 20) * 2).then(() => runInProcess(deployB, { RUNNER_TEMP: dir })),
        runDestroy({ ...a, vault: { ...a.vault, addr: v.proxy.url } }, { mode: 'destroy', force: false, failOnWarning: false }, { log: () => {} })
      ]).finally(() => muted.mockRestore())
      if (b.status === 'rejected') throw b.reason
      const after = await present(`jwt-${name}`, 'team-b')
      const bOk = b.value.exitCode === 0
      outcomes.push(`${bOk ? 'deploy ok' : 'deploy failed'} / ${d.status === 'fulfilled' ? 'destroy ok' : 'destroy refused'}`)
      // The invariant: a deploy that reports success leaves what it reported in place.
      if (bOk) expect({ round, after }).toEqual({ round, after: { mount: true, role: true } })
      else
        expect({ round, failure: b.value.failure }).toEqual({
          round,
          failure: expect.stringMatching(
            /is gone|are gone|another run \(a mode: destroy\?\) disabled it meanwhile|a mode: destroy is removing this auth method/
          )
        })
      if (d.status === 'rejected') {
        expect({ round, destroy: String(d.reason) }).toEqual({
          round,
          destroy: expect.stringMatching(/does not remove|appeared on the auth method|destroy stopped/)
        })
      }
    }
    // Something happened in every round, and every round ended in one of the allowed ways.
    expect(outcomes).toHaveLength(40)
    v.proxy.configure({ rule: () => null })
  }, 180_000)

  it('the last look before success names an auth method or role that another run removed after the deploy wrote it', async () => {
    const { url } = await v.jwks.keyring('gone')
    const b = scenarioConfig(v.bao.addr, v.bao.rootToken, 'gone', url, { role: 'team-b' })
    const result = await reconcileVault(b, { log: () => {} })
    const api = createVaultApi(b.vault)
    await confirmVault(api, b.settings, result.accessor)

    await v.bao.api('DELETE', 'auth/jwt-gone/role/team-b')
    const roleGone = confirmVault(api, b.settings, result.accessor)
    await expect(roleGone).rejects.toBeInstanceOf(VanishedError)
    await expect(confirmVault(api, b.settings, result.accessor)).rejects.toThrow(
      /role auth\/jwt-gone\/role\/team-b is gone before this run could report success: .*another run removed it \(a mode: destroy of auth-path "jwt-gone"\?\)/
    )

    // Disabled and enabled again: same path, another accessor, which the policies this run wrote do not name.
    await v.bao.api('DELETE', 'sys/auth/jwt-gone')
    await v.bao.api('POST', 'sys/auth/jwt-gone', { type: 'jwt' })
    await expect(confirmVault(api, b.settings, result.accessor)).rejects.toThrow(
      new RegExp(`sys/auth/jwt-gone with accessor ${result.accessor} \\(it was enabled again`)
    )
    await v.bao.api('DELETE', 'sys/auth/jwt-gone')
    await expect(confirmVault(api, b.settings, result.accessor)).rejects.toThrow(/the auth method sys\/auth\/jwt-gone \(accessor .*\) is gone/)
  }, 60_000)

  it('a whole run (mode: setup) whose auth method is disabled right after its writes fails, naming it', async () => {
    const { url } = await v.jwks.keyring('late')
    let disabled = false
    // Right after the last write of a fresh setup (the policy), another run disables the auth method.
    v.proxy.configure({
      rule: (req) => {
        if (!disabled && req.method === 'POST' && req.path === '/v1/sys/policies/acl/policy-late') {
          disabled = true
          setTimeout(() => void v.bao.api('DELETE', 'sys/auth/jwt-late'), 0)
          return 'delay'
        }
        return null
      },
      delayMs: 300
    })
    try {
      const r = await runInProcess(
        {
          'vault-addr': v.proxy.url,
          'vault-token': v.bao.rootToken,
          'nomad-addr': 'http://127.0.0.1:4646',
          'jwks-url': url,
          'auth-path': 'jwt-late',
          role: 'role-late',
          policy: 'policy-late',
          mode: 'setup'
        },
        { RUNNER_TEMP: dir }
      )
      expect(disabled).toBe(true)
      expect(r.exitCode).toBe(1)
      expect(r.failure).toMatch(
        /^Vault: the auth method sys\/auth\/jwt-late is gone right after this run wrote to Vault: this run set it up, and another run removed it \(a mode: destroy of auth-path "jwt-late"\?\)/
      )
    } finally {
      v.proxy.configure({ rule: () => null })
    }
  }, 60_000)

  it('an auth method marked by a destroy: a deploy writes nothing and says so; a destroy killed after marking is finished by the next', async () => {
    const { url } = await v.jwks.keyring('mark')
    const cfg = scenarioConfig(v.bao.addr, v.bao.rootToken, 'mark', url)
    await reconcileVault(cfg, { log: () => {} })
    // What a destroy killed after its mark leaves; and drift, so that a deploy would have something to write.
    await v.bao.api('POST', 'sys/auth/jwt-mark/tune', { description: MOUNT_DESCRIPTION_DESTROYING })
    const role = (await v.bao.api('GET', 'auth/jwt-mark/role/role-mark')).data
    await v.bao.api('POST', 'auth/jwt-mark/role/role-mark', { ...role, token_period: 60 })
    const proxied: Config = { ...cfg, vault: { ...cfg.vault, addr: v.proxy.url } }
    const start = v.proxy.log.length
    await expect(reconcileVault(proxied, { log: () => {} })).rejects.toThrow(
      /^auth-path "jwt-mark": a mode: destroy is removing this auth method .*Nothing more was written to it\. .*vault auth tune -description=/
    )
    expect(v.proxy.log.slice(start).filter((e) => e.method !== 'GET')).toEqual([])

    const spy = quiet()
    try {
      await runDestroy(cfg, { mode: 'destroy', force: false, failOnWarning: false }, { log: () => {} })
    } finally {
      spy.mockRestore()
    }
    expect(await present('jwt-mark', 'role-mark')).toEqual({ mount: false, role: false })
  }, 30_000)
})
