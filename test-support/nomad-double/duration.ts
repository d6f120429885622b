/**
 * The double's one duration parser: Go's time.ParseDuration syntax ("1h30m", "300ms", ".5s", "-2m", "0"), read into
 * nanoseconds. Jobspec and agent-config durations, `?wait=` and an auth method's MaxTokenTTL all go through it.
 * (src/duration.ts reads the action's inputs the Vault way: a bare number is seconds, "d" is a unit.)
 */

const NS_PER: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }
const DURATION = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g

/** Go time.ParseDuration: nanoseconds, or undefined when Go would refuse the text (a bare number other than 0 too). */
export function goDurationNs(text: string): number | undefined {
  if (/^[-+]?0$/.test(text)) return 0
  if (!DURATION.test(text)) return undefined
  let total = 0
  for (const [, n, unit] of text.matchAll(TERM)) total += Number(n) * NS_PER[unit]
  return Math.round(text.startsWith('-') ? -total : total)
}

/**
 * A duration in a jobspec or agent config → nanoseconds: a number or a bare digit string is taken as nanoseconds,
 * anything else must be a Go duration; throws `time: invalid duration "<v>"` otherwise.
 */
export function parseDurationNs(v: unknown): number {
  if (typeof v === 'number') return v
  if (typeof v !== 'string' || v === '') throw new Error(`invalid duration ${JSON.stringify(v)}`)
  if (/^\d+$/.test(v)) return Number(v)
  const ns = goDurationNs(v)
  if (ns === undefined) throw new Error(`time: invalid duration "${v}"`)
  return ns
}
