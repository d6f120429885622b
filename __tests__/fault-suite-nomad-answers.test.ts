/**
 * Fault suite: Nomad answers a request with success, but the body is not Nomad's answer (empty, null, [], {}, an HTML
 * page, fields of the wrong JSON type: a proxy or portal in between). Every answer the deploy pipeline reads, through
 * the fault proxy in front of the Nomad double: register, plan, the job read, allocations, deployments, evaluations.
 * No run passes without a verdict that matches Nomad's state, and none surfaces a TypeError: the verdict names Nomad,
 * the method and the path. A register answer is an unclear outcome: the job is read back and the run says what Nomad has.
 */
import { afterEach, describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { deployJobs, deployRun, prepareJobs, type JobResult } from '../src/nomad/deploy.js'
import { verdictFails } from '../src/nomad/verdict.js'
import { deployVaultContext } from '../src/nomad/job-role.js'
import { testConfig } from '../test-support/config-fixture.js'
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../test-support/fault-proxy.js'
import { captureStdout } from '../test-support/input-reader.js'
import { startNomadDouble, type NomadDouble } from '../test-support/nomad-double/server.js'
import { rawExecJob } from '../test-support/raw-exec-job.js'

const stdout = captureStdout()

const HCL = rawExecJob('web')

let nomad: NomadDouble | undefined
let proxy: FaultProxy | undefined
let dir: string | undefined
afterEach(async () => {
  await proxy?.close()
  await nomad?.close()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
  proxy = nomad = dir = undefined
})

interface Body {
  body: string
  contentType?: string
}

const HTML: Body = { body: '<!DOCTYPE html><html><head><title>Sign in</title></head><body></body></html>', contentType: 'text/html' }
const WRONG_TYPES: Body = {
  body: JSON.stringify({ ID: 1, Status: 2, JobVersion: '0', Version: '0', JobModifyIndex: '1', EvalID: 3, Diff: 'x', TaskGroup: 4 })
}
const BODIES: [string, Body][] = [
  ['empty', { body: '' }],
  ['null', { body: 'null' }],
  ['[]', { body: '[]' }],
  ['{}', { body: '{}' }],
  ['an HTML page', HTML],
  ['wrong types', WRONG_TYPES],
  ['a list of wrong elements', { body: JSON.stringify([{ ID: 1, ClientStatus: null }]) }]
]

/** The answers the pipeline reads, by method and path. */
const ANSWERS: [string, (r: ProxiedRequest) => boolean][] = [
  ['plan', (r) => r.method === 'POST' && r.path === '/v1/job/web/plan'],
  ['job read', (r) => r.method === 'GET' && r.path === '/v1/job/web'],
  ['allocations', (r) => r.method === 'GET' && r.path === '/v1/job/web/allocations'],
  ['deployment', (r) => r.method === 'GET' && r.path.startsWith('/v1/deployment/')],
  ['evaluation', (r) => r.method === 'GET' && r.path.startsWith('/v1/evaluation/')]
]

async function deployThrough(setup: (p: FaultProxy) => void): Promise<{ r: JobResult; n: NomadDouble }> {
  const n = (nomad = await startNomadDouble({ acl: { enabled: true } }))
  proxy = await startFaultProxy({ target: n.url })
  setup(proxy)
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fault-answers-'))
  const file = path.join(dir, 'web.nomad.hcl')
  fs.writeFileSync(file, HCL)
  const cfg = testConfig({
    nomad: { addr: proxy.url, token: n.managementToken, transport: { requestTimeoutMs: 10_000, maxRetries: 1 } },
    job: { files: [file], wait: 'deployment', timeoutMs: 30_000 }
  })
  const prepared = await prepareJobs(cfg)
  const vault = deployVaultContext(cfg)
  const [r] = await deployJobs(deployRun(prepared, cfg, vault, { server: '', client: '' }, {}), prepared)
  return { r, n }
}

const TYPE_ERROR = /TypeError|is not a function|Cannot read propert|is not iterable|undefined/

// An empty list is a shape Nomad answers for allocations (a job with none yet): not a fault there.
const CASES = ANSWERS.flatMap(([what, matches]) =>
  BODIES.filter(([name]) => !(what === 'allocations' && name === '[]')).map(([name, body]) => [what, name, matches, body] as const)
)

describe("Nomad's answer replaced with a body that is not Nomad's", () => {
  it.each(CASES)('%s answered with %s: the job fails with an error naming Nomad, the method and the path', async (what, _name, matches, body) => {
    const { r, n } = await deployThrough((p) => p.configure({ rewrite: (req) => (matches(req) ? body : undefined) }))
    const hit = proxy!.log.find((e) => matches({ ...e, n: e.n, url: e.path, headers: {} }))
    expect(hit).toBeDefined()
    expect(r.verdict).toBe('failed')
    expect(verdictFails(r.verdict)).toBe(true)
    expect(r.reason).toMatch(
      new RegExp(`^Nomad ${hit!.method} ${hit!.path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} answered with success, but the answer is not Nomad's: `)
    )
    expect(r.reason).toContain('Check that `nomad-addr` points at the Nomad HTTP API itself')
    expect(r.reason).not.toMatch(TYPE_ERROR)
    if (what === 'plan') expect(n.getJob('web')).toBeUndefined() // nothing registered on an unreadable plan
  })
})

describe("a register answer that is not Nomad's is an unclear outcome, settled by reading the job back", () => {
  const isRegister = (r: ProxiedRequest) => r.method === 'POST' && r.path === '/v1/jobs'

  it.each(BODIES)('%s after Nomad registered the job: confirmed from the stored version and submission, then followed', async (_name, body) => {
    const { r, n } = await deployThrough((p) => p.configure({ rewrite: (req) => (isRegister(req) ? body : undefined) }))
    // Nomad's state: the job is registered and its deployment successful; the verdict says the same
    expect(n.deployments('web').map((d) => d.Status)).toEqual(['successful'])
    expect(r.verdict).toBe('healthy')
    expect(r.jobVersion).toBe(n.getJob('web')!.Version)
    expect(stdout.text()).toContain(`The answer to the registration of job "web" was not Nomad's answer; read back: version 0`)
  })

  it.each(BODIES)('%s when Nomad never got it: the run says the registration did not take', async (_name, body) => {
    const { r, n } = await deployThrough((p) =>
      p.configure({
        respond: (req) => (isRegister(req) ? { status: 200, body: body.body, contentType: body.contentType ?? 'application/json' } : undefined)
      })
    )
    expect(r.verdict).toBe('failed')
    expect(r.reason).toMatch(/^The answer to the registration of job "web" \(.*\) was not Nomad's answer \(/)
    expect(r.reason).toContain("read back, the job does not exist, so this run's registration did not take")
    expect(r.reason).not.toMatch(TYPE_ERROR)
    expect(n.getJob('web')).toBeUndefined()
  })
})
