/**
 * The seeded transient-fault suite (test-support/fault-suite.ts): 50 whole runs of the action, in-process, with about
 * 30% of the action's requests to OpenBao and to the Nomad double faulted by seeded fault proxies. Every run succeeds,
 * ends in exactly the fault-free run's state in Vault and Nomad, and prints none of its tokens.
 * `npm run fault-suite` runs the same suite and writes its figures to BENCHMARKS.md.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { TRANSIENT_FAULTS } from '../test-support/fault-proxy.js'
import { compare, runFaultSuite } from '../test-support/fault-suite.js'
import { startOpenBao, type OpenBao } from '../test-support/openbao.js'

let bao: OpenBao

beforeAll(async () => {
  bao = await startOpenBao()
}, 60_000)
afterAll(async () => {
  await bao?.stop()
})

describe('seeded transient faults on every request', () => {
  it('50 runs with about 30% transient faults: all succeed, end state equals the fault-free run, no token printed', async () => {
    const runs = Number(process.env.FAULT_SUITE_RUNS ?? 50)
    const f = await runFaultSuite({ bao, runs, rate: 0.3, seed: 20261128, log: process.env.FAULT_SUITE_LOG ? (l) => console.log(l) : undefined })
    const failed = f.records.filter((r) => !r.ok || r.mismatches.length > 0 || r.leaks.length > 0)
    expect(failed.map((r) => ({ run: r.run, error: r.error, mismatches: r.mismatches, leaks: r.leaks }))).toEqual([])
    expect(f.runs).toBe(runs)
    expect(f.successes).toBe(runs)
    // the reference is a real end state (one registration, Vault fully set up), and a second registration or a
    // rewritten policy would be a mismatch
    const ref = f.reference
    expect(ref.nomad).toMatchObject({ job: { ID: 'web', Version: 0, Stable: true }, versions: 1 })
    expect(ref.vault).toMatchObject({
      mount: { type: 'jwt' },
      role: { token_policies: ['<policy>'] },
      config: { jwks_url: '<nomad-addr>/.well-known/jwks.json' }
    })
    expect(String(ref.vault.policy)).toContain('identity.entity.aliases.<accessor>.metadata.nomad_job_id')
    expect(compare(ref, { ...ref, nomad: { ...ref.nomad, versions: 2 } })).toEqual(['end-state.nomad.versions: expected 1, got 2'])
    expect(compare(ref, { ...ref, vault: { ...ref.vault, policy: 'path "x" {}' } })).toHaveLength(1)
    expect(f.writeFaults).toBeGreaterThan(0)
    expect(f.ambiguousWrites).toBeGreaterThan(0)
    // the proxies really injected faults, at about the configured rate, of every transient kind (the proxy's default list)
    expect(f.faultsInjected / f.requests).toBeGreaterThan(0.2)
    expect(f.faultsInjected / f.requests).toBeLessThan(0.4)
    for (const kind of TRANSIENT_FAULTS) {
      expect({ kind, injected: (f.byFault[kind] ?? 0) > 0 }).toEqual({ kind, injected: true })
    }
  }, 240_000)
})
