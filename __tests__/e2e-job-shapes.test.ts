/**
 * End to end (dist/index.js against a real OpenBao and the Nomad test double): jobs of real-world shapes that Nomad
 * admits differently. A dry run is refused where the real run would be (Nomad's plan runs the same admission as its
 * register); a JSON job, bare or as {"Job": …}, re-runs to `unchanged`; sysbatch jobs complete; parameterized jobs
 * are only registered; multiregion jobs are refused on Nomad CE.
 */
import { describe, expect, it } from '@jest/globals'
import { e2eSuite, messages } from '../test-support/e2e-suite.js'
import { runAction } from '../test-support/run-action.js'

const FIX = '__tests__/fixtures/jobs'
const e2e = e2eSuite()
const { cluster, inputs } = e2e

describe('jobs Nomad refuses: the dry run fails as the real run does', () => {
  it.each([
    [
      'a namespace that does not exist',
      'payments.nomad.hcl',
      // Found while the job files are read (GET /v1/namespace/:name), before the plan that would refuse it the same way.
      'deploys to Nomad namespace "payments", which does not exist on this Nomad cluster',
      '`nomad namespace apply payments`'
    ],
    ['a node pool that does not exist', 'arm64.nomad.hcl', 'job "render" is in nonexistent node pool "arm64"', "or change the job's node_pool"]
  ])('%s', async (_what, file, refusal, fix) => {
    const n = await cluster()
    const dry = await runAction(inputs(n, { job: `${FIX}/${file}`, 'dry-run': 'true' }))
    expect(dry.code).toBe(1)
    expect(dry.outputs.verdict).not.toBe('planned')
    expect(messages(dry, 'error')).toContain(refusal)
    expect(messages(dry, 'error')).toContain(fix)
    const real = await runAction(inputs(n, { job: `${FIX}/${file}` }))
    expect(real.code).toBe(1)
    expect(messages(real, 'error')).toContain(refusal)
    expect(n.requests.filter((q) => q.path === '/v1/jobs' && q.method !== 'GET')).toEqual([])
  })

  it('a multiregion job: unlicensed on Nomad CE, refused at the plan', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: `${FIX}/multiregion.json` }))
    expect(r.code).toBe(1)
    expect(messages(r, 'error')).toContain('Multiregion jobs are unlicensed.')
    expect(messages(r, 'error')).toContain('remove the multiregion block and deploy the job to each region on its own')
    expect(n.getJob('edge')).toBeUndefined()
  })
})

describe('jobs Nomad admits', () => {
  it.each([
    ['bare', 'worker.json'],
    ['as {"Job": …} with every unset field null, as `nomad job run -output` writes it', 'worker-wrapped.json']
  ])('a JSON job (%s) re-runs to unchanged', async (_form, file) => {
    const n = await cluster()
    const first = await runAction(inputs(n, { job: `${FIX}/${file}` }))
    expect(first.code).toBe(0)
    expect(first.outputs.verdict).toBe('healthy')
    const again = await runAction(inputs(n, { job: `${FIX}/${file}` }))
    expect(again.code).toBe(0)
    expect(again.outputs.verdict).toBe('unchanged')
    expect(n.getJob('worker')?.Version).toBe(0)
  })

  it('a sysbatch job runs to completion on every node: complete', async () => {
    const n = await cluster({
      nodes: [
        { cpu: 1000, memoryMB: 1024 },
        { cpu: 1000, memoryMB: 1024 }
      ]
    })
    const r = await runAction(inputs(n, { job: `${FIX}/sysbatch.nomad.hcl` }))
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('complete')
    expect(r.outputs['deployment-id']).toBe('')
    expect(n.allocations('cleanup').map((a) => a.ClientStatus)).toEqual(['complete', 'complete'])
    expect(n.getJob('cleanup')?.Status).toBe('dead')
  })

  it('a parameterized job is registered, with nothing to follow until it is dispatched', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: `${FIX}/parameterized.nomad.hcl` }))
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('registered')
    expect(r.outputs['eval-id']).toBe('')
    expect(n.allocations('resize')).toEqual([])
  })
})

describe('a template that writes to Vault', () => {
  it('a secret call with key=value parameters is a write; denied, the action names the path and the capability', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: `${FIX}/cert.nomad.hcl`, 'inject-vault': 'missing' }))
    expect(r.code).toBe(1)
    expect(r.outputs.verdict).toBe('failed')
    const e = messages(r, 'error')
    expect(e).toContain('Template failed: vault.write(pki/issue/web -> cea67813)')
    expect(e).toContain('Vault denied the write to "pki/issue/web"')
    expect(e).toContain('path "pki/issue/web" { capabilities = ["update"] }')
    expect(n.secretReads).toEqual([])
  })
})
