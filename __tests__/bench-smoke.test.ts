/**
 * A smoke run of the benchmark harness (bench/bench.ts): 1-2 iterations of every part, to prove that it still runs
 * and produces numbers. No assertion about time or speed: the figures live in BENCHMARKS.md (npm run bench).
 */
import { describe, expect, it } from '@jest/globals'
import { runBench } from '../bench/bench.js'
import { keptBlocks, renderMarkdown } from '../bench/report.js'

describe('npm run bench (smoke)', () => {
  it('measures every part and renders BENCHMARKS.md, keeping preserved blocks', async () => {
    const r = await runBench({ smoke: true })
    const finite = (xs: number[]) => xs.length > 0 && xs.every((x) => Number.isFinite(x) && x >= 0)
    expect(finite(r.coldStart.oursMs)).toBe(true)
    expect(finite(r.coldStart.bareMs)).toBe(true)
    expect(finite(r.coldStart.oursRssMB)).toBe(true)
    if (r.coldStart.anchorFound) expect(finite(r.coldStart.ratios)).toBe(true)
    expect(r.bundle.totalBytes).toBeGreaterThan(0)
    expect(r.bundle.byPackage.length).toBeGreaterThan(0)
    // the bundler comparison: the same sources bundled with ncc, started in the same pairs
    expect(finite(r.coldStart.nccMs)).toBe(true)
    expect(finite(r.coldStart.nccRatios)).toBe(true)
    expect(r.bundle.ncc.totalBytes).toBeGreaterThan(0)
    expect(r.vault.map((v) => v.label)).toHaveLength(3)
    expect(finite(r.vault.map((v) => v.rounds))).toBe(true)
    // round and write counts are structure, not timing: the Vault targets hold on every run
    const [fresh, same, drift] = r.vault
    expect(fresh.rounds).toBeLessThanOrEqual(5)
    expect(fresh.sequence).toHaveLength(fresh.rounds)
    expect({ rounds: same.rounds, writes: same.writes }).toEqual({ rounds: 1, writes: 0 })
    expect(drift.writes).toBe(1)
    expect(r.jobs.map((j) => j.jobs)).toEqual([1, 3])
    expect(finite(r.jobs.map((j) => j.wallMs))).toBe(true)
    expect(finite(r.jobs.map((j) => j.peakRssMB))).toBe(true)
    expect(finite(r.latency.flatMap((l) => [l.actionMs, l.pollingMs]))).toBe(true)
    expect(Number.isFinite(r.rerun.rerunMs)).toBe(true)

    const kept = '<!-- keep:fault-suite -->\n## Fault suite\nfigures\n<!-- /keep:fault-suite -->'
    const md = renderMarkdown(r, keptBlocks(`# old\n\n${kept}\n\nold text`))
    expect(md).toContain('SMOKE RUN')
    expect(md).toMatch(/\| size of all files \| .* kB \| .* kB \| \*\*\d+\.\d\d×\*\* \|/)
    expect(md).toContain(kept)
    expect(md).not.toContain('old text')
  }, 300_000)
})
