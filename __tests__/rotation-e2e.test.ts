/**
 * Key rotation without a gap, key-source: static. Nomad (the double) prepublishes its next key, a scheduled run of
 * the action writes it to Vault before it signs anything, Nomad promotes it, and later garbage-collects the old key.
 * Across all of it every task login succeeds, and identities the old key signed stay valid while Nomad still
 * publishes it. Runs dist/index.js against a real OpenBao.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startE2eScenario, type E2eScenario } from '../test-support/e2e-scenario.js'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import type { OpenBao } from '../test-support/openbao.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'

let bao: OpenBao
let n: NomadDouble

let scenario: E2eScenario | undefined

beforeAll(async () => {
  scenario = await startE2eScenario('rot', { enabled: true, default_identity: { aud: ['vault.io'], ttl: '1h' } })
  ;({ bao, nomad: n } = scenario)
})
afterAll(async () => {
  await scenario?.stop()
})

const base = () => ({ ...scenario?.inputs(), 'key-source': 'static' })
/** The scheduled run: mode setup (Vault and agent blocks), as in the scheduled workflow of docs/operations.md. */
const scheduled = () => runAction({ ...base(), mode: 'setup' })
const check = () => runAction({ ...base(), mode: 'check' })
const deploy = (release: string) => runAction({ ...base(), job: '__tests__/fixtures/jobs/rotation.nomad.hcl', variables: `release=${release}` })
const keyFinding = (r: ActionRun) => JSON.parse(r.outputs.findings).find((f: { check: string }) => f.check === 'key-source')

/** Logs in to OpenBao directly with a JWT (as a Nomad client would); returns the HTTP status. */
async function login(jwt: string): Promise<number> {
  const res = await fetch(`${bao.addr}/v1/auth/jwt-rot/login`, { method: 'POST', body: JSON.stringify({ role: 'role-rot', jwt }) })
  return res.status
}
const mintWith = (key: typeof n.keyring.active) => n.keyring.mint({ jobId: 'rot', task: 'app', audience: 'vault.io', ttlSeconds: 3600, key })

describe('key rotation with prepublishing (key-source: static)', () => {
  it('never lets a login fail: prepublished keys reach Vault before they sign, old keys stay while published', async () => {
    // Day 0: setup and a running job, signed by key A.
    expect((await scheduled()).code).toBe(0)
    const keyA = n.keyring.active
    const d0 = await deploy('1')
    expect(d0.outputs.verdict).toBe('healthy')
    const oldIdentity = await mintWith(keyA)

    // Nomad prepublishes key B (it signs nothing yet). Until the next scheduled run, check sees the gap coming.
    const keyB = await n.keyring.prepublish()
    expect(n.keyring.active.kid).toBe(keyA.kid)
    const before = await check()
    expect(before.code).toBe(1)
    expect(keyFinding(before).message).toContain(`kid ${keyB.kid}`)

    // The scheduled run writes B next to A.
    const run1 = await scheduled()
    expect(run1.code).toBe(0)
    expect(JSON.parse(run1.outputs.changes)).toEqual([
      expect.objectContaining({ resource: 'auth-config', diff: [expect.objectContaining({ field: 'jwt_validation_pubkeys' })] })
    ])
    const config = await bao.api('GET', 'auth/jwt-rot/config')
    expect(config.data.jwt_validation_pubkeys).toHaveLength(2)
    expect(keyFinding(await check()).severity).toBe('info')

    // Nomad promotes B. New allocations are signed by B, before any further run of the action: no gap.
    n.keyring.promote()
    const d1 = await deploy('2')
    expect(d1.outputs.verdict).toBe('healthy')
    const newLogin = n.vaultLogins.at(-1)!
    expect(JSON.parse(Buffer.from(newLogin.jwt.split('.')[0], 'base64url').toString()).kid).toBe(keyB.kid)
    // An identity A signed (a task started before the promotion) still logs in: A is still published and in Vault.
    expect(await login(oldIdentity)).toBe(200)

    // A later scheduled run with nothing new changes nothing.
    const run2 = await scheduled()
    expect(JSON.parse(run2.outputs.changes)).toEqual([])

    // Nomad garbage-collects A (no live identity uses it any more): the next run drops it from Vault.
    n.keyring.dropInactive()
    const run3 = await scheduled()
    expect(JSON.parse(run3.outputs.changes)).toHaveLength(1)
    expect((await bao.api('GET', 'auth/jwt-rot/config')).data.jwt_validation_pubkeys).toHaveLength(1)
    expect(await login(await mintWith(keyB))).toBe(200)
    expect(await login(oldIdentity)).toBe(400)
    expect((await check()).code).toBe(0)

    // Every task login across the rotation succeeded.
    expect(n.vaultLogins.length).toBeGreaterThanOrEqual(2)
    expect(n.vaultLogins.filter((l) => !l.ok)).toEqual([])
  })
})
