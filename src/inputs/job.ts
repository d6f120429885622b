/** Reader for the job inputs: files, variables, var-files, and how to register and follow the job. */
import type { InjectVault, JobSettings, WaitMode } from '../config.js'
import { readExpectedPlan } from '../approval/plan-file.js'
import { readUserFile, type FileAccess } from '../files.js'
import { HCL_IDENT } from '../nomad/hcl.js'
import type { Collector } from './collector.js'

export function parseVariables(lines: string[]): { vars: Record<string, string>; errors: string[] } {
  const vars: Record<string, string> = {}
  const errors: string[] = []
  for (const line of lines) {
    const eq = line.indexOf('=')
    const key = eq > 0 ? line.slice(0, eq).trim() : ''
    if (!HCL_IDENT.test(key)) {
      errors.push(`Input "variables": line "${line.slice(0, 40)}" is not key=value with a valid HCL variable name.`)
      continue
    }
    vars[key] = line.slice(eq + 1).trim()
  }
  return { vars, errors }
}

export function readJobSettings(c: Collector, nomadAddr: string, fileAccess: FileAccess): JobSettings {
  const files = c.lines('job')
  const vars = parseVariables(c.lines('variables'))
  for (const e of vars.errors) c.problem(e)
  const varFiles = c.lines('var-files')
  for (const f of varFiles) {
    // Read now (regular file, workspace, size, UTF-8) so that a bad var-file stops the run before any write.
    try {
      readUserFile(f, 'var-files', fileAccess)
    } catch (e) {
      c.problem((e as Error).message)
    }
  }
  if (files.length > 0 && !nomadAddr) c.problem('Input "nomad-addr" is required when "job" is set.')
  const injectVault = c.oneOf<InjectVault>('inject-vault')
  const wait = c.oneOf<WaitMode>('wait')
  const timeout = c.duration('timeout')
  const maxParallel = c.int('max-parallel')
  let expectedPlan: JobSettings['expectedPlan']
  if (c.string('expected-plan')) {
    try {
      expectedPlan = readExpectedPlan(c.string('expected-plan'), fileAccess)
    } catch (e) {
      c.problem((e as Error).message)
    }
  }
  return {
    expectedPlan,
    files,
    variables: vars.vars,
    varFiles,
    fileAccess,
    injectVault,
    meta: c.bool('meta'),
    wait,
    timeoutMs: timeout.seconds * 1000,
    autoPromote: c.bool('auto-promote'),
    preserveCounts: c.bool('preserve-counts'),
    policyOverride: c.bool('policy-override'),
    maxParallel
  }
}
