/**
 * The input collector: reads one input at a time by the rule of its type in the schema (src/inputs/schema.ts),
 * applies the schema's default, and collects every problem so that all of them are reported at once. Each reader in
 * src/inputs/ takes a Collector and returns its slice of Config.
 */
import * as core from '@actions/core'
import { errorMessage } from '../errors.js'
import { PEM_LIMIT, readUserFile } from '../files.js'
import { parseDurationSeconds } from '../duration.js'
import { nameProblem, normaliseAuthPath } from './rules.js'
import { defaultOf, inputSpec, type InputSpec, type InputType } from './schema.js'

/** Reads an input; the indirection lets tests and the local runner feed inputs without the environment. */
export type InputReader = (name: string) => string

export const envInputReader: InputReader = (name) => core.getInput(name)

/** The spellings of a boolean input: those of @actions/core's getBooleanInput (the YAML 1.2 core schema's booleans). */
export const TRUE_SPELLINGS = ['true', 'True', 'TRUE']
export const FALSE_SPELLINGS = ['false', 'False', 'FALSE']

export class Collector {
  problems: string[] = []
  /** Shown only when there is no problem (a failed run reports its problems, not advice). */
  warnings: string[] = []
  /** Every input read so far (a test checks that one parse reads the whole schema). */
  readonly seen = new Set<string>()
  constructor(private readonly read: InputReader) {}

  problem(text: string): void {
    this.problems.push(text)
  }

  warn(text: string): void {
    this.warnings.push(text)
  }

  /** The trimmed value as given ('' when unset). Every read goes through here: a name outside the schema is a bug. */
  raw(name: string): string {
    this.spec(name)
    this.seen.add(name)
    return (this.read(name) ?? '').trim()
  }

  /** The value, or the schema's default when it is empty. */
  string(name: string): string {
    return this.raw(name) || defaultOf(name)
  }

  /** A token: masked the moment it is read. */
  secret(name: string): string {
    this.spec(name, 'secret')
    const v = this.raw(name)
    if (v) core.setSecret(v)
    return v
  }

  /** getBooleanInput's rule: exactly true, True, TRUE, false, False or FALSE. */
  bool(name: string): boolean {
    this.spec(name, 'boolean')
    const v = this.string(name)
    if (TRUE_SPELLINGS.includes(v)) return true
    if (FALSE_SPELLINGS.includes(v)) return false
    this.problem(`Input "${name}" must be true or false (spelled ${[...TRUE_SPELLINGS, ...FALSE_SPELLINGS].join(', ')}), got "${v}".`)
    return false
  }

  /** A whole number within the schema's range; the range's minimum when it is not. */
  int(name: string): number {
    const t = this.spec(name, 'integer')
    const v = this.string(name)
    const n = Number(v)
    if (/^\d+$/.test(v) && n >= t.min && n <= t.max) return n
    this.problem(`Input "${name}" must be a whole number from ${t.min} to ${t.max}, got "${v}".`)
    return t.min
  }

  /** A duration in seconds within the schema's bounds; 0 (and a problem) when it is not. */
  duration(name: string): { text: string; seconds: number } {
    const t = this.spec(name, 'duration')
    const text = this.string(name)
    const seconds = parseDurationSeconds(text)
    if (seconds === undefined || (!t.zero && seconds <= 0)) {
      const eg = t.zero ? 'Use 0 or a number with a unit, such as 30m.' : 'Use a number with a unit, such as 30m, 1h or 90s.'
      this.problem(`Input "${name}" is not a valid duration: "${text}". ${eg}`)
      return { text, seconds: 0 }
    }
    if ((t.min !== undefined && seconds < t.min) || (t.max !== undefined && seconds > t.max)) {
      this.problem(`Input "${name}" must be from ${short(t.min ?? 0)} to ${t.max === undefined ? 'any length' : short(t.max)}, got "${text}".`)
      return { text, seconds: 0 }
    }
    return { text, seconds }
  }

  /** One of the schema's values; the first of them (and a problem) when it is not. */
  oneOf<T extends string>(name: string): T {
    const { values } = this.spec(name, 'enum')
    const v = this.string(name)
    if (values.includes(v)) return v as T
    this.problem(`Input "${name}" must be one of ${values.map((a) => `"${a}"`).join(', ')}, got "${v}".`)
    return values[0] as T
  }

  /** A URL input (http or https, no credentials), without a trailing slash; '' when empty or invalid. */
  url(name: string, hint?: string): string {
    const { required } = inputSpec(name)
    this.spec(name, 'url')
    const value = this.raw(name)
    if (!value) {
      if (required) this.problem(`Input "${name}" is required.${hint ? ` ${hint}` : ''}`)
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

  /** A name-like input checked by its rule (src/inputs/rules.ts); '' stays '' (unset). */
  name(name: string): string {
    const { rule } = this.spec(name, 'name')
    const v = this.string(name)
    const p = v ? nameProblem(rule, v) : undefined
    if (p) this.problem(`Input "${name}"${p}`)
    return v
  }

  /** A Vault mount path, normalised ("auth/jwt-nomad/" → "jwt-nomad"); '' (and a problem) when it is not one. */
  mount(name: string): string {
    this.spec(name, 'mount')
    const v = this.string(name)
    const p = normaliseAuthPath(v)
    if (p === undefined) {
      this.problem(`Input "${name}" is not a valid Vault mount path: "${v}". Use segments of letters, digits, "-", "_" or ".", e.g. jwt-nomad.`)
    }
    return p ?? ''
  }

  /** Free text up to the schema's length. */
  text(name: string): string {
    const { maxLength } = this.spec(name, 'text')
    const v = this.raw(name)
    if (maxLength !== undefined && v.length > maxLength) this.problem(`Input "${name}" is longer than ${maxLength} characters.`)
    return v
  }

  /** The type of an input from the schema; reading it as another type is a bug of the action. */
  private spec<K extends InputType['kind']>(name: string, kind?: K): Extract<InputType, { kind: K }> {
    const spec: InputSpec = inputSpec(name)
    if (kind && spec.type.kind !== kind) throw new Error(`Bug: input "${name}" is a ${spec.type.kind} in the schema but is read as a ${kind}.`)
    return spec.type as Extract<InputType, { kind: K }>
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
    this.spec(name, 'pem')
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

  /** One value a line; blank lines and # comments are skipped. */
  lines(name: string): string[] {
    this.spec(name, 'lines')
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

/** 600 → "10m", 3600 → "1h", 90 → "90s". */
export function short(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`
  return `${seconds}s`
}
