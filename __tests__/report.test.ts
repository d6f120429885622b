import { describe, expect, it } from '@jest/globals'
import { newJobResult, type JobResult } from '../src/nomad/result.js'
import type { VerdictValue } from '../src/nomad/verdict.js'
import { jobOutputs } from '../src/report/outputs.js'
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
