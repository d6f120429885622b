/** Routes: `/.well-known/jwks.json` (workload identity keys) and `/.well-known/openid-configuration`. */
import { NomadApiError } from '../api-error.js'
import type { Route } from '../http.js'

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    handle(c) {
      const { keyring, tables } = c.s
      // newest key CreateTime + root_key_rotation_threshold (720h), at least 15 min
      const maxAge = Math.max(15 * 60, Math.floor((keyring.active.createTime + 720 * 3600_000 - Date.now()) / 1000))
      c.res.setHeader('Cache-Control', `max-age=${maxAge}`)
      return c.blocking(() => ({ index: tables.keyring, body: keyring.jwks() }))
    }
  },
  {
    path: '/.well-known/openid-configuration',
    handle(c) {
      const issuer = c.s.opts.oidcIssuer
      if (!issuer) throw new NomadApiError(404, 'OIDC Discovery endpoint disabled')
      c.send(200, {
        issuer,
        jwks_uri: `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: ['RS256', 'EdDSA'],
        response_types_supported: ['code'],
        subject_types_supported: ['public']
      })
    }
  }
]
