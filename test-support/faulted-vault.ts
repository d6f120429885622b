/**
 * The shared setup of the Vault fault tests: one real OpenBao for the file, a JWKS server for test keyrings, and
 * the fault proxy in front of OpenBao, started in beforeAll and stopped in afterAll.
 */
import { afterAll, beforeAll } from '@jest/globals'
import { setRetryDefaults } from '../src/transport/retry.js'
import { startFaultProxy, type FaultProxy } from './fault-proxy.js'
import { startOpenBao, type OpenBao } from './openbao.js'
import { startJwksServer, type JwksServer } from './vault-scenario.js'

export interface FaultedVault {
  readonly bao: OpenBao
  readonly jwks: JwksServer
  /** The fault proxy in front of bao. */
  readonly proxy: FaultProxy
}

export interface FaultedVaultOptions {
  /** Run once OpenBao is up (e.g. write the secrets the scenarios read). */
  seed?: (bao: OpenBao) => Promise<void>
  /** Scale the transport's retry delays down to milliseconds for the file (restored in afterAll). */
  fastRetries?: boolean
}

/** Registers the hooks; call it at the top level of the test file. The servers are there from beforeAll on. */
export function faultedVault(options: FaultedVaultOptions = {}): FaultedVault {
  let servers: FaultedVault | undefined
  const up = (): FaultedVault => {
    if (!servers) throw new Error('faultedVault: the servers start in beforeAll')
    return servers
  }
  let bao: OpenBao | undefined
  let jwks: JwksServer | undefined
  let proxy: FaultProxy | undefined
  beforeAll(async () => {
    bao = await startOpenBao()
    jwks = await startJwksServer()
    proxy = await startFaultProxy({ target: bao.addr })
    if (options.fastRetries) setRetryDefaults({ maxRetries: 2, baseDelayMs: 1, maxDelayMs: 5 })
    await options.seed?.(bao)
    servers = { bao, jwks, proxy }
  }, 60_000)
  afterAll(async () => {
    if (options.fastRetries) setRetryDefaults({})
    await proxy?.close()
    await jwks?.close()
    await bao?.stop()
  })
  return {
    get bao() {
      return up().bao
    },
    get jwks() {
      return up().jwks
    },
    get proxy() {
      return up().proxy
    }
  }
}
