/**
 * Starts a real OpenBao (Vault-compatible) dev server on 127.0.0.1 with a free port and a known root token.
 * The binary comes from scripts/openbao.sh (BAO_BIN, `bao`/`vault` on PATH, or the cache). There is no
 * silent fallback: without a binary, startOpenBao() throws and the test that needs Vault fails loudly.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { installedTool } from './tools.js'

/** A Vault API answer as the tests read it; the fields of `data` are checked (or cast) by the test that reads them. */
export interface VaultAnswer {
  data: Record<string, unknown>
  auth: { client_token: string; accessor: string; policies: string[]; token_policies: string[]; metadata: Record<string, string> | null }
  warnings: string[] | null
}

/** GET sys/auth: the auth mounts by path ("jwt-nomad/"). */
export interface MountsAnswer {
  data: Record<string, { type: string; accessor: string; description?: string }>
}

/** A LIST answer. */
export interface ListAnswer {
  data: { keys: string[] }
}

/** auth/token/lookup-self and lookup-accessor. */
export interface TokenAnswer {
  data: { accessor: string; policies: string[]; meta: Record<string, string> | null; ttl: number; display_name: string; namespace_path?: string }
}

export interface OpenBao {
  addr: string
  /** With the `tls` option: the HTTPS listener (https://127.0.0.1:port) that requires a client certificate. */
  tlsAddr?: string
  rootToken: string
  bin: string
  /** Calls the Vault HTTP API with the root token (or another token). Throws on non-2xx with the body. */
  api<T = VaultAnswer>(method: string, p: string, body?: unknown, token?: string): Promise<T>
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.unref()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

export function openBaoBinary(): string {
  return installedTool('openbao.sh', 'OpenBao/Vault binary', 'BAO_BIN')
}

export interface OpenBaoOptions {
  /**
   * A second listener over HTTPS with `tls_require_and_verify_client_cert = true`, next to the plain dev listener that
   * the tests use for setup: server certificate and key, and the CA that client certificates must chain to (files).
   */
  tls?: { certFile: string; keyFile: string; clientCaFile: string }
}

export async function startOpenBao(opts: OpenBaoOptions = {}): Promise<OpenBao> {
  const bin = openBaoBinary()
  const port = await freePort()
  const rootToken = `root-${randomBytes(8).toString('hex')}`
  const addr = `http://127.0.0.1:${port}`
  const args = [
    'server',
    '-dev',
    `-dev-listen-address=127.0.0.1:${port}`,
    `-dev-root-token-id=${rootToken}`,
    '-dev-no-store-token',
    '-log-level=warn'
  ]
  let tlsAddr: string | undefined
  let configDir: string | undefined
  if (opts.tls) {
    const [tlsPort, clusterPort] = [await freePort(), await freePort()]
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-bao-tls-'))
    const config = path.join(configDir, 'listener.hcl')
    fs.writeFileSync(
      config,
      [
        'listener "tcp" {',
        `  address = "127.0.0.1:${tlsPort}"`,
        `  cluster_address = "127.0.0.1:${clusterPort}"`,
        `  tls_cert_file = ${JSON.stringify(opts.tls.certFile)}`,
        `  tls_key_file = ${JSON.stringify(opts.tls.keyFile)}`,
        `  tls_client_ca_file = ${JSON.stringify(opts.tls.clientCaFile)}`,
        '  tls_require_and_verify_client_cert = true',
        '}',
        ''
      ].join('\n')
    )
    args.push(`-config=${config}`)
    tlsAddr = `https://127.0.0.1:${tlsPort}`
  }
  // The child gets no VAULT_* variables from the test environment.
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VAULT_') && !k.startsWith('BAO_')) env[k] = v
  const child: ChildProcess = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  let exited = false
  child.on('exit', () => (exited = true))

  const api = async <T = VaultAnswer>(method: string, p: string, body?: unknown, token = rootToken): Promise<T> => {
    const res = await fetch(`${addr}/v1/${p.replace(/^\//, '')}`, {
      method,
      headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`OpenBao ${method} ${p}: HTTP ${res.status} ${text}`)
    return (text ? JSON.parse(text) : undefined) as T
  }

  const deadline = Date.now() + 30_000
  for (;;) {
    if (exited) throw new Error(`OpenBao exited during start:\n${output}`)
    try {
      const res = await fetch(`${addr}/v1/sys/health`)
      if (res.status === 200) break
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`OpenBao did not become ready within 30 s:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }

  return {
    addr,
    tlsAddr,
    rootToken,
    bin,
    api,
    stop: () =>
      new Promise<void>((resolve) => {
        if (configDir) fs.rmSync(configDir, { recursive: true, force: true })
        if (exited) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 5000).unref()
      })
  }
}
