/**
 * Renders a BenchReport as BENCHMARKS.md. Blocks between `<!-- keep:NAME -->` and `<!-- /keep:NAME -->` in the
 * previous file (for example the fault-suite figures another tool writes) are carried over unchanged.
 */
import { median, type BenchReport } from './bench.js'

/** Why each bundled package stays (shown in the size table). */
const WHY: Record<string, string> = {
  '(our src/)': 'the action itself',
  '(lazy facades)':
    "the yaml facade (loads yaml on first use), the stubs for axios, core.getIDToken's http-client and @actions/github's own http-client and undici fetch, and the shims that load Node's built-ins with require() (scripts/build.mjs)",
  yaml: 'parses the bound-claims and roles inputs (YAML or JSON); behind a facade, evaluated only when one of them is set',
  'node-vault': 'the Vault client (src/vault/vault-client.ts); its own chunk, loaded with import() on the first Vault request',
  tv4: 'node-vault validates requests with it (node-vault chunk)',
  mustache: 'node-vault renders its command paths with it (node-vault chunk)',
  debug: 'node-vault logs through it, turned off by the action (node-vault chunk)',
  ms: 'debug (node-vault chunk)',
  'supports-color': 'debug (node-vault chunk)',
  'has-flag': 'debug → supports-color (node-vault chunk)',
  '@actions/core': 'inputs, outputs, annotations, summary, masking',
  '@actions/http-client': "src/transport uses its proxy rules (lib/proxy's getProxyUrl), as the runner's tools read HTTPS_PROXY/NO_PROXY",
  '@actions/exec': 'imported by @actions/core (platform details); tree-shaken to a few bytes',
  '@actions/glob': "expands the job input's glob patterns; its own chunk, loaded with import() when the job input has a pattern",
  '@actions/io': '@actions/core → @actions/exec, and @actions/glob',
  minimatch: '@actions/glob',
  'brace-expansion': '@actions/glob → minimatch',
  'balanced-match': '@actions/glob → minimatch',
  jose: 'JWKS to PEM conversion for key-source static (tree-shaken to the functions used)',
  '@actions/github':
    "pr-comment and deployment-environment: octokit and github.context (src/github/rest.ts); octokit's chunk is loaded with import() only when one of them is set, with the transport as its fetch",
  '@octokit/plugin-rest-endpoint-methods': "@actions/github: octokit.rest's endpoint table (octokit chunk)",
  '@octokit/plugin-paginate-rest': '@actions/github: octokit.paginate, for the pull request comments (octokit chunk)',
  '@octokit/core': '@actions/github (octokit chunk)',
  '@octokit/request': '@actions/github → @octokit/core: builds each request, sent through our fetch (octokit chunk)',
  '@octokit/endpoint': '@actions/github → @octokit/request: URL templates and defaults (octokit chunk)',
  '@octokit/request-error': '@actions/github → @octokit/request: its error, mapped to our HttpError (octokit chunk)',
  '@octokit/graphql': '@actions/github → @octokit/core; not called (octokit chunk)',
  '@octokit/auth-token': '@actions/github → @octokit/core: the Authorization header (octokit chunk)',
  'before-after-hook': '@actions/github → @octokit/core: request hooks (octokit chunk)',
  'universal-user-agent': '@actions/github → @octokit/core: the User-Agent (octokit chunk)',
  'content-type': '@actions/github → @octokit/request: parses the answer type (octokit chunk)',
  'json-with-bigint': '@actions/github → @octokit/request: parses JSON answers (octokit chunk)'
}

const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : 'n/a')
const mb = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} MB` : 'n/a')
const kB = (x: number) => `${(x / 1000).toFixed(1)} kB`
const list = (xs: number[], digits = 0) => xs.map((x) => x.toFixed(digits)).join(', ')
const yes = (ok: boolean) => (ok ? 'met' : '**not met**')

export function keptBlocks(previous: string): string[] {
  return [...previous.matchAll(/^<!-- keep:([a-z0-9-]+) -->$[\s\S]*?^<!-- \/keep:\1 -->$/gm)].map((m) => m[0])
}

export function renderMarkdown(r: BenchReport, kept: string[] = []): string {
  const c = r.coldStart
  const oursMed = median(c.oursMs)
  const theirsMed = median(c.theirsMs)
  const bareMed = median(c.bareMs)
  const ratio = median(c.ratios)
  const aboveBare = median(c.oursMs.map((t, i) => t - c.bareMs[i]))
  const theirsAboveBare = median(c.theirsMs.map((t, i) => t - c.bareMs[i]))
  const nccAboveBare = median(c.nccMs.map((t, i) => t - c.bareMs[i]))
  const nccRatio = median(c.nccRatios)
  const ncc = r.bundle.ncc
  const job = (jobs: number, maxParallel: number) => r.jobs.find((j) => j.jobs === jobs && j.maxParallel === maxParallel)
  const one = job(1, 4)
  const ten = job(10, 10)
  const fifty = r.jobs.filter((j) => j.jobs === 50)
  const fresh = r.vault.find((v) => v.label.startsWith('fresh'))
  const same = r.vault.find((v) => v.label.startsWith('no-change'))
  const drift = r.vault.find((v) => v.label.startsWith('drift'))
  const actionLatency = median(r.latency.map((l) => l.actionMs))
  const pollLatency = median(r.latency.map((l) => l.pollingMs))
  const out: string[] = []
  const p = (...lines: string[]) => out.push(...lines)

  p('# Benchmarks', '')
  p(
    `Written by \`npm run bench\` (bench/run.ts → bench/bench.ts) from **one run** on ${r.date}${r.smoke ? ' (SMOKE RUN: 1-2 iterations, not a measurement)' : ''}.`,
    'Every figure below comes from that run. Performance is tracked here and never asserted by timed tests; CI runs',
    'only a smoke of this harness (__tests__/bench-smoke.test.ts: 1-2 iterations, asserts that numbers came out).',
    'Other tools may add their own figures in a block between `<!-- keep:NAME -->` and `<!-- /keep:NAME -->`: `npm run bench`',
    'carries such blocks over unchanged, at the end of the file.',
    ''
  )
  p('## Machine', '')
  p(`${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memGB} GB, ${r.machine.platform}, Node ${r.machine.node}.`)
  p(
    `Load average (1/5/15 min) before: ${list(r.machine.loadBefore, 2)}; after: ${list(r.machine.loadAfter, 2)}. The machine is shared, so compare`,
    'ratios from the same run, never absolute times from different runs.',
    ''
  )

  p('## Targets', '', '| Target | Measured | |', '|---|---|---|')
  p(
    `| cold start at most vault-action v3.4.0's (median of per-pair ratios, ${c.pairs} pairs) | ${c.anchorFound ? `${ratio.toFixed(2)}×` : 'anchor not found'} | ${c.anchorFound ? yes(ratio <= 1) : 'n/a'} |`
  )
  p(`| dist/ at most 1.0 MB | ${kB(r.bundle.totalBytes)} | ${yes(r.bundle.totalBytes <= 1_000_000)} |`)
  if (one && ten)
    p(
      `| 10 jobs at most 1.5× the wall time of 1 job (max-parallel 10) | ${(ten.wallMs / one.wallMs).toFixed(2)}× | ${yes(ten.wallMs <= 1.5 * one.wallMs)} |`
    )
  for (const f of fifty) p(`| 50 jobs: peak RSS under 150 MB (max-parallel ${f.maxParallel}) | ${mb(f.peakRssMB)} | ${yes(f.peakRssMB < 150)} |`)
  if (fresh)
    p(`| fresh Vault setup in at most 5 sequential rounds (the last reads everything back) | ${fresh.rounds} rounds | ${yes(fresh.rounds <= 5)} |`)
  if (same)
    p(`| no-change Vault run: 1 round, 0 writes | ${same.rounds} round(s), ${same.writes} writes | ${yes(same.rounds === 1 && same.writes === 0)} |`)
  if (drift) p(`| drift repair: only the writes the drift needs (one role field → 1 write) | ${drift.writes} write(s) | ${yes(drift.writes === 1)} |`)
  p(
    `| verdict latency under 100 ms (median of ${r.latency.length}) | ${ms(actionLatency)} (1 s polling: ${ms(pollLatency)}) | ${yes(actionLatency < 100)} |`
  )
  p(
    `| no-change re-run registers nothing and says so | verdict \`${r.rerun.verdict}\`, ${r.rerun.nomadWrites} Nomad writes | ${yes(r.rerun.verdict === 'unchanged' && r.rerun.nomadWrites === 0)} |`
  )
  p('')

  p('## 1. Cold start', '')
  p(
    'Method: `node <bundle>` with only PATH set, so both actions stop at their input error before any network call. One',
    `warm-up run each, then ${c.pairs} rounds of ours, the same sources bundled with ncc (section 2), vault-action v3.4.0 (the`,
    'unmodified release bundle, ../shared/anchors) and bare `node -e 0`, alternating the order every round. Time = spawn to',
    'exit, measured by the parent. Peak RSS: separate runs with a preload that records `process.resourceUsage().maxRSS` at exit.',
    ''
  )
  p('| | median | above bare node | peak RSS (median) |', '|---|---|---|---|')
  p(`| ours: \`node dist/index.js\` | ${ms(oursMed)} | ${ms(aboveBare)} | ${mb(median(c.oursRssMB))} |`)
  if (c.nccMs.length > 0) p(`| the same sources bundled with ncc | ${ms(median(c.nccMs))} | ${ms(nccAboveBare)} | ${mb(median(c.nccRssMB))} |`)
  if (c.anchorFound) p(`| vault-action v3.4.0 \`dist/index.js\` | ${ms(theirsMed)} | ${ms(theirsAboveBare)} | ${mb(median(c.theirsRssMB))} |`)
  p(`| \`node -e 0\` | ${ms(bareMed)} | | ${mb(median(c.bareRssMB))} |`, '')
  if (c.anchorFound) p(`Median of the per-pair ratios ours / vault-action: **${ratio.toFixed(2)}×**.`, '')
  if (c.nccMs.length > 0) p(`Median of the per-pair ratios ncc bundle / ours: **${nccRatio.toFixed(2)}×** (the bundler comparison: section 2).`, '')
  p('Raw figures (ms, in run order):', '')
  p(`- ours: ${list(c.oursMs)}`)
  if (c.anchorFound) p(`- vault-action: ${list(c.theirsMs)}`, `- ratios: ${list(c.ratios, 2)}`)
  if (c.nccMs.length > 0) p(`- ncc bundle: ${list(c.nccMs)}`, `- ratios ncc / ours: ${list(c.nccRatios, 2)}`)
  p(`- bare node: ${list(c.bareMs)}`)
  p(
    `- peak RSS (MB): ours ${list(c.oursRssMB, 1)}; ncc ${list(c.nccRssMB, 1)}; vault-action ${list(c.theirsRssMB, 1)}; bare ${list(c.bareRssMB, 1)}`,
    ''
  )
  p(
    'What made it fast (before: about 1.76× vault-action, with a 2.47 MB ncc bundle):',
    '- `@actions/github` was imported for seven GITHUB_* values; src/github/context.ts reads them from the environment, and',
    '  octokit is loaded with import() only by a run with pr-comment or deployment-environment (its own chunk).',
    '- scripts/build.mjs bundles with esbuild (minified, tree-shaken, deterministic) instead of ncc, with code splitting:',
    '  what the source loads with import() is a chunk in dist/chunks/ that Node reads and compiles only when it is',
    '  imported (the main step, node-vault with tv4/mustache/debug on the first Vault request, @actions/glob for a job',
    '  pattern). A run that stops at its inputs compiles about 350 kB instead of 1 MB.',
    "- Node's built-ins are loaded with require(), also where ESM code imports them: an ESM `import` of node:http makes Node",
    "  build its ESM facade, which reads every export, and the WebSocket/EventSource getters of node:http load Node's",
    '  internal undici: about 35 ms of every start (found with `node --cpu-prof`).',
    '- yaml sits behind a facade that requires it on first use: an import of a CommonJS package runs its whole top level',
    '  (schemas, tags) when the importing chunk loads, about 10% of a run that stops at its inputs.',
    '- The GitHub OIDC token is fetched through our transport (src/auth/github-oidc.ts, the request core.getIDToken sends),',
    "  so @actions/core's getIDToken and its @actions/http-client with undici (430 kB) are not in the bundle.",
    '- octokit (pr-comment, deployment-environment) is given our transport as its fetch (src/github/rest.ts), so the',
    "  build replaces @actions/github's own @actions/http-client and undici with stubs: octokit's chunk is about 110 kB;",
    '  with its HTTP stack it was 558 kB, and dist/ 1.07 MB (over the 1.0 MB target). It is loaded with import() only',
    '  by a run with pr-comment or deployment-environment (__tests__/lazy-octokit.test.ts).',
    '- axios is not in the bundle: node-vault requires it at its top but calls it only when it is not given a',
    '  `request-promise`, and src/vault/vault-client.ts always gives it our transport. The build replaces axios with a stub that',
    '  throws if it is ever called (with it go form-data, mime-db, follow-redirects and two proxy agents, about 250 kB',
    '  minified); the end-to-end tests run the bundle against a real OpenBao, so a call through axios would fail them.',
    "- No V8 code cache (ncc's `--v8-cache`): a runner starts each job fresh, ncc writes no code cache for an ESM bundle,",
    '  and a code cache is tied to the exact Node build, so it would be rejected on runners with another Node 24 release.',
    ''
  )

  p('## 2. Bundle', '')
  if (c.nccMs.length > 0) {
    p(
      'The bundler, measured: the same sources (src/index.ts, same lockfile) bundled by the shipped build (scripts/build.mjs,',
      `esbuild) and by \`ncc build src/index.ts --license licenses.txt\` (@vercel/ncc, the design card's bundler; built in ${ms(ncc.buildMs)}),`,
      'in the same run; cold start from the pairs of section 1.',
      ''
    )
    p('| | esbuild (dist/) | ncc | ncc / esbuild |', '|---|---|---|---|')
    p(
      `| cold start (median; ratio: median of per-pair ratios) | ${ms(oursMed)} | ${ms(median(c.nccMs))} | **${nccRatio.toFixed(2)}×** |`,
      `| cold start above bare node | ${ms(aboveBare)} | ${ms(nccAboveBare)} | ${(nccAboveBare / aboveBare).toFixed(2)}× |`,
      `| peak RSS | ${mb(median(c.oursRssMB))} | ${mb(median(c.nccRssMB))} | ${(median(c.nccRssMB) / median(c.oursRssMB)).toFixed(2)}× |`,
      `| size of all files | ${kB(r.bundle.totalBytes)} | ${kB(ncc.totalBytes)} | **${(ncc.totalBytes / r.bundle.totalBytes).toFixed(2)}×** |`,
      `| files | ${r.bundle.files.length} | ${ncc.files.length} | |`,
      ''
    )
    p(`ncc's files: ${ncc.files.map((f) => `${f.file} (${kB(f.bytes)})`).join(', ')}.`, '')
  }
  p(`dist/ holds ${r.bundle.files.map((f) => `${f.file} (${kB(f.bytes)})`).join(', ')}: **${kB(r.bundle.totalBytes)}** in all.`)
  p(
    `A fresh build reproduces the committed dist/ byte for byte: ${r.bundle.reproducesDist ? 'yes' : '**no**'}; two fresh builds are identical: ${r.bundle.deterministic ? 'yes' : '**no**'}.`,
    ''
  )
  p("Bytes in dist/ by package (minified, from esbuild's metafile), the files that hold them, and why each stays:", '')
  p('| package | bytes | in | why it is there |', '|---|---|---|---|')
  for (const pkg of r.bundle.byPackage)
    p(`| ${pkg.name} | ${pkg.bytes} | ${pkg.files.join(', ')} | ${WHY[pkg.name] ?? '(no reason recorded: check whether it is needed)'} |`)
  p('')

  p('## 3. Vault round trips', '')
  p(
    'Method: `reconcileVault` against a real OpenBao, each call of its Vault API recorded (start, end). Rounds = the longest',
    'chain of requests in which each was sent only after the one before it had its answer: the round trips the run waits',
    'for one after another (requests in flight together count once). Drift: one field of the role (bound_audiences)',
    'changed by hand.',
    ''
  )
  p('| run | rounds | requests | reads | writes | changes | time |', '|---|---|---|---|---|---|---|')
  for (const v of r.vault) p(`| ${v.label} | ${v.rounds} | ${v.requests} | ${v.reads} | ${v.writes} | ${v.changes} | ${ms(v.ms)} |`)
  p('', 'The requests of each round (‖ = in flight together):', '')
  for (const v of r.vault) {
    p(`- ${v.label}:`)
    v.sequence.forEach((s, i) => p(`  ${i + 1}. ${s}`))
  }
  p(
    '',
    "A fresh setup writes the config and the role together with the read of the new mount's accessor, then the policy (it",
    'names the accessor), then reads everything back, the policy included (a fifth round: a policy write that did not',
    'stick is found there). An update keeps the order that protects a working setup: config, a new policy, the role, a live policy.'
  )
  p('', 'In a whole run, main.ts starts these reads while the job files are parsed (both are reads; nothing is written before both are done).', '')

  p('## 4. Many jobs', '')
  p(
    `Method: \`dist/index.js\` as the runner runs it, against OpenBao (no-change) and the Nomad test double, whose allocations`,
    `start after 50 ms and turn healthy ${r.healthyAfterMs} ms later (equal deployment times). N identical service jobs in N files. Wall time = spawn to`,
    'exit; each size runs 3 times after one discarded warm-up run. Follow GETs = evaluation, deployment and allocation',
    'reads; blocking = sent with the previous X-Nomad-Index, so the server holds it until something changes; the others',
    'are the first read of each object. A polling loop would show non-blocking reads growing with the deployment time.',
    ''
  )
  p(
    '| jobs | max-parallel | wall time (median) | × 1 job | raw (ms) | peak RSS (max) | verdicts | Nomad requests | per job | follow GETs | blocking | non-blocking per job |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|'
  )
  for (const j of r.jobs) {
    p(
      `| ${j.jobs} | ${j.maxParallel} | ${ms(j.wallMs)} | ${one ? (j.wallMs / one.wallMs).toFixed(2) : ''} | ${list(j.wallRawMs)} | ${mb(j.peakRssMB)} | ${Object.entries(
        j.verdicts
      )
        .map(([k, v]) => `${v} ${k}`)
        .join(
          ', '
        )} | ${j.nomadRequests} | ${(j.nomadRequests / j.jobs).toFixed(1)} | ${j.followGets} | ${j.blockingGets} | ${((j.followGets - j.blockingGets) / j.jobs).toFixed(1)} |`
    )
  }
  p(
    '',
    'With max-parallel 4 (the default), N jobs take about ceil(N/4) deployment times; the 1.5× target holds when',
    'max-parallel is at least the number of jobs. Requests per job stay flat as N grows (linear in N).',
    ''
  )

  p('## 5. Verdict latency', '')
  p(
    'Method: the double marks the deployment successful (observed in-process with its state-change hook) → the action',
    'process exits (observed by the parent). Alongside, a loop in the bench polls the same deployment every 1 s without',
    'blocking queries, as a follower that sleeps between reads would.',
    ''
  )
  p('| | median | raw |', '|---|---|---|')
  p(`| action (blocking queries) | ${ms(actionLatency)} | ${list(r.latency.map((l) => l.actionMs))} |`)
  p(`| 1 s polling loop | ${ms(pollLatency)} | ${list(r.latency.map((l) => l.pollingMs))} |`, '')
  p('A 1 s poll sees a change on average 500 ms late (uniform between 0 and 1000 ms), before any work after it.', '')

  p('## 6. No-change re-run', '')
  p(
    `The same commit run twice: first run ${ms(r.rerun.firstMs)}, re-run **${ms(r.rerun.rerunMs)}** with verdict \`${r.rerun.verdict}\`,`,
    `${r.rerun.nomadWrites} Nomad writes, ${r.rerun.vaultChanges} Vault changes, job version ${r.rerun.jobVersionBefore} → ${r.rerun.jobVersionAfter}.`,
    'Job.Meta holds only keys that are stable for one commit (github_sha, github_ref, github_repository, github_workflow), so the',
    'plan shows no difference and nothing is registered; run ID, URL, attempt and actor go to the summary and the `release` output.',
    ''
  )
  if (kept.length > 0) p(...kept.flatMap((k) => [k, '']))
  return out.join('\n').replace(/\n+$/, '\n')
}
