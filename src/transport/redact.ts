/**
 * The one redaction function. Every message, annotation, output and summary the action writes passes through
 * `redact()`: it removes the secrets registered with `addSecret()` (tokens the action read or obtained, client
 * key text), anything shaped like a JWT, Vault token shapes, token headers, and userinfo in URLs.
 */
import * as core from '@actions/core'

const secrets = new Set<string>()

/** Masks a secret in the runner's log (core.setSecret) and registers it for redact(). Empty values are ignored. */
export function addSecret(value: string | undefined, alreadyMasked = false): void {
  if (!value) return
  const v = value.trim()
  if (v.length < 4) return
  if (!secrets.has(v) && !alreadyMasked) core.setSecret(v)
  secrets.add(v)
  // Multi-line secrets (PEM keys) are masked line by line by the runner; register the lines too.
  if (v.includes('\n')) for (const line of v.split(/\r?\n/)) if (line.trim().length >= 8) addSecret(line.trim(), alreadyMasked)
}

/** Three base64url segments, the first a JSON header ("eyJ"): a JWS/JWT; five segments (JWE) are covered too. */
const JWT = /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?/g
/** Vault service/batch/recovery tokens (hvs., hvb., hvr., and the older s., b., r. forms). */
const VAULT_TOKEN = /\b(?:hv[sbr]|[sbr])\.[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)?/g
/** user:password@ (or token@) in any scheme://… URL. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/gi
/** A header carrying a token: X-Vault-Token: …, 'X-Nomad-Token': '…', Authorization: Bearer … */
const TOKEN_HEADER = /\b(x-vault-token|x-nomad-token|authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)(bearer\s+|basic\s+)?[^\s"',;}]+/gi
/** A JSON field carrying a token: "SecretID":"…", "client_token":"…", "LoginToken":"…", "token":"…", "jwt":"…" */
const TOKEN_FIELD = /("(?:secretid|client_token|logintoken|token|jwt|id_token)"\s*:\s*")[^"]*"/gi

export function redact(text: string, extra: readonly (string | undefined)[] = []): string {
  let out = text
  const all = [...secrets, ...extra.filter((s): s is string => !!s && s.trim().length >= 4).map((s) => s.trim())]
  // Longest first, so that a secret containing another is removed whole.
  all.sort((a, b) => b.length - a.length)
  for (const s of all) if (out.includes(s)) out = out.split(s).join('***')
  return out
    .replace(JWT, '***')
    .replace(VAULT_TOKEN, '***')
    .replace(USERINFO, '$1***@')
    .replace(TOKEN_HEADER, (_m, name: string, sep: string, scheme: string | undefined) => `${name}${sep}${scheme ?? ''}***`)
    .replace(TOKEN_FIELD, '$1***"')
}

/** An URL without userinfo, query or fragment: safe to show in messages. */
export function safeUrl(u: string | URL): string {
  try {
    const url = new URL(String(u))
    url.username = ''
    url.password = ''
    url.search = ''
    url.hash = ''
    return url.toString()
  } catch {
    return '(invalid URL)'
  }
}

/** For tests: forget the registered secrets. */
export function clearSecrets(): void {
  secrets.clear()
}

/**
 * Passes everything the process writes to stdout and stderr (log lines, annotations, the debug output of
 * bundled libraries) through redact(). The runner's own `::add-mask::` commands are left intact.
 */
export function installOutputRedaction(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) return write(chunk, ...rest)
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
      const safe = text
        .split('\n')
        .map((line) => (line.startsWith('::add-mask::') ? line : redact(line)))
        .join('\n')
      return write(safe, ...rest)
    }) as typeof stream.write
  }
}
