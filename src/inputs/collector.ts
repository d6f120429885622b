/**
 * The input collector: reads one input at a time, applies the action's defaults, and collects every problem so that
 * all of them are reported at once. Each reader in src/inputs/ takes a Collector and returns its slice of Config.
 */
import * as core from '@actions/core'
import { errorMessage } from '../errors.js'
import { PEM_LIMIT, readUserFile } from '../files.js'

/** Reads an input; the indirection lets tests and the local runner feed inputs without the environment. */
export type InputReader = (name: string) => string

export const envInputReader: InputReader = (name) => core.getInput(name)

/** Input defaults; action.yml declares the same (a test checks it). */
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
  'max-parallel': '4',
  'max-retries': '4',
  'request-timeout': '30s',
  'allow-outside-workspace': 'false',
  prune: 'false'
} as const

export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/
export const PATH_SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

export class Collector {
  problems: string[] = []
  constructor(private readonly read: InputReader) {}

  problem(text: string): void {
    this.problems.push(text)
  }

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
    this.problem(`Input "${name}" must be true or false, got "${v}".`)
    return false
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const v = this.string(name)
    if ((allowed as readonly string[]).includes(v)) return v as T
    this.problem(`Input "${name}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got "${v}".`)
    return allowed[0]
  }

  url(name: string, value: string, opts: { required: boolean; hint?: string }): string {
    if (!value) {
      if (opts.required) this.problem(`Input "${name}" is required.${opts.hint ? ` ${opts.hint}` : ''}`)
      return ''
    }
    let u: URL
    try {
      u = new URL(value)
    } catch {
      this.problem(`Input "${name}" is not a valid URL: "${value}". Use a full address such as https://host:port.`)
      return ''
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      this.problem(`Input "${name}" must be an http:// or https:// URL, got "${u.protocol}".`)
      return ''
    }
    if (u.username || u.password) {
      this.problem(`Input "${name}" must not contain credentials; pass tokens in their own inputs.`)
      return ''
    }
    return value.replace(/\/+$/, '')
  }

  name(name: string, what: string): string {
    const v = this.string(name)
    if (!NAME_RE.test(v) || v.length > 128) {
      this.problem(`Input "${name}" is not a valid ${what}: "${v}". Use letters, digits, "-", "_", "." or "@", starting with a letter or digit.`)
    }
    return v
  }

  /** A PEM certificate (a CA bundle or a client certificate), as text or a path to a file holding it. */
  pem(name: string): string | undefined {
    const src = this.pemSource(name, 'the certificate itself (-----BEGIN CERTIFICATE-----…)', false)
    return src && this.checkPem(name, src.text, src.where)
  }

  /**
   * A PEM private key (a client key for mTLS), as text or a path. Every line of it is masked at once: the runner
   * masks line by line, so one multi-line secret would not hide the key in a log.
   */
  pemKey(name: string): string | undefined {
    const src = this.pemSource(name, 'the private key itself (-----BEGIN PRIVATE KEY-----…)', true)
    if (!src) return undefined
    for (const line of src.text.split(/\r?\n/)) if (line.trim() && !line.startsWith('-----')) core.setSecret(line.trim())
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.test(src.text)) {
      this.problem(`Input "${name}" holds no PEM private key (-----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----).`)
      return undefined
    }
    return src.text.trim() + '\n'
  }

  /**
   * The PEM text of an input that holds PEM itself or a path to a file with it. Text with a PEM header is PEM; any
   * other single line is a path, read through the safe reader (a regular file of at most PEM_LIMIT bytes: a FIFO or
   * a device is refused without a blocking read). `secret`: the value is masked and never echoed (a mangled key
   * pasted into the input is still secret).
   */
  private pemSource(name: string, what: string, secret: boolean): { text: string; where: string } | undefined {
    const v = this.raw(name)
    if (!v) return undefined
    if (v.includes('-----BEGIN')) return { text: v, where: 'the input text' }
    if (secret) core.setSecret(v)
    if (/[\r\n]/.test(v)) {
      this.problem(`Input "${name}" is neither PEM text (no -----BEGIN line) nor a file path. Pass ${what} or a path that exists on the runner.`)
      return undefined
    }
    try {
      return { text: readUserFile(v, name, undefined, { limit: PEM_LIMIT, label: secret ? 'the file it names' : undefined }), where: `file "${v}"` }
    } catch (e) {
      const why = errorMessage(e).replace(`Input "${name}": `, '')
      this.problem(`Input "${name}" is neither PEM text nor a readable file: ${why} Pass ${what} or the path of a PEM file on the runner.`)
      return undefined
    }
  }

  lines(name: string): string[] {
    return this.raw(name)
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
  }

  private checkPem(name: string, text: string, where: string): string | undefined {
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)) {
      this.problem(`Input "${name}": ${where} holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----).`)
      return undefined
    }
    return text.trim() + '\n'
  }
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
