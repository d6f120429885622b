/**
 * `npm run fault-suite`: runs the seeded transient-fault suite (test-support/fault-suite.ts) once against a fresh
 * OpenBao and writes its figures to BENCHMARKS.md, between `<!-- keep:fault-suite -->` and `<!-- /keep:fault-suite -->`
 * (`npm run bench` carries that block over). Options: --runs N (default 50), --rate R (default 0.3), --seed S,
 * --out FILE (default BENCHMARKS.md).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { runFaultSuite, type FaultSuiteFigures } from './fault-suite.js'
import { startOpenBao } from './openbao.js'
import { repoRoot } from './paths.js'

const args = process.argv.slice(2)
const value = (name: string, fallback: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : fallback
}
const runs = Number(value('--runs', '50'))
const rate = Number(value('--rate', '0.3'))
const seed = Number(value('--seed', '20261128'))
const out = path.resolve(value('--out', path.join(repoRoot, 'BENCHMARKS.md')))

const bao = await startOpenBao()
let figures: FaultSuiteFigures
try {
  figures = await runFaultSuite({ bao, runs, rate, seed, log: (l) => console.error(`fault-suite: ${l}`) })
} finally {
  await bao.stop()
}
const version = (await import('node:child_process')).execFileSync(bao.bin, ['version'], { encoding: 'utf8' }).trim()
const block = renderBlock(figures, version)
const previous = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : ''
const re = /<!-- keep:fault-suite -->[\s\S]*?<!-- \/keep:fault-suite -->/
fs.writeFileSync(out, re.test(previous) ? previous.replace(re, () => block) : `${previous.replace(/\n*$/, '\n\n')}${block}\n`)
console.error(`fault-suite: wrote ${path.relative(process.cwd(), out)}`)
const bad = figures.runs - figures.successes + figures.endStateMismatches + figures.leaks
process.exit(bad > 0 ? 1 : 0)

function renderBlock(f: FaultSuiteFigures, server: string): string {
  const kinds = Object.entries(f.byFault)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
  const failures = f.records.filter((r) => !r.ok || r.mismatches.length || r.leaks.length)
  return [
    '<!-- keep:fault-suite -->',
    '## Fault suite',
    '',
    `Written by \`npm run fault-suite\` (test-support/fault-suite-cli.ts → test-support/fault-suite.ts) from one run on ${new Date().toISOString()},`,
    `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${server}. The same scenario runs in CI as`,
    '__tests__/fault-suite.test.ts, which asserts: every run succeeds, 0 end-state mismatches, 0 leaks, 20–40% of requests',
    'faulted, every kind of fault injected, faults on writes and after the server did the write.',
    '',
    `Each run is a whole run of the action (src/main.ts, in-process): Vault setup with a new auth path and policy, then a`,
    `deploy of examples/web.nomad.hcl to a fresh Nomad double, followed to its verdict. Seeded fault proxies sit in front of`,
    `OpenBao and of the double and fault about ${Math.round(f.rate * 100)}% of the action's requests with a transient fault; retries`,
    'are scaled down (backoff 2–20 ms, 12 retries). Run 0 is fault-free; every faulted run is compared with it: Vault mount,',
    'auth config, role and policy, the Nomad job (spec, version, number of versions) and the verdict outputs.',
    '',
    '| figure | value |',
    '|---|---|',
    `| runs (with faults) | ${f.runs} |`,
    `| requests by the action | ${f.requests} |`,
    `| faults injected | ${f.faultsInjected} (${((100 * f.faultsInjected) / Math.max(1, f.requests)).toFixed(1)}% of requests) |`,
    `| faults on writes (of them after the server did the write: reset-after, truncate) | ${f.writeFaults} (${f.ambiguousWrites}) |`,
    `| by fault | ${kinds} |`,
    `| successes | ${f.successes} of ${f.runs} |`,
    `| end-state mismatches | ${f.endStateMismatches} |`,
    `| leaks found (Vault and Nomad tokens in stdout, stderr, outputs, summary, annotations) | ${f.leaks} |`,
    `| wall time | ${(f.wallMs / 1000).toFixed(1)} s (${Math.round(f.wallMs / (f.runs + 1))} ms per run) |`,
    ...(failures.length
      ? ['', 'Failed runs:', ...failures.map((r) => `- run ${r.run}: ${r.error ?? ''} ${r.mismatches.join('; ')} ${r.leaks.join(', ')}`.trim())]
      : []),
    '<!-- /keep:fault-suite -->'
  ].join('\n')
}
