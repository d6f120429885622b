/**
 * Unit-test helpers for the action's inputs: a reader over a record of inputs (what core.getInput would return,
 * '' when unset), the problems parseInputs reports for them, and the workflow commands written to stdout.
 */
import { afterEach, beforeEach, expect, jest } from '@jest/globals'
import { ValidationErrors } from '../src/errors.js'
import { parseInputs } from '../src/inputs/read-inputs.js'

export type InputReader = (name: string) => string

/** A reader factory over `base`: reader(over) reads base with `over` on top. */
export function inputReader(base: Record<string, string>): (over?: Record<string, string>) => InputReader {
  return (over = {}) => {
    const all: Record<string, string> = { ...base, ...over }
    return (name) => all[name] ?? ''
  }
}

/** The problems parseInputs reports at once for these inputs; fails the test when they are valid. */
export function inputProblems(read: InputReader): string[] {
  try {
    parseInputs(read)
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationErrors)
    return (e as ValidationErrors).problems
  }
  throw new Error('expected validation to fail')
}

/** Captures what each test writes to stdout (workflow commands: masks, warnings); call at the top level. */
export function captureStdout(): { text(): string } {
  let chunks: string[] = []
  beforeEach(() => {
    chunks = []
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk))
      return true
    })
  })
  afterEach(() => {
    jest.restoreAllMocks()
  })
  return { text: () => chunks.join('') }
}
