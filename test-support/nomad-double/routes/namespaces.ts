/**
 * Route: `GET /v1/namespace/:name` (docs api-docs/namespaces.mdx "Read Namespace"; nomad@v1.10.5
 * command/agent/namespace_endpoint.go: 404 "Namespace not found"; nomad/namespace_endpoint.go GetNamespace: any
 * capability on the namespace authorizes it, else 403 "Permission denied").
 */
import { NomadApiError } from '../api-error.js'
import { aclCheck, type Route } from '../http.js'

const NAMESPACE_CAPS = ['read-job', 'list-jobs', 'submit-job', 'parse-job', 'dispatch-job']

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/namespace/:name',
    handle(c) {
      const allowed = NAMESPACE_CAPS.some((cap) => {
        try {
          aclCheck(c.s, c.req, cap)
          return true
        } catch {
          return false
        }
      })
      if (!allowed) aclCheck(c.s, c.req, NAMESPACE_CAPS[0]) // throws Nomad's 403 text for this token
      const name = c.params.name
      if (!c.s.namespaces.has(name)) throw new NomadApiError(404, 'Namespace not found')
      c.send(200, {
        Name: name,
        Description: name === 'default' ? 'Default shared namespace' : '',
        Meta: null,
        Quota: '',
        CreateIndex: 1,
        ModifyIndex: 1
      })
    }
  }
]
