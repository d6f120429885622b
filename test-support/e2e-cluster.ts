/**
 * The Nomad double as the end-to-end tests start it: ACLs on, and clients that log in to the test OpenBao through
 * the workload mount the action sets up (jwt-nomad, role nomad-workloads).
 */
import { startNomadDouble, type NomadDouble } from './nomad-double/server.js'
import type { NomadDoubleOptions } from './nomad-double/options.js'

export function startE2eCluster(
  baoAddr: string,
  acl: NomadDoubleOptions['acl'] = { enabled: true },
  extra: Partial<NomadDoubleOptions> = {}
): Promise<NomadDouble> {
  return startNomadDouble({
    ...extra,
    vaultAddr: baoAddr,
    acl,
    client: { enabled: true, address: baoAddr, jwt_auth_backend_path: 'jwt-nomad', create_from_role: 'nomad-workloads' }
  })
}
