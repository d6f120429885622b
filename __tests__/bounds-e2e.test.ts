/**
 * Trust at the edges, on the real bundle (dist/index.js): a certificate input that names a FIFO is refused at once
 * (a plain read blocked the run beyond SIGINT and SIGTERM), a run stays cancellable with SIGTERM after reading its
 * certificate files, and a task that fails with a 1 MB message or a run of 3,000 jobs gives a summary, outputs and a
 * log within GitHub's limits.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { e2eSuite, messages } from '../test-support/e2e-suite.js'
import { type ActionRun, runAction } from '../test-support/run-action.js'
import { makeTestPki } from '../test-support/tls-certs.js'

const MiB = 1024 * 1024
const e2e = e2eSuite({ secrets: { 'default/web/config': { password: 'web-password' } } })

let dir: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-bounds-'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Every output under GitHub's 1 MB, and the summary under its 1 MiB. */
function withinGitHubLimits(r: ActionRun): void {
  for (const [name, value] of Object.entries(r.outputs)) {
    expect({ name, bytes: Buffer.byteLength(value) }).toEqual({ name, bytes: expect.toBeLessThan1MB() })
  }
  expect(Buffer.byteLength(r.summary)).toBeLessThan(MiB)
}

expect.extend({
  toBeLessThan1MB(received: number) {
    return { pass: received < 1_000_000, message: () => `expected ${received} bytes to be under 1,000,000` }
  }
})
declare module 'expect' {
  interface AsymmetricMatchers {
    toBeLessThan1MB(): void
  }
}

describe('certificate inputs on the real bundle', () => {
  it('a FIFO as vault-ca-cert is refused at once, naming the input (no writer is ever opened)', async () => {
    const fifo = path.join(dir, 'ca.pem')
    execFileSync('mkfifo', [fifo])
    const r = await runAction(
      { 'vault-addr': 'https://127.0.0.1:1', 'vault-token': 'hvs.never-used-token', 'vault-ca-cert': fifo },
      { timeoutMs: 30_000 }
    )
    expect(r.code).toBe(1)
    expect(messages(r, 'error')).toMatch(/Input "vault-ca-cert" is neither PEM text nor a readable file: ".*ca\.pem" is a FIFO \(named pipe\)/)
  }, 40_000)

  it('SIGTERM ends a run that read its CA file and waits on a server that never answers', async () => {
    const pki = makeTestPki()
    const sockets: net.Socket[] = []
    const silent = net.createServer((s) => sockets.push(s))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as net.AddressInfo).port
    try {
      const r = await runAction(
        {
          'vault-addr': `https://127.0.0.1:${port}`,
          'vault-token': 'hvs.never-answered-token',
          'vault-ca-cert': pki.caFile,
          'nomad-addr': `https://127.0.0.1:${port}`,
          'nomad-ca-cert': pki.caFile
        },
        {
          timeoutMs: 60_000,
          onSpawn: async (child) => {
            while (sockets.length === 0 && child.exitCode === null) await new Promise((res) => setTimeout(res, 20))
            child.kill('SIGTERM')
          }
        }
      )
      expect(r.code).not.toBe(0)
      expect(messages(r, 'warning')).toMatch(/Received SIGTERM: cancelling/)
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  }, 70_000)
})

describe('reports within GitHub limits', () => {
  it('a task failing with a 1 MB message: summary < 1 MiB, outputs < 1 MB, a log of a few hundred kB, the message cut with "…"', async () => {
    const n = await e2e.cluster()
    const message = `driver refused the task: ${'x'.repeat(1024 * 1024)} END-OF-MESSAGE`
    n.failAllocs('web', message, { recoverable: false })
    const r = await runAction(e2e.inputs(n, { job: 'examples/web.nomad.hcl' }))
    expect(r.code).toBe(1)
    expect(r.outputs.verdict).toBe('failed')
    withinGitHubLimits(r)
    // each event shown at most 4 KiB: start and end kept
    expect(r.summary).toMatch(/driver refused the task: x+ … \[\d+ characters cut\] … x+ END-OF-MESSAGE/)
    expect(r.summary.length).toBeLessThan(64 * 1024)
    expect(Buffer.byteLength(r.stdout)).toBeLessThan(256 * 1024)
    const allocs = JSON.parse(r.outputs.allocations) as { events: { message: string }[] }[]
    for (const e of allocs.flatMap((a) => a.events)) expect(e.message.length).toBeLessThanOrEqual(4096)
    for (const a of r.annotations) expect(a.message.length).toBeLessThan(32 * 1024)
  }, 120_000)

  it('3,000 job files (dry run): every verdict in a bounded summary, outputs under 1 MB, a few log lines per job', async () => {
    const ws = fs.mkdtempSync(path.join(dir, 'many-'))
    const spec = fs.readFileSync('examples/web.nomad.hcl', 'utf8')
    for (let i = 0; i < 3000; i++)
      fs.writeFileSync(path.join(ws, `j${String(i).padStart(4, '0')}.nomad.hcl`), spec.replace('job "web"', `job "web-${i}"`))
    const n = await e2e.cluster()
    const r = await runAction(e2e.inputs(n, { job: '*.nomad.hcl', 'dry-run': 'true' }), {
      cwd: ws,
      env: { GITHUB_WORKSPACE: ws },
      timeoutMs: 600_000
    })
    expect(r.code).toBe(0)
    withinGitHubLimits(r)
    expect(r.summary).toContain('### Jobs (3000)')
    expect(r.summary).toContain('| `web-2999` | 📝 planned | `j2999.nomad.hcl` |')
    expect(r.summary.match(/^### Job `/gm)).toHaveLength(50)
    expect(r.summary).toMatch(/shortened to stay under GitHub's 1 MiB limit.*the detail of 2950 job\(s\)/)
    expect(Object.keys(JSON.parse(r.outputs.verdict))).toHaveLength(3000)
    const lines = r.stdout.split('\n').filter((l) => !l.startsWith('::debug::') && !l.startsWith('::add-mask::'))
    expect(lines.length).toBeLessThan(3000 * 6)
  }, 660_000)
})
