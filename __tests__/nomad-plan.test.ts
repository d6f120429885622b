import { afterEach, describe, expect, it } from '@jest/globals'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpError } from '../src/errors.js'
import { NomadClient } from '../src/nomad/nomad-client.js'
import { describePlacementFailure, planJob, summarisePlan } from '../src/nomad/plan-job.js'
import { splitWarnings } from '../src/nomad/warnings.js'
import { registerJob } from '../src/nomad/register.js'

interface Seen {
  method: string
  path: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
  body: unknown
}

let server: http.Server | undefined
afterEach(async () => {
  if (server) await new Promise<void>((r) => server!.close(() => r()))
  server = undefined
})

async function stub(handler: (s: Seen) => { status?: number; json?: unknown; text?: string }) {
  const seen: Seen[] = []
  server = http.createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x')
    let raw = ''
    for await (const c of req) raw += c
    const s: Seen = {
      method: req.method ?? '',
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
      body: raw ? JSON.parse(raw) : undefined
    }
    seen.push(s)
    const out = handler(s)
    if (out.text !== undefined) res.writeHead(out.status ?? 500, { 'Content-Type': 'text/plain' }).end(out.text)
    else res.writeHead(out.status ?? 200, { 'Content-Type': 'application/json', 'X-Nomad-Index': '9' }).end(JSON.stringify(out.json))
  })
  server.keepAliveTimeout = 1
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url, seen }
}

function client(url: string, token = 'tok-plan-secret', namespace = '') {
  return new NomadClient({ addr: url, token, skipVerify: false, namespace, region: '' }, { retries: 0 })
}

const PLAN_RESPONSE = {
  JobModifyIndex: 117,
  Diff: { Type: 'Edited', ID: 'web' },
  Annotations: {
    DesiredTGUpdates: {
      web: { Ignore: 1, Place: 2, Migrate: 0, Stop: 1, InPlaceUpdate: 3, DestructiveUpdate: 4, Canary: 1 },
      cache: { Ignore: 2, Place: 0, Stop: 0, InPlaceUpdate: 0, DestructiveUpdate: 0, Canary: 0 }
    }
  },
  FailedTGAllocs: { web: { NodesEvaluated: 1, NodesFiltered: 0, NodesExhausted: 1, DimensionExhausted: { memory: 1 } } },
  NextPeriodicLaunch: '0001-01-01T00:00:00Z',
  Warnings: '2 warnings:\n\n* Group "web" has warnings: task uses deprecated field\n* identities without an expiration are insecure\n'
}

describe('planJob', () => {
  it('posts the job with Diff and summarises the plan', async () => {
    const s = await stub(() => ({ json: PLAN_RESPONSE }))
    const plan = await planJob(client(s.url), { ID: 'web app', Namespace: 'prod' }, { policyOverride: true, namespace: 'prod' })
    expect(s.seen[0].method).toBe('POST')
    expect(s.seen[0].path).toBe('/v1/job/web%20app/plan')
    expect(s.seen[0].query.get('namespace')).toBe('prod')
    expect(s.seen[0].headers['x-nomad-token']).toBe('tok-plan-secret')
    expect(s.seen[0].body).toEqual({ Job: { ID: 'web app', Namespace: 'prod' }, Diff: true, PolicyOverride: true })
    expect(plan.jobModifyIndex).toBe(117)
    expect(plan.diffType).toBe('Edited')
    expect(plan.groups).toEqual([
      { name: 'cache', create: 0, inPlace: 0, destructive: 0, stop: 0, ignore: 2, canary: 0, migrate: 0 },
      {
        name: 'web',
        create: 2,
        inPlace: 3,
        destructive: 4,
        stop: 1,
        ignore: 1,
        canary: 1,
        migrate: 0,
        placementFailures: 'group "web": no node had enough memory (1 of 1 nodes exhausted on memory)'
      }
    ])
    expect(plan.warnings).toEqual(['group "web": task uses deprecated field', 'identities without an expiration are insecure'])
    expect(plan.nextPeriodicLaunch).toBeUndefined()
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan)
  })

  it('keeps a real next periodic launch', () => {
    expect(summarisePlan({ NextPeriodicLaunch: '2030-05-01T10:00:00Z' }).nextPeriodicLaunch).toBe('2030-05-01T10:00:00Z')
    expect(summarisePlan({}).groups).toEqual([])
  })

  it('turns a 403 into an error naming the missing capability, without the token', async () => {
    const s = await stub(() => ({ status: 403, text: 'Permission denied' }))
    const err = await planJob(client(s.url, 'tok-plan-secret', 'prod'), { ID: 'web' }).catch((e) => e)
    expect(err).toBeInstanceOf(HttpError)
    expect(err.message).toContain('HTTP 403')
    expect(err.message).toContain('submit-job')
    expect(err.message).toContain('namespace "prod"')
    expect(err.message).not.toContain('tok-plan-secret')
  })
})

describe('describePlacementFailure', () => {
  it('explains constraint filtering, including a missing Vault on clients', () => {
    const d = describePlacementFailure('api', {
      NodesEvaluated: 3,
      NodesFiltered: 3,
      ConstraintFiltered: { '${attr.vault.default.version} version >= 0.6.1': 3 },
      CoalescedFailures: 1
    })
    expect(d).toContain('group "api" (2 allocations)')
    expect(d).toContain('all 3 evaluated node(s) were filtered out by constraints')
    expect(d).toContain("enable the clients' vault block")
  })

  it('explains no eligible nodes and mixed exhaustion', () => {
    expect(describePlacementFailure('g', { NodesEvaluated: 0, NodesAvailable: { dc1: 0 } })).toContain('no node was eligible')
    const mixed = describePlacementFailure('g', { NodesEvaluated: 4, NodesExhausted: 4, DimensionExhausted: { cpu: 2, memory: 2 } })
    expect(mixed).toContain('no node had enough resources')
    expect(mixed).toContain('4 of 4 nodes exhausted on cpu (2), memory (2)')
    expect(describePlacementFailure('g', { NodesEvaluated: 1, QuotaExhausted: ['memory exhausted (2048 needed > 1024 limit)'] })).toContain('quota')
  })

  it('splits warnings', () => {
    expect(splitWarnings(null)).toEqual([])
    expect(splitWarnings('one\n\ntwo')).toEqual(['one', 'two'])
  })

  it('reads the real nested warnings shape: one line per leaf, named by its group and task', () => {
    // helper.MergeMultierrorWarnings over Job.Warnings (group and task go-multierror lists, not re-indented) and a
    // top-level admission warning, as Nomad 1.9 sends them.
    const real =
      // Printed by go-multierror v1.1.1 with Nomad's warningsFormatter over the same nesting (a fact check, no Nomad code).
      '2 warnings:\n\n* Group "web" has warnings: 2 errors occurred:\n\t* mbits has been deprecated as of Nomad 0.12.0. Please remove mbits from the network block\n' +
      '\t* Task "server" has warnings: 1 error occurred:\n\t* 1 error occurred:\n\t* Identity[vault_default] identities without an expiration are insecure\n' +
      '* Task server has a Vault block with policies but uses workload identity to authenticate with Vault, policies will be ignored'
    expect(splitWarnings(real)).toEqual([
      'group "web": mbits has been deprecated as of Nomad 0.12.0. Please remove mbits from the network block',
      'group "web", task "server": Identity[vault_default] identities without an expiration are insecure',
      'Task server has a Vault block with policies but uses workload identity to authenticate with Vault, policies will be ignored'
    ])
    expect(
      splitWarnings(
        '1 warning:\n\n* Group "g" has warnings: 1 error occurred:\n\t* Task "t" has warnings: 1 error occurred:\n\t* Identity[vault_default]: identities without an audience are insecure\n\n\n\n'
      )
    ).toEqual(['group "g", task "t": Identity[vault_default]: identities without an audience are insecure'])
  })
})

describe('registerJob', () => {
  const submission = { Source: 'job "web" {}', Format: 'hcl2' as const, VariableFlags: { a: '1' }, Variables: 'b = "2"\n' }

  it('registers with EnforceIndex and returns eval, index and warnings', async () => {
    const s = await stub(() => ({
      json: { EvalID: 'ev-1', JobModifyIndex: 120, Warnings: '1 warning:\n\n* identities without an expiration are insecure' }
    }))
    const r = await registerJob(client(s.url), { ID: 'web' }, submission, {
      enforceIndex: true,
      jobModifyIndex: 117,
      preserveCounts: true,
      policyOverride: false,
      namespace: 'prod'
    })
    expect(s.seen[0].path).toBe('/v1/jobs')
    expect(s.seen[0].query.get('namespace')).toBe('prod')
    expect(s.seen[0].body).toEqual({
      Job: { ID: 'web' },
      Submission: submission,
      EnforceIndex: true,
      JobModifyIndex: 117,
      PolicyOverride: false,
      PreserveCounts: true
    })
    expect(r).toEqual({ evalId: 'ev-1', jobModifyIndex: 120, warnings: ['identities without an expiration are insecure'] })
  })

  it('explains an EnforceIndex conflict', async () => {
    const s = await stub(() => ({ status: 500, text: 'Enforcing job modify index 117: job exists with conflicting job modify index: 130' }))
    const err = await registerJob(client(s.url), { ID: 'web' }, undefined, {
      enforceIndex: true,
      jobModifyIndex: 117,
      preserveCounts: false,
      policyOverride: false,
      file: 'jobs/web.nomad.hcl'
    }).catch((e) => e)
    expect(err.message).toContain('changed by someone else between plan and register')
    expect(err.message).toContain('now at 130')
    expect(err.message).toContain('Nothing was overwritten')
    expect(err.message).toContain('Re-run the workflow')
    expect(err.message).toContain('jobs/web.nomad.hcl')
  })

  it('shows the server block when the servers have no vault block', async () => {
    const s = await stub(() => ({ status: 500, text: 'Vault "default" not enabled but used in the job' }))
    const err = await registerJob(client(s.url), { ID: 'web' }, undefined, {
      enforceIndex: true,
      jobModifyIndex: 0,
      preserveCounts: false,
      policyOverride: false,
      renderedServerBlock: 'vault {\n  enabled = true\n}'
    }).catch((e) => e)
    expect(err.message).toContain('no enabled vault block named "default"')
    expect(err.message).toContain('vault {\n  enabled = true\n}')
  })
})

describe('version-specific refusals', () => {
  // Nomad 1.7-1.9 (nomad/job_endpoint_hooks.go): plan and register both run the admission hooks, and the error is a
  // go-multierror list in a 500 text/plain body.
  const EMPTY_POLICIES = '1 error occurred:\n\t* Task server has a Vault block with an empty list of policies\n\n'

  it('explains a Vault task without identity or default_identity at plan, with the fix', async () => {
    const s = await stub(() => ({ status: 500, text: EMPTY_POLICIES }))
    const err = await planJob(
      client(s.url),
      { ID: 'web' },
      { refusal: { file: 'web.nomad.hcl', audience: 'vault.io', renderedServerBlock: 'vault {\n  default_identity {}\n}' } }
    ).catch((e) => e)
    expect(err.message).toContain('Nomad refused job "web" (web.nomad.hcl): task(s) "server" have a vault block but no identity "vault_default"')
    expect(err.message).toContain('default_identity to the vault block of every Nomad server')
    expect(err.message).toContain('vault {\n  default_identity {}\n}')
    expect(err.message).toContain('identity { name = "vault_default" aud = ["vault.io"] ttl = "1h" }')
  })

  it('explains it at register too', async () => {
    const s = await stub(() => ({ status: 500, text: EMPTY_POLICIES }))
    const err = await registerJob(client(s.url), { ID: 'web' }, undefined, {
      enforceIndex: true,
      jobModifyIndex: 0,
      preserveCounts: false,
      policyOverride: false
    }).catch((e) => e)
    expect(err.message).toContain('task(s) "server" have a vault block but no identity "vault_default"')
    expect(err.message).toContain('nomad-server-config')
  })
})

describe('NomadClient errors', () => {
  it('names nomad-addr on transport errors and never prints the token', async () => {
    const s = await stub(() => ({ json: {} }))
    const url = s.url
    await new Promise<void>((r) => server!.close(() => r()))
    server = undefined
    const err = await planJob(client(url, 'tok-plan-secret'), { ID: 'web' }).catch((e) => e)
    expect(err.message).toContain('nomad-addr')
    expect(err.message).toContain('ECONNREFUSED')
    expect(err.message).not.toContain('tok-plan-secret')
  })

  it('explains an invalid token and a missing job', async () => {
    const s = await stub((x) => (x.path === '/v1/job/nope' ? { status: 404, text: 'job not found' } : { status: 403, text: 'ACL token not found' }))
    const c = client(s.url)
    await expect(c.get('/v1/job/nope', { query: { namespace: 'prod' } })).rejects.toThrow(/Job "nope" was not found in namespace "prod"/)
    await expect(c.get('/v1/agent/self')).rejects.toThrow(/not a valid ACL token/)
  })
})
