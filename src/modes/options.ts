/**
 * The `mode` input and the inputs that only some modes read (fail-on-warning, force). Read after the common inputs,
 * so that the checks can name the conflicting input.
 *
 * - deploy (default): Vault, the agent blocks, then the job(s). Without `job` it stops after the agent blocks, as
 *   before; mode: setup says so explicitly.
 * - setup: Vault and the agent blocks only. A `job` input is an error: an explicit setup never deploys, and silently
 *   ignoring a job would hide a mistake.
 * - check: read-only diagnosis (findings). A `job` input is ignored with a warning, so that a check step can share
 *   the deploy step's inputs.
 * - destroy: removes what the action manages. A `job` input is an error (destroy never touches jobs).
 */
import * as core from '@actions/core'
import type { Config } from '../config.js'
import { ValidationErrors } from '../errors.js'
import type { InputReader } from '../inputs.js'

export const MODES = ['deploy', 'setup', 'check', 'destroy'] as const
export type Mode = (typeof MODES)[number]

export interface ModeOptions {
  mode: Mode
  /** check and destroy: warnings fail the step too (destroy then removes nothing). */
  failOnWarning: boolean
  /** destroy: also remove objects the action did not create. */
  force: boolean
  /** check: the live probe (probe-secret, probe-namespace); absent without probe-secret. */
  probe?: { secret: string; namespace: string }
}

function bool(read: InputReader, name: string, problems: string[]): boolean {
  const v = (read(name) ?? '').trim().toLowerCase()
  if (v === '' || v === 'false' || v === 'no' || v === '0') return false
  if (v === 'true' || v === 'yes' || v === '1') return true
  problems.push(`Input "${name}" must be true or false, got "${v}".`)
  return false
}

export function parseModeOptions(read: InputReader, cfg: Pick<Config, 'job'>): ModeOptions {
  const problems: string[] = []
  const raw = (read('mode') ?? '').trim().toLowerCase() || 'deploy'
  const mode = (MODES as readonly string[]).includes(raw) ? (raw as Mode) : undefined
  if (!mode) problems.push(`Input "mode" must be one of ${MODES.map((m) => `"${m}"`).join(', ')}, got "${raw}".`)
  const failOnWarning = bool(read, 'fail-on-warning', problems)
  const force = bool(read, 'force', problems)
  const hasJob = cfg.job.files.length > 0
  if (mode === 'setup' && hasJob) {
    problems.push(
      'Inputs "mode: setup" and "job" conflict: setup configures Vault and renders the agent blocks, and never deploys. Remove job, or use mode: deploy.'
    )
  }
  if (mode === 'destroy' && hasJob) {
    problems.push(
      'Inputs "mode: destroy" and "job" conflict: destroy only removes the Vault objects the action manages and never touches jobs. Remove job.'
    )
  }
  if (force && mode !== 'destroy') problems.push(`Input "force" only applies to mode: destroy (mode is ${mode ?? raw}).`)
  const probe = readProbe(read, mode ?? raw, problems)
  if (problems.length > 0) throw new ValidationErrors(problems)
  if (mode === 'check' && hasJob) core.warning('mode: check does not read the "job" input; the jobs running in Nomad are checked instead.')
  if (failOnWarning && mode !== 'check' && mode !== 'destroy') {
    core.warning(`Input "fail-on-warning" only applies to mode: check and destroy (mode is ${mode}); it is ignored.`)
  }
  return { mode: mode!, failOnWarning, force, ...(probe ? { probe } : {}) }
}

/** probe-secret: a Vault path as a template reads it (it goes into the probe's template, so no quotes or braces). */
function readProbe(read: InputReader, mode: string, problems: string[]): ModeOptions['probe'] {
  const secret = (read('probe-secret') ?? '').trim().replace(/^\/+/, '')
  const namespace = (read('probe-namespace') ?? '').trim() || 'default'
  if (!secret) return undefined
  if (mode !== 'check') problems.push(`Input "probe-secret" only applies to mode: check (mode is ${mode}).`)
  if (!/^[A-Za-z0-9_.@/-]+$/.test(secret)) {
    problems.push(`Input "probe-secret" must be a Vault path such as secret/data/default/${'nomad-vault-action-probe'}/config, got "${secret}".`)
  }
  if (!/^[a-zA-Z0-9-]{1,128}$/.test(namespace)) problems.push(`Input "probe-namespace" is not a Nomad namespace name: "${namespace}".`)
  return { secret, namespace }
}
