import { describe, expect, it } from '@jest/globals'
import { API_FIELDS } from '../src/nomad/api-fields.js'
import { unknownFieldsWarning, unknownJobFields } from '../src/nomad/json-fields.js'

describe('unknownJobFields (api.Job JSON names from github.com/hashicorp/nomad/api)', () => {
  it('names unknown fields at every level, with the closest known name, matching case-insensitively like Go', () => {
    const job = {
      ID: 'web',
      id: 'web', // Go's decoder matches "id" to ID: not unknown
      Datacenter: ['dc1'],
      Meta: { anything: 'goes' },
      TaskGroups: [
        {
          Name: 'web',
          Count: 1,
          Volumes: { data: { Type: 'host', Sorce: 'data' } },
          Tasks: [
            { Name: 'server', Driver: 'docker', Confg: { image: 'nginx' }, Config: { any_driver_key: 1 }, Vault: { Role: 'r', Polices: ['x'] } },
            { Driver: 'exec', Resources: { CPU: 100, MemoryMB: 64, Memory: 64 } }
          ]
        }
      ],
      Update: { MaxParallel: 1, Canaries: 1 },
      Frobnicate: true
    }
    expect(unknownJobFields(job)).toEqual([
      { path: 'Datacenter', suggestion: 'Datacenters' },
      { path: 'TaskGroups[web].Volumes[data].Sorce', suggestion: 'Source' },
      { path: 'TaskGroups[web].Tasks[server].Confg', suggestion: 'Config' },
      { path: 'TaskGroups[web].Tasks[server].Vault.Polices', suggestion: 'Policies' },
      { path: 'TaskGroups[web].Tasks[1].Resources.Memory', suggestion: 'MemoryMB' },
      { path: 'Update.Canaries' },
      { path: 'Frobnicate' }
    ])
  })

  it('knows the fields real jobs use', () => {
    expect(Object.keys(API_FIELDS.Job)).toEqual(
      expect.arrayContaining(['ID', 'TaskGroups', 'Update', 'Periodic', 'ParameterizedJob', 'Meta', 'Version', 'JobModifyIndex'])
    )
    expect(API_FIELDS.Task.Identities).toBe('WorkloadIdentity[]')
    expect(API_FIELDS.TaskGroup.Volumes).toBe('VolumeRequest{}')
    expect(unknownJobFields({ ID: 'x', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Identity: { Audience: ['vault.io'], TTL: 1 } }] }] })).toEqual(
      []
    )
  })
})

describe("unknownJobFields knows the fields of the cluster's Nomad version (api/jobs.go at each tag)", () => {
  // What `nomad job run -output` of Nomad 1.7–1.9 writes: api.Job then had VaultToken and ConsulToken (gone in 1.10.0).
  const saved = { ID: 'web', VaultToken: '', ConsulToken: '', TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'server', Schedule: null }] }] }

  it('takes VaultToken and ConsulToken as fields of 1.7, 1.8 and 1.9, and as unknown from 1.10 on', () => {
    for (const v of ['1.7.7', '1.8.4', '1.9.7', 'v1.9.0+ent']) expect(unknownJobFields({ ID: 'x', VaultToken: '', ConsulToken: '' }, v)).toEqual([])
    for (const v of ['1.10.0', '1.10.5', '2.0.5'])
      expect(unknownJobFields({ ID: 'x', VaultToken: '', ConsulToken: '' }, v)).toEqual([
        { path: 'VaultToken', version: 'removed in Nomad 1.10.0' },
        { path: 'ConsulToken', version: 'removed in Nomad 1.10.0' }
      ])
  })

  it('names a field newer than the cluster, which it would drop silently', () => {
    expect(unknownJobFields(saved, '1.7.7')).toEqual([{ path: 'TaskGroups[web].Tasks[server].Schedule', version: 'added in Nomad 1.8.0' }])
    expect(unknownJobFields({ ID: 'x', VersionTag: null }, '1.8.4')).toEqual([{ path: 'VersionTag', version: 'added in Nomad 1.9.0' }])
    expect(unknownJobFields({ ID: 'x', VersionTag: null }, '1.9.0')).toEqual([])
  })

  it("counts any version's field as known when the cluster's version is not known (agent/self unreadable)", () => {
    expect(unknownJobFields(saved)).toEqual([])
  })

  it('says which version the warning is about', () => {
    expect(unknownFieldsWarning('web.json', saved, '1.9.7')).toEqual([])
    expect(unknownFieldsWarning('web.json', saved, '1.10.5')).toEqual([
      'JSON job file "web.json" has 2 fields that api.Job of Nomad 1.10.5 (the cluster\'s version) does not have, which Nomad ignores silently: ' +
        'VaultToken (removed in Nomad 1.10.0), ConsulToken (removed in Nomad 1.10.0). Check the spelling against `nomad job inspect` output (api.Job field names).'
    ])
  })
})
