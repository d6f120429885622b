/**
 * Routes: `/v1/acl/token/self` (the request's own token). ACL login routes live in their own files.
 * The answer is an ACLToken (api/acl.go): ExpirationTime and ExpirationTTL are `omitempty`, so a token without
 * expiry (bootstrap, static) has neither, and a token from a JWT login has both. An expired token is refused with
 * 500 "ACL token expired" (structs.ErrTokenExpired), as on every other path.
 */
import { NomadApiError } from '../api-error.js'
import type { Route } from '../http.js'

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/acl/token/self',
    handle(c) {
      if (!c.s.aclEnabled) throw new NomadApiError(400, 'ACL support disabled')
      const secret = (c.req.headers['x-nomad-token'] as string | undefined) ?? c.req.headers.authorization?.replace(/^Bearer\s+/i, '')
      const info = secret ? c.s.tokenInfo.get(secret) : undefined
      if (!secret || !info) throw new NomadApiError(403, 'ACL token not found')
      if (info.expiresAt !== undefined && Date.now() >= info.expiresAt) throw new NomadApiError(500, 'ACL token expired')
      const management = info.policies.includes('management')
      c.send(200, {
        AccessorID: info.accessor,
        SecretID: secret,
        Name: info.name ?? (management ? 'Bootstrap Token' : ''),
        Type: management ? 'management' : 'client',
        Policies: management ? null : info.policies,
        Roles: null,
        Global: management,
        ...(info.expiresAt !== undefined
          ? { ExpirationTime: new Date(info.expiresAt).toISOString(), ExpirationTTL: (info.expiresAt - info.createdAt) * 1e6 }
          : {}),
        CreateTime: new Date(info.createdAt).toISOString(),
        CreateIndex: 1,
        ModifyIndex: 1
      })
    }
  }
]
