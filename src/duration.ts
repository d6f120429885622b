/**
 * The one duration parser: Go/Vault-style durations ("30m", "1h30m", "90s", "500ms", "1800") to seconds.
 * Used for inputs (token-period, identity-ttl, timeout) and for the durations Vault reads back (seconds).
 */

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 }
const TERM = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g

/**
 * Parses a duration: a bare integer means seconds (as Vault reads it), otherwise a sequence of number+unit terms
 * with Go's units (ns, us, µs, ms, s, m, h) and Vault's "d". Returns the exact (possibly fractional) number of
 * seconds, or undefined when the text is not a duration.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const s = text.trim()
  if (/^\d+$/.test(s)) return Number(s)
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$/.test(s)) return undefined
  let total = 0
  for (const m of s.matchAll(TERM)) total += Number(m[1]) * UNIT_SECONDS[m[2]]
  return total
}

/**
 * Seconds of a duration as Vault returns or accepts it: a number (seconds), "1800", "30m", "1h30m".
 * Missing or empty is 0; NaN when unparsable. Rounded to whole seconds, as Vault stores durations.
 */
export function durationSeconds(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0
  if (typeof v === 'number') return v
  const seconds = parseDurationSeconds(String(v))
  return seconds === undefined ? NaN : Math.round(seconds)
}
