/**
 * One log group per job when jobs are deployed in parallel: what a job writes to stdout while it runs (core.info,
 * warnings, notices, from any module) is kept apart and printed as one group when the job ends, in the order the
 * jobs end, so that parallel jobs never interleave. Mask commands (::add-mask::) are written at once: a secret must
 * be masked before anything can print it.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import * as core from '@actions/core'

interface JobOutput {
  label: string
  lines: string[]
  /** Printed already (the job ended, or the run was cancelled while it ran): later writes go straight out. */
  flushed: boolean
}

const owner = new AsyncLocalStorage<JobOutput>()
type Write = typeof process.stdout.write

/** While jobs run apart: the stdout write in place before, and how many jobs use the routing. */
let routing: { original: Write; routed: Write; jobs: number } | undefined

/** Routes stdout writes made inside a job (owner.run) to that job's lines; every other write goes straight out. */
function startRouting(): void {
  if (routing) {
    routing.jobs++
    return
  }
  const original = process.stdout.write
  const routed = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    const job = owner.getStore()
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString()
    if (!job || job.flushed || text.startsWith('::add-mask::')) return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
    job.lines.push(text)
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined
    done?.()
    return true
  } as Write
  routing = { original, routed, jobs: 1 }
  process.stdout.write = routed
}

/** The last job ended: stdout is written as before (unless someone else replaced the write meanwhile). */
function stopRouting(): void {
  if (!routing || --routing.jobs > 0) return
  if (process.stdout.write === routing.routed) process.stdout.write = routing.original
  routing = undefined
}

export class JobLogGroups {
  private readonly running = new Set<JobOutput>()

  /** Runs `fn` with its output kept apart; prints it as one group named `label` when `fn` settles. */
  async run<T>(label: string, fn: () => Promise<T>): Promise<T> {
    startRouting()
    const job: JobOutput = { label, lines: [], flushed: false }
    this.running.add(job)
    try {
      return await owner.run(job, fn)
    } finally {
      this.running.delete(job)
      print(job, '')
      stopRouting()
    }
  }

  /** Prints what the running jobs have written so far (the run is cancelled: their lines must not be lost). */
  flushRunning(note: string): void {
    for (const job of this.running) print(job, note)
  }
}

function print(job: JobOutput, note: string): void {
  if (job.flushed) return
  job.flushed = true
  core.startGroup(note ? `${job.label} (${note})` : job.label)
  if (job.lines.length > 0) process.stdout.write(job.lines.join(''))
  core.endGroup()
}
