/** Routes: `/v1/acl/token/self` (the request's own token). ACL login routes live in their own files. */
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
      const management = info.policies.includes('management')
      c.send(200, {
        AccessorID: info.accessor,
        SecretID: secret,
        Name: management ? 'Bootstrap Token' : '',
        Type: management ? 'management' : 'client',
        Policies: management ? null : info.policies,
        Roles: null,
        Global: management,
        ExpirationTime: null,
        CreateTime: new Date(0).toISOString(),
        CreateIndex: 1,
        ModifyIndex: 1
      })
    }
  }
]
