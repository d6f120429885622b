/**
 * End to end (dist/index.js against a real OpenBao and the Nomad test double): early, honest verdicts. Real Nomad keeps
 * a deployment running and reschedules failed allocations until the progress deadline (10 minutes by default); when the
 * task events show a permanent failure, the action fails at once and says what is wrong and how to fix it, while the
 * deployment is still running. The double scales Nomad's timers (timeScale 0.01: the 10 m deadline is 6 s).
 * Also: the cluster check against a server-only agent, which cannot describe the clients, and a cluster whose only
 * signing key is EdDSA.
 */
import * as net from 'node:net'
import { describe, expect, it } from '@jest/globals'
import { e2eSuite, messages } from '../test-support/e2e-suite.js'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'

const JOB = '__tests__/fixtures/jobs/docker.nomad.hcl'
const e2e = e2eSuite({ secrets: { 'default/api/config': { password: 'api-password' } } })
const { cluster } = e2e
const inputs = (n: NomadDouble, extra: Record<string, string> = {}) => e2e.inputs(n, { job: JOB, ...extra })

const errors = (r: ActionRun) => messages(r, 'error')

/** Failed early: the verdict is failed while Nomad's deployment still runs (it would fail only at its progress deadline). */
function failedEarly(r: ActionRun, n: NomadDouble): string {
  expect(r.code).toBe(1)
  expect(r.outputs.verdict).toBe('failed')
  expect(r.outputs['deployment-status']).toBe('running')
  expect(n.deployments('api').map((d) => d.Status)).toEqual(['running'])
  const e = errors(r)
  expect(e).toContain('cannot succeed, so the action stops waiting')
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/)
  return e
}

describe('early verdicts on permanent failures', () => {
  it('an image the registry does not have: names the image and the fix', async () => {
    const n = await cluster({ missingImages: ['nginx:does-not-exist'] })
    const r = await runAction(inputs(n, { variables: 'image=nginx:does-not-exist' }))
    const e = failedEarly(r, n)
    expect(e).toContain('could not pull image `nginx:does-not-exist` for task "app"')
    expect(e).toContain('manifest unknown')
    expect(e).toContain('check the image name and tag in the task\'s config { image = "nginx:does-not-exist" }')
    expect(e).toContain('Not Restarting: Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"')
  })

  it('an unrecoverable start error: Nomad does not restart the task, and the action says so', async () => {
    const n = await cluster()
    n.failAllocs('api', 'Failed to create container configuration for image "nginx:1.27": invalid mount config', { recoverable: false })
    const r = await runAction(inputs(n))
    const e = failedEarly(r, n)
    expect(e).toContain('could not start: Failed to create container configuration for image "nginx:1.27": invalid mount config')
    expect(e).toContain('Nomad marked the error unrecoverable')
  })

  it('a crash loop with one exit code: points at the task logs', async () => {
    const n = await cluster()
    n.failAllocs('api', undefined, { exitCode: 127 })
    const r = await runAction(inputs(n))
    const e = failedEarly(r, n)
    expect(e).toMatch(/task "app" of allocation api\.api\[0\] \([0-9a-f]{8}\) exited with code 127 each time it started \(3 times\)/)
    expect(e).toMatch(/`nomad alloc logs -stderr [0-9a-f-]{36} app` \(127 = command not found in the image\)/)
  })

  it('a client that cannot reach Vault: the Killing event is final, the action says where to look', async () => {
    const probe = net.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()))
    const port = (probe.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const n = await cluster({
      client: { enabled: true, address: `http://127.0.0.1:${port}`, jwt_auth_backend_path: 'jwt-nomad', create_from_role: 'nomad-workloads' }
    })
    const r = await runAction(inputs(n))
    const e = failedEarly(r, n)
    expect(e).toContain(`dial tcp 127.0.0.1:${port}: connect: connection refused`)
    expect(e).toContain("The Nomad client cannot reach Vault: check `address` in the clients' vault block")
  })

  it('a template waiting for a secret that does not exist: reported while waiting, then failed with the command that writes it', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { variables: 'secret=secret/data/default/api/missing' }))
    const warnings = r.annotations.filter((a) => a.level === 'warning').map((a) => a.message)
    expect(warnings).toContainEqual(expect.stringContaining('waits for Vault secret(s) "secret/data/default/api/missing"'))
    const e = failedEarly(r, n)
    expect(e).toContain('Template failed: vault.read(secret/data/default/api/missing): no secret exists at secret/data/default/api/missing')
    expect(e).toContain('`vault kv put -mount=secret default/api/missing <key>=<value>`')
    // reported before the failure
    expect(r.stdout.indexOf('waits for Vault secret(s)')).toBeLessThan(r.stdout.indexOf('cannot succeed'))
  })
})

describe('a template whose secret the task may not read', () => {
  it('Vault answers 403: Nomad retries the template, then kills the task; the action names the path and the policy', async () => {
    const n = await cluster()
    // the job's policy grants secret/data/default/api/*, not another job's secrets
    await e2e.bao.api('POST', 'secret/data/default/billing/config', { data: { password: 'not-yours' } })
    const r = await runAction(inputs(n, { variables: 'secret=secret/data/default/billing/config' }))
    const e = failedEarly(r, n)
    expect(e).toMatch(/Template failed: vault\.read\(secret\/data\/default\/billing\/config\): .*Code: 403/s)
    expect(e).toContain('Vault denied "secret/data/default/billing/config"')
    expect(e).toContain('(for this job: secret/data/default/api/…)')
    // retried before the kill: the task never started, and no secret was read
    expect(n.secretReads).toEqual([])
  })
})

describe('cluster shapes: a server-only agent, EdDSA-only keys', () => {
  it('against a server-only agent: says it could not check the clients, and deploys', async () => {
    const n = await cluster({ agent: { server: true, client: false } })
    const r = await runAction(inputs(n))
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('healthy')
    expect(r.stdout).toContain("Could not check the Nomad clients' vault block")
    expect(r.stdout).toContain('nomad-addr points at Nomad server agent')
    // nothing about the clients is claimed from a server's answer
    const warnings = r.annotations.filter((a) => a.level === 'warning').map((a) => a.message)
    expect(warnings.filter((w) => /client/i.test(w))).toEqual([])
  })

  it.each(['jwks', 'static'])(
    'a cluster whose only key is EdDSA (made before Nomad 1.7, never rotated), key-source %s: the task logs in and reads its secret',
    async (keySource) => {
      const n = await cluster({ keyAlgorithm: 'EdDSA' })
      expect(n.keyring.jwks().keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })])
      const r = await runAction(inputs(n, { 'key-source': keySource }))
      expect(r.code).toBe(0)
      expect(r.outputs.verdict).toBe('healthy')
      expect(r.outputs['key-source']).toBe(keySource)
      expect(n.vaultLogins.map((l) => [JSON.parse(Buffer.from(l.jwt.split('.')[0], 'base64url').toString()).alg, l.ok])).toEqual([['EdDSA', true]])
      expect(n.secretReads.map((x) => x.path)).toEqual(['secret/data/default/api/config'])
    }
  )
})

describe('rolling updates (count 3, max_parallel 1, auto_revert)', () => {
  const ROLLING = 'count=3\nauto_revert=true'
  const versionOf = (n: NomadDouble, v: number) =>
    n.allocations('api').filter((a) => a.JobVersion === v && a.DesiredStatus === 'run' && a.ClientStatus === 'running')

  /** Version 0 deployed by the action, healthy. */
  async function deployed(n: NomadDouble): Promise<void> {
    const r = await runAction(inputs(n, { variables: ROLLING }))
    expect(r.outputs.verdict).toBe('healthy')
    expect(versionOf(n, 0)).toHaveLength(3)
  }

  /** The action updates to version 1 (a new image); once its first allocation is healthy, `fail` scripts the rest. */
  async function update(n: NomadDouble, fail?: () => void, extra: Record<string, string> = {}): Promise<ActionRun> {
    const run = runAction(inputs(n, { variables: `${ROLLING}\nimage=nginx:1.28`, ...extra }))
    if (fail) {
      await n.waitFor(() => (n.deployments('api').find((d) => d.JobVersion === 1)?.TaskGroups.api.HealthyAllocs ?? 0) >= 1, 30_000)
      fail()
    }
    return run
  }

  it('an image update: healthy only after the last batch, with every allocation on the new version', async () => {
    const n = await cluster()
    await deployed(n)
    const r = await update(n)
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('healthy')
    expect(r.outputs['deployment-status']).toBe('successful')
    // the plan shows Nomad's first pass: one create/destroy update, the other two wait
    expect(r.stdout).toContain('Plan for job "api" (Edited, job modify index 2): api: 1 destructive, 2 ignore')
    // the action followed the batches: one, two, then three healthy allocations of the new version
    const seen = [...r.stdout.matchAll(/Deployment [0-9a-f]{8}: running - .*\[api: (\d)\/3 healthy, (\d) placed/g)].map((m) => `${m[1]}/${m[2]}`)
    expect(seen).toEqual(expect.arrayContaining(['0/1', '1/2', '2/3']))
    expect(r.stdout).toMatch(/Deployment [0-9a-f]{8}: successful - Deployment completed successfully \[api: 3\/3 healthy, 3 placed\]/)
    expect(r.stdout.match(/: successful - /g)).toHaveLength(1)
    expect(versionOf(n, 1)).toHaveLength(3)
  })

  it('the second batch fails: the verdict is failed, says how far the rollout got, and reports the rollback', async () => {
    const n = await cluster()
    await deployed(n)
    n.setProgressDeadlineMs(2000)
    // the first allocation of version 1 becomes healthy; the next ones fail to start, each time
    const r = await update(n, () => n.failAllocs('api', 'failed to create container: connection reset by peer', { version: 1 }))
    expect(r.code).toBe(1)
    expect(r.outputs.verdict).toBe('failed')
    expect(r.outputs['deployment-status']).toBe('failed')
    const e = errors(r)
    expect(e).toContain('failed: Failed due to progress deadline - rolling back to job version 0')
    expect(e).toContain('Nomad is rolling back to job version 0 (auto_revert)')
    expect(e).toContain('api: 1 of 3 allocations of version 1 became healthy')
    expect(e).toContain("then no further one within the update block's progress_deadline")
    expect(e).toContain('the allocations not replaced yet still run the previous version')
    expect(e).not.toContain('no allocation became healthy')
    expect(e).toContain('failed to create container: connection reset by peer')
    // Nomad left the third allocation on version 0 (it was never replaced) and rolls back to it
    await n.waitFor(() => n.deployments('api').some((d) => d.JobVersion === 2 && d.Status === 'successful'), 30_000)
    expect(versionOf(n, 2)).toHaveLength(3)
  })

  it('the second batch crash-loops: failed early, saying how far the rollout got and that the rest still runs the old version', async () => {
    const n = await cluster()
    await deployed(n)
    const r = await update(n, () => n.failAllocs('api', undefined, { version: 1, exitCode: 1 }))
    expect(r.code).toBe(1)
    expect(r.outputs.verdict).toBe('failed')
    expect(r.outputs['deployment-status']).toBe('running')
    const e = errors(r)
    expect(e).toContain('cannot succeed, so the action stops waiting')
    expect(e).toMatch(/task "app" of allocation api\.api\[1\] \([0-9a-f]{8}\) exited with code 1 each time it started/)
    expect(e).toContain(
      'Rolling update stopped: api: 1 of 3 allocations of version 1 became healthy; Nomad places no more while one is unhealthy, so the others still run the previous version.'
    )
  })

  it('paused by an operator mid-rollout (nomad deployment pause): warned at once; at the timeout, says it is paused and how to resume', async () => {
    const n = await cluster()
    await deployed(n)
    const run = update(n, undefined, { timeout: '4s' })
    await n.waitFor(() => n.deployments('api').some((d) => d.JobVersion === 1), 30_000)
    const id = n.deployments('api').find((d) => d.JobVersion === 1)?.ID
    const res = await fetch(`${n.url}/v1/deployment/pause/${id}`, {
      method: 'POST',
      headers: { 'X-Nomad-Token': n.managementToken },
      body: JSON.stringify({ DeploymentID: id, Pause: true })
    })
    expect(res.status).toBe(200)
    const placed = n.deployments('api').find((d) => d.ID === id)?.TaskGroups.api.PlacedAllocs
    const r = await run
    expect(r.code).toBe(1)
    expect(r.outputs.verdict).toBe('timeout')
    expect(r.outputs['deployment-status']).toBe('paused')
    const warnings = r.annotations.filter((a) => a.level === 'warning').map((a) => a.message)
    expect(warnings).toContainEqual(expect.stringContaining(`Deployment ${id} is paused (\`nomad deployment pause\`)`))
    const e = errors(r)
    expect(e).toContain(`until \`nomad deployment resume ${id}\`, and its progress deadline keeps running`)
    expect(e).not.toContain('The deployment continues in Nomad')
    // Nomad placed nothing after the pause
    expect(n.deployments('api').find((d) => d.ID === id)?.TaskGroups.api.PlacedAllocs).toBe(placed)
  })
})
