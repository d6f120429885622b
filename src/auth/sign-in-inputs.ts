/**
 * Reads the sign-in inputs (vault-auth-*, nomad-auth-*, *-oidc-audience) through the input collector, so that their
 * problems are reported with every other input's, and checks them against the tokens (authConflicts).
 */
import type { AuthMode, AuthSettings } from '../config.js'
import { Collector, type InputReader } from '../inputs/collector.js'

/** The sign-in settings; every problem goes to the collector. */
export function readAuthInputs(c: Collector): AuthSettings {
  const vaultMethod = c.oneOf<AuthMode>('vault-auth-method')
  const path = c.mount('vault-auth-path')
  const role = c.name('vault-auth-role')
  if (vaultMethod === 'jwt' && !role) {
    c.problem(
      'Input "vault-auth-role" is required with vault-auth-method: jwt: set it to the Vault role bound to this repository (docs/sign-in.md, section "One-time Vault setup").'
    )
  }
  const vaultAudience = c.name('vault-oidc-audience')
  const nomadMethod = c.oneOf<AuthMode>('nomad-auth-method')
  const methodName = c.name('nomad-auth-method-name')
  const nomadAudience = c.name('nomad-oidc-audience')
  return {
    vault: { method: vaultMethod, path, role, audience: vaultAudience },
    nomad: { method: nomadMethod, methodName, audience: nomadAudience }
  }
}

/** The sign-in inputs alone: the settings and their problems. */
export function parseAuthInputs(read: InputReader): { auth: AuthSettings; problems: string[] } {
  const c = new Collector(read)
  const auth = readAuthInputs(c)
  return { auth, problems: c.problems }
}
/** Inputs that contradict the chosen sign-in method. */
export function authConflicts(auth: AuthSettings, vaultToken: string, nomadToken: string, nomadAddr: string): string[] {
  const problems: string[] = []
  if (auth.vault.method === 'jwt' && vaultToken) {
    problems.push(
      'Inputs "vault-token" and "vault-auth-method: jwt" conflict: with jwt the action signs in with the workflow\'s OIDC token. Remove vault-token, or use vault-auth-method: token.'
    )
  }
  if (auth.nomad.method === 'jwt' && nomadToken) {
    problems.push(
      'Inputs "nomad-token" and "nomad-auth-method: jwt" conflict: with jwt the action signs in with the workflow\'s OIDC token. Remove nomad-token, or use nomad-auth-method: token.'
    )
  }
  if (auth.nomad.method === 'jwt' && !nomadAddr) {
    problems.push('Input "nomad-addr" is required with nomad-auth-method: jwt.')
  }
  return problems
}
