import { describe, expect, it } from '@jest/globals'
import { mapLimit } from '../src/pool.js'

describe('mapLimit', () => {
  it('keeps input order, never runs more than the limit at once, and runs every item', async () => {
    let inFlight = 0
    let peak = 0
    const gates: (() => void)[] = []
    const done = mapLimit([0, 1, 2, 3, 4, 5, 6], 3, async (n) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      await new Promise<void>((resolve) => gates.push(resolve))
      inFlight--
      return n * 10
    })
    // Release the items in reverse order of start, one at a time, so completion order differs from input order.
    while (gates.length > 0 || inFlight > 0) {
      await new Promise((r) => setImmediate(r))
      gates.pop()?.()
    }
    expect(await done).toEqual([0, 10, 20, 30, 40, 50, 60])
    expect(peak).toBe(3)
  })

  it('handles fewer items than the limit and no items', async () => {
    expect(await mapLimit([1], 4, async (n) => n + 1)).toEqual([2])
    expect(await mapLimit([], 4, async (n: number) => n)).toEqual([])
  })
})
