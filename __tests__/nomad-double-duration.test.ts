/** The Nomad double's one Go-duration parser (test-support/nomad-double/duration.ts): Go's time.ParseDuration syntax. */
import { describe, expect, it } from '@jest/globals'
import { goDurationNs, parseDurationNs } from '../test-support/nomad-double/duration.js'

describe('goDurationNs (Go time.ParseDuration)', () => {
  it('reads every unit, fractions, several terms and a sign', () => {
    expect(goDurationNs('1h30m')).toBe(5400e9)
    expect(goDurationNs('300ms')).toBe(300e6)
    expect(goDurationNs('1.5s')).toBe(1.5e9)
    expect(goDurationNs('.5s')).toBe(0.5e9)
    expect(goDurationNs('2us')).toBe(2000)
    expect(goDurationNs('2µs')).toBe(2000)
    expect(goDurationNs('2μs')).toBe(2000)
    expect(goDurationNs('7ns')).toBe(7)
    expect(goDurationNs('+10m')).toBe(600e9)
    expect(goDurationNs('-1m')).toBe(-60e9)
    expect(goDurationNs('0')).toBe(0)
  })

  it('refuses what Go refuses: a bare number other than 0, no unit, unknown units, empty', () => {
    for (const bad of ['10', '', 's', '1d', '1h 30m', '.s', 'abc', '5sx']) expect(goDurationNs(bad)).toBeUndefined()
  })
})

describe('parseDurationNs (jobspec and agent-config durations)', () => {
  it('takes numbers and bare digits as nanoseconds, else a Go duration', () => {
    expect(parseDurationNs(3600000000000)).toBe(3600e9)
    expect(parseDurationNs('250')).toBe(250)
    expect(parseDurationNs('1h')).toBe(3600e9)
  })

  it('throws Go’s message for an invalid duration', () => {
    expect(() => parseDurationNs('5 minutes')).toThrow('time: invalid duration "5 minutes"')
    expect(() => parseDurationNs('')).toThrow('invalid duration ""')
    expect(() => parseDurationNs(undefined)).toThrow('invalid duration undefined')
  })
})
