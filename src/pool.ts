/**
 * Bounded concurrency, neutral ground for every layer: mapLimit runs an async function over a list with at most N
 * calls in flight (the Nomad jobs with max-parallel, the reads of check and destroy); limiter() bounds the requests
 * of one client however many callers start at once (the Vault client: 10,000 roles must not open 10,000 sockets).
 */

/** Runs fn over items with at most `limit` in flight; results in input order. The first error rejects the whole (as Promise.all). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i], i)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

/** A gate with at most `limit` calls of `run` in flight; the others wait in arrival order. */
export function limiter(limit: number): <R>(fn: () => Promise<R>) => Promise<R> {
  let active = 0
  const waiting: (() => void)[] = []
  return async <R>(fn: () => Promise<R>): Promise<R> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve))
    else active++
    try {
      return await fn()
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), or free it.
      const next = waiting.shift()
      if (next) next()
      else active--
    }
  }
}
