/**
 * Resolves how the action signs in, once per run: picks the login mode for Vault and for Nomad from cfg.auth, logs
 * in, and returns a Config whose connections carry the tokens, plus end() which revokes what the action obtained.
 * A Vault token from a JWT login is also handed to the post step (runs: post in action.yml), which revokes it
 * when the main step could not, e.g. on cancellation.
 */
import * as core from '@actions/core'
import type { Config } from '../config.js'
import { nomadJwtLogin } from './nomad-jwt.js'
import { tokenLogin } from './token.js'
import type { Credential } from './types.js'
import { vaultJwtLogin } from './vault-jwt.js'
import { savePendingRevocation, clearPendingRevocation } from './post.js'
import { beforeForcedExit } from '../cancel.js'

export interface Session {
  /** The configuration with the tokens the clients must use. */
  config: Config
  vault: Credential
  nomad: Credential
  /** Revokes every token the action obtained. Never throws. */
  end(): Promise<void>
}

export async function signIn(cfg: Config): Promise<Session> {
  const vault = await (cfg.auth.vault.method === 'jwt'
    ? vaultJwtLogin(cfg.vault, cfg.auth.vault)
    : tokenLogin('Vault', cfg.vault.token, 'vault-token')
  ).login()
  // A cancelled run that is forced to exit still revokes the token (within its own budget, see src/cancel.ts).
  let keepForExit = () => {}
  if (vault.obtained) {
    savePendingRevocation(cfg.vault, vault.token)
    keepForExit = beforeForcedExit(() => endVault(vault))
    core.info(`Vault: signed in with ${vault.source}.`)
  }
  let nomad: Credential
  try {
    nomad = await (cfg.auth.nomad.method === 'jwt'
      ? nomadJwtLogin(cfg.nomad, cfg.auth.nomad)
      : tokenLogin('Nomad', cfg.nomad.token, 'nomad-token')
    ).login()
  } catch (err) {
    await endVault(vault)
    keepForExit()
    throw err
  }
  if (nomad.obtained) core.info(`Nomad: signed in with ${nomad.source}.`)
  return {
    config: { ...cfg, vault: { ...cfg.vault, token: vault.token }, nomad: { ...cfg.nomad, token: nomad.token } },
    vault,
    nomad,
    async end() {
      await Promise.all([endVault(vault), nomad.revoke()])
      keepForExit()
    }
  }
}

async function endVault(vault: Credential): Promise<void> {
  // A token that could not be revoked stays handed over: the post step tries again.
  if ((await vault.revoke()) && vault.obtained) clearPendingRevocation()
}
