/**
 * Tests of the Nomad test double itself, against a real OpenBao dev server configured the way
 * `nomad setup vault` does it (Nomad command/setup_vault.go).
 */
import * as net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { defaultVaultBlock } from '../src/nomad/inject.js'
import { startOpenBao, type OpenBao, type MountsAnswer } from '../test-support/openbao.js'
import { startNomadDouble, type NomadDouble, type NomadDoubleOptions } from '../test-support/nomad-double/server.js'
import type { Job } from '../test-support/nomad-double/api-job.js'

// What the tests read of the double's answers: subsets of the structs of Nomad's Go api module (api/allocations.go
// Allocation and TaskState, api/evaluations.go, api/deployments.go, api/jobs.go, api/agent.go), JSON names as there.
interface TaskEvent {
  Type: string
  DisplayMessage: string
  FailsTask: boolean
  RestartReason: string
  ExitCode: number
  Details: Record<string, string>
}
interface TaskState {
  State: string
  Failed: boolean
  Restarts: number
  Events: TaskEvent[]
}
/** A job as the server keeps it: the submitted api.Job plus what registering sets. */
type StoredJob = Job & { Version: number; Status: string; Stable: boolean; JobModifyIndex: number }
interface Alloc {
  ID: string
  EvalID: string
  ClientStatus: string
  DesiredStatus: string
  JobVersion: number
  DeploymentStatus: { Healthy: boolean; Canary: boolean } | null
  TaskStates: Record<string, TaskState>
  RescheduleTracker: { Events: { PrevAllocID: string; Delay: number }[] }
  NextAllocation: string
  FollowupEvalID: string
  PreviousAllocation: string
  Job: StoredJob
  AllocatedResources: { Tasks: Record<string, { Memory: { MemoryMB: number } }> }
}
interface Eval {
  ID: string
  Status: string
  DeploymentID: string
  BlockedEval: string
  PreviousEval: string
  FailedTGAllocs: Record<string, object> | null
  QueuedAllocations: Record<string, number>
}
interface Deployment {
  ID: string
  Status: string
  StatusDescription: string
  JobVersion: number
  TaskGroups: Record<string, { HealthyAllocs: number; PlacedCanaries: string[]; Promoted: boolean; ProgressDeadline: number }>
}
/** JobRegisterResponse, JobPlanResponse, DeploymentUpdateResponse: the fields the tests read. */
interface WriteAnswer {
  EvalID: string
  JobModifyIndex: number
  Warnings: string
}
interface PlanAnswer extends WriteAnswer {
  Diff: { Type: string; TaskGroups: { Updates: Record<string, number> }[] }
  Annotations: { DesiredTGUpdates: Record<string, object> }
  FailedTGAllocs: Record<string, object>
}

/** The answer's type by request path (most specific first). */
type Answer<P extends string> = P extends `/v1/jobs/parse${string}`
  ? Job
  : P extends `/v1/jobs${string}`
    ? WriteAnswer
    : P extends `/v1/job/${string}/allocations${string}`
      ? Alloc[]
      : P extends `/v1/job/${string}/evaluations${string}`
        ? Eval[]
        : P extends `/v1/job/${string}/deployment${string}`
          ? Deployment
          : P extends `/v1/job/${string}/plan${string}`
            ? PlanAnswer
            : P extends `/v1/job/${string}/submission${string}`
              ? object
              : P extends `/v1/job/${string}`
                ? StoredJob
                : P extends `/v1/evaluation/${string}`
                  ? Eval
                  : P extends `/v1/deployment/promote/${string}`
                    ? WriteAnswer
                    : P extends `/v1/deployment/${string}`
                      ? Deployment
                      : P extends `/v1/allocation/${string}`
                        ? Alloc
                        : P extends `/v1/agent/self${string}`
                          ? { config: { Vaults: object[]; Version: { Version: string } } }
                          : P extends '/.well-known/jwks.json'
                            ? { keys: object[] }
                            : unknown

/** The JSON body, or undefined when the answer is not JSON (tests then read `text`). */
function jsonOf<T>(text: string): T {
  try {
    return JSON.parse(text)
  } catch {
    return undefined as T
  }
}

let bao: OpenBao
const doubles: NomadDouble[] = []

async function call<P extends string, T = Answer<P>>(d: NomadDouble, method: string, path: P, body?: unknown, token?: string | null) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  const t = token === undefined ? d.managementToken : token
  if (t) headers['X-Nomad-Token'] = t
  const res = await fetch(`${d.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  const json = jsonOf<T>(text)
  return { status: res.status, text, json, headers: res.headers, index: Number(res.headers.get('x-nomad-index') ?? 0) }
}

/** Follows `path` with blocking queries until predicate(body) holds (no sleeps; each call waits for a change). */
async function until<P extends string>(d: NomadDouble, path: P, predicate: (b: Answer<P>) => boolean, timeoutMs = 15_000): Promise<Answer<P>> {
  const deadline = Date.now() + timeoutMs
  let index = 0
  for (;;) {
    const sep = path.includes('?') ? '&' : '?'
    const r = await call<string, Answer<P>>(d, 'GET', `${path}${sep}index=${index}&wait=2s`)
    if (r.status === 200 && predicate(r.json)) return r.json
    if (Date.now() > deadline) throw new Error(`until ${path}: timed out; last ${r.status} ${r.text.slice(0, 2000)}`)
    index = r.index
  }
}

async function start(o: Partial<NomadDoubleOptions> = {}): Promise<NomadDouble> {
  const d = await startNomadDouble({ vaultAddr: bao.addr, allocStartMs: 20, healthyAfterMs: 50, ...o })
  doubles.push(d)
  return d
}

async function parseHcl(d: NomadDouble, hcl: string, variables?: string) {
  return call(d, 'POST', '/v1/jobs/parse', { JobHCL: hcl, Canonicalize: true, Variables: variables })
}

async function run(d: NomadDouble, hcl: string, extra: Record<string, unknown> = {}) {
  const p = await parseHcl(d, hcl)
  expect(p.status).toBe(200)
  const r = await call(d, 'POST', '/v1/jobs', { Job: p.json, Submission: { Source: hcl, Format: 'hcl2' }, ...extra })
  return { job: p.json, reg: r }
}

const webJob = (
  o: { id?: string; image?: string; identity?: string; secretPath?: string; update?: string; count?: number; memory?: number; meta?: string } = {}
) => `
job "${o.id ?? 'web'}" {
  datacenters = ["dc1"]
${o.update ?? ''}
${o.meta ?? ''}
  group "web" {
    count = ${o.count ?? 1}
    task "server" {
      driver = "docker"
      config {
        image = "${o.image ?? 'nginx:1.25'}"
      }
      resources {
        cpu    = 100
        memory = ${o.memory ?? 128}
      }
      vault {}
${o.identity ?? ''}
      template {
        data        = <<EOT
{{ with secret "${o.secretPath ?? `secret/data/default/${o.id ?? 'web'}/config`}" }}PASSWORD={{ .Data.data.password }}{{ end }}
EOT
        destination = "secrets/app.env"
        env         = true
      }
    }
  }
}
`

beforeAll(async () => {
  bao = await startOpenBao()
  // what `nomad setup vault` writes; jwks_url is set per double in configureJwks()
  await bao.api('POST', 'sys/auth/jwt-nomad', { type: 'jwt' })
  const mounts = await bao.api<MountsAnswer>('GET', 'sys/auth')
  const accessor: string = mounts.data['jwt-nomad/'].accessor
  const tmpl = (k: string) => `{{identity.entity.aliases.${accessor}.metadata.${k}}}`
  const policy = `
path "secret/data/${tmpl('nomad_namespace')}/${tmpl('nomad_job_id')}/*" { capabilities = ["read"] }
path "secret/data/${tmpl('nomad_namespace')}/${tmpl('nomad_job_id')}" { capabilities = ["read"] }
path "secret/metadata/${tmpl('nomad_namespace')}/*" { capabilities = ["list"] }
path "secret/metadata/*" { capabilities = ["list"] }
`
  await bao.api('PUT', 'sys/policies/acl/nomad-workloads', { policy: Buffer.from(policy).toString('base64') })
  await bao.api('PUT', 'secret/data/default/web/config', { data: { password: 's3cr3t' } })
  for (const id of ['other', 'can', 'rev']) await bao.api('PUT', `secret/data/default/${id}/config`, { data: { password: id } })
}, 60_000)

afterAll(async () => {
  for (const d of doubles) await d.close()
  await bao?.stop()
})

/** A double whose JWKS OpenBao trusts, with the secret each named job's template reads written in the KV store. */
async function startWithSecrets(o: Partial<NomadDoubleOptions>, ...jobIds: string[]): Promise<NomadDouble> {
  const d = await start(o)
  await configureJwks(d)
  for (const id of jobIds) await bao.api('PUT', `secret/data/default/${id}/config`, { data: { password: id } })
  return d
}

/** Points the OpenBao JWT mount at this double's JWKS and (re)writes the role. */
async function configureJwks(d: NomadDouble) {
  await bao.api('POST', 'auth/jwt-nomad/config', {
    jwks_url: `${d.url}/.well-known/jwks.json`,
    jwt_supported_algs: ['EdDSA', 'RS256'],
    default_role: 'nomad-workloads'
  })
  await bao.api('POST', 'auth/jwt-nomad/role/nomad-workloads', {
    role_type: 'jwt',
    bound_audiences: 'vault.io',
    user_claim: '/nomad_job_id',
    user_claim_json_pointer: true,
    claim_mappings: { nomad_namespace: 'nomad_namespace', nomad_job_id: 'nomad_job_id', nomad_task: 'nomad_task' },
    token_type: 'service',
    token_period: '30m',
    token_policies: ['nomad-workloads']
  })
}

describe('nomad double: parse', () => {
  let d: NomadDouble
  beforeAll(async () => {
    d = await start()
  })

  it('substitutes variables from defaults and the Variables var-file and canonicalises', async () => {
    const hcl = `
variable "image" {
  type    = string
  default = "nginx:1"
}
variable "count" {
  type = number
}
job "web" {
  type = "service"
  meta {
    owner = "team-\${var.image}"
  }
  vault {
    role = "nomad-workloads"
  }
  update {
    canary           = 1
    healthy_deadline = "2m"
  }
  group "web" {
    count = var.count
    task "server" {
      driver = "docker"
      config {
        image = var.image
      }
      identity {
        name = "vault_default"
        aud  = ["vault.io"]
        ttl  = "1h"
      }
    }
  }
}
`
    const r = await parseHcl(d, hcl, 'count = 3\nimage = "nginx:2"\n')
    expect(r.status).toBe(200)
    const job = r.json
    expect(job.ID).toBe('web')
    expect(job.Type).toBe('service')
    expect(job.Meta).toEqual({ owner: 'team-nginx:2' })
    const tg = job.TaskGroups[0]
    expect(tg.Count).toBe(3)
    expect(tg.Update?.Canary).toBe(1)
    expect(tg.Update?.HealthyDeadline).toBe(120e9)
    expect(tg.Update?.ProgressDeadline).toBe(600e9)
    const task = tg.Tasks[0]
    expect(task.Config).toEqual({ image: 'nginx:2' })
    // job-level vault block copied into the task, canonicalised
    // as the action injects it (nomad-inject.test.ts pins those defaults), with Nomad's null Policies
    expect(task.Vault).toEqual({ Policies: null, ...defaultVaultBlock('nomad-workloads') })
    expect(task.Identities).toEqual([
      {
        Name: 'vault_default',
        Audience: ['vault.io'],
        ChangeMode: '',
        ChangeSignal: '',
        Env: false,
        File: false,
        Filepath: '',
        ServiceName: '',
        TTL: 3600e9
      }
    ])
  })

  it('ignores undeclared variables (non-strict parse) and reports variable errors as Nomad does', async () => {
    const hcl =
      'variable "image" {\n  type = string\n}\nvariable "n" {\n  type    = number\n  default = 1\n}\njob "x" {\n  group "g" {\n    count = var.n\n    task "t" {\n      driver = "docker"\n      config {\n        image = var.image\n      }\n    }\n  }\n}\n'
    const undeclared = await parseHcl(d, hcl, 'image = "a"\nnope = "b"\n')
    expect(undeclared.status).toBe(200)
    expect(undeclared.json.TaskGroups[0].Tasks[0].Config?.image).toBe('a')
    const unset = await parseHcl(d, hcl)
    expect(unset.status).toBe(400)
    expect(unset.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(unset.text).toBe(
      'Failed to parse job: <nil>: Unset variable "image"; A used variable must be set or have a default value; see https://developer.hashicorp.com/nomad/docs/job-specification/hcl2/variables for details.'
    )
    const badType = await parseHcl(d, hcl, 'image = "a"\nn     = "many"\n')
    expect(badType.text).toBe(
      "Failed to parse job: input.hcl:2,9-15: Invalid value for variable; The value for n is not compatible with the variable's type constraint: a number is required."
    )
    const syntax = await parseHcl(d, hcl, 'image = "abc\n')
    expect(syntax.text).toMatch(
      /^Failed to parse job: unable to parse var content: input\.hcl:1,13-2,1: Invalid multi-line string; .*, and 1 other diagnostic\(s\)$/s
    )
    const v111 = await start({ nomadVersion: '1.11.3' })
    expect((await parseHcl(v111, hcl)).text).toContain('see https://developer.hashicorp.com/nomad/docs/reference/hcl2/variables for details.')
  })

  it('reports syntax errors like Nomad (input.hcl:line,col-col) and empty specs', async () => {
    const r = await parseHcl(d, 'job "x" {\n  group "g" {\n   = 3\n }\n}\n')
    expect(r.status).toBe(400)
    expect(r.text).toBe(
      'Failed to parse job: input.hcl:3,4-5: Argument or block definition required; An argument or block definition is required here.'
    )
    const multi = await parseHcl(d, 'job "x" {\n  a = "unterminated\n}\n')
    expect(multi.text).toMatch(/^Failed to parse job: input\.hcl:2,\d+-3,1: Invalid multi-line string; .*, and \d+ other diagnostic\(s\)$/s)
    const empty = await parseHcl(d, '')
    expect(empty.status).toBe(400)
    expect(empty.text).toBe('Job spec is empty')
  })
})

describe('nomad double: run with Vault', () => {
  let d: NomadDouble
  beforeAll(async () => {
    d = await start()
    await configureJwks(d)
  })

  it('serves the JWKS and agent/self', async () => {
    const jwks = await call(d, 'GET', '/.well-known/jwks.json', undefined, null)
    expect(jwks.status).toBe(200)
    expect(jwks.headers.get('cache-control')).toMatch(/^max-age=\d+$/)
    expect(jwks.json.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' })
    const oidc = await call(d, 'GET', '/.well-known/openid-configuration', undefined, null)
    expect(oidc.status).toBe(404)
    expect(oidc.text).toBe('OIDC Discovery endpoint disabled')
    const self = await call(d, 'GET', '/v1/agent/self')
    expect(self.status).toBe(200)
    expect(self.json.config.Vaults[0]).toMatchObject({
      Name: 'default',
      Enabled: true,
      Addr: bao.addr,
      JWTAuthBackendPath: 'jwt-nomad',
      DefaultIdentity: { Audience: ['vault.io'], TTL: 3600e9 }
    })
  })

  it('registers, evaluates, places, logs in to Vault, reads the secret and completes the deployment', async () => {
    const { reg } = await run(d, webJob())
    expect(reg.status).toBe(200)
    expect(reg.json.EvalID).toMatch(/^[0-9a-f-]{36}$/)
    expect(reg.json.JobModifyIndex).toBeGreaterThan(0)
    const ev = await until(d, `/v1/evaluation/${reg.json.EvalID}`, (e) => e.Status === 'complete')
    expect(ev.FailedTGAllocs).toBeNull()
    expect(ev.DeploymentID).toBeTruthy()
    const dep = await until(d, `/v1/deployment/${ev.DeploymentID}`, (x) => x.Status !== 'running')
    expect(dep).toMatchObject({ Status: 'successful', StatusDescription: 'Deployment completed successfully', JobVersion: 0 })
    expect(dep.TaskGroups.web).toMatchObject({ DesiredTotal: 1, PlacedAllocs: 1, HealthyAllocs: 1, UnhealthyAllocs: 0 })
    const allocs = (await call(d, 'GET', '/v1/job/web/allocations')).json
    expect(allocs).toHaveLength(1)
    expect(allocs[0]).toMatchObject({ ClientStatus: 'running', DesiredStatus: 'run', DeploymentStatus: { Healthy: true, Canary: false } })
    expect(allocs[0].TaskStates.server.State).toBe('running')
    expect(d.secretReads).toEqual([
      expect.objectContaining({
        jobId: 'web',
        task: 'server',
        path: 'secret/data/default/web/config',
        data: expect.objectContaining({ data: { password: 's3cr3t' } })
      })
    ])
    // server-side injection of vault_default from default_identity
    const job = (await call(d, 'GET', '/v1/job/web')).json
    expect(job).toMatchObject({ Version: 0, Status: 'running', Stable: true })
    expect(job.TaskGroups[0].Tasks[0].Identities).toEqual([expect.objectContaining({ Name: 'vault_default', Audience: ['vault.io'], TTL: 3600e9 })])
    const sub = await call(d, 'GET', '/v1/job/web/submission?version=0')
    expect(sub.json).toMatchObject({ Format: 'hcl2', Version: 0 })
    expect((await call(d, 'GET', '/v1/job/web/submission?version=7')).text).toBe('job source not found')
  })

  it('blocking queries wait for a change instead of returning at once', async () => {
    // No assertion on elapsed time: a parked request is observed through the double's request log.
    const first = await call(d, 'GET', '/v1/job/web')
    const idx = first.index
    const before = d.requests.length
    const pending = call(d, 'GET', `/v1/job/web?index=${idx}&wait=10s`)
    let settled = false
    void pending.then(() => (settled = true))
    // the blocked request is parked on the server until a state change
    await d.waitFor(() => d.requests.length > before)
    expect(settled).toBe(false)
    const newIndex = d.modifyJobOutOfBand('web')
    const r = await pending
    expect(r.index).toBeGreaterThan(idx)
    expect(r.json.JobModifyIndex).toBe(newIndex)
    // an unchanged index parks the request until the wait time, then answers 200 with the same index
    const ev = (await call(d, 'GET', '/v1/job/web/evaluations')).json.at(-1)! // the first, long complete
    const evIndex = (await call(d, 'GET', `/v1/evaluation/${ev.ID}`)).index
    const before2 = d.requests.length
    const expiring = call(d, 'GET', `/v1/evaluation/${ev.ID}?index=${evIndex}&wait=2s`)
    let settled2 = false
    void expiring.then(() => (settled2 = true))
    await d.waitFor(() => d.requests.length > before2)
    expect(settled2).toBe(false)
    const r2 = await expiring
    expect(r2.status).toBe(200)
    expect(r2.index).toBe(evIndex)
    const logged = d.requests.find((x) => x.path === '/v1/job/web' && x.query.index === String(idx))
    expect(logged).toMatchObject({ status: 200, query: { wait: '10s' } })
  })

  it('rejects a register whose EnforceIndex does not match', async () => {
    const job = (await call(d, 'GET', '/v1/job/web')).json
    const p = await parseHcl(d, webJob({ image: 'nginx:1.26' }))
    const r = await call(d, 'POST', '/v1/jobs', { Job: p.json, EnforceIndex: true, JobModifyIndex: job.JobModifyIndex - 1 })
    expect(r.status).toBe(500)
    expect(r.text).toBe(`Enforcing job modify index ${job.JobModifyIndex - 1}: job exists with conflicting job modify index: ${job.JobModifyIndex}`)
  })

  it('plans a destructive update for a task change and for a meta-only change, in-place for an update-block change', async () => {
    const destructive = await parseHcl(d, webJob({ image: 'nginx:1.26' }))
    const plan = await call(d, 'POST', '/v1/job/web/plan', { Job: destructive.json, Diff: true })
    expect(plan.status).toBe(200)
    expect(plan.json.Diff.Type).toBe('Edited')
    expect(plan.json.Annotations.DesiredTGUpdates.web).toMatchObject({ DestructiveUpdate: 1, InPlaceUpdate: 0 })
    expect(plan.json.Diff.TaskGroups[0].Updates).toEqual({ 'create/destroy update': 1 })
    const job = (await call(d, 'GET', '/v1/job/web')).json
    expect(plan.json.JobModifyIndex).toBe(job.JobModifyIndex)
    const metaOnly = structuredClone(job)
    metaOnly.Meta = { ...(metaOnly.Meta ?? {}), release: 'x' }
    const plan2 = await call(d, 'POST', '/v1/job/web/plan', { Job: metaOnly, Diff: true })
    // the combined job+group+task meta is compared per task (scheduler/util.go tasksUpdated)
    expect(plan2.json.Annotations.DesiredTGUpdates.web).toMatchObject({ InPlaceUpdate: 0, DestructiveUpdate: 1 })
    const groupMeta = structuredClone(job)
    groupMeta.TaskGroups[0].Meta = { ...(groupMeta.TaskGroups[0].Meta ?? {}), release: 'x' }
    expect((await call(d, 'POST', '/v1/job/web/plan', { Job: groupMeta })).json.Annotations.DesiredTGUpdates.web).toMatchObject({
      DestructiveUpdate: 1
    })
    const updateOnly = structuredClone(job)
    updateOnly.TaskGroups[0].Update = { ...(updateOnly.TaskGroups[0].Update ?? {}), MinHealthyTime: 1e9 }
    expect((await call(d, 'POST', '/v1/job/web/plan', { Job: updateOnly })).json.Annotations.DesiredTGUpdates.web).toMatchObject({
      InPlaceUpdate: 1,
      DestructiveUpdate: 0
    })
    const same = await call(d, 'POST', '/v1/job/web/plan', { Job: job, Diff: true })
    expect(same.json.Diff.Type).toBe('None')
  })

  it("fails the task with Nomad's Killing event when Vault rejects the audience", async () => {
    const hcl = webJob({
      identity: '      identity {\n        name = "vault_default"\n        aud  = ["nomadproject.io"]\n        ttl  = "1h"\n      }'
    }).replace('job "web"', 'job "aud"')
    d.setProgressDeadlineMs(1500) // the failed alloc is rescheduled until the progress deadline
    const { reg } = await run(d, hcl)
    d.setProgressDeadlineMs(undefined)
    expect(reg.status).toBe(200)
    const allocs = (await until(d, '/v1/job/aud/allocations?all=true', (l) => l.some((a) => a.ClientStatus === 'failed'))).filter(
      (a) => a.ClientStatus === 'failed'
    )
    const ts = allocs[0].TaskStates.server
    expect(ts).toMatchObject({ State: 'dead', Failed: true })
    const killing = ts.Events.find((e) => e.Type === 'Killing')
    expect(killing?.FailsTask).toBe(true)
    expect(killing?.DisplayMessage).toBe(
      'Vault: failed to derive vault token: failed to derive Vault token for identity vault_default: failed to login with JWT: ' +
        `Error making API request.\n\nURL: PUT ${bao.addr}/v1/auth/jwt-nomad/login\nCode: 400. Errors:\n\n` +
        '* error validating token: invalid audience (aud) claim: audience claim does not match any expected audience'
    )
    const dep = await until(d, '/v1/job/aud/deployment', (x) => x && x.Status !== 'running')
    expect(dep).toMatchObject({ Status: 'failed', StatusDescription: 'Failed due to progress deadline' })
  })

  it('fails a template read that the policy denies', async () => {
    const { reg } = await run(d, webJob({ id: 'tpl', secretPath: 'secret/data/default/other/config' }))
    expect(reg.status).toBe(200)
    const allocs = await until(d, '/v1/job/tpl/allocations', (l) => l.length > 0 && l[0].ClientStatus === 'failed')
    const ev = allocs[0].TaskStates.server.Events.find((e) => e.FailsTask)
    expect(ev?.Type).toBe('Killing')
    expect(ev?.DisplayMessage).toMatch(
      /^Template failed: vault\.read\(secret\/data\/default\/other\/config\): .*Code: 403\. Errors:\n\n\* .*permission denied/s
    )
    expect(d.secretReads.some((r) => r.jobId === 'tpl')).toBe(false)
  })

  it('sends a template secret with key=value parameters as a Vault write (PUT), named vault.write(path -> hash)', async () => {
    // the shape of a PKI certificate template: `secret "pki/issue/<role>" "common_name=…"` (consul-template vault_write.go)
    const hcl = webJob({ id: 'cert' }).replace(
      '{{ with secret "secret/data/default/cert/config" }}PASSWORD={{ .Data.data.password }}{{ end }}',
      '{{ with secret "pki/issue/web" "common_name=web.example" "ttl=1h" }}{{ .Data.certificate }}{{ end }}'
    )
    const { reg } = await run(d, hcl)
    expect(reg.status).toBe(200)
    const allocs = await until(d, '/v1/job/cert/allocations', (l) => l.length > 0 && l[0].ClientStatus === 'failed')
    const ev = allocs[0].TaskStates.server.Events.find((e) => e.FailsTask)
    // the workload's policy grants no write there: Vault's 403 for a PUT, after the template's retries
    const name = 'vault.write(pki/issue/web -> cea67813)'
    expect(ev?.DisplayMessage).toContain(
      `Template failed: ${name}: ${name}: Error making API request.\n\nURL: PUT ${bao.addr}/v1/pki/issue/web\nCode: 403`
    )
    expect(ev?.DisplayMessage).not.toContain('vault.read')
  })

  it('reports a placement failure with FailedTGAllocs and a blocked eval', async () => {
    const hcl = webJob({ memory: 1_000_000 }).replace('job "web"', 'job "big"')
    const p = await parseHcl(d, hcl)
    const plan = await call(d, 'POST', '/v1/job/big/plan', { Job: p.json, Diff: true })
    expect(plan.json.FailedTGAllocs.web).toMatchObject({ NodesEvaluated: 1, NodesExhausted: 1, DimensionExhausted: { memory: 1 } })
    expect(plan.json.Diff.Type).toBe('Added')
    const { reg } = await run(d, hcl)
    const ev = await until(d, `/v1/evaluation/${reg.json.EvalID}`, (e) => e.Status === 'complete')
    expect(ev.FailedTGAllocs?.web).toMatchObject({ NodesExhausted: 1, DimensionExhausted: { memory: 1 } })
    expect(ev.BlockedEval).toBeTruthy()
    const blocked = (await call(d, 'GET', `/v1/evaluation/${ev.BlockedEval}`)).json
    expect(blocked).toMatchObject({ Status: 'blocked', PreviousEval: ev.ID })
    expect((await call(d, 'GET', '/v1/job/big/allocations')).json).toEqual([])
  })

  it('places canaries that need promotion, then promotes', async () => {
    const update = '  update {\n    canary       = 1\n    max_parallel = 1\n  }'
    const base = webJob({ id: 'can', update, count: 2 })
    const { reg } = await run(d, base)
    const ev0 = await until(d, `/v1/evaluation/${reg.json.EvalID}`, (e) => e.Status === 'complete')
    await until(d, `/v1/deployment/${ev0.DeploymentID}`, (x) => x.Status === 'successful')
    const v1 = await run(d, base.replace('nginx:1.25', 'nginx:1.26'))
    const ev1 = await until(d, `/v1/evaluation/${v1.reg.json.EvalID}`, (e) => e.Status === 'complete')
    const dep = await until(d, `/v1/deployment/${ev1.DeploymentID}`, (x) => x.TaskGroups.web.HealthyAllocs >= 1)
    expect(dep).toMatchObject({ Status: 'running', StatusDescription: 'Deployment is running but requires manual promotion', JobVersion: 1 })
    expect(dep.TaskGroups.web).toMatchObject({ DesiredCanaries: 1, Promoted: false, DesiredTotal: 2 })
    expect(dep.TaskGroups.web.PlacedCanaries).toHaveLength(1)
    const canary = (await call(d, 'GET', `/v1/allocation/${dep.TaskGroups.web.PlacedCanaries[0]}`)).json
    expect(canary.DeploymentStatus).toMatchObject({ Healthy: true, Canary: true })
    const pr = await call(d, 'POST', `/v1/deployment/promote/${dep.ID}`, { DeploymentID: dep.ID, All: true })
    expect(pr.status).toBe(200)
    expect(pr.json.EvalID).toBeTruthy()
    const done = await until(d, `/v1/deployment/${dep.ID}`, (x) => x.Status !== 'running')
    expect(done).toMatchObject({ Status: 'successful', StatusDescription: 'Deployment completed successfully' })
    expect(done.TaskGroups.web.Promoted).toBe(true)
    const running = (await call(d, 'GET', '/v1/job/can/allocations')).json.filter((a) => a.ClientStatus === 'running')
    expect(running).toHaveLength(2)
    expect(running.every((a) => a.JobVersion === 1)).toBe(true)
  })

  it('rolls back with auto_revert after a scripted failure', async () => {
    const update = '  update {\n    auto_revert = true\n  }'
    const base = webJob({ id: 'rev', update })
    const { reg } = await run(d, base)
    const ev0 = await until(d, `/v1/evaluation/${reg.json.EvalID}`, (e) => e.Status === 'complete')
    await until(d, `/v1/deployment/${ev0.DeploymentID}`, (x) => x.Status === 'successful')
    d.failAllocs('rev', 'failed to pull image "nginx:broken"', { version: 1 })
    d.setProgressDeadlineMs(1500)
    const v1 = await run(d, base.replace('nginx:1.25', 'nginx:broken'))
    d.setProgressDeadlineMs(undefined)
    const ev1 = await until(d, `/v1/evaluation/${v1.reg.json.EvalID}`, (e) => e.Status === 'complete')
    const failed = await until(d, `/v1/deployment/${ev1.DeploymentID}`, (x) => x.Status !== 'running')
    expect(failed).toMatchObject({
      Status: 'failed',
      StatusDescription: 'Failed due to progress deadline - rolling back to job version 0'
    })
    const job = await until(d, '/v1/job/rev', (j) => j.Version === 2)
    expect(job.TaskGroups[0].Tasks[0].Config?.image).toBe('nginx:1.25')
    const latest = await until(d, '/v1/job/rev/deployment', (x) => x.JobVersion === 2 && x.Status === 'successful')
    expect(latest.Status).toBe('successful')
  })

  it('runs a batch job to completion without a deployment', async () => {
    const hcl =
      'job "once" {\n  type = "batch"\n  group "g" {\n    task "t" {\n      driver = "docker"\n      config {\n        image = "busybox"\n      }\n    }\n  }\n}\n'
    const { reg } = await run(d, hcl)
    expect(reg.json.EvalID).toBeTruthy()
    const allocs = await until(d, '/v1/job/once/allocations', (l) => l.length === 1 && l[0].ClientStatus === 'complete')
    expect(allocs[0].DeploymentStatus).toBeNull()
    const dep = await call(d, 'GET', '/v1/job/once/deployment')
    expect(dep.status).toBe(200)
    expect(dep.text).toBe('null')
    expect((await until(d, '/v1/job/once', (j) => j.Status === 'dead')).Status).toBe('dead')
  })

  it('returns an empty EvalID for periodic jobs', async () => {
    const hcl =
      'job "cron" {\n  type = "batch"\n  periodic {\n    crons            = ["*/5 * * * *"]\n    prohibit_overlap = true\n  }\n  group "g" {\n    task "t" {\n      driver = "docker"\n    }\n  }\n}\n'
    const { job, reg } = await run(d, hcl)
    expect(job.Periodic).toMatchObject({ Enabled: true, Specs: ['*/5 * * * *'], SpecType: 'cron', ProhibitOverlap: true })
    expect(reg.status).toBe(200)
    expect(reg.json.EvalID).toBe('')
    expect((await call(d, 'GET', '/v1/job/cron/allocations')).json).toEqual([])
  })
})

describe('nomad double: server config edge cases', () => {
  it('warns about identities without ttl and keeps a task without vault_default pending (1.10 behaviour)', async () => {
    const d = await start({ server: { enabled: true } })
    await configureJwks(d)
    d.setProgressDeadlineMs(400)
    const { reg } = await run(d, webJob())
    expect(reg.status).toBe(200)
    const dep = await until(d, '/v1/job/web/deployment', (x) => x && x.Status !== 'running')
    expect(dep).toMatchObject({ Status: 'failed', StatusDescription: 'Failed due to progress deadline' })
    const allocs = (await call(d, 'GET', '/v1/job/web/allocations')).json
    expect(allocs[0].ClientStatus).toBe('pending')
    expect(allocs[0].TaskStates.server.Events.map((e) => e.Type)).toEqual(['Received', 'Task Setup'])
    expect(d.vaultLogins).toEqual([])

    const noTtl = webJob({ identity: '      identity {\n        name = "vault_default"\n        aud  = ["vault.io"]\n      }' }).replace(
      'job "web"',
      'job "nottl"'
    )
    const r2 = await run(d, noTtl)
    expect(r2.reg.json.Warnings).toContain('identities without an expiration are insecure')
  })

  it('refuses a vault job when the server vault block is disabled', async () => {
    const d = await start({ server: { enabled: false } })
    const { reg } = await run(d, webJob())
    expect(reg.status).toBe(500)
    expect(reg.text).toBe('1 error occurred:\n\t* Vault "default" not enabled but used in the job\n\n')
  })
})

describe('nomad double: versions, warnings, strictness and field shapes', () => {
  const policiesJob = (policies: string) => webJob({ id: 'pol' }).replace('vault {}', `vault {\n        policies = [${policies}]\n      }`)

  it('1.7–1.9 refuse a Vault task without identity and without policies, and warn that policies are ignored', async () => {
    const v19 = await start({ nomadVersion: '1.9.7', server: { enabled: true } })
    const refused = await run(v19, policiesJob(''))
    expect(refused.reg.status).toBe(500)
    expect(refused.reg.text).toBe('1 error occurred:\n\t* Task server has a Vault block with an empty list of policies\n\n')
    const v19id = await start({ nomadVersion: '1.9.7' })
    const warned = await run(v19id, policiesJob('"app"'))
    expect(warned.reg.json.Warnings).toBe(
      '1 warning:\n\n* Task server has a Vault block with policies but uses workload identity to authenticate with Vault, policies will be ignored'
    )
    const v110 = await start({ nomadVersion: '1.10.5', server: { enabled: true } })
    const accepted = await run(v110, policiesJob(''))
    expect(accepted.reg.status).toBe(200)
    expect(accepted.reg.json.Warnings).toBe('')
    expect((await run(v110, policiesJob('"app"').replace('job "pol"', 'job "pol2"'))).reg.json.Warnings).toBe('')
    expect((await call(v110, 'GET', '/v1/agent/self')).json.config.Version.Version).toBe('1.10.5')
    await expect(startNomadDouble({ nomadVersion: '1.6.0' })).rejects.toThrow(/1\.7\.0 to 2\.0/)
  })

  it('nests identity warnings under their group and task, with the real header', async () => {
    const d = await start()
    const hcl = webJob({ id: 'warn', identity: '      identity {\n        name = "vault_default"\n        aud  = ["vault.io", "other"]\n      }' })
    const { reg } = await run(d, hcl)
    expect(reg.json.Warnings).toBe(
      '1 warning:\n\n* Group "web" has warnings: 1 error occurred:\n\t* Task "server" has warnings: 1 error occurred:\n\t* 2 errors occurred:\n\t' +
        '* Identity[vault_default] while multiple audiences is allowed, it is more secure to use 1 audience per identity\n\t' +
        '* Identity[vault_default] identities without an expiration are insecure'
    )
    const p = await parseHcl(d, hcl)
    const plan = await call(d, 'POST', '/v1/job/warn/plan', { Job: p.json })
    expect(plan.json.Warnings).toBe(reg.json.Warnings)
  })

  it("discards a submission over 1,000,000 bytes (source + variables + variable flags) with Nomad's warning", async () => {
    const d = await start()
    const hcl = webJob({ id: 'big-src' })
    const p = await parseHcl(d, hcl)
    const flags = { pad: 'x'.repeat(1_000_000 - Buffer.byteLength(hcl) - 3 + 1) }
    const r = await call(d, 'POST', '/v1/jobs', { Job: p.json, Submission: { Source: hcl, Format: 'hcl2', VariableFlags: flags } })
    expect(r.status).toBe(200)
    expect(r.json.Warnings).toBe('1 warning:\n\n* job source size of 1.0 MB exceeds maximum of 1.0 MB and will be discarded')
    expect((await call(d, 'GET', '/v1/job/big-src/submission?version=0')).status).toBe(404)
    const exact = { pad: 'x'.repeat(1_000_000 - Buffer.byteLength(hcl) - 3) }
    const ok = await call(d, 'POST', '/v1/jobs', { Job: p.json, Submission: { Source: hcl, Format: 'hcl2', VariableFlags: exact } })
    expect(ok.json.Warnings).toBe('')
    expect((await call(d, 'GET', '/v1/job/big-src/submission?version=0')).status).toBe(200)
  })

  it('answers 400 on a bad wait or index and on a promote without DeploymentID; ignores region on parse and agent/self', async () => {
    const d = await start()
    expect(await call(d, 'GET', '/v1/jobs?wait=10')).toMatchObject({ status: 400, text: 'Invalid wait time' })
    expect(await call(d, 'GET', '/v1/jobs?index=-1')).toMatchObject({ status: 400, text: 'Invalid index' })
    expect(await call(d, 'GET', '/v1/jobs?index=abc')).toMatchObject({ status: 400, text: 'Invalid index' })
    expect((await call(d, 'GET', '/v1/jobs?index=1&wait=1ms')).status).toBe(200)
    expect(await call(d, 'POST', '/v1/deployment/promote/abc', { All: true })).toMatchObject({ status: 400, text: 'DeploymentID must be specified' })
    expect(await call(d, 'GET', '/v1/deployment/fail/abc')).toMatchObject({ status: 405 })
    expect((await call(d, 'GET', '/v1/agent/self?region=mars')).status).toBe(200)
    expect((await call(d, 'POST', '/v1/jobs/parse?region=mars', { JobHCL: webJob() })).status).toBe(200)
    expect(await call(d, 'GET', '/v1/jobs?region=mars')).toMatchObject({ status: 500, text: 'No path to region' })
  })

  it('lists allocations as AllocListStub (DesiredTransition, no DeploymentID) and a single one as Allocation (no JobType/JobVersion)', async () => {
    const d = await start()
    await configureJwks(d)
    const { reg } = await run(d, webJob({ id: 'shape' }))
    await until(d, `/v1/evaluation/${reg.json.EvalID}`, (e) => e.Status === 'complete')
    const [a] = await until(d, '/v1/job/shape/allocations', (l) => l.length === 1)
    expect(a).toHaveProperty('DesiredTransition')
    expect(a).toHaveProperty('JobVersion', 0)
    expect(a).not.toHaveProperty('DeploymentID')
    expect(a).not.toHaveProperty('PreviousAllocation')
    expect(a).not.toHaveProperty('AllocatedResources')
    const full = (await call(d, 'GET', `/v1/allocation/${a.ID}`)).json
    expect(full).toHaveProperty('DeploymentID')
    expect(full).toHaveProperty('PreviousAllocation', '')
    expect(full).not.toHaveProperty('JobType')
    expect(full).not.toHaveProperty('JobVersion')
    expect(full.Job.ID).toBe('shape')
    expect(full.AllocatedResources.Tasks.server.Memory.MemoryMB).toBe(128)
  })
})

describe('nomad double: restarts, reschedules, deadlines and client-side failures', () => {
  it('restarts a crashing task, reschedules the alloc and fails the deployment only at the progress deadline', async () => {
    const d = await startWithSecrets({ timeScale: 0.002 }, 'crash')
    d.failAllocs('crash', 'failed to create container: exit status 1')
    const { reg } = await run(d, webJob({ id: 'crash' }))
    const ev = await until(d, `/v1/evaluation/${reg.json.EvalID}`, (e) => e.Status === 'complete')
    const dep = await until(d, `/v1/deployment/${ev.DeploymentID}`, (x) => x.Status !== 'running', 30_000)
    expect(dep).toMatchObject({ Status: 'failed', StatusDescription: 'Failed due to progress deadline' })
    expect(dep.TaskGroups.web.ProgressDeadline).toBe(600e9)
    const all = (await call(d, 'GET', '/v1/job/crash/allocations?all=true')).json
    expect(all.length).toBeGreaterThan(1) // rescheduled at least once before the deadline
    const first = all[all.length - 1]
    const events = first.TaskStates.server.Events.map((e) => e.Type)
    expect(events).toEqual([
      'Received',
      'Task Setup',
      'Driver Failure',
      'Restarting',
      'Driver Failure',
      'Restarting',
      'Driver Failure',
      'Not Restarting'
    ])
    const restarting = first.TaskStates.server.Events.find((e) => e.Type === 'Restarting')
    // "Restart within policy" is the reason, not shown: the DisplayMessage names only other reasons (structs.go)
    expect(restarting?.RestartReason).toBe('Restart within policy')
    expect(restarting?.DisplayMessage).toMatch(/^Task restarting in 1[5-8](\.\d+)?s$/)
    const notRestarting = first.TaskStates.server.Events.at(-1)
    expect(notRestarting).toMatchObject({ FailsTask: true, DisplayMessage: 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"' })
    expect(first).toMatchObject({ ClientStatus: 'failed', DesiredStatus: 'stop', DesiredDescription: 'alloc was rescheduled because it failed' })
    expect(first.TaskStates.server.Restarts).toBe(2)
    const second = all[all.length - 2]
    expect(first.NextAllocation).toBe(second.ID)
    expect(second.RescheduleTracker.Events[0]).toMatchObject({ PrevAllocID: first.ID, Delay: 30e9 })
    const full = (await call(d, 'GET', `/v1/allocation/${second.ID}`)).json
    expect(full.PreviousAllocation).toBe(first.ID)
    const followup = (await call(d, 'GET', `/v1/evaluation/${first.FollowupEvalID}`)).json
    expect(followup).toMatchObject({ TriggeredBy: 'alloc-failure', StatusDescription: 'created for delayed rescheduling' })
  }, 60_000)

  /** The first task's events of the job's first allocation once it failed. */
  async function failedEvents(d: NomadDouble, jobId: string): Promise<TaskEvent[]> {
    const allocs = await until(d, `/v1/job/${jobId}/allocations?all=true`, (l) => l.some((a) => a.ClientStatus === 'failed'), 30_000)
    return allocs.find((a) => a.ClientStatus === 'failed')!.TaskStates.server.Events
  }

  it("fails to pull an image the registry lacks with the docker driver's text, restarting per policy", async () => {
    const d = await startWithSecrets({ timeScale: 0.002, missingImages: ['nginx:does-not-exist'] }, 'pull')
    await run(d, webJob({ id: 'pull', image: 'nginx:does-not-exist' }))
    const evs = await failedEvents(d, 'pull')
    expect(evs.map((e) => e.Type).slice(2)).toEqual([
      'Driver Failure',
      'Restarting',
      'Driver Failure',
      'Restarting',
      'Driver Failure',
      'Not Restarting'
    ])
    expect(evs[2]).toMatchObject({
      DisplayMessage:
        'Failed to pull `nginx:does-not-exist`: Error response from daemon: manifest for nginx:does-not-exist not found: manifest unknown: manifest unknown',
      DriverError: expect.stringContaining('Failed to pull `nginx:does-not-exist`')
    })
    expect(evs.at(-1)).toMatchObject({ FailsTask: true, DisplayMessage: 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"' })
  }, 60_000)

  it('does not restart a task whose start error is unrecoverable', async () => {
    const d = await startWithSecrets({ timeScale: 0.002 }, 'unrec')
    d.failAllocs('unrec', 'Failed to create container configuration for image "nginx:1.25": invalid mount', { recoverable: false })
    await run(d, webJob({ id: 'unrec' }))
    const evs = await failedEvents(d, 'unrec')
    expect(evs.map((e) => e.Type).slice(2)).toEqual(['Driver Failure', 'Not Restarting'])
    expect(evs.at(-1)).toMatchObject({ FailsTask: true, RestartReason: 'Error was unrecoverable', DisplayMessage: 'Error was unrecoverable' })
  }, 60_000)

  it('crash-loops a task that exits with the same code, then stops restarting it', async () => {
    const d = await startWithSecrets({ timeScale: 0.002 }, 'loop')
    d.failAllocs('loop', undefined, { exitCode: 3 })
    await run(d, webJob({ id: 'loop' }))
    const evs = await failedEvents(d, 'loop')
    expect(evs.map((e) => e.Type).slice(2)).toEqual([
      'Started',
      'Terminated',
      'Restarting',
      'Started',
      'Terminated',
      'Restarting',
      'Started',
      'Terminated',
      'Not Restarting'
    ])
    const terminated = evs.filter((e) => e.Type === 'Terminated')
    expect(terminated.map((e) => e.DisplayMessage)).toEqual(['Exit Code: 3', 'Exit Code: 3', 'Exit Code: 3'])
    expect(terminated[0]).toMatchObject({ ExitCode: 3, Details: { exit_code: '3', signal: '0', oom_killed: 'false' } })
    expect(evs.at(-1)).toMatchObject({ FailsTask: true, DisplayMessage: 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"' })
  }, 60_000)

  it('places a blocked evaluation when capacity appears: another job stops, or a node joins', async () => {
    const d = await startWithSecrets({ nodes: [{ cpu: 4000, memoryMB: 200 }] }, 'hog', 'grow')
    const hog = await run(d, webJob({ id: 'hog', memory: 128 }))
    await until(d, `/v1/evaluation/${hog.reg.json.EvalID}`, (e) => e.Status === 'complete')
    const { reg } = await run(d, webJob({ id: 'grow', count: 2, memory: 64 }))
    const ev = await until(d, `/v1/evaluation/${reg.json.EvalID}`, (e) => e.Status === 'complete')
    expect(ev.QueuedAllocations).toEqual({ web: 1 })
    expect((await call(d, 'GET', `/v1/evaluation/${ev.BlockedEval}`)).json).toMatchObject({ Status: 'blocked', TriggeredBy: 'queued-allocs' })

    // the other job stops: its memory is free, the blocked eval places the second allocation in the same deployment
    expect((await call(d, 'DELETE', '/v1/job/hog')).status).toBe(200)
    await until(d, `/v1/evaluation/${ev.BlockedEval}`, (e) => e.Status === 'complete')
    const allocs = await until(d, '/v1/job/grow/allocations', (l) => l.length === 2)
    expect(allocs.map((a) => a.EvalID).sort()).toEqual([ev.ID, ev.BlockedEval].sort())
    const dep = await until(d, `/v1/deployment/${ev.DeploymentID}`, (x) => x.Status === 'successful')
    expect(dep.TaskGroups.web).toMatchObject({ DesiredTotal: 2, PlacedAllocs: 2, HealthyAllocs: 2 })

    // still no room: the same eval stays blocked until a node joins
    const big = await run(d, webJob({ id: 'grow', count: 4, memory: 64 }))
    const ev2 = await until(d, `/v1/evaluation/${big.reg.json.EvalID}`, (e) => e.Status === 'complete')
    expect(ev2.BlockedEval).toBeTruthy()
    d.addNode({ cpu: 4000, memoryMB: 1024 })
    await until(d, `/v1/evaluation/${ev2.BlockedEval}`, (e) => e.Status === 'complete')
    await until(d, '/v1/job/grow/allocations', (l) => l.filter((a) => a.ClientStatus === 'running' && a.JobVersion === 1).length === 4)
  }, 60_000)

  it('fails the deployment on the first unhealthy alloc when progress_deadline is 0', async () => {
    const d = await startWithSecrets({ timeScale: 0.002 }, 'early')
    d.failAllocs('early', 'exit status 1')
    const { reg } = await run(d, webJob({ id: 'early', update: '  update {\n    progress_deadline = "0s"\n  }' }))
    const ev = await until(d, `/v1/evaluation/${reg.json.EvalID}`, (e) => e.Status === 'complete')
    const dep = await until(d, `/v1/deployment/${ev.DeploymentID}`, (x) => x.Status !== 'running')
    expect(dep).toMatchObject({ Status: 'failed', StatusDescription: 'Failed due to unhealthy allocations' })
  })

  it('kills the task with the dial error when the client cannot reach Vault (non-recoverable)', async () => {
    // a port nothing listens on
    const probe = net.createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()))
    const port = (probe.address() as net.AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const d = await start({ timeScale: 0.002, client: { enabled: true, address: `http://127.0.0.1:${port}`, jwt_auth_backend_path: 'jwt-nomad' } })
    const { reg } = await run(d, webJob({ id: 'novault' }))
    expect(reg.status).toBe(200)
    const allocs = await until(d, '/v1/job/novault/allocations?all=true', (l) => l.some((a) => a.ClientStatus === 'failed'))
    const killing = allocs.find((a) => a.ClientStatus === 'failed')!.TaskStates.server.Events.find((e) => e.Type === 'Killing')
    expect(killing?.FailsTask).toBe(true)
    expect(killing?.DisplayMessage).toBe(
      'Vault: failed to derive vault token: failed to derive Vault token for identity vault_default: failed to login with JWT: ' +
        `Put "http://127.0.0.1:${port}/v1/auth/jwt-nomad/login": dial tcp 127.0.0.1:${port}: connect: connection refused`
    )
  })

  it('retries a missing secret with backoff before failing the template', async () => {
    const d = await start({ timeScale: 0.002 })
    await configureJwks(d)
    const { reg } = await run(d, webJob({ id: 'web', secretPath: 'secret/data/default/web/missing' }))
    expect(reg.status).toBe(200)
    const allocs = await until(d, '/v1/job/web/allocations?all=true', (l) => l.some((a) => a.ClientStatus === 'failed'), 30_000)
    const evs = allocs.find((a) => a.ClientStatus === 'failed')!.TaskStates.server.Events
    expect(evs.find((e) => e.Type === 'Template')?.DisplayMessage).toBe('Missing: vault.read(secret/data/default/web/missing)')
    expect(evs.at(-1)).toMatchObject({
      Type: 'Killing',
      FailsTask: true,
      DisplayMessage: 'Template failed: vault.read(secret/data/default/web/missing): no secret exists at secret/data/default/web/missing'
    })
  }, 60_000)
})

describe('nomad double: ACL', () => {
  it('enforces tokens with Nomad texts', async () => {
    const d = await start({
      acl: {
        enabled: true,
        managementToken: 'mgmt',
        tokens: [
          { secret: 'ro', policies: 'read-only' },
          { secret: 'sub', policies: 'submit' }
        ]
      }
    })
    expect(d.managementToken).toBe('mgmt')
    const anon = await call(d, 'GET', '/v1/jobs', undefined, null)
    expect(anon.status).toBe(403)
    expect(anon.text).toBe('Permission denied')
    const unknown = await call(d, 'GET', '/v1/jobs', undefined, 'nope')
    expect(unknown.status).toBe(403)
    expect(unknown.text).toBe('ACL token not found')
    expect((await call(d, 'GET', '/v1/agent/self', undefined, 'sub')).status).toBe(403)
    expect((await call(d, 'GET', '/v1/agent/self', undefined, 'mgmt')).status).toBe(200)
    const bearer = await fetch(`${d.url}/v1/agent/self`, { headers: { Authorization: 'Bearer mgmt' } })
    expect(bearer.status).toBe(200)
    await bearer.text()
    expect((await call(d, 'GET', '/v1/jobs', undefined, 'ro')).status).toBe(200)
    const p = await parseHcl(d, webJob())
    const ro = await call(d, 'POST', '/v1/jobs', { Job: p.json }, 'ro')
    expect(ro.status).toBe(403)
    expect(ro.text).toBe('Permission denied')
    expect((await call(d, 'GET', '/.well-known/jwks.json', undefined, null)).status).toBe(200)
  })
})
