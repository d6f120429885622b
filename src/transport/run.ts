/** What the transport needs to know about a run: its budget, the secrets to redact, and risky environment. */
import * as core from '@actions/core'
import type { Config } from '../config.js'
import { addSecret } from './redact.js'
import { setRunBudget } from './retry.js'

/** Once the inputs are read: the run's retry budget, and a warning for NODE_TLS_REJECT_UNAUTHORIZED=0. */
export function startTransport(cfg: Config, env: NodeJS.ProcessEnv = process.env): void {
  // Retries stop when the run's budget is spent: following every job, plus ten minutes for everything else.
  setRunBudget(cfg.job.timeoutMs * Math.max(1, cfg.job.files.length) + 10 * 60_000)
  if (env.NODE_TLS_REJECT_UNAUTHORIZED === '0') {
    core.warning(
      'NODE_TLS_REJECT_UNAUTHORIZED=0 is set in the environment: Node.js does not verify TLS certificates for any server. ' +
        'Remove it and pass vault-ca-cert / nomad-ca-cert instead.'
    )
  }
  registerSecrets(cfg)
}

/** Registers the tokens and client keys of the connections for redaction (again after sign-in obtained tokens). */
export function registerSecrets(cfg: Config): void {
  // The input readers and src/auth mask these with core.setSecret when they read or obtain them; here they only join
  // the redaction set (a second ::add-mask:: of the same value would be noise in the log).
  for (const secret of [cfg.vault.token, cfg.nomad.token, cfg.vault.clientKey, cfg.nomad.clientKey]) addSecret(secret, true)
}
