/** Routes: `/v1/agent/self` (the contacted agent's configuration) and `/v1/status/leader`. */
import type { Route } from '../http.js'
import { parseDurationNs } from '../duration.js'
import type { Obj } from '../options.js'
import type { State } from '../state.js'

/** A server agent's own vault block when it has no client settings: Nomad's defaults (structs/config/vault.go DefaultVaultConfig). */
const SERVER_ONLY_VAULT = { create_from_role: '', namespace: '', address: 'https://vault.service.consul:8200', jwt_auth_backend_path: 'jwt-nomad' }

export function agentSelf(s: State): Obj {
  const { region, datacenter, nodes, serverVault, aclEnabled, opts } = s
  const role = opts.agent ?? { server: true, client: true }
  const clientVault = role.client ? s.clientVault : { ...SERVER_ONLY_VAULT, enabled: false }
  const di = role.server ? serverVault.default_identity : undefined
  return {
    config: {
      Region: region,
      Datacenter: datacenter,
      NodeName: nodes[0]?.Name ?? 'nomad-double',
      Version: { Version: s.nomadVersion, VersionPrerelease: '', VersionMetadata: '', Revision: 'nomad-double' },
      Server: { Enabled: role.server, OIDCIssuer: opts.oidcIssuer ?? '' },
      Client: { Enabled: role.client },
      ACL: { Enabled: aclEnabled },
      // One merged entry: a dev agent is both server and client, so the server's default_identity and the
      // client's address/jwt_auth_backend_path/create_from_role live in the same VaultConfig (README: shape).
      Vaults: [
        {
          Name: 'default',
          Enabled: (role.server && serverVault.enabled) || (role.client && clientVault.enabled),
          Role: clientVault.create_from_role,
          Namespace: clientVault.namespace,
          Addr: clientVault.address,
          JWTAuthBackendPath: clientVault.jwt_auth_backend_path,
          ConnectionRetryIntv: 30e9,
          TLSCaFile: '',
          TLSCaPath: '',
          TLSCertFile: '',
          TLSKeyFile: '',
          TLSSkipVerify: null,
          TLSServerName: '',
          DefaultIdentity: di
            ? {
                Audience: di.aud,
                Env: null,
                File: null,
                Filepath: '',
                TTL: di.ttl ? parseDurationNs(di.ttl) : null,
                ExtraClaims: di.extra_claims ?? null
              }
            : null,
          Token: ''
        }
      ]
    },
    member: {
      Name: `${nodes[0]?.Name ?? 'nomad-double'}.${region}`,
      Addr: '127.0.0.1',
      Port: 4648,
      Tags: { region, dc: datacenter, role: 'nomad' },
      Status: 'alive'
    },
    stats: {
      nomad: { server: String(role.server), leader: String(role.server), known_regions: '1' },
      ...(role.client ? { client: { known_servers: '127.0.0.1:4647' } } : {})
    }
  }
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/agent/self',
    anyRegion: true, // answered by the contacted agent itself (command/agent/agent_endpoint.go AgentSelfRequest)
    handle(c) {
      c.acl('agent:read')
      c.send(200, agentSelf(c.s))
    }
  },
  { path: '/v1/status/leader', handle: (c) => c.send(200, '127.0.0.1:4647') }
]
