/**
 * Input parsing and validation. Every input is read and checked here, before the first request to any server;
 * the readers in src/inputs/ each return their slice of Config into one Collector, and all problems are reported
 * together, each naming the input and the fix. Tokens are masked with core.setSecret the moment they are read.
 */
import * as core from '@actions/core'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Config, RoleSettings } from './config.js'
import { authConflicts, parseAuthInputs } from './auth/inputs.js'
import { ValidationErrors } from './errors.js'
import { fileAccessFromEnv } from './files.js'
import { Collector, envInputReader, type InputReader } from './inputs/collector.js'
import { readNomadConnection, readTransportSettings, readVaultConnection } from './inputs/connections.js'
import { readJobSettings } from './inputs/job.js'
import { readRoles } from './inputs/roles.js'
import { readVaultSettings } from './inputs/vault-settings.js'

export { DEFAULTS, envInputReader, normaliseAuthPath, type InputReader } from './inputs/collector.js'
export { parseVariables } from './inputs/job.js'
export { parseBoundClaims } from './inputs/vault-settings.js'

function firstRole(r: RoleSettings): Partial<Config['settings']> {
  return {
    role: r.name,
    policy: r.policy,
    kvMount: r.kvMount,
    policyText: r.policyText,
    boundClaims: r.boundClaims,
    tokenType: r.tokenType,
    tokenPeriodSeconds: r.tokenPeriodSeconds
  }
}

export function parseInputs(read: InputReader = envInputReader, env: NodeJS.ProcessEnv = process.env): Config {
  const c = new Collector(read)
  const signIn = parseAuthInputs(read)
  const vault = readVaultConnection(c, {
    tokenSignIn: signIn.auth.vault.method === 'token',
    problems: (vaultToken, nomadToken) => [...signIn.problems, ...authConflicts(signIn.auth, vaultToken, nomadToken, c.raw('nomad-addr'))]
  })
  const nomad = readNomadConnection(c)
  vault.transport = nomad.transport = readTransportSettings(c)
  // 'allow-outside-workspace': policy-file, job and var-files may then be anywhere on the runner.
  const fileAccess = fileAccessFromEnv(c.bool('allow-outside-workspace'), env)
  const single = readVaultSettings(c, nomad.addr, fileAccess)
  const roles = readRoles(c, single, fileAccess)
  // With roles, the single-role fields describe the first declared role (summary, outputs, check messages).
  const settings = {
    ...single,
    ...(roles ? { roles, ...firstRole(roles[0]) } : {}),
    prune: c.bool('prune')
  }
  const job = readJobSettings(c, nomad.addr, fileAccess)
  const dryRun = c.bool('dry-run')

  if (c.problems.length > 0) throw new ValidationErrors(c.problems)

  if (vault.skipVerify) core.warning('vault-skip-verify is true: TLS certificates of the Vault server are NOT verified. Use vault-ca-cert instead.')
  if (nomad.skipVerify) core.warning('nomad-skip-verify is true: TLS certificates of the Nomad server are NOT verified. Use nomad-ca-cert instead.')
  if (fileAccess.allowOutside)
    core.warning('allow-outside-workspace is true: policy-file, job and var-files may be read from anywhere on the runner.')

  return {
    auth: signIn.auth,
    vault,
    nomad,
    settings,
    job,
    dryRun,
    tempDir: env.RUNNER_TEMP || path.join(os.tmpdir(), 'nomad-vault-action')
  }
}
