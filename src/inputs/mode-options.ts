/**
 * The `mode` input and the inputs that only some modes read (fail-on-warning, force, probe-*). Read with the common
 * inputs (src/inputs/read-inputs.ts), so that the checks can name the conflicting input and every problem is reported at once.
 *
 * - deploy (default): Vault, the agent blocks, then the job(s). Without `job` it stops after the agent blocks, as
 *   before; mode: setup says so explicitly.
 * - setup: Vault and the agent blocks only. A `job` input is an error: an explicit setup never deploys, and silently
 *   ignoring a job would hide a mistake.
 * - check: read-only diagnosis (findings). A `job` input is ignored with a warning, so that a check step can share
 *   the deploy step's inputs.
 * - destroy: removes what the action manages. A `job` input is an error (destroy never touches jobs).
 *
 * An input whose schema entry names its modes and `otherModes` is an error (or a warning) when given in another mode.
 */
import { TRUE_SPELLINGS, type Collector } from './collector.js'
import { defaultOf, INPUTS, MODES, type Mode } from './schema.js'

export { MODES, type Mode }

export interface ModeOptions {
  mode: Mode
  /** check: warnings fail the step too. */
  failOnWarning: boolean
  /** destroy: also remove objects the action did not create. */
  force: boolean
  /** check: the live probe (probe-secret, probe-namespace); absent without probe-secret. */
  probe?: { secret: string; namespace: string }
}

export function readModeOptions(c: Collector, hasJob: boolean): ModeOptions {
  const mode = c.oneOf<Mode>('mode')
  const failOnWarning = c.bool('fail-on-warning')
  const force = c.bool('force')
  if (mode === 'setup' && hasJob) {
    c.problem(
      'Inputs "mode: setup" and "job" conflict: setup configures Vault and renders the agent blocks, and never deploys. Remove job, or use mode: deploy.'
    )
  }
  if (mode === 'destroy' && hasJob) {
    c.problem(
      'Inputs "mode: destroy" and "job" conflict: destroy only removes the Vault objects the action manages and never touches jobs. Remove job.'
    )
  }
  if (mode === 'check' && hasJob) c.warn('mode: check does not read the "job" input; the jobs running in Nomad are checked instead.')
  // With an invalid mode (already a problem) there is no mode to compare with.
  const modeGiven = (MODES as readonly string[]).includes(c.string('mode'))
  for (const spec of INPUTS) {
    if (!modeGiven || !spec.modes || !spec.otherModes || spec.modes.includes(mode)) continue
    const v = c.string(spec.name)
    const given = spec.type.kind === 'boolean' ? TRUE_SPELLINGS.includes(v) : v !== '' && v !== defaultOf(spec.name)
    if (!given) continue
    const where = `Input "${spec.name}" only applies to mode: ${spec.modes.join(', ')} (mode is ${mode})`
    if (spec.otherModes === 'error') c.problem(`${where}.`)
    else c.warn(`${where}; it is ignored.`)
  }
  const probe = readProbe(c)
  return { mode, failOnWarning, force, ...(probe ? { probe } : {}) }
}

/** probe-secret: a Vault path as a template reads it (it goes into the probe's template, so no quotes or braces). */
function readProbe(c: Collector): ModeOptions['probe'] {
  const secret = c.name('probe-secret').replace(/^\/+/, '')
  const namespace = c.name('probe-namespace')
  return secret ? { secret, namespace } : undefined
}
