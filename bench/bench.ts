/**
 * The benchmark suite behind `npm run bench` (bench/run.ts writes BENCHMARKS.md from one run of it) and the CI smoke
 * test (__tests__/bench-smoke.test.ts runs it with `smoke: true`: 1-2 iterations, numbers only, nothing asserted
 * about time). Nothing here is a pass/fail test of speed: targets are shown next to the figures.
 *
 * 1. cold start: `node dist/index.js` to its input error, paired and alternating with hashicorp/vault-action
 *    v3.4.0's unmodified bundle (../shared/anchors, or BENCH_ANCHORS), the same sources bundled with @vercel/ncc
 *    (the design card's bundler, built fresh into a temp dir) and bare `node -e 0`; peak RSS of each;
 * 2. bundle: dist/ size, bytes by package (from a fresh deterministic build), that the build reproduces dist/, and
 *    the size of the ncc bundle of the same sources;
 * 3. Vault round trips: fresh setup, no-change re-run and drift repair against a real OpenBao, each Vault call
 *    recorded as the action issues it (a round = a time span with calls in flight, so parallel calls count once);
 * 4. many jobs: 1, 10 and 50 jobs with equal deployment times on the Nomad test double: wall time, peak RSS,
 *    Nomad requests per job, and whether following used blocking queries;
 * 5. verdict latency: the double marks the deployment successful -> the action process exits, next to a
 *    1 s polling loop watching the same deployment;
 * 6. no-change re-run of the same commit: time, verdict, writes.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parseInputs } from '../src/inputs/read-inputs.js'
import { createVaultApi, type VaultApi } from '../src/vault/vault-client.js'
import { reconcileVault } from '../src/vault/reconcile.js'
import { startNomadDouble, type NomadDouble } from '../test-support/nomad-double/server.js'
import { startOpenBao, type OpenBao } from '../test-support/openbao.js'
import { repoRoot } from '../test-support/paths.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'

export interface BenchOptions {
  /** 2 cold-start pairs, 1 and 3 jobs, one latency sample: proves the harness works, measures nothing. */
  smoke?: boolean
  /** Folder holding vault-action-v3.4.0/dist/index.js; default ../shared/anchors next to the repository. */
  anchorsDir?: string
  log?: (line: string) => void
}

export interface ColdStart {
  pairs: number
  oursMs: number[]
  theirsMs: number[]
  bareMs: number[]
  /** The ncc bundle of the same sources ([] without one). */
  nccMs: number[]
  /** ours/theirs per pair, in run order. */
  ratios: number[]
  /** ncc/ours per pair, in run order. */
  nccRatios: number[]
  oursRssMB: number[]
  theirsRssMB: number[]
  bareRssMB: number[]
  nccRssMB: number[]
  anchorFound: boolean
}

/** The same sources bundled with @vercel/ncc (`ncc build src/index.ts --license licenses.txt`), beside dist/. */
export interface NccBundle {
  /** Folder of the build (temporary). */
  dir: string
  files: BundleFile[]
  totalBytes: number
  buildMs: number
}

export interface BundleFile {
  file: string
  bytes: number
}

export interface BundleReport {
  files: BundleFile[]
  totalBytes: number
  /** Bytes by package, with the dist/ files (entry or chunks) that hold them. */
  byPackage: { name: string; bytes: number; files: string[] }[]
  /** A fresh build is byte-identical to the committed dist/, and to a second fresh build. */
  reproducesDist: boolean
  deterministic: boolean
  /** The ncc bundle of the same sources, for the bundler comparison. */
  ncc: Omit<NccBundle, 'dir'>
}

export interface VaultRun {
  label: string
  requests: number
  reads: number
  writes: number
  rounds: number
  /** The requests of each round, in order ("GET sys/auth ‖ POST auth/x/config"). */
  sequence: string[]
  changes: number
  ms: number
}

export interface JobsRun {
  jobs: number
  maxParallel: number
  /** Median over the repetitions. */
  wallMs: number
  wallRawMs: number[]
  /** Highest over the repetitions. */
  peakRssMB: number
  verdicts: Record<string, number>
  nomadRequests: number
  /** GETs that follow evaluations, deployments and allocations. */
  followGets: number
  /** ... of which carried an index (blocking queries); the others are the first read of each object. */
  blockingGets: number
}

export interface LatencySample {
  /** deployment successful -> action process exit */
  actionMs: number
  /** deployment successful -> a 1 s polling loop sees it */
  pollingMs: number
}

export interface RerunReport {
  firstMs: number
  rerunMs: number
  verdict: string
  nomadWrites: number
  vaultChanges: number
  jobVersionBefore: string
  jobVersionAfter: string
}

export interface BenchReport {
  date: string
  machine: { cpus: number; cpuModel: string; memGB: number; node: string; platform: string; loadBefore: number[]; loadAfter: number[] }
  smoke: boolean
  coldStart: ColdStart
  bundle: BundleReport
  vault: VaultRun[]
  jobs: JobsRun[]
  healthyAfterMs: number
  latency: LatencySample[]
  rerun: RerunReport
}

export const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

const elapsed = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6

/** A preload that writes the process's peak RSS (kB) to $BENCH_RSS_FILE when it exits. */
function rssPreload(dir: string): string {
  const file = path.join(dir, 'rss-preload.cjs')
  fs.writeFileSync(
    file,
    "process.on('exit', () => { if (process.env.BENCH_RSS_FILE) require('fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)) })\n"
  )
  return file
}

function readRssMB(file: string): number {
  const kb = Number(fs.readFileSync(file, 'utf8'))
  fs.rmSync(file, { force: true })
  return kb / 1024
}

// ------------------------------------------------------------------------------------------------ 1. cold start

export function coldStart(opts: { pairs: number; rssRuns: number; anchorsDir: string; tmp: string; nccEntry?: string }): ColdStart {
  const ours = path.join(repoRoot, 'dist/index.js')
  const theirs = path.join(opts.anchorsDir, 'vault-action-v3.4.0/dist/index.js')
  const anchorFound = fs.existsSync(theirs)
  // No inputs and no GITHUB_* variables: both actions stop at their input error before any network call.
  const env = { PATH: process.env.PATH ?? '' }
  const commands: Record<'ours' | 'ncc' | 'theirs' | 'bare', string[]> = {
    ours: [ours],
    ncc: [opts.nccEntry ?? ''],
    theirs: [theirs],
    bare: ['-e', '0']
  }
  const kinds = (['ours', 'ncc', 'theirs', 'bare'] as const).filter((k) => (k !== 'theirs' || anchorFound) && (k !== 'ncc' || opts.nccEntry))
  const once = (k: (typeof kinds)[number], extraEnv: Record<string, string> = {}, pre: string[] = []) => {
    const t = process.hrtime.bigint()
    const r = spawnSync(process.execPath, [...pre, ...commands[k]], { env: { ...env, ...extraEnv }, stdio: 'ignore' })
    const ms = elapsed(t)
    if (k !== 'bare' && r.status !== 1) throw new Error(`${k} cold start: expected exit code 1 (input error), got ${r.status}`)
    return ms
  }
  for (const k of kinds) once(k) // warm the file cache
  const times: Record<string, number[]> = { ours: [], ncc: [], theirs: [], bare: [] }
  for (let i = 0; i < opts.pairs; i++) {
    // Alternate who goes first, so that neither side always runs right after the other.
    const order = i % 2 === 0 ? kinds : [...kinds].reverse()
    for (const k of order) times[k].push(once(k))
  }
  const preload = rssPreload(opts.tmp)
  const rssFile = path.join(opts.tmp, 'rss')
  const rss: Record<string, number[]> = { ours: [], ncc: [], theirs: [], bare: [] }
  for (let i = 0; i < opts.rssRuns; i++) {
    for (const k of kinds) {
      once(k, { BENCH_RSS_FILE: rssFile }, ['-r', preload])
      rss[k].push(readRssMB(rssFile))
    }
  }
  return {
    pairs: opts.pairs,
    oursMs: times.ours,
    theirsMs: times.theirs,
    bareMs: times.bare,
    nccMs: times.ncc,
    ratios: anchorFound ? times.ours.map((t, i) => t / times.theirs[i]) : [],
    nccRatios: times.ncc.map((t, i) => t / times.ours[i]),
    oursRssMB: rss.ours,
    theirsRssMB: rss.theirs,
    bareRssMB: rss.bare,
    nccRssMB: rss.ncc,
    anchorFound
  }
}

// ------------------------------------------------------------------------------------------------ 2. bundle

/** Every file under dir, chunks/ included (paths relative to the folder), sorted. */
function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort()
}

/** Bundles the same sources with @vercel/ncc, as the design card did (ncc type-checks and bundles with webpack). */
export function nccBundle(tmp: string): NccBundle {
  const dir = path.join(tmp, 'ncc')
  const cli = path.join(repoRoot, 'node_modules/@vercel/ncc/dist/ncc/cli.js')
  const t = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [cli, 'build', 'src/index.ts', '-o', dir, '--license', 'licenses.txt', '--quiet'], {
    cwd: repoRoot,
    encoding: 'utf8'
  })
  const buildMs = elapsed(t)
  if (r.status !== 0) throw new Error(`ncc build failed: ${r.stderr}${r.stdout}`)
  const files = listFiles(dir).map((f) => ({ file: f, bytes: fs.statSync(path.join(dir, f)).size }))
  return { dir, files, totalBytes: files.reduce((sum, f) => sum + f.bytes, 0), buildMs }
}

export function bundle(tmp: string, ncc: NccBundle): BundleReport {
  const build = (dir: string, metafile?: string) => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs'), dir, ...(metafile ? [`--metafile=${metafile}`] : [])], {
      cwd: repoRoot,
      encoding: 'utf8'
    })
    if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`)
  }
  const a = path.join(tmp, 'build-a')
  const b = path.join(tmp, 'build-b')
  const meta = path.join(tmp, 'meta.json')
  build(a, meta)
  build(b)
  const list = listFiles
  const same = (x: string, y: string) =>
    JSON.stringify(list(x)) === JSON.stringify(list(y)) &&
    list(x).every((f) => fs.readFileSync(path.join(x, f)).equals(fs.readFileSync(path.join(y, f))))
  const dist = path.join(repoRoot, 'dist')
  const files = list(dist).map((f) => ({ file: `dist/${f}`, bytes: fs.statSync(path.join(dist, f)).size }))
  const metafile = JSON.parse(fs.readFileSync(meta, 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> }
  const byPkg = new Map<string, number>()
  const filesOf = new Map<string, Set<string>>()
  for (const [file, out] of Object.entries(metafile.outputs)) {
    for (const [input, info] of Object.entries(out.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(input)
      const name = m ? m[1] : /^(lazy|absent|builtin):/.test(input) ? '(lazy facades)' : '(our src/)'
      byPkg.set(name, (byPkg.get(name) ?? 0) + info.bytesInOutput)
      if (info.bytesInOutput > 0) filesOf.set(name, (filesOf.get(name) ?? new Set<string>()).add(path.relative(a, path.resolve(repoRoot, file))))
    }
  }
  return {
    files,
    totalBytes: files.reduce((s, f) => s + f.bytes, 0),
    byPackage: [...byPkg]
      .map(([name, bytes]) => ({ name, bytes, files: [...(filesOf.get(name) ?? [])].sort() }))
      .filter((p) => p.bytes > 0)
      .sort((x, y) => y.bytes - x.bytes),
    reproducesDist: same(a, dist),
    deterministic: same(a, b),
    ncc: { files: ncc.files, totalBytes: ncc.totalBytes, buildMs: ncc.buildMs }
  }
}

// ------------------------------------------------------------------------------------------------ 3. Vault rounds

interface Call {
  method: string
  path: string
  start: number
  end: number
}

/** The Vault API with every call's start and end recorded (as the action issues them). */
function recordingApi(api: VaultApi, log: Call[]): VaultApi {
  const record = <T>(method: string, path: string, p: Promise<T>): Promise<T> => {
    const call = { method, path, start: performance.now(), end: 0 }
    log.push(call)
    return p.finally(() => (call.end = performance.now()))
  }
  return {
    addr: api.addr,
    read: (path) => record('GET', path, api.read(path)),
    write: (path, body) => record('POST', path, api.write(path, body)),
    list: (path) => record('LIST', path, api.list(path)),
    remove: (path) => record('DELETE', path, api.remove(path))
  }
}

/**
 * Sequential rounds: the longest chain of requests in which each one was sent only after the one before it had its
 * answer. Requests in flight together count once; this is the number of round trips the run waits for one after
 * another (a request sent while another is still in flight does not hide its own round trip).
 */
export function rounds(log: { start: number; end: number }[]): number {
  return Math.max(0, ...roundOf(log))
}

/** The round of each request of `log` (same order): 1 + the highest round of the requests answered before it was sent. */
export function roundOf(log: { start: number; end: number }[]): number[] {
  const order = log.map((_, i) => i).sort((a, b) => log[a].start - log[b].start)
  const round = log.map(() => 1)
  order.forEach((i, k) => {
    for (const j of order.slice(0, k)) if (log[j].end <= log[i].start) round[i] = Math.max(round[i], round[j] + 1)
  })
  return round
}

/** Each round's requests, e.g. "GET sys/auth ‖ POST auth/x/config". */
function sequence(log: Call[]): string[] {
  const round = roundOf(log)
  return Array.from({ length: rounds(log) }, (_, r) =>
    log
      .filter((_, i) => round[i] === r + 1)
      .map((c) => `${c.method} ${c.path}`)
      .join(' ‖ ')
  )
}

async function vaultRounds(bao: OpenBao, nomadUrl: string): Promise<VaultRun[]> {
  const out: VaultRun[] = []
  const authPath = `jwt-bench-${Date.now().toString(36)}`
  const cfg = parseInputs(
    (n) =>
      (
        ({
          'vault-addr': bao.addr,
          'vault-token': bao.rootToken,
          'nomad-addr': nomadUrl,
          'auth-path': authPath,
          role: 'bench',
          policy: 'bench'
        }) as Record<string, string>
      )[n] ?? ''
  )
  const log: Call[] = []
  const api = recordingApi(createVaultApi(cfg.vault), log)
  const measure = async (label: string) => {
    log.length = 0
    const t = process.hrtime.bigint()
    const res = await reconcileVault(cfg, { api, log: () => {} })
    const ms = elapsed(t)
    const writes = log.filter((r) => r.method !== 'GET' && r.method !== 'LIST').length
    out.push({
      label,
      requests: log.length,
      reads: log.length - writes,
      writes,
      rounds: rounds(log),
      sequence: sequence(log),
      changes: res.changes.length,
      ms
    })
  }
  await measure('fresh setup')
  await measure('no-change re-run')
  // Drift: someone changed one field of the role by hand.
  const role = (await bao.api('GET', `auth/${authPath}/role/bench`)).data
  await bao.api('POST', `auth/${authPath}/role/bench`, { ...role, bound_audiences: ['someone-else'] })
  await measure('drift repair (one role field changed)')
  return out
}

// ------------------------------------------------------------------------------------------------ 4-6. jobs

const JOB_HCL = (id: string) => `job "${id}" {
  type = "service"
  group "app" {
    count = 1
    task "server" {
      driver = "docker"
      config {
        image = "busybox:1.36"
        args  = ["httpd", "-f"]
      }
      resources {
        cpu    = 10
        memory = 16
      }
    }
  }
}
`

function writeJobs(dir: string, prefix: string, n: number): string[] {
  fs.mkdirSync(dir, { recursive: true })
  return Array.from({ length: n }, (_, i) => {
    const file = path.join(dir, `${prefix}-${String(i).padStart(2, '0')}.nomad.hcl`)
    fs.writeFileSync(file, JOB_HCL(`${prefix}-${String(i).padStart(2, '0')}`))
    return file
  })
}

interface Cluster {
  bao: OpenBao
  nomad: NomadDouble
  inputs(extra: Record<string, string>): Record<string, string>
}

async function withNomad<T>(bao: OpenBao, healthyAfterMs: number, fn: (c: Cluster) => Promise<T>): Promise<T> {
  const nomad = await startNomadDouble({
    vaultAddr: bao.addr,
    allocStartMs: 50,
    healthyAfterMs,
    nodes: [{ cpu: 100_000, memoryMB: 100_000 }],
    client: { enabled: true, address: bao.addr, jwt_auth_backend_path: 'jwt-nomad', create_from_role: 'nomad-workloads' }
  })
  try {
    return await fn({
      bao,
      nomad,
      inputs: (extra) => ({
        'vault-addr': bao.addr,
        'vault-token': bao.rootToken,
        'nomad-addr': nomad.url,
        timeout: '5m',
        'allow-outside-workspace': 'true',
        ...extra
      })
    })
  } finally {
    await nomad.close()
  }
}

async function run(inputs: Record<string, string>, tmp: string, preload: string): Promise<{ run: ActionRun; ms: number; rssMB: number }> {
  const rssFile = path.join(tmp, `rss-${process.hrtime.bigint()}`)
  const t = process.hrtime.bigint()
  const r = await runAction(inputs, { env: { NODE_OPTIONS: `-r ${preload}`, BENCH_RSS_FILE: rssFile }, timeoutMs: 600_000 })
  const ms = elapsed(t)
  fs.rmSync(r.tempDir, { recursive: true, force: true })
  return { run: r, ms, rssMB: readRssMB(rssFile) }
}

const FOLLOW_PATH = /^\/v1\/(evaluation|deployment|job\/[^/]+\/(allocations|deployment|evaluations))\b/

async function manyJobs(
  bao: OpenBao,
  tmp: string,
  preload: string,
  sizes: { jobs: number; maxParallel: number }[],
  healthyAfterMs: number,
  reps: number
): Promise<JobsRun[]> {
  // One discarded run first, so that the first measured size does not pay for cold file caches.
  await withNomad(bao, healthyAfterMs, async (c) => {
    const files = writeJobs(path.join(tmp, 'warm-up'), 'warmup', 1)
    await run(c.inputs({ job: files.join('\n') }), tmp, preload)
  })
  const out: JobsRun[] = []
  for (const { jobs, maxParallel } of sizes) {
    const samples: JobsRun[] = []
    for (let rep = 0; rep < reps; rep++) {
      await withNomad(bao, healthyAfterMs, async (c) => {
        const files = writeJobs(path.join(tmp, `jobs-${jobs}-${maxParallel}-${rep}`), `svc${jobs}p${maxParallel}r${rep}`, jobs)
        const r = await run(c.inputs({ job: files.join('\n'), 'max-parallel': String(maxParallel) }), tmp, preload)
        const verdictOut = r.run.outputs.verdict ?? ''
        const verdicts: Record<string, number> = {}
        const values: string[] = jobs === 1 ? [verdictOut] : Object.values(JSON.parse(verdictOut || '{}') as Record<string, string>)
        for (const v of values) verdicts[v] = (verdicts[v] ?? 0) + 1
        const follow = c.nomad.requests.filter((q) => q.method === 'GET' && FOLLOW_PATH.test(q.path))
        samples.push({
          jobs,
          maxParallel,
          wallMs: r.ms,
          wallRawMs: [r.ms],
          peakRssMB: r.rssMB,
          verdicts,
          nomadRequests: c.nomad.requests.length,
          followGets: follow.length,
          blockingGets: follow.filter((q) => Number(q.query.index ?? 0) > 0).length
        })
      })
    }
    // Median wall time; the highest peak RSS; request counts of the last repetition (they do not vary).
    const last = samples[samples.length - 1]
    out.push({
      ...last,
      wallMs: median(samples.map((x) => x.wallMs)),
      wallRawMs: samples.map((x) => x.wallMs),
      peakRssMB: Math.max(...samples.map((x) => x.peakRssMB))
    })
  }
  return out
}

async function verdictLatency(bao: OpenBao, tmp: string, samples: number, healthyAfterMs: number): Promise<LatencySample[]> {
  const out: LatencySample[] = []
  for (let i = 0; i < samples; i++) {
    await withNomad(bao, healthyAfterMs, async (c) => {
      const id = `latency-${i}`
      const [file] = writeJobs(path.join(tmp, id), id, 1)
      const jobId = `${id}-00`
      let doneAt = 0
      let polledAt = 0
      const successful = () => c.nomad.deployments(jobId).some((d) => d.Status === 'successful')
      const watch = c.nomad.waitFor(successful, 120_000).then(() => (doneAt = performance.now()))
      // A 1 s polling loop, as a follower without blocking queries would do.
      let stop = false
      const poll = (async () => {
        while (!stop) {
          await new Promise((r) => setTimeout(r, 1000))
          const res = await fetch(`${c.nomad.url}/v1/job/${jobId}/deployment`)
          const d = (await res.json().catch(() => null)) as { Status?: string } | null
          if (d?.Status === 'successful') {
            polledAt = performance.now()
            return
          }
        }
      })()
      const child = runAction(c.inputs({ job: file }), { timeoutMs: 120_000 })
      const r = await child
      const exitAt = performance.now()
      if (r.outputs.verdict !== 'healthy') {
        stop = true
        watch.catch(() => {})
        poll.catch(() => {})
        throw new Error(`latency run: verdict ${r.outputs.verdict}, exit ${r.code}\n${r.stdout}\n${r.stderr}`)
      }
      await watch
      await poll
      stop = true
      fs.rmSync(r.tempDir, { recursive: true, force: true })
      out.push({ actionMs: exitAt - doneAt, pollingMs: polledAt - doneAt })
    })
  }
  return out
}

async function rerun(bao: OpenBao, tmp: string, preload: string, healthyAfterMs: number): Promise<RerunReport> {
  return withNomad(bao, healthyAfterMs, async (c) => {
    const [file] = writeJobs(path.join(tmp, 'rerun'), 'rerun', 1)
    const first = await run(c.inputs({ job: file }), tmp, preload)
    const before = c.nomad.requests.length
    const again = await run(c.inputs({ job: file }), tmp, preload)
    const writes = c.nomad.requests.slice(before).filter((q) => q.method !== 'GET' && q.path !== '/v1/jobs/parse' && !q.path.endsWith('/plan'))
    return {
      firstMs: first.ms,
      rerunMs: again.ms,
      verdict: again.run.outputs.verdict ?? '',
      nomadWrites: writes.length,
      vaultChanges: (JSON.parse(again.run.outputs.changes || '[]') as unknown[]).length,
      jobVersionBefore: first.run.outputs['job-version'] ?? '',
      jobVersionAfter: again.run.outputs['job-version'] ?? ''
    }
  })
}

// ------------------------------------------------------------------------------------------------ all

export async function runBench(opts: BenchOptions = {}): Promise<BenchReport> {
  const log = opts.log ?? (() => {})
  const smoke = opts.smoke === true
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-bench-'))
  const anchorsDir = opts.anchorsDir ?? process.env.BENCH_ANCHORS ?? path.resolve(repoRoot, '../shared/anchors')
  const loadBefore = os.loadavg()
  try {
    log('ncc bundle of the same sources')
    const ncc = nccBundle(tmp)
    log('cold start')
    const cold = coldStart({ pairs: smoke ? 2 : 25, rssRuns: smoke ? 1 : 5, anchorsDir, tmp, nccEntry: path.join(ncc.dir, 'index.js') })
    log('bundle')
    const bundleReport = bundle(tmp, ncc)
    const preload = rssPreload(tmp)
    const healthyAfterMs = smoke ? 100 : 1000
    const bao = await startOpenBao()
    try {
      log('Vault round trips')
      const vault = await withNomad(bao, healthyAfterMs, (c) => vaultRounds(bao, c.nomad.url))
      // The jobs below use the default auth path and role: set them up once, so every measured run is a no-change
      // Vault run and the figures are about the jobs.
      await withNomad(bao, healthyAfterMs, async (c) => {
        const r = await runAction(c.inputs({}))
        if (r.code !== 0) throw new Error(`Vault setup for the job benchmarks failed:\n${r.stdout}`)
        fs.rmSync(r.tempDir, { recursive: true, force: true })
      })
      log('many jobs')
      const sizes = smoke
        ? [
            { jobs: 1, maxParallel: 4 },
            { jobs: 3, maxParallel: 4 }
          ]
        : [
            { jobs: 1, maxParallel: 4 },
            { jobs: 10, maxParallel: 10 },
            { jobs: 10, maxParallel: 4 },
            { jobs: 50, maxParallel: 50 },
            { jobs: 50, maxParallel: 4 }
          ]
      const jobs = await manyJobs(bao, tmp, preload, sizes, healthyAfterMs, smoke ? 1 : 3)
      log('verdict latency')
      const latency = await verdictLatency(bao, tmp, smoke ? 1 : 5, smoke ? 300 : 1000)
      log('no-change re-run')
      const rerunReport = await rerun(bao, tmp, preload, healthyAfterMs)
      return {
        date: new Date().toISOString(),
        machine: {
          cpus: os.cpus().length,
          cpuModel: os.cpus()[0]?.model ?? 'unknown',
          memGB: Math.round(os.totalmem() / 2 ** 30),
          node: process.version,
          platform: `${os.platform()} ${os.release()}`,
          loadBefore,
          loadAfter: os.loadavg()
        },
        smoke,
        coldStart: cold,
        bundle: bundleReport,
        vault,
        jobs,
        healthyAfterMs,
        latency,
        rerun: rerunReport
      }
    } finally {
      await bao.stop()
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}
