import { describe, expect, it } from '@jest/globals'
import { injectMeta, injectVault, tasksRelyingOnDefaultIdentity, vaultTasks } from '../src/nomad/inject.js'

function job() {
  return {
    ID: 'web',
    Meta: { team: 'payments' },
    TaskGroups: [
      {
        Name: 'api',
        Tasks: [
          { Name: 'server', Vault: null, Identities: null },
          {
            Name: 'worker',
            Vault: { Role: 'custom', Cluster: 'default', ChangeMode: 'signal', ChangeSignal: 'SIGUSR1', Env: false },
            Identities: [{ Name: 'vault_default', Audience: ['vault.io'], TTL: 3600000000000 }]
          }
        ]
      },
      { Name: 'cache', Tasks: [{ Name: 'redis', Vault: { Role: '', Cluster: 'default' } }] }
    ]
  }
}

describe('injectVault', () => {
  it('none returns an equal copy and injects nothing', () => {
    const j = job()
    const r = injectVault(j, 'none', 'nomad-workloads')
    expect(r.injectedTasks).toEqual([])
    expect(r.job).toEqual(j)
    expect(r.job).not.toBe(j)
  })

  it('missing adds a canonical block only where there is none', () => {
    const j = job()
    const before = JSON.stringify(j)
    const r = injectVault(j, 'missing', 'nomad-workloads')
    expect(JSON.stringify(j)).toBe(before) // input not mutated
    expect(r.injectedTasks).toEqual(['api/server'])
    expect(r.job.TaskGroups?.[0].Tasks?.[0].Vault).toEqual({
      Role: 'nomad-workloads',
      Namespace: '',
      Cluster: 'default',
      Env: true,
      DisableFile: false,
      ChangeMode: 'restart',
      ChangeSignal: 'SIGHUP',
      AllowTokenExpiration: false
    })
    expect(r.job.TaskGroups?.[0].Tasks?.[1].Vault?.Role).toBe('custom')
    expect(r.job.TaskGroups?.[1].Tasks?.[0].Vault?.Role).toBe('')
  })

  it('all sets the role everywhere and keeps the other fields', () => {
    const j = job()
    const r = injectVault(j, 'all', 'nomad-workloads')
    expect(r.injectedTasks).toEqual(['api/server', 'api/worker', 'cache/redis'])
    const worker = r.job.TaskGroups?.[0].Tasks?.[1].Vault
    expect(worker).toEqual({ Role: 'nomad-workloads', Cluster: 'default', ChangeMode: 'signal', ChangeSignal: 'SIGUSR1', Env: false })
    expect(j.TaskGroups[0].Tasks[1].Vault!.Role).toBe('custom')
    expect(vaultTasks(r.job).map((t) => t.role)).toEqual(['nomad-workloads', 'nomad-workloads', 'nomad-workloads'])
  })

  it('tolerates jobs without groups or tasks', () => {
    expect(injectVault({ ID: 'x' }, 'missing', 'r').injectedTasks).toEqual([])
    expect(injectVault({ ID: 'x', TaskGroups: [{ Name: 'g', Tasks: null }] }, 'all', 'r').injectedTasks).toEqual([])
  })
})

describe('injectMeta', () => {
  it('merges string values into Job.Meta without mutating the input', () => {
    const j = job()
    const out = injectMeta(j, { github_sha: 'abc', github_run_id: '42' })
    expect(out.Meta).toEqual({ team: 'payments', github_sha: 'abc', github_run_id: '42' })
    expect(j.Meta).toEqual({ team: 'payments' })
    expect(injectMeta({ ID: 'x', Meta: null }, { github_ref: 'refs/heads/main' }).Meta).toEqual({ github_ref: 'refs/heads/main' })
  })

  it('coerces non-string values to strings', () => {
    const out = injectMeta({ ID: 'x' }, { n: 7 as unknown as string })
    expect(out.Meta).toEqual({ n: '7' })
  })
})

describe('tasksRelyingOnDefaultIdentity', () => {
  it('lists vault tasks without a vault_<cluster> identity', () => {
    const j = injectVault(job(), 'missing', 'r').job
    expect(tasksRelyingOnDefaultIdentity(j)).toEqual(['api/server', 'cache/redis'])
  })

  it('uses the cluster name of the vault block', () => {
    const j = {
      TaskGroups: [
        {
          Name: 'g',
          Tasks: [
            { Name: 'a', Vault: { Cluster: 'infra' }, Identities: [{ Name: 'vault_default' }] },
            { Name: 'b', Vault: { Cluster: 'infra' }, Identities: [{ Name: 'vault_infra' }] },
            { Name: 'c', Vault: null, Identities: [] }
          ]
        }
      ]
    }
    expect(tasksRelyingOnDefaultIdentity(j)).toEqual(['g/a'])
  })
})
