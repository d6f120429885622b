/** Go/Vault-style durations ("30m", "1h30m", "90s", "1800"): parse to seconds, with precise errors. */

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }

/**
 * Parses a duration. A bare integer means seconds (Vault accepts that). Returns undefined when invalid.
 * Go's `ns`/`us` are not accepted: nothing here needs sub-millisecond precision.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const s = text.trim()
  if (/^\d+$/.test(s)) return Number(s)
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(s)) return undefined
  let total = 0
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) total += Number(m[1]) * UNIT_SECONDS[m[2]]
  return total
}

/** Formats seconds the way Vault and Nomad show them in config: "1h", "30m", "1h30m", "45s". */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s'
  let rest = Math.round(seconds)
  let out = ''
  for (const [unit, size] of [
    ['h', 3600],
    ['m', 60],
    ['s', 1]
  ] as const) {
    const n = Math.floor(rest / size)
    if (n > 0) {
      out += `${n}${unit}`
      rest -= n * size
    }
  }
  return out
}
