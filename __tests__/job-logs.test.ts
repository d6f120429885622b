/**
 * Per-job log groups for jobs deployed in parallel (src/nomad/job-logs.ts): each job's lines come out as one group
 * when it ends, never interleaved with another job's; mask commands and lines outside any job go out at once.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import * as core from '@actions/core'
import { JobLogGroups } from '../src/nomad/job-logs.js'

let out: string[]
let real: typeof process.stdout.write
let capture: typeof process.stdout.write

beforeEach(() => {
  out = []
  real = process.stdout.write
  capture = ((chunk: string | Uint8Array) => {
    out.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  process.stdout.write = capture
})
afterEach(() => {
  process.stdout.write = real
})

const lines = () =>
  out
    .join('')
    .split('\n')
    .filter((l) => l !== '')
const tick = () => new Promise((r) => setImmediate(r))

describe('JobLogGroups', () => {
  it('prints each job as one group when it ends (in the order they end); masks and lines outside a job go out at once', async () => {
    const groups = new JobLogGroups()
    const job = (name: string, steps: number) =>
      groups.run(`job ${name}`, async () => {
        for (let i = 0; i < steps; i++) {
          core.info(`${name} line ${i}`)
          if (name === 'a' && i === 0) core.setSecret('s3cret-value')
          await tick()
        }
        return name
      })
    core.info('outside before')
    const all = Promise.all([job('a', 3), job('b', 1), job('c', 2)])
    core.info('outside while they run')
    expect(await all).toEqual(['a', 'b', 'c'])
    expect(lines()).toEqual([
      'outside before',
      '::add-mask::s3cret-value',
      'outside while they run',
      '::group::job b',
      'b line 0',
      '::endgroup::',
      '::group::job c',
      'c line 0',
      'c line 1',
      '::endgroup::',
      '::group::job a',
      'a line 0',
      'a line 1',
      'a line 2',
      '::endgroup::'
    ])
    // stdout is written as before once the last job has ended
    expect(process.stdout.write).toBe(capture)
  })

  it("a failing job's group is printed too, and its error reaches the caller", async () => {
    const groups = new JobLogGroups()
    await expect(
      groups.run('job x', async () => {
        core.warning('x is about to fail')
        await tick()
        throw new Error('x failed')
      })
    ).rejects.toThrow('x failed')
    expect(lines()).toEqual(['::group::job x', '::warning::x is about to fail', '::endgroup::'])
  })

  it('on cancellation, the running jobs are printed at once with a note; their later lines go straight out', async () => {
    const groups = new JobLogGroups()
    let release = () => {}
    const gate = new Promise<void>((r) => (release = r))
    const running = groups.run('job y', async () => {
      core.info('y before the signal')
      await gate
      core.info('y after the signal')
    })
    await tick()
    expect(lines()).toEqual([])
    groups.flushRunning('cancelled')
    expect(lines()).toEqual(['::group::job y (cancelled)', 'y before the signal', '::endgroup::'])
    release()
    await running
    expect(lines()).toEqual(['::group::job y (cancelled)', 'y before the signal', '::endgroup::', 'y after the signal'])
  })
})
