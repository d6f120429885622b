/**
 * Reads the sign-in inputs (vault-auth-*, nomad-auth-*, *-oidc-audience). Returns the settings and every problem,
 * which inputs.ts adds to its own list so that the user sees all of them at once.
 */
import type { AuthMode, AuthSettings } from '../config.js'

export const AUTH_DEFAULTS = {
  'vault-auth-method': 'token',
  'vault-auth-path': 'jwt',
  'nomad-auth-method': 'token',
  'nomad-auth-method-name': 'github'
} as const

const MODES: readonly AuthMode[] = ['token', 'jwt']
const SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/

export function parseAuthInputs(read: (name: string) => string): { auth: AuthSettings; problems: string[] } {
  const problems: string[] = []
  const raw = (name: string) => (read(name) ?? '').trim()
  const withDefault = (name: keyof typeof AUTH_DEFAULTS) => raw(name) || AUTH_DEFAULTS[name]
  const mode = (name: 'vault-auth-method' | 'nomad-auth-method'): AuthMode => {
    const v = withDefault(name)
    if ((MODES as readonly string[]).includes(v)) return v as AuthMode
    problems.push(`Input "${name}" must be "token" or "jwt", got "${v}".`)
    return 'token'
  }
  const audience = (name: string) => {
    const v = raw(name)
    if (/\s/.test(v)) problems.push(`Input "${name}" must not contain spaces, got "${v}".`)
    return v
  }

  const vaultMethod = mode('vault-auth-method')
  const pathRaw = withDefault('vault-auth-path')
  let path = pathRaw.replace(/^\/+|\/+$/g, '')
  if (path.startsWith('auth/')) path = path.slice('auth/'.length)
  if (!path || !path.split('/').every((s) => SEGMENT_RE.test(s))) {
    problems.push(`Input "vault-auth-path" is not a valid Vault mount path: "${pathRaw}". Use the JWT mount the action logs in through, e.g. jwt.`)
  }
  const role = raw('vault-auth-role')
  if (vaultMethod === 'jwt' && !role) {
    problems.push(
      'Input "vault-auth-role" is required with vault-auth-method: jwt: set it to the Vault role bound to this repository (docs/sign-in.md, section "One-time Vault setup").'
    )
  } else if (role && !NAME_RE.test(role)) {
    problems.push(`Input "vault-auth-role" is not a valid Vault role name: "${role}".`)
  }
  const vaultAudience = audience('vault-oidc-audience')

  const nomadMethod = mode('nomad-auth-method')
  const methodName = withDefault('nomad-auth-method-name')
  if (!NAME_RE.test(methodName)) problems.push(`Input "nomad-auth-method-name" is not a valid Nomad auth method name: "${methodName}".`)
  const nomadAudience = audience('nomad-oidc-audience')

  return {
    auth: {
      vault: { method: vaultMethod, path, role, audience: vaultAudience },
      nomad: { method: nomadMethod, methodName, audience: nomadAudience }
    },
    problems
  }
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
