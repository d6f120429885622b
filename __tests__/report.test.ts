import { describe, expect, it } from '@jest/globals'
import { newJobResult, type JobResult } from '../src/nomad/result.js'
import type { VerdictValue } from '../src/nomad/verdict.js'
import { clip, MESSAGE_LIMIT, OUTPUT_LIMIT, SUMMARY_LIMIT } from '../src/bounds.js'
import { HttpError } from '../src/errors.js'
import { REASON_ALLOCS, withFailureDetails } from '../src/nomad/alloc-summary.js'
import { boundOutput, jobOutputs, NOT_SHOWN, setOutputs } from '../src/report/outputs.js'
import { capSummary, DETAIL_JOBS } from '../src/report/summary-fit.js'
import { buildSummary, type SummaryInput } from '../src/report/summary.js'

const job = (id: string, verdict: VerdictValue): JobResult => ({
  ...newJobResult(`${id}.nomad.hcl`, id, 'default'),
  jobVersion: 3,
  jobModifyIndex: 120,
  evalId: `eval-${id}`,
  deploymentId: `dep-${id}`,
  deploymentStatus: 'successful',
  allocations: [{ id: 'a1', name: `${id}.web[0]`, taskGroup: 'web', clientStatus: 'running', desiredStatus: 'run', events: [] }],
  verdict
})

describe('jobOutputs', () => {
  it('gives plain values for one job', () => {
    const out = jobOutputs([job('web', 'healthy')])
    expect(out['job-id']).toBe('web')
    expect(out['job-version']).toBe('3')
    expect(out['verdict']).toBe('healthy')
    expect(JSON.parse(out['allocations'])).toEqual([expect.objectContaining({ id: 'a1', clientStatus: 'running' })])
  })

  it('gives JSON maps keyed by job id for several jobs', () => {
    const out = jobOutputs([job('web', 'healthy'), job('worker', 'failed')])
    expect(JSON.parse(out['verdict'])).toEqual({ web: 'healthy', worker: 'failed' })
    expect(JSON.parse(out['job-version'])).toEqual({ web: 3, worker: 3 })
    expect(JSON.parse(out['eval-id'])).toEqual({ web: 'eval-web', worker: 'eval-worker' })
  })

  it('sets nothing without jobs', () => {
    expect(jobOutputs([])).toEqual({})
  })
})

describe('buildSummary', () => {
  const input: SummaryInput = {
    dryRun: false,
    vault: {
      addr: 'https://vault:8200',
      authPath: 'jwt-nomad',
      accessor: 'auth_jwt_1234',
      keySource: 'jwks',
      roles: [{ name: 'nomad-workloads', policy: 'nomad-workloads', boundClaims: {} }],
      changes: [
        {
          resource: 'role',
          action: 'update',
          path: 'auth/jwt-nomad/role/nomad-workloads',
          diff: [{ field: 'bound_audiences', before: ['nomad.io'], after: ['vault.io'] }]
        }
      ]
    },
    serverBlock: 'vault {\n  enabled = true\n}\n',
    clientBlock: 'vault {\n  enabled = true\n}\n',
    jobs: [
      {
        file: 'web.nomad.hcl',
        jobId: 'web',
        verdict: 'failed',
        reason: 'deployment failed | unhealthy',
        allocations: [
          {
            id: 'abcdef0123',
            name: 'web.web[0]',
            taskGroup: 'web',
            clientStatus: 'failed',
            desiredStatus: 'run',
            events: [{ task: 'server', type: 'Killing', message: 'Vault: failed' }]
          }
        ]
      }
    ]
  }

  it('shows each Vault change with before and after, and each unhealthy allocation', () => {
    const md = buildSummary(input)
    expect(md).toContain('| `auth/jwt-nomad/role/nomad-workloads` | update | bound_audiences | `["nomad.io"]` | `["vault.io"]` |')
    expect(md).toContain('### Job `web` ❌ failed')
    expect(md).toContain('deployment failed \\| unhealthy')
    expect(md).toContain('server: **Killing** Vault: failed')
    expect(md).toContain('```hcl\nvault {\n  enabled = true\n}\n```')
  })

  it('says when nothing changed and when it was a dry run', () => {
    const md = buildSummary({ ...input, dryRun: true, vault: { ...input.vault, changes: [] }, jobs: [] })
    expect(md).toContain('(dry run: nothing was changed)')
    expect(md).toContain('No changes: Vault already matched the desired state.')
  })
})

describe('one result shape per job', () => {
  it('outputs and summary list the jobs in the order given, whatever their verdicts', () => {
    const jobs = [job('web', 'failed'), job('api', 'unchanged'), job('worker', 'healthy')]
    expect(Object.keys(JSON.parse(jobOutputs(jobs)['verdict']))).toEqual(['web', 'api', 'worker'])
    const md = buildSummary({
      dryRun: false,
      vault: { addr: 'x', authPath: 'jwt-nomad', accessor: '', keySource: 'jwks', roles: [{ name: 'r', policy: 'p', boundClaims: {} }], changes: [] },
      serverBlock: '',
      clientBlock: '',
      jobs,
      release: { github_sha: 'abc', github_run_id: '42' }
    })
    const order = ['web', 'api', 'worker'].map((id) => md.indexOf(`### Job \`${id}\``))
    expect(order.every((pos) => pos >= 0)).toBe(true)
    expect([...order].sort((a, b) => a - b)).toEqual(order)
    expect(md).toContain('### Job `api` 🟰 unchanged')
    expect(md).toContain('| github_run_id | `42` |')
  })
})

/** `n` failed allocations whose task failed with `message`, then had a `thenType` event with `thenMessage`. */
const failedAllocs = (n: number, message: string, thenType: string, thenMessage: string) =>
  Array.from({ length: n }, (_, i) => ({
    id: `alloc-${i}-0123`,
    name: `web.web[${i}]`,
    taskGroup: 'web',
    clientStatus: 'failed',
    desiredStatus: 'run',
    events: [
      { task: 'server', type: 'Driver Failure', message },
      { task: 'server', type: thenType, message: thenMessage }
    ]
  }))

describe('reports within GitHub limits', () => {
  const vault: SummaryInput['vault'] = {
    addr: 'x',
    authPath: 'jwt-nomad',
    accessor: '',
    keySource: 'jwks',
    roles: [{ name: 'r', policy: 'p', boundClaims: {} }],
    changes: []
  }
  /** A deployed job as the summary sees it after a real deploy: plan, deployment health, release meta. */
  const deployed = (i: number): JobResult => ({
    ...job(`service-${String(i).padStart(4, '0')}`, i % 100 === 7 ? 'failed' : 'healthy'),
    reason: `Deployment dep-${i} of job "service-${i}" version 3 is successful: 2 of 2 allocations healthy.`,
    role: 'nomad-workloads',
    plan: {
      jobModifyIndex: 120,
      diffType: 'Edited',
      groups: [{ name: 'web', create: 1, destructive: 1, inPlace: 0, stop: 0, ignore: 0, canary: 0, migrate: 0 }],
      warnings: [],
      failedTGAllocs: {}
    },
    groups: [
      { name: 'web', desiredTotal: 2, placedAllocs: 2, healthyAllocs: 2, unhealthyAllocs: 0, desiredCanaries: 0, placedCanaries: 0, promoted: false }
    ]
  })

  it('clip() keeps the start and the end of a long message, with "…" and how much was cut', () => {
    const long = `START ${'x'.repeat(1_000_000)} END`
    const cut = clip(long)
    expect(cut.length).toBeLessThanOrEqual(MESSAGE_LIMIT)
    expect(cut).toMatch(/^START x+ … \[\d+ characters cut\] … x+ END$/)
    const cutCount = Number(/\[(\d+) characters cut\]/.exec(cut)?.[1])
    expect(cut.length - ` … [${cutCount} characters cut] … `.length + cutCount).toBe(long.length)
    expect(clip('short')).toBe('short')
  })

  it('3,000 deployed jobs: a summary under 1 MiB with every verdict in the job table and the detail of 50 jobs, failing first', () => {
    const jobs = Array.from({ length: 3000 }, (_, i) => deployed(i))
    const md = buildSummary({ dryRun: false, vault, serverBlock: 'vault {}', clientBlock: 'vault {}', jobs })
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(SUMMARY_LIMIT)
    expect(md).toContain('### Jobs (3000)')
    expect(md.match(/^\| `service-\d{4}` \| /gm)).toHaveLength(3000)
    const details = [...md.matchAll(/^### Job `(service-\d{4})` /gm)].map((m) => m[1])
    expect(details).toHaveLength(DETAIL_JOBS)
    // the 30 failed jobs (i % 100 === 7) all keep their detail, in job order, then the first healthy ones
    expect(details.filter((id) => Number(id.slice(-4)) % 100 === 7)).toHaveLength(30)
    expect(details).toEqual([...details].sort())
    expect(md).toMatch(
      /> This summary is shortened to stay under GitHub's 1 MiB limit .*Not shown: the detail of 2950 job\(s\) \(their verdicts are in the job table\)/
    )
  })

  it('a tight limit cuts the job table, and still ends with whole Markdown', () => {
    const jobs = Array.from({ length: 3000 }, (_, i) => deployed(i))
    const md = buildSummary({ dryRun: false, vault, serverBlock: 'vault {}', clientBlock: 'vault {}', jobs }, 50_000)
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(50_000)
    expect(md).toMatch(/Not shown: \d+ row\(s\) of the job table \(the outputs list every job\); the detail of \d+ job\(s\)/)
    expect(md).toContain('```hcl\nvault {}\n```')
  })

  it('thousands of Vault changes (many roles): the Vault section takes at most half, the agent blocks stay whole', () => {
    const changes = Array.from({ length: 20_000 }, (_, i) => ({
      resource: 'role',
      action: 'create',
      path: `auth/jwt-nomad/role/r${i}`,
      diff: [{ field: 'bound_claims', before: null, after: { nomad_namespace: [`ns${i}`] } }]
    }))
    const md = buildSummary({ dryRun: true, vault: { ...vault, changes }, serverBlock: 'vault {}', clientBlock: 'vault {}', jobs: [] })
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(SUMMARY_LIMIT)
    expect(md).toMatch(/Not shown: \d+ line\(s\) of the Vault section \(the log lists every change\)\. The log has all of it\./)
    expect(md).toContain('<details><summary>Clients</summary>\n\n```hcl\nvault {}\n```\n</details>')
  })

  it('capSummary cuts any other summary at the limit, closing an open code block, with a note', () => {
    const md = ['## check', '', '```json', ...Array.from({ length: 50_000 }, (_, i) => `"evidence line ${i}",`), '```', ''].join('\n')
    const cut = capSummary(md, 100_000)
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(100_000)
    expect(cut).toMatch(
      /"evidence line \d+",\n```\n\n> \[!NOTE\]\n> This summary is cut here to stay under GitHub's 1 MiB limit .*\(\d+ more line\(s\)\)/
    )
    expect(capSummary('## short\n')).toBe('## short\n')
  })

  it("a server's 1 MB error text is shown at most 4 KiB long in the error message, and kept whole for matching", () => {
    const body = `job validation failed: ${'z'.repeat(1024 * 1024)} (last line)`
    const err = new HttpError('Nomad', 'POST', '/v1/jobs', 400, body)
    expect(err.message.length).toBeLessThan(MESSAGE_LIMIT + 100)
    expect(err.message).toMatch(/^Nomad POST \/v1\/jobs failed with HTTP 400: job validation failed: z+ … \[\d+ characters cut\] … z+ \(last line\)$/)
    expect(err.serverMessage).toBe(body)
  })

  it('one job failing with a 1 MB task event: each event shown at most 4 KiB and once, at most 10 unhealthy allocations', () => {
    const huge = `boom ${'y'.repeat(1024 * 1024)} cause`
    const allocs = failedAllocs(40, huge, 'Not Restarting', huge)
    const md = buildSummary({
      dryRun: false,
      vault,
      serverBlock: '',
      clientBlock: '',
      jobs: [{ ...job('web', 'failed'), reason: huge, allocations: allocs, warnings: [huge] }],
      error: huge
    })
    expect(Buffer.byteLength(md)).toBeLessThan(32 * 1024)
    expect(md).toMatch(/\*\*Driver Failure\*\* boom y+ … \[\d+ characters cut\] … y+ cause/)
    // the message every restart repeats is shown once per job
    expect(md.match(/boom y+ … \[\d+ characters cut\] … y+ cause/g)).toHaveLength(4) // event, reason, warning, caution
    expect(md).toContain('  - server: **Not Restarting** (the same message as above)')
    expect(md).toContain('- and 30 more (see the `allocations` output)')
  })

  it("a failing verdict's reason lists at most 5 allocations and a repeated long message once", () => {
    const msg = `boom ${'w'.repeat(500)}`
    const allocs = failedAllocs(12, msg, 'Restarting', 'Task restarting in 16s')
    const reason = withFailureDetails('Deployment failed.', allocs, [])
    expect(reason.match(/^- allocation /gm)).toHaveLength(REASON_ALLOCS)
    expect(reason).toContain('- and 7 more allocation(s) in trouble (see the allocations output)')
    expect(reason.split(msg)).toHaveLength(2)
    expect(reason.match(/Driver Failure: \(the same message as above\)/g)).toHaveLength(4)
  })

  it('every output stays under 1 MB: a JSON map keeps its leading jobs and "not shown": N, and stays valid JSON', () => {
    const jobs = Array.from({ length: 3000 }, (_, i) => ({
      ...deployed(i),
      allocations: Array.from({ length: 3 }, (_, k) => ({
        id: `${i}-${k}-8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b`,
        name: `service-${i}.web[${k}]`,
        taskGroup: 'web',
        clientStatus: 'running',
        desiredStatus: 'run',
        healthy: true,
        events: []
      }))
    }))
    const set: Record<string, string> = {}
    setOutputs(jobOutputs(jobs), (k, v) => {
      set[k] = v
    })
    for (const [name, value] of Object.entries(set)) expect({ name, ok: Buffer.byteLength(value) <= OUTPUT_LIMIT }).toEqual({ name, ok: true })
    const allocations = JSON.parse(set.allocations) as Record<string, unknown>
    const kept = Object.keys(allocations).filter((k) => k !== NOT_SHOWN)
    expect(kept[0]).toBe('service-0000')
    expect(kept.length + Number(allocations[NOT_SHOWN])).toBe(3000)
    expect(Object.keys(JSON.parse(set.verdict))).toHaveLength(3000)
  })

  it('boundOutput: a list ends with {"not shown": N}, other text ends with "…", a short value is kept as it is', () => {
    const list = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ path: `auth/jwt/role/r${i}`, before: 'x'.repeat(50) })))
    const cut = JSON.parse(boundOutput(list, 10_000)) as unknown[]
    expect(cut.at(-1)).toEqual({ [NOT_SHOWN]: 1000 - (cut.length - 1) })
    expect(boundOutput(list, 10_000).length).toBeLessThanOrEqual(10_000)
    const text = boundOutput('é'.repeat(10_000), 1000)
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1000)
    expect(text).toMatch(/^é+…$/)
    expect(boundOutput('{"a":1}', 10)).toBe('{"a":1}')
  })
})
