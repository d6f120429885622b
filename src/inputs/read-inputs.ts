/**
 * Input parsing and validation: the one parser of every input in the schema (src/inputs/schema.ts). Each reader in
 * src/inputs/ (and the sign-in, mode and GitHub readers) returns its slice through one Collector; every problem of
 * every group is reported in one error, thrown once, before the first request to any server. Tokens are masked
 * with core.setSecret the moment they are read.
 */
import * as core from '@actions/core'
import * as os from 'node:os'
import * as path from 'node:path'
import { authConflicts, readAuthInputs } from '../auth/sign-in-inputs.js'
import type { Config, VaultSettings } from '../config.js'
import { ValidationErrors } from '../errors.js'
import { fileAccessFromEnv } from '../files.js'
import { readGitHubOptions, type GitHubOptions } from '../github/options.js'
import { Collector, envInputReader, type InputReader } from './collector.js'
import { readNomadConnection, readTransportSettings, readVaultConnection } from './connections.js'
import { readJobSettings } from './job.js'
import { readRoles } from './roles.js'
import { readVaultSettings } from './vault-settings.js'
import { readModeOptions, type ModeOptions } from './mode-options.js'

export { envInputReader, type InputReader } from './collector.js'
export { normaliseAuthPath } from './rules.js'
export { parseVariables } from './job.js'
export { parseBoundClaims } from './vault-settings.js'

/** Everything a run reads from its inputs. */
export interface RunInputs {
  config: Config
  mode: ModeOptions
  github: GitHubOptions
  /** The inputs read (every input of the schema). */
  seen: ReadonlySet<string>
}

/** Reads and checks every input; throws one ValidationErrors with every problem. */
export function readInputs(read: InputReader = envInputReader, env: NodeJS.ProcessEnv = process.env): RunInputs {
  const c = new Collector(read)
  const auth = readAuthInputs(c)
  const vault = readVaultConnection(c, {
    tokenSignIn: auth.vault.method === 'token',
    problems: (vaultToken, nomadToken) => authConflicts(auth, vaultToken, nomadToken, c.raw('nomad-addr'))
  })
  const nomad = readNomadConnection(c)
  vault.transport = nomad.transport = readTransportSettings(c)
  // 'allow-outside-workspace': policy-file, job and var-files may then be anywhere on the runner.
  const fileAccess = fileAccessFromEnv(c.bool('allow-outside-workspace'), env)
  const single = readVaultSettings(c, nomad.addr, fileAccess)
  const declared = readRoles(c, { ...single.role, authPath: single.mount.authPath }, fileAccess)
  // Below the parser there is only the list: the single-role inputs are a list of one.
  const settings: VaultSettings = {
    ...single.mount,
    roles: declared ?? [single.role],
    rolesInput: declared !== undefined,
    prune: c.bool('prune')
  }
  const job = readJobSettings(c, nomad.addr, fileAccess)
  const dryRun = c.bool('dry-run')
  const mode = readModeOptions(c, job.files.length > 0)
  const github = readGitHubOptions(c, dryRun)

  if (c.problems.length > 0) throw new ValidationErrors(c.problems)

  if (vault.skipVerify) core.warning('vault-skip-verify is true: TLS certificates of the Vault server are NOT verified. Use vault-ca-cert instead.')
  if (nomad.skipVerify) core.warning('nomad-skip-verify is true: TLS certificates of the Nomad server are NOT verified. Use nomad-ca-cert instead.')
  if (fileAccess.allowOutside)
    core.warning('allow-outside-workspace is true: policy-file, job and var-files may be read from anywhere on the runner.')
  for (const w of c.warnings) core.warning(w)

  const config: Config = {
    auth,
    vault,
    nomad,
    settings,
    job,
    dryRun,
    tempDir: env.RUNNER_TEMP || path.join(os.tmpdir(), 'nomad-vault-action')
  }
  return { config, mode, github, seen: c.seen }
}

/** The run's Config alone (readInputs checks the mode and GitHub inputs too). */
export function parseInputs(read: InputReader = envInputReader, env: NodeJS.ProcessEnv = process.env): Config {
  return readInputs(read, env).config
}
