/**
 * End to end (dist/index.js against a real OpenBao and the Nomad test double), issue 16 on the Nomad side: "Re-run
 * failed jobs" right after an early failure is not green, and a run that cannot deploy its jobs (two files with one job
 * ID, a namespace that does not exist) stops before it writes anything to Vault.
 */
import { describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { e2eSuite, messages } from '../test-support/e2e-suite.js'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import { repoRoot, runAction, type ActionRun } from '../test-support/run-action.js'

const JOB = '__tests__/fixtures/jobs/docker.nomad.hcl'
const e2e = e2eSuite({ secrets: { 'default/api/config': { password: 'api-password' } } })
const { cluster } = e2e

/** Nothing in Vault: no auth method was mounted at the run's auth-path (the first write of a run; the file shares one OpenBao). */
async function vaultUntouched(r: ActionRun, authPath: string): Promise<void> {
  const auth = await e2e.bao.api<{ data: Record<string, unknown> }>('GET', 'sys/auth')
  expect(Object.keys(auth.data)).not.toContain(`${authPath}/`)
  expect(r.summary).toContain('Nothing was written to Vault.')
}

describe('"Re-run failed jobs" of the same commit', () => {
  it('right after an early failure (a template denied by Vault): the re-run plans no change and still fails, with the diagnosis', async () => {
    const n = await cluster()
    await e2e.bao.api('POST', 'secret/data/default/billing/config', { data: { password: 'not-yours' } })
    const inputs = e2e.inputs(n, { job: JOB, variables: 'secret=secret/data/default/billing/config' })
    const first = await runAction(inputs)
    expect(first.code).toBe(1)
    expect(first.outputs.verdict).toBe('failed')
    const registered = n.requests.filter((q) => q.method === 'POST' && q.path === '/v1/jobs').length

    const again = await runAction(inputs, { env: { GITHUB_RUN_ATTEMPT: '2' } })
    expect(n.requests.filter((q) => q.method === 'POST' && q.path === '/v1/jobs')).toHaveLength(registered) // nothing registered
    expect(again.code).toBe(1)
    expect(again.outputs.verdict).toBe('failed')
    expect(again.outputs['deployment-status']).toBe('running') // Nomad still runs it, within its progress deadline
    const e = messages(again, 'error')
    expect(e).toContain('is unchanged (the plan shows no difference), so nothing was registered')
    expect(e).toContain('cannot succeed, so the action stops waiting')
    expect(e).toContain('Vault denied "secret/data/default/billing/config"')
  })
})

describe('stopped before the first write', () => {
  function twoFiles(): { dir: string; files: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-trust-'))
    const text = fs.readFileSync(path.join(repoRoot, JOB), 'utf8')
    const files = ['a.nomad.hcl', 'b.nomad.hcl']
    for (const f of files) fs.writeFileSync(path.join(dir, f), text)
    return { dir, files }
  }

  it('two job files that define the same job: refused, naming both files', async () => {
    const n: NomadDouble = await cluster()
    const { dir, files } = twoFiles()
    try {
      const r = await runAction(e2e.inputs(n, { job: files.join('\n'), 'auth-path': 'jwt-twice' }), { cwd: dir, env: { GITHUB_WORKSPACE: dir } })
      expect(r.code).toBe(1)
      expect(messages(r, 'error')).toContain('Job files "a.nomad.hcl" and "b.nomad.hcl" both define job "api" in namespace "default"')
      expect(n.getJob('api')).toBeUndefined()
      await vaultUntouched(r, 'jwt-twice')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a Nomad namespace that does not exist: found before Vault is set up, naming the job file, the namespace and the fix', async () => {
    const n = await cluster()
    const r = await runAction(e2e.inputs(n, { job: JOB, 'nomad-namespace': 'prod', 'auth-path': 'jwt-prod' }))
    expect(r.code).toBe(1)
    expect(messages(r, 'error')).toContain(
      `Job file "${JOB}" deploys to Nomad namespace "prod", which does not exist on this Nomad cluster. Create it (\`nomad namespace apply prod\`), ` +
        "or set the `nomad-namespace` input (or the job's `namespace`) to an existing one."
    )
    await vaultUntouched(r, 'jwt-prod')
  })
})
