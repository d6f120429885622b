/**
 * Input parsing and validation. Every input is read and checked here, before the first request to any
 * server; all problems are collected and reported together, each naming the input and the fix.
 * Tokens are masked with core.setSecret the moment they are read.
 */
import * as core from '@actions/core'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parse as parseYaml } from 'yaml'
import type { BoundClaims, Config, InjectVault, KeySource, WaitMode } from './config.js'
import { parseDurationSeconds } from './duration.js'
import { ValidationErrors } from './errors.js'
import { authConflicts, parseAuthInputs } from './auth/inputs.js'
import { HCL_IDENT } from './nomad/hcl.js'

/** Reads an input; the indirection lets tests and the local runner feed inputs without the environment. */
export type InputReader = (name: string) => string

export const envInputReader: InputReader = (name) => core.getInput(name)

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/
const PATH_SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const TOKEN_TYPES = ['service', 'batch', 'default', 'default-service', 'default-batch']

export const DEFAULTS = {
  'auth-path': 'jwt-nomad',
  role: 'nomad-workloads',
  audience: 'vault.io',
  'key-source': 'jwks',
  'token-type': 'service',
  'token-period': '30m',
  'identity-ttl': '1h',
  policy: 'nomad-workloads',
  'kv-mount': 'secret',
  'inject-vault': 'none',
  meta: 'true',
  wait: 'deployment',
  timeout: '10m',
  'max-parallel': '4'
} as const

class Collector {
  problems: string[] = []
  constructor(private readonly read: InputReader) {}

  raw(name: string): string {
    return (this.read(name) ?? '').trim()
  }

  string(name: string): string {
    const v = this.raw(name)
    return v === '' && name in DEFAULTS ? DEFAULTS[name as keyof typeof DEFAULTS] : v
  }

  secret(name: string): string {
    const v = this.raw(name)
    if (v) core.setSecret(v)
    return v
  }

  bool(name: string): boolean {
    const v = this.string(name).toLowerCase()
    if (v === '' || v === 'false' || v === 'no' || v === '0') return false
    if (v === 'true' || v === 'yes' || v === '1') return true
    this.problems.push(`Input "${name}" must be true or false, got "${v}".`)
    return false
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const v = this.string(name)
    if ((allowed as readonly string[]).includes(v)) return v as T
    this.problems.push(`Input "${name}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got "${v}".`)
    return allowed[0]
  }

  url(name: string, value: string, opts: { required: boolean; hint?: string }): string {
    if (!value) {
      if (opts.required) this.problems.push(`Input "${name}" is required.${opts.hint ? ` ${opts.hint}` : ''}`)
      return ''
    }
    let u: URL
    try {
      u = new URL(value)
    } catch {
      this.problems.push(
        `Input "${name}" is not a valid URL: "${value}". Use a full address such as https://host:port.`
      )
      return ''
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      this.problems.push(`Input "${name}" must be an http:// or https:// URL, got "${u.protocol}".`)
      return ''
    }
    if (u.username || u.password) {
      this.problems.push(`Input "${name}" must not contain credentials; pass tokens in their own inputs.`)
      return ''
    }
    return value.replace(/\/+$/, '')
  }

  duration(name: string, opts: { allowZero?: boolean } = {}): { text: string; seconds: number } {
    const text = this.string(name)
    const seconds = parseDurationSeconds(text)
    if (seconds === undefined || (!opts.allowZero && seconds <= 0)) {
      this.problems.push(
        `Input "${name}" is not a valid duration: "${text}". Use a number with a unit, such as 30m, 1h or 90s.`
      )
      return { text, seconds: 0 }
    }
    return { text, seconds }
  }

  name(name: string, what: string): string {
    const v = this.string(name)
    if (!NAME_RE.test(v) || v.length > 128) {
      this.problems.push(
        `Input "${name}" is not a valid ${what}: "${v}". Use letters, digits, "-", "_", "." or "@", starting with a letter or digit.`
      )
    }
    return v
  }

  /** PEM text, or a path to a file holding PEM. */
  pem(name: string): string | undefined {
    const v = this.raw(name)
    if (!v) return undefined
    if (v.includes('-----BEGIN')) return checkPem(this, name, v, 'the input text')
    let text: string
    try {
      text = fs.readFileSync(v, 'utf8')
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error'
      this.problems.push(
        `Input "${name}" is neither PEM text nor a readable file: cannot read "${v}" (${code}). ` +
          `Pass the CA certificate itself (-----BEGIN CERTIFICATE-----…) or a path that exists on the runner.`
      )
      return undefined
    }
    return checkPem(this, name, text, `file "${v}"`)
  }

  lines(name: string): string[] {
    return this.raw(name)
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
  }
}

function checkPem(c: Collector, name: string, text: string, where: string): string | undefined {
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)) {
    c.problems.push(`Input "${name}": ${where} holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----).`)
    return undefined
  }
  return text.trim() + '\n'
}

/** "jwt-nomad", "/jwt-nomad/", "auth/jwt-nomad" → "jwt-nomad"; undefined when illegal. */
export function normaliseAuthPath(input: string): string | undefined {
  let p = input.trim().replace(/^\/+|\/+$/g, '')
  if (p.startsWith('auth/')) p = p.slice('auth/'.length)
  if (!p || p.length > 256) return undefined
  const segments = p.split('/')
  if (segments.some((s) => !PATH_SEGMENT_RE.test(s) || s === '..' || s === '.')) return undefined
  return p
}

export function parseBoundClaims(text: string): { claims?: BoundClaims; error?: string } {
  if (!text.trim()) return { claims: {} }
  let doc: unknown
  try {
    doc = parseYaml(text) // YAML is a superset of JSON
  } catch (e) {
    return { error: `is neither valid YAML nor JSON (${(e as Error).message.split('\n')[0]})` }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { error: 'must be a mapping of claim name to a string or a list of strings, e.g. {"nomad_namespace": ["default", "prod"]}' }
  }
  const claims: BoundClaims = {}
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') claims[k] = String(v)
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x)))
      claims[k] = v.map(String)
    else return { error: `has an unsupported value for claim "${k}": use a string or a non-empty list of strings` }
  }
  return { claims }
}

export function parseVariables(lines: string[]): { vars: Record<string, string>; errors: string[] } {
  const vars: Record<string, string> = {}
  const errors: string[] = []
  for (const line of lines) {
    const eq = line.indexOf('=')
    const key = eq > 0 ? line.slice(0, eq).trim() : ''
    if (!HCL_IDENT.test(key)) {
      errors.push(`Input "variables": line "${line.slice(0, 40)}" is not key=value with a valid HCL variable name.`)
      continue
    }
    vars[key] = line.slice(eq + 1).trim()
  }
  return { vars, errors }
}

export function parseInputs(read: InputReader = envInputReader, env: NodeJS.ProcessEnv = process.env): Config {
  const c = new Collector(read)

  // --- connections -------------------------------------------------------------------------------
  const vaultToken = c.secret('vault-token')
  const nomadToken = c.secret('nomad-token')
  const vaultAddr = c.url('vault-addr', c.raw('vault-addr'), {
    required: true,
    hint: 'Set it to your Vault (or OpenBao) API address, e.g. https://vault.example.com:8200.'
  })
  const signIn = parseAuthInputs(read)
  c.problems.push(...signIn.problems, ...authConflicts(signIn.auth, vaultToken, nomadToken, c.raw('nomad-addr')))
  if (!vaultToken && signIn.auth.vault.method === 'token') {
    c.problems.push(
      'Input "vault-token" is empty. Pass a Vault token with the policy in the README ("Vault token policy"), e.g. vault-token: ${{ secrets.VAULT_TOKEN }}; an empty value usually means the secret is not available to this workflow (forks, environments).'
    )
  }
  const vaultNamespace = c.raw('vault-namespace').replace(/^\/+|\/+$/g, '')
  if (vaultNamespace && !vaultNamespace.split('/').every((s) => PATH_SEGMENT_RE.test(s))) {
    c.problems.push(`Input "vault-namespace" is not a valid namespace path: "${vaultNamespace}".`)
  }
  const vaultCaPem = c.pem('vault-ca-cert')
  const vaultSkipVerify = c.bool('vault-skip-verify')
  const nomadAddr = c.url('nomad-addr', c.raw('nomad-addr'), { required: false })
  const nomadCaPem = c.pem('nomad-ca-cert')
  const nomadSkipVerify = c.bool('nomad-skip-verify')

  // --- auth method and role ---------------------------------------------------------------------
  const authPathRaw = c.string('auth-path')
  const authPath = normaliseAuthPath(authPathRaw) ?? ''
  if (!authPath) {
    c.problems.push(
      `Input "auth-path" is not a valid Vault mount path: "${authPathRaw}". Use segments of letters, digits, "-", "_" or ".", e.g. jwt-nomad.`
    )
  }
  const role = c.name('role', 'Vault role name')
  const audience = c.string('audience')
  if (!audience || /\s/.test(audience)) c.problems.push(`Input "audience" must be a non-empty string without spaces, got "${audience}".`)

  // --- key source --------------------------------------------------------------------------------
  const keySource = c.oneOf<KeySource>('key-source', ['jwks', 'oidc-discovery', 'static'])
  const jwksUrlRaw = c.raw('jwks-url')
  const oidcUrlRaw = c.raw('oidc-discovery-url')
  let jwksUrl = ''
  let oidcDiscoveryUrl: string | undefined
  if (keySource === 'oidc-discovery') {
    if (jwksUrlRaw)
      c.problems.push('Inputs "jwks-url" and "key-source: oidc-discovery" conflict: Vault takes exactly one key source. Remove jwks-url, or use key-source: jwks.')
    oidcDiscoveryUrl = c.url('oidc-discovery-url', oidcUrlRaw, {
      required: true,
      hint: 'With key-source: oidc-discovery, set it to the issuer URL (Nomad\'s server.oidc_issuer), without /.well-known/openid-configuration.'
    })
    if (/\.well-known\/openid-configuration\/?$/.test(oidcDiscoveryUrl ?? '')) {
      c.problems.push('Input "oidc-discovery-url" must be the issuer URL without "/.well-known/openid-configuration" (Vault appends it).')
    }
  } else {
    if (oidcUrlRaw)
      c.problems.push(`Inputs "oidc-discovery-url" and "key-source: ${keySource}" conflict: Vault takes exactly one key source. Remove oidc-discovery-url, or use key-source: oidc-discovery.`)
    if (jwksUrlRaw) jwksUrl = c.url('jwks-url', jwksUrlRaw, { required: true })
    else if (nomadAddr) jwksUrl = `${nomadAddr}/.well-known/jwks.json`
    else
      c.problems.push(
        `Input "jwks-url" or "nomad-addr" is required with key-source: ${keySource}: the action defaults jwks-url to <nomad-addr>/.well-known/jwks.json.`
      )
  }
  const jwksCaPem = c.pem('jwks-ca-cert')
  const oidcDiscoveryCaPem = c.pem('oidc-discovery-ca-cert')
  if (jwksCaPem && keySource === 'oidc-discovery') c.problems.push('Input "jwks-ca-cert" only applies to key-source jwks or static; use oidc-discovery-ca-cert.')
  if (oidcDiscoveryCaPem && keySource !== 'oidc-discovery') c.problems.push('Input "oidc-discovery-ca-cert" only applies to key-source: oidc-discovery.')

  // --- token settings ----------------------------------------------------------------------------
  const tokenType = c.string('token-type')
  if (!TOKEN_TYPES.includes(tokenType)) {
    c.problems.push(`Input "token-type" must be one of ${TOKEN_TYPES.join(', ')}, got "${tokenType}".`)
  }
  const period = c.duration('token-period', { allowZero: true })
  if (tokenType.endsWith('batch') && period.seconds > 0 && c.raw('token-period') !== '') {
    c.problems.push('Inputs "token-type: batch" and "token-period" conflict: batch tokens cannot be periodic. Set token-period: 0 or use token-type: service.')
  }
  const identityTtl = c.duration('identity-ttl')

  // --- policy -------------------------------------------------------------------------------------
  const policy = c.name('policy', 'Vault policy name')
  if (policy === 'root' || policy === 'default') {
    c.problems.push(`Input "policy" must not be "${policy}": that is a built-in Vault policy. Choose a name such as nomad-workloads.`)
  }
  const kvMount = normaliseAuthPath(c.string('kv-mount')) ?? ''
  if (!kvMount) c.problems.push(`Input "kv-mount" is not a valid Vault mount path: "${c.string('kv-mount')}".`)
  const policyFile = c.raw('policy-file')
  let policyText: string | undefined
  if (policyFile) {
    try {
      policyText = fs.readFileSync(policyFile, 'utf8')
      if (!policyText.trim()) c.problems.push(`Input "policy-file": "${policyFile}" is empty.`)
    } catch (e) {
      c.problems.push(`Input "policy-file": cannot read "${policyFile}" (${(e as NodeJS.ErrnoException).code ?? 'error'}). Give a path relative to the workspace.`)
    }
  }
  const bc = parseBoundClaims(c.raw('bound-claims'))
  if (bc.error) c.problems.push(`Input "bound-claims" ${bc.error}.`)

  // --- job ---------------------------------------------------------------------------------------
  const files = c.lines('job')
  const vars = parseVariables(c.lines('variables'))
  c.problems.push(...vars.errors)
  const varFiles = c.lines('var-files')
  for (const f of varFiles) {
    if (!fs.existsSync(f)) c.problems.push(`Input "var-files": "${f}" does not exist on the runner.`)
  }
  if (files.length > 0 && !nomadAddr) c.problems.push('Input "nomad-addr" is required when "job" is set.')
  if (keySource === 'static' && !nomadAddr && !jwksUrlRaw) {
    // already reported above as missing jwks-url/nomad-addr
  }
  const nomadNamespace = c.raw('nomad-namespace')
  if (nomadNamespace && !NAME_RE.test(nomadNamespace)) c.problems.push(`Input "nomad-namespace" is not a valid Nomad namespace: "${nomadNamespace}".`)
  const nomadRegion = c.raw('nomad-region')
  if (nomadRegion && !NAME_RE.test(nomadRegion)) c.problems.push(`Input "nomad-region" is not a valid Nomad region: "${nomadRegion}".`)
  const injectVault = c.oneOf<InjectVault>('inject-vault', ['none', 'missing', 'all'])
  const wait = c.oneOf<WaitMode>('wait', ['none', 'evaluation', 'deployment'])
  const timeout = c.duration('timeout')

  const dryRun = c.bool('dry-run')
  const meta = c.bool('meta')
  const autoPromote = c.bool('auto-promote')
  const preserveCounts = c.bool('preserve-counts')
  const policyOverride = c.bool('policy-override')

  const maxParallel = Number(c.string('max-parallel'))
  if (!Number.isInteger(maxParallel) || maxParallel < 1 || maxParallel > 64) {
    c.problems.push(`Input "max-parallel" must be a whole number from 1 to 64 (jobs deployed at the same time), got "${c.raw('max-parallel')}".`)
  }

  if (c.problems.length > 0) throw new ValidationErrors(c.problems)

  if (vaultSkipVerify) core.warning('vault-skip-verify is true: TLS certificates of the Vault server are NOT verified. Use vault-ca-cert instead.')
  if (nomadSkipVerify) core.warning('nomad-skip-verify is true: TLS certificates of the Nomad server are NOT verified. Use nomad-ca-cert instead.')

  return {
    auth: signIn.auth,
    vault: { addr: vaultAddr, token: vaultToken, namespace: vaultNamespace, caPem: vaultCaPem, skipVerify: vaultSkipVerify },
    nomad: {
      addr: nomadAddr,
      token: nomadToken,
      caPem: nomadCaPem,
      skipVerify: nomadSkipVerify,
      namespace: nomadNamespace,
      region: nomadRegion
    },
    settings: {
      authPath,
      role,
      audience,
      keySource,
      jwksUrl,
      jwksCaPem,
      oidcDiscoveryUrl,
      oidcDiscoveryCaPem,
      tokenType,
      tokenPeriod: period.text,
      tokenPeriodSeconds: period.seconds,
      policy,
      kvMount,
      policyText,
      policyFile: policyFile || undefined,
      boundClaims: bc.claims ?? {},
      identityTtl: identityTtl.text
    },
    job: {
      files,
      variables: vars.vars,
      varFiles,
      injectVault,
      meta,
      wait,
      timeoutMs: timeout.seconds * 1000,
      autoPromote,
      preserveCounts,
      policyOverride,
      maxParallel
    },
    dryRun,
    tempDir: env.RUNNER_TEMP || path.join(os.tmpdir(), 'nomad-vault-action')
  }
}
