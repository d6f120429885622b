/**
 * `npm run bench`: runs the whole benchmark suite once (bench/bench.ts) and writes BENCHMARKS.md from that run,
 * keeping the `<!-- keep:NAME -->` blocks of the previous file. Options: --smoke (1-2 iterations, for checking the
 * harness), --out FILE (default BENCHMARKS.md), --json FILE (the raw report).
 * vault-action's bundle is looked up in ../shared/anchors next to the repository (as CI lays it out), or BENCH_ANCHORS.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { repoRoot } from '../test-support/paths.js'
import { runBench } from './bench.js'
import { keptBlocks, renderMarkdown } from './report.js'

const args = process.argv.slice(2)
const value = (name: string) => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1] : undefined
}
const smoke = args.includes('--smoke')
const out = path.resolve(value('--out') ?? path.join(repoRoot, 'BENCHMARKS.md'))

const report = await runBench({ smoke, log: (l) => console.error(`bench: ${l}`) })
const previous = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : ''
fs.writeFileSync(out, renderMarkdown(report, keptBlocks(previous)))
const json = value('--json')
if (json) fs.writeFileSync(json, JSON.stringify(report, null, 2) + '\n')
console.error(`bench: wrote ${path.relative(process.cwd(), out)}`)
