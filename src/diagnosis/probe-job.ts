/**
 * The live probe of `mode: check` (input probe-secret), pure parts: the probe job, and the finding its allocation
 * gives. The probe is a batch job whose task has a `vault` block and one template that reads the named secret; Nomad
 * logs the task in to Vault with its workload identity before it starts (client vault_hook) and renders the template
 * (template hook), so an allocation that completes proves both, and a failed one says which step failed in its task
 * events ("failed to derive Vault token ... failed to login with JWT", "Template failed: ... vault.read").
 */
import { clip } from '../bounds.js'
import type { ApiJob } from '../nomad/inject.js'
import { defaultVaultBlock } from '../nomad/inject.js'
import type { AllocationListStub, TaskEvent } from '../nomad/api-types.js'
import type { Finding } from './findings.js'

/** The probe's job ID: fixed, so that a templated policy can grant it a canary secret (<kv>/data/<namespace>/<this>). */
export const PROBE_JOB_ID = 'nomad-vault-action-probe'

export interface ProbeSpec {
  secret: string
  namespace: string
  role: string
}

/** The probe job (api.Job JSON): one task, no restarts, no reschedules, a template reading `secret`. */
export function probeJob(p: ProbeSpec): ApiJob {
  return {
    ID: PROBE_JOB_ID,
    Name: PROBE_JOB_ID,
    Namespace: p.namespace,
    Type: 'batch',
    Datacenters: ['*'],
    Meta: { 'managed-by': 'nomad-vault-action check probe' },
    TaskGroups: [
      {
        Name: 'probe',
        Count: 1,
        RestartPolicy: { Attempts: 0, Mode: 'fail', Interval: 86_400e9, Delay: 1e9 },
        ReschedulePolicy: { Attempts: 0, Unlimited: false },
        Tasks: [
          {
            Name: 'probe',
            Driver: 'docker',
            Config: { image: 'busybox:1.36', command: 'true' },
            Vault: { ...defaultVaultBlock(p.role), ChangeMode: 'noop' },
            Templates: [
              {
                EmbeddedTmpl: `{{ with secret "${p.secret}" }}read{{ end }}\n`,
                DestPath: 'secrets/probe.txt',
                ChangeMode: 'noop'
              }
            ],
            Resources: { CPU: 20, MemoryMB: 32 }
          }
        ]
      }
    ]
  }
}

/** The finding for the probe's allocation (undefined: it has not finished yet). */
export function probeFinding(alloc: AllocationListStub | undefined, p: ProbeSpec, authPath: string): Finding | undefined {
  if (!alloc) return undefined
  const where = `The probe job "${PROBE_JOB_ID}" in Nomad namespace "${p.namespace}" (role "${p.role}", auth/${authPath})`
  if (alloc.ClientStatus === 'complete') {
    return {
      severity: 'info',
      check: 'live-probe',
      message: `${where} logged in to Vault with its workload identity and read ${p.secret}.`,
      fix: ''
    }
  }
  if (alloc.ClientStatus !== 'failed' && alloc.ClientStatus !== 'lost') return undefined
  const events: TaskEvent[] = Object.values(alloc.TaskStates ?? {}).flatMap((t) => t.Events ?? [])
  const text = (e: TaskEvent) => clip(String(e.DisplayMessage || e.DriverError || e.Message || ''))
  const login = events.find((e) => /failed to derive vault token|failed to login with JWT/i.test(text(e)))
  if (login) {
    return {
      severity: 'error',
      check: 'live-probe',
      message: `${where} could not log in to Vault: ${text(login)}`,
      fix:
        `Vault refused the login: check that role "${p.role}" exists at auth/${authPath}, that its bound_audiences match the servers' ` +
        `default_identity.aud, and that its bound claims accept namespace "${p.namespace}" (run mode: deploy or setup to repair the role).`,
      evidence: text(login)
    }
  }
  const template = events.find((e) => /Template failed|vault\.read/i.test(text(e)))
  if (template) {
    const denied = /403|permission denied/i.test(text(template))
    return {
      severity: 'error',
      check: 'live-probe',
      message: `${where} logged in, but reading ${p.secret} failed: ${text(template)}`,
      fix: denied
        ? `The policies of role "${p.role}" do not grant read on ${p.secret}. With the default templated policy a job reads ` +
          `<kv-mount>/data/<namespace>/<job id>/*: put the probe's canary secret under <kv-mount>/data/${p.namespace}/${PROBE_JOB_ID}/, or grant the path in the role's policy.`
        : `No secret at ${p.secret}: write it (e.g. vault kv put) or point probe-secret at an existing one.`,
      evidence: text(template)
    }
  }
  const last = events.at(-1)
  return {
    severity: 'error',
    check: 'live-probe',
    message: `${where} failed before it could prove the login: ${last ? text(last) : alloc.ClientDescription || 'no task events'}`,
    fix: 'Check that a client can run it (datacenters "*", the docker driver, image busybox:1.36); the task events above say why it failed.'
  }
}
