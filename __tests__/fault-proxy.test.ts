/** The seeded fault proxy (test-support/fault-proxy.ts) does what its faults promise, reproducibly. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { seededRandom, startFaultProxy, type Fault, type FaultProxy } from '../test-support/fault-proxy.js'

let upstream: http.Server
let target = ''
const received: string[] = []

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      received.push(`${req.method} ${req.url} ${body}`)
      const text = JSON.stringify({ ok: true, path: req.url, pad: 'x'.repeat(200) })
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Nomad-Index': '7' })
      res.end(text)
    })
  })
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()))
  target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((r) => upstream.close(() => r()))
})

async function through(proxy: FaultProxy, method = 'GET', path = '/v1/x', body?: string) {
  const res = await fetch(`${proxy.url}${path}`, { method, body, redirect: 'manual' })
  return { status: res.status, type: res.headers.get('content-type'), location: res.headers.get('location'), text: await res.text() }
}

describe('fault proxy', () => {
  it('forwards untouched without faults, and answers each status fault itself without forwarding', async () => {
    const p = await startFaultProxy({ target })
    try {
      const ok = await through(p, 'POST', '/v1/sys/auth/a?x=1', '{"type":"jwt"}')
      expect(ok.status).toBe(200)
      expect(JSON.parse(ok.text).path).toBe('/v1/sys/auth/a?x=1')
      expect(received.at(-1)).toBe('POST /v1/sys/auth/a?x=1 {"type":"jwt"}')
      const before = received.length
      for (const [fault, status] of [
        ['status-429', 429],
        ['status-500', 500],
        ['status-502', 502],
        ['status-503', 503],
        ['status-504', 504],
        ['status-412', 412],
        ['html-502', 502],
        ['html-200', 200]
      ] as const) {
        p.configure({ rule: () => fault })
        const r = await through(p)
        expect(r.status).toBe(status)
        if (fault.startsWith('html')) expect(r.type).toBe('text/html')
      }
      expect(received.length).toBe(before)
      expect(p.faultsInjected()).toBe(8)
      expect(p.log.filter((e) => e.fault).map((e) => e.fault)).toHaveLength(8)
    } finally {
      await p.close()
    }
  })

  it('resets before forwarding, resets after forwarding (the upstream saw it), truncates bodies', async () => {
    const p = await startFaultProxy({ target })
    try {
      let before = received.length
      p.configure({ rule: () => 'reset-before' })
      await expect(through(p, 'POST', '/v1/a', 'one')).rejects.toThrow()
      expect(received.length).toBe(before)

      p.configure({ rule: () => 'reset-after' })
      await expect(through(p, 'POST', '/v1/b', 'two')).rejects.toThrow()
      expect(received.at(-1)).toBe('POST /v1/b two')

      before = received.length
      p.configure({ rule: () => 'truncate' })
      await expect(through(p, 'GET', '/v1/c')).rejects.toThrow()
      expect(received.length).toBe(before + 1)
      expect(p.log.at(-1)).toMatchObject({ fault: 'truncate', status: 200 })
    } finally {
      await p.close()
    }
  })

  it('redirects with the original path and query, and delays', async () => {
    const p = await startFaultProxy({ target, redirectTo: 'https://other.example:8200', delayMs: 20 })
    try {
      p.configure({ rule: () => 'redirect' })
      const r = await through(p, 'GET', '/v1/sys/auth?list=true')
      expect(r.status).toBe(307)
      expect(r.location).toBe('https://other.example:8200/v1/sys/auth?list=true')
      p.configure({ rule: () => 'delay' })
      expect((await through(p)).status).toBe(200)
    } finally {
      await p.close()
    }
  })

  it('draws the same faults for the same seed, at about the configured rate', async () => {
    const schedule = async (seed: number) => {
      const p = await startFaultProxy({ target, seed, rate: 0.3, faults: ['status-503', 'status-429'] })
      try {
        for (let i = 0; i < 40; i++) await through(p, 'GET', `/v1/r${i}`)
        return p.log.map((e) => e.fault ?? '-')
      } finally {
        await p.close()
      }
    }
    const a = await schedule(42)
    const b = await schedule(42)
    const c = await schedule(43)
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    const draws = seededRandom(7)
    const n = Array.from({ length: 10_000 }, draws).filter((x) => x < 0.3).length
    expect(n).toBeGreaterThan(2700)
    expect(n).toBeLessThan(3300)
    expect(a.filter((f) => f !== '-').every((f) => (['status-503', 'status-429'] as Fault[]).includes(f as Fault))).toBe(true)
  })
})
