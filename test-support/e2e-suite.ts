/**
 * The shared setup of an end-to-end test file: one real OpenBao for the file, seeded with the KV v2 secrets its
 * jobs read, and one Nomad double per test (ACLs on, the servers' default identity for audience vault.io, clients
 * that log in where the action sets up the workload auth method), closed after each test; and the action inputs
 * that point at both.
 */
import { afterAll, afterEach, beforeAll } from '@jest/globals'
import { startNomadDouble, type NomadDouble, type NomadDoubleOptions } from './nomad-double/server.js'
import { startOpenBao, type OpenBao } from './openbao.js'
import type { ActionRun } from './run-action.js'

export interface E2eSuiteOptions {
  /** KV v2 secrets written before the tests: path under secret/data/ → data. */
  secrets?: Record<string, Record<string, string>>
  /** Where the clients log in (the action's auth-path and role inputs): default jwt-nomad, nomad-workloads. */
  authPath?: string
  role?: string
}

export interface E2eSuite {
  /** The file's OpenBao (started in beforeAll). */
  readonly bao: OpenBao
  /** Starts this test's Nomad double (closed after the test); `opts` override the defaults. */
  cluster(opts?: Partial<NomadDoubleOptions>): Promise<NomadDouble>
  /** vault-addr, vault-token, nomad-addr, nomad-token, timeout 1m, then `extra`. */
  inputs(n: NomadDouble, extra?: Record<string, string>): Record<string, string>
}

/** Registers the hooks of an end-to-end test file; call it at the top level of the file. */
export function e2eSuite(options: E2eSuiteOptions = {}): E2eSuite {
  let bao: OpenBao | undefined
  let nomad: NomadDouble | undefined
  const started = (): OpenBao => {
    if (!bao) throw new Error('e2eSuite: OpenBao is started in beforeAll')
    return bao
  }

  beforeAll(async () => {
    bao = await startOpenBao()
    for (const [path, data] of Object.entries(options.secrets ?? {})) await bao.api('POST', `secret/data/${path}`, { data })
  }, 60_000)
  afterAll(async () => {
    await bao?.stop()
  })
  afterEach(async () => {
    await nomad?.close()
    nomad = undefined
  })

  return {
    get bao() {
      return started()
    },
    async cluster(opts = {}) {
      const addr = started().addr
      nomad = await startNomadDouble({
        vaultAddr: addr,
        acl: { enabled: true },
        server: { enabled: true, default_identity: { aud: ['vault.io'], ttl: '1h' } },
        client: {
          enabled: true,
          address: addr,
          jwt_auth_backend_path: options.authPath ?? 'jwt-nomad',
          create_from_role: options.role ?? 'nomad-workloads'
        },
        ...opts
      })
      return nomad
    },
    inputs(n, extra = {}) {
      const b = started()
      return { 'vault-addr': b.addr, 'vault-token': b.rootToken, 'nomad-addr': n.url, 'nomad-token': n.managementToken, timeout: '1m', ...extra }
    }
  }
}

/** The messages of a run's annotations at one level, one a line. */
export function messages(r: ActionRun, level: 'error' | 'warning' | 'notice'): string {
  return r.annotations
    .filter((a) => a.level === level)
    .map((a) => a.message)
    .join('\n')
}
