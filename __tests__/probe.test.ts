/** The live probe's pure parts: the probe job, and the finding each allocation outcome gives. */
import { describe, expect, it } from '@jest/globals'
import { PROBE_JOB_ID, probeFinding, probeJob } from '../src/diagnosis/probe-job.js'
import type { AllocationListStub, TaskEvent } from '../src/nomad/api-types.js'

const spec = { secret: 'secret/data/prod/nomad-vault-action-probe/config', namespace: 'prod', role: 'ns-prod' }

function alloc(ClientStatus: string, events: Partial<TaskEvent>[] = []): AllocationListStub {
  return {
    ID: 'a1',
    Name: 'probe',
    JobID: PROBE_JOB_ID,
    JobVersion: 0,
    TaskGroup: 'probe',
    DesiredStatus: 'run',
    ClientStatus,
    TaskStates: { probe: { State: 'dead', Failed: ClientStatus === 'failed', Events: events as TaskEvent[] } }
  }
}

/** The fields of the probe's task group that the test reads, as the JSON sent to Nomad. */
interface ProbeGroupJson {
  RestartPolicy: { Attempts: number }
  ReschedulePolicy: unknown
  Tasks: { Vault: { Role: string }; Templates: { EmbeddedTmpl: string }[] }[]
}

describe('probe job', () => {
  it('is a batch job without restarts or reschedules, whose task has the role and a template reading the secret', () => {
    const job = probeJob(spec)
    expect(job).toMatchObject({ ID: PROBE_JOB_ID, Namespace: 'prod', Type: 'batch' })
    const tg = JSON.parse(JSON.stringify(job.TaskGroups?.[0])) as ProbeGroupJson
    expect(tg.RestartPolicy.Attempts).toBe(0)
    expect(tg.ReschedulePolicy).toEqual({ Attempts: 0, Unlimited: false })
    expect(tg.Tasks[0].Vault.Role).toBe('ns-prod')
    expect(tg.Tasks[0].Templates[0].EmbeddedTmpl).toContain('{{ with secret "secret/data/prod/nomad-vault-action-probe/config" }}')
  })
})

describe('probe verdict', () => {
  it('no verdict while the allocation runs', () => {
    expect(probeFinding(undefined, spec, 'jwt-nomad')).toBeUndefined()
    expect(probeFinding(alloc('pending'), spec, 'jwt-nomad')).toBeUndefined()
    expect(probeFinding(alloc('running'), spec, 'jwt-nomad')).toBeUndefined()
  })

  it('complete: the login and the read worked', () => {
    expect(probeFinding(alloc('complete'), spec, 'jwt-nomad')).toMatchObject({ severity: 'info', check: 'live-probe' })
  })

  it('a login error names the login step and what to check', () => {
    const msg =
      'Vault: failed to derive vault token: failed to derive Vault token for identity vault_default: failed to login with JWT: Error making API request. Code: 400. Errors: * error validating claims: claim "nomad_namespace" does not match any associated bound claim values'
    const f = probeFinding(alloc('failed', [{ Type: 'Killing', DisplayMessage: msg }]), spec, 'jwt-nomad')
    expect(f).toMatchObject({ severity: 'error', message: expect.stringMatching(/could not log in to Vault: .*does not match/) })
    expect(f?.fix).toMatch(/bound claims accept namespace "prod"/)
  })

  it('a denied read names the read step and the policy fix; a missing secret says to write it', () => {
    const denied = probeFinding(
      alloc('failed', [{ Type: 'Killing', DisplayMessage: 'Template failed: vault.read(secret/data/x): Code: 403. Errors: * permission denied' }]),
      spec,
      'jwt-nomad'
    )
    expect(denied).toMatchObject({ severity: 'error', message: expect.stringMatching(/logged in, but reading .* failed/) })
    expect(denied?.fix).toMatch(/policies of role "ns-prod" do not grant read/)
    const missing = probeFinding(
      alloc('failed', [{ Type: 'Killing', DisplayMessage: 'Template failed: vault.read(secret/data/x): no secret exists at secret/data/x' }]),
      spec,
      'jwt-nomad'
    )
    expect(missing?.fix).toMatch(/No secret at/)
  })

  it('another failure says the probe could not prove the login', () => {
    const f = probeFinding(alloc('failed', [{ Type: 'Driver Failure', DisplayMessage: 'failed to pull image' }]), spec, 'jwt-nomad')
    expect(f).toMatchObject({ severity: 'error', message: expect.stringMatching(/failed before it could prove the login: failed to pull image/) })
  })
})
