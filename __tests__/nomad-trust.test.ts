/**
 * Issue 16, "trust at the edges" (the Nomad side), against the Nomad double (behind the fault proxy where an answer
 * is faulted): no verdict that passes without evidence from Nomad's state. A re-run whose plan shows no change is
 * judged by the running version; two files with one job, and a namespace that does not exist, stop the run before
 * the first write; the timeout is a deadline even for a Nomad that stops answering; a defect of ours is reported as a
 * bug. Answers that are not Nomad's (register included): fault-suite-nomad-answers.test.ts.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { JobSettings } from '../src/config.js'
import { deployJobs, deployRun, prepareJobs, type JobResult } from '../src/nomad/deploy.js'
import { NomadClient } from '../src/nomad/nomad-client.js'
import { followJob } from '../src/nomad/monitor.js'
import { registerJob } from '../src/nomad/register.js'
import { verdictFails } from '../src/nomad/verdict.js'
import { run } from '../src/main.js'
import { deployVaultContext } from '../src/nomad/job-role.js'
import { testConfig } from '../test-support/config-fixture.js'
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../test-support/fault-proxy.js'
import { captureStdout } from '../test-support/input-reader.js'
import { startNomadDouble, type NomadDouble, type NomadDoubleOptions } from '../test-support/nomad-double/server.js'
import { rawExecJob } from '../test-support/raw-exec-job.js'

const stdout = captureStdout()

const hcl = rawExecJob

let nomad: NomadDouble | undefined
let proxy: FaultProxy | undefined
const dirs: string[] = []
afterEach(async () => {
  await proxy?.close()
  await nomad?.close()
  proxy = undefined
  nomad = undefined
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

function files(texts: Record<string, string>): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nomad-trust-'))
  dirs.push(dir)
  return Object.entries(texts).map(([name, text]) => {
    const f = path.join(dir, name)
    fs.writeFileSync(f, text)
    return f
  })
}

async function cluster(opts: Partial<NomadDoubleOptions> = {}, rule?: (r: ProxiedRequest) => 'hang' | null): Promise<NomadDouble> {
  nomad = await startNomadDouble({ acl: { enabled: true }, ...opts })
  proxy = await startFaultProxy({ target: nomad.url, rule })
  return nomad
}

function config(jobFiles: string[], job: Partial<JobSettings> = {}, nomadConn: { namespace?: string } = {}) {
  return testConfig({
    nomad: { addr: proxy!.url, token: nomad!.managementToken, ...nomadConn, transport: { requestTimeoutMs: 30_000, maxRetries: 1 } },
    job: { files: jobFiles, wait: 'deployment', timeoutMs: 30_000, ...job }
  })
}

/** prepareJobs + deployJobs, as main.ts runs them; the one job's result. */
async function deploy(cfg: ReturnType<typeof config>): Promise<JobResult> {
  const prepared = await prepareJobs(cfg)
  const [result] = await deployJobs(deployRun(prepared, cfg, deployVaultContext(cfg), { server: '', client: '' }, {}), prepared)
  return result
}

/** Requests that change Nomad (parse and plan change nothing). */
const writes = (n: NomadDouble, from = 0) =>
  n.requests.slice(from).filter((q) => q.method !== 'GET' && q.path !== '/v1/jobs/parse' && !q.path.endsWith('/plan'))

describe('a plan with no change is judged by the running version, not by the plan', () => {
  it('a re-run right after an early failure stays failed, with the diagnosis (Nomad still runs the deployment)', async () => {
    const n = await cluster()
    n.failAllocs('web', undefined, { exitCode: 127 })
    const [file] = files({ 'web.nomad.hcl': hcl('web') })
    const first = await deploy(config([file]))
    expect(first.verdict).toBe('failed')
    expect(first.reason).toContain('cannot succeed, so the action stops waiting')

    const before = n.requests.length
    const again = await deploy(config([file]))
    expect(writes(n, before)).toEqual([]) // nothing registered: the plan showed no change
    expect(again.plan.diffType).toBe('None')
    expect(again.verdict).toBe('failed')
    expect(again.reason).toMatch(/^Job "web" version 0 is unchanged \(the plan shows no difference\), so nothing was registered\. Deployment/)
    expect(again.reason).toMatch(/exited with code 127 each time it started/)
    expect(again.deploymentStatus).toBe('running')
  })

  it('a re-run while the deployment still runs follows it to its end', async () => {
    const n = await cluster()
    // min_healthy_time 200s is 2 s at the double's time scale: the re-run starts while the deployment runs
    const update = '  update {\n    min_healthy_time = "200s"\n    healthy_deadline = "5m"\n    progress_deadline = "10m"\n  }\n'
    const [file] = files({ 'web.nomad.hcl': hcl('web', { update }) })
    const first = await deploy(config([file], { wait: 'none' }))
    expect(first.verdict).toBe('registered')
    await n.waitFor(() => n.deployments('web').length > 0)
    expect(n.deployments('web').map((d) => d.Status)).toEqual(['running'])

    const again = await deploy(config([file]))
    expect(again.verdict).toBe('unchanged')
    expect(again.deploymentStatus).toBe('successful')
    expect(again.reason).toMatch(/is unchanged .*; Deployment [0-9a-f-]+ of job "web" version 0 is successful/)
    expect(verdictFails(again.verdict)).toBe(false)
  })

  it('a batch job whose allocation failed stays failed on a re-run', async () => {
    const n = await cluster()
    n.failAllocs('work', undefined, { exitCode: 1 })
    const [file] = files({ 'work.nomad.hcl': hcl('work', { type: 'batch' }) })
    const first = await deploy(config([file]))
    expect(first.verdict).toBe('failed')
    const again = await deploy(config([file]))
    expect(again.plan.diffType).toBe('None')
    expect(again.verdict).toBe('failed')
    expect(again.reason).toMatch(/is unchanged .*allocation\(s\) of job "work" failed/s)
  })
})

describe('checked before the first write', () => {
  it('refuses two job files that define the same job, naming both', async () => {
    const n = await cluster()
    const [a, b] = files({ 'a.nomad.hcl': hcl('example'), 'b.nomad.hcl': hcl('example') })
    const err = await prepareJobs(config([a, b])).catch((e: Error) => e)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).message).toContain(`Job files "${a}" and "${b}" both define job "example" in namespace "default"`)
    expect((err as Error).message).toContain('Give one of them another job ID')
    expect(n.requests.filter((q) => q.method !== 'GET' && q.path !== '/v1/jobs/parse')).toEqual([])
  })

  it('takes the same job ID in two namespaces as two jobs', async () => {
    await cluster({ namespaces: ['default', 'staging'] })
    const [a, b] = files({ 'a.nomad.hcl': hcl('example'), 'b.nomad.hcl': hcl('example', { namespace: 'staging' }) })
    const prepared = await prepareJobs(config([a, b]))
    expect(prepared.jobs.map((j) => j.job.Namespace)).toEqual(['default', 'staging'])
  })

  it('finds a namespace that does not exist, naming the file, the namespace and the fix', async () => {
    const n = await cluster()
    const [file] = files({ 'web.nomad.hcl': hcl('web') })
    const err = await prepareJobs(config([file], {}, { namespace: 'prod' })).catch((e: Error) => e)
    expect((err as Error).message).toContain(
      `Job file "${file}" deploys to Nomad namespace "prod", which does not exist on this Nomad cluster. Create it (\`nomad namespace apply prod\`)`
    )
    expect(n.requests.map((q) => `${q.method} ${q.path}`)).toContain('GET /v1/namespace/prod')
    expect(n.requests.filter((q) => q.method !== 'GET' && q.path !== '/v1/jobs/parse')).toEqual([])
  })

  it('a token with no capability in the namespace: Nomad cannot say whether it exists, and the token could not deploy there', async () => {
    // a JSON job needs no parse request, so the namespace read is the first request that needs a namespace capability
    await cluster({ acl: { enabled: true, tokens: [{ secret: 'agent-only', policies: ['agent-read'] }] } })
    const cfg = config([path.resolve('__tests__/fixtures/jobs/worker.json')])
    cfg.nomad.token = 'agent-only'
    const err = await prepareJobs(cfg).catch((e: Error) => e)
    expect((err as Error).message).toMatch(
      /deploys to Nomad namespace "default", but the ACL token in `nomad-token` has no capability in that namespace \(Permission denied\)/
    )
    expect((err as Error).message).toContain('namespace "default" { capabilities = ["submit-job", "read-job"] }')
  })
})

describe('the timeout is a deadline for the whole follow phase', () => {
  it('a Nomad that stops answering: the verdict timeout arrives near the deadline, not after the request timeouts', async () => {
    let hang = false
    const n = await cluster({}, () => (hang ? 'hang' : null))
    const client = new NomadClient({ addr: proxy!.url, token: n.managementToken, skipVerify: false, namespace: '', region: '' })
    const job = await client.post<Record<string, unknown>>('/v1/jobs/parse', { JobHCL: hcl('web'), Canonicalize: true })
    const reg = await registerJob(client, job as never, undefined, {
      enforceIndex: true,
      jobModifyIndex: 0,
      preserveCounts: false,
      policyOverride: false
    })
    hang = true // from now on, every request is read and never answered (request timeout 30 s, blocking waits on top)
    const timeoutMs = 3_000
    const started = Date.now()
    const v = await followJob(client, {
      jobId: 'web',
      evalId: reg.evalId,
      wait: 'deployment',
      timeoutMs,
      autoPromote: false,
      jobType: 'service',
      periodic: false,
      parameterized: false,
      jobVersion: 0
    })
    expect(v.verdict).toBe('timeout')
    expect(v.reason).toMatch(/Timed out after \d+s/)
    expect(Date.now() - started).toBeLessThan(3 * timeoutMs)
  }, 20_000)

  it('from the read of the job after its registration on: a Nomad that stops answering right after the register', async () => {
    let registered = false
    // the register goes through; every read after it is held unanswered
    const n = await cluster({}, (r) => {
      if (registered && r.method === 'GET') return 'hang'
      registered ||= r.method === 'POST' && r.path === '/v1/jobs'
      return null
    })
    const [file] = files({ 'web.nomad.hcl': hcl('web') })
    const timeoutMs = 3_000
    const started = Date.now()
    const r = await deploy(config([file], { timeoutMs }))
    expect(n.getJob('web')).toBeDefined()
    expect(r.verdict).toBe('timeout')
    expect(r.reason).toMatch(
      /^Timed out after \d+s \(the timeout input\): Nomad had not answered the read of job "web" after its registration by the deadline/
    )
    expect(Date.now() - started).toBeLessThan(3 * timeoutMs)
  }, 20_000)

  it('for a re-run with no change: Nomad stops answering after the plan', async () => {
    let planned = false
    let rerun = false
    // on the re-run, the plan goes through; every read after it is held unanswered
    const n = await cluster({}, (r) => {
      if (planned && r.method === 'GET') return 'hang'
      planned ||= rerun && r.method === 'POST' && r.path.endsWith('/plan')
      return null
    })
    const [file] = files({ 'web.nomad.hcl': hcl('web') })
    expect((await deploy(config([file]))).verdict).toBe('healthy')
    rerun = true
    const timeoutMs = 3_000
    const started = Date.now()
    const r = await deploy(config([file], { timeoutMs }))
    expect(r.plan.diffType).toBe('None')
    expect(r.verdict).toBe('timeout')
    expect(r.reason).toContain('The plan showed no change, so nothing was registered.')
    expect(Date.now() - started).toBeLessThan(3 * timeoutMs)
    expect(n.getJob('web')!.Version).toBe(0)
  }, 20_000)
})

describe('a defect of ours', () => {
  it("is reported as a bug in nomad-vault-action, with its stack, not as the user's error", async () => {
    const before = process.exitCode
    try {
      await run((name) => {
        if (name === 'vault-addr') throw new TypeError('cannot read the input (a stand-in for a type error of ours)')
        return ''
      })
    } finally {
      process.exitCode = before
    }
    const out = stdout.text()
    expect(out).toMatch(/::error title=Bug in nomad-vault-action::TypeError: cannot read the input.*%0A\s+at /)
    expect(out).toContain('this is a bug in nomad-vault-action, please report it')
  })
})
