/**
 * End-to-end scenario servers: a real OpenBao and a Nomad double with ACLs on, whose clients log in at auth path
 * jwt-<name> with role role-<name>, and the action inputs that point at both.
 */
import { startNomadDouble, type NomadDouble, type NomadDoubleOptions } from './nomad-double/server.js'
import { startOpenBao, type OpenBao } from './openbao.js'

/** A double whose clients log in where the scenario's inputs put the auth method (jwt-<name>, role-<name>). */
export function startScenarioDouble(bao: OpenBao, name: string, opts: Partial<NomadDoubleOptions> = {}): Promise<NomadDouble> {
  return startNomadDouble({
    vaultAddr: bao.addr,
    acl: { enabled: true },
    server: { enabled: true, default_identity: { aud: ['vault.io'], ttl: '1h' } },
    client: { enabled: true, address: bao.addr, jwt_auth_backend_path: `jwt-${name}`, create_from_role: `role-${name}` },
    ...opts
  })
}

/** vault-addr, vault-token, nomad-addr, nomad-token, auth-path (jwt-<name>), role (role-<name>), policy (policy-<name>). */
export function scenarioInputs(bao: OpenBao, nomad: NomadDouble, name: string): Record<string, string> {
  return {
    'vault-addr': bao.addr,
    'vault-token': bao.rootToken,
    'nomad-addr': nomad.url,
    'nomad-token': nomad.managementToken,
    'auth-path': `jwt-${name}`,
    role: `role-${name}`,
    policy: `policy-${name}`
  }
}

export interface E2eScenario {
  bao: OpenBao
  nomad: NomadDouble
  /** scenarioInputs() and timeout 1m. */
  inputs(): Record<string, string>
  stop(): Promise<void>
}

/** `server`: the double's server vault block (a test may change it in place later, as a rolling restart would). */
export async function startE2eScenario(name: string, server: NomadDoubleOptions['server']): Promise<E2eScenario> {
  const bao = await startOpenBao()
  let nomad: NomadDouble
  try {
    nomad = await startScenarioDouble(bao, name, { server })
  } catch (err) {
    await bao.stop()
    throw err
  }
  return {
    bao,
    nomad,
    inputs: () => ({ ...scenarioInputs(bao, nomad, name), timeout: '1m' }),
    async stop() {
      await nomad.close()
      await bao.stop()
    }
  }
}
