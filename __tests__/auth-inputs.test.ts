import { describe, expect, it } from '@jest/globals'
import { authConflicts, parseAuthInputs } from '../src/auth/sign-in-inputs.js'

const read =
  (over: Record<string, string> = {}) =>
  (name: string) =>
    over[name] ?? ''

describe('sign-in inputs', () => {
  it('defaults to the token inputs, with the jwt mount and the "github" Nomad auth method ready', () => {
    expect(parseAuthInputs(read())).toEqual({
      auth: {
        vault: { method: 'token', path: 'jwt', role: '', audience: '' },
        nomad: { method: 'token', methodName: 'github', audience: '' }
      },
      problems: []
    })
  })

  it('reads jwt for both servers and normalises the mount path', () => {
    const { auth, problems } = parseAuthInputs(
      read({
        'vault-auth-method': 'jwt',
        'vault-auth-path': '/auth/github-actions/',
        'vault-auth-role': 'deploy',
        'vault-oidc-audience': 'vault',
        'nomad-auth-method': 'jwt',
        'nomad-auth-method-name': 'gha',
        'nomad-oidc-audience': 'nomad'
      })
    )
    expect(problems).toEqual([])
    expect(auth.vault).toEqual({ method: 'jwt', path: 'github-actions', role: 'deploy', audience: 'vault' })
    expect(auth.nomad).toEqual({ method: 'jwt', methodName: 'gha', audience: 'nomad' })
  })

  it('reports every problem, each naming its input', () => {
    const { problems } = parseAuthInputs(
      read({ 'vault-auth-method': 'jwt', 'nomad-auth-method': 'oidc', 'vault-auth-path': 'a b', 'nomad-oidc-audience': 'a b' })
    )
    expect(problems).toEqual([
      expect.stringMatching(/^Input "vault-auth-path" is not a valid Vault mount path/),
      expect.stringMatching(/^Input "vault-auth-role" is required with vault-auth-method: jwt/),
      expect.stringMatching(/^Input "nomad-auth-method" must be one of "token", "jwt", got "oidc"/),
      expect.stringMatching(/^Input "nomad-oidc-audience" must not contain spaces/)
    ])
  })

  it('refuses a stored token next to jwt, and jwt for Nomad without nomad-addr', () => {
    const { auth } = parseAuthInputs(read({ 'vault-auth-method': 'jwt', 'vault-auth-role': 'r', 'nomad-auth-method': 'jwt' }))
    expect(authConflicts(auth, 'hvs.x', 'n', '')).toEqual([
      expect.stringMatching(/"vault-token" and "vault-auth-method: jwt" conflict/),
      expect.stringMatching(/"nomad-token" and "nomad-auth-method: jwt" conflict/),
      expect.stringMatching(/"nomad-addr" is required with nomad-auth-method: jwt/)
    ])
    expect(authConflicts(auth, '', '', 'http://n:4646')).toEqual([])
  })
})
