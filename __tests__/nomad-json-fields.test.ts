import { describe, expect, it } from '@jest/globals'
import { API_FIELDS } from '../src/nomad/api-fields.js'
import { unknownJobFields } from '../src/nomad/json-fields.js'

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
