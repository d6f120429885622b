/**
 * Benchmarks (results go to BENCHMARKS.md; nothing here is a pass/fail test):
 * 1. cold start of the bundled action (node dist/index.js up to its first decision, no network);
 * 2. Vault round trips and wall time of reconcile: a fresh setup and a no-change re-run, against a real OpenBao;
 * 3. a whole run of dist/index.js (Vault + deploy to a verdict) against OpenBao and the Nomad test double,
 *    with the number of Nomad requests, split into blocking and other.
 * Run: npm run bench
 */
import { spawnSync } from 'node:child_process'
import * as path from 'node:path'
import { parseInputs } from '../src/inputs.js'
import { reconcileVault } from '../src/vault/reconcile.js'
import { startNomadDouble } from '../test-support/nomad-double/server.js'
import { startOpenBao } from '../test-support/openbao.js'
import { repoRoot } from '../test-support/paths.js'
import { runAction } from '../test-support/run-action.js'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rows: string[] = []

// 1. cold start
{
  const times: number[] = []
  for (let i = 0; i < 11; i++) {
    const t = process.hrtime.bigint()
    spawnSync(process.execPath, [path.join(repoRoot, 'dist/index.js')], { env: { PATH: process.env.PATH, 'INPUT_VAULT-ADDR': 'x' } })
    times.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  const base: number[] = []
  for (let i = 0; i < 11; i++) {
    const t = process.hrtime.bigint()
    spawnSync(process.execPath, ['-e', '0'])
    base.push(Number(process.hrtime.bigint() - t) / 1e6)
  }
  rows.push(
    `| cold start: \`node dist/index.js\` to its input error (median of 11) | ${median(times).toFixed(0)} ms | \`node -e 0\`: ${median(base).toFixed(0)} ms |`
  )
}

const bao = await startOpenBao()
try {
  // 2. reconcile round trips
  const nomadStub = await startNomadDouble({ vaultAddr: bao.addr })
  const cfg = parseInputs(
    (n) => (({ 'vault-addr': bao.addr, 'vault-token': bao.rootToken, 'nomad-addr': nomadStub.url }) as Record<string, string>)[n] ?? ''
  )
  for (const label of ['fresh setup', 'no-change re-run']) {
    const reqs: string[] = []
    const t = process.hrtime.bigint()
    const res = await reconcileVault(cfg, { onRequest: (e) => reqs.push(`${e.method} ${e.path}`), log: () => {} })
    const ms = Number(process.hrtime.bigint() - t) / 1e6
    const writes = reqs.filter((r) => !r.startsWith('GET')).length
    rows.push(
      `| Vault reconcile, ${label} | ${ms.toFixed(0)} ms | ${reqs.length} requests (${reqs.length - writes} reads, ${writes} writes), ${res.changes.length} changes |`
    )
  }
  await nomadStub.close()

  // 3. a whole run of the bundled action
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'bench' } })
  const nomad = await startNomadDouble({
    vaultAddr: bao.addr,
    client: { enabled: true, address: bao.addr, jwt_auth_backend_path: 'jwt-nomad', create_from_role: 'nomad-workloads' }
  })
  try {
    const t = process.hrtime.bigint()
    const run = await runAction({ 'vault-addr': bao.addr, 'vault-token': bao.rootToken, 'nomad-addr': nomad.url, job: 'examples/web.nomad.hcl' })
    const ms = Number(process.hrtime.bigint() - t) / 1e6
    const blocking = nomad.requests.filter((r) => r.query.index !== undefined).length
    rows.push(
      `| \`dist/index.js\`: Vault no-change + deploy examples/web.nomad.hcl to \`${run.outputs.verdict}\` | ${ms.toFixed(0)} ms | ${nomad.requests.length} Nomad requests (${blocking} blocking queries) |`
    )
  } finally {
    await nomad.close()
  }
} finally {
  await bao.stop()
}

console.log('| What | Time | Notes |\n|---|---|---|\n' + rows.join('\n'))
