/**
 * Contract test: the action runs end to end (dist/index.js) against the Nomad test double with its request log on;
 * then tools/nomad-contract (Go, github.com/hashicorp/nomad/api) starts a fresh double, replays that log and
 * strict-decodes every request body the action sent and every response, logged and replayed, into Nomad's own
 * API structs. Any unknown or mistyped field fails (see the allow-list in tools/nomad-contract/main.go).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, expect, it } from '@jest/globals'
import { startNomadDouble } from '../test-support/nomad-double/server.js'
import { startOpenBao, type OpenBao } from '../test-support/openbao.js'
import { repoRoot, runAction } from '../test-support/run-action.js'

const FIX = '__tests__/fixtures/jobs'
let bao: OpenBao
let dir: string

/** Go from PATH, else the toolchain's usual place (GO overrides both). */
function goBinary(): string {
  if (process.env.GO) return process.env.GO
  const found = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).stdout.trim()
  return found || '/usr/local/go/bin/go'
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nomad-contract-'))
  bao = await startOpenBao()
  for (const [job, data] of [
    ['web', { password: 'web-password' }],
    ['report', { api_key: 'report-key' }],
    ['api', { password: 'api-password' }]
  ] as const)
    await bao.api('POST', `secret/data/default/${job}/config`, { data })
})

afterAll(async () => {
  await bao?.stop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

it("the double answers, and the action sends, JSON that Nomad's Go API types decode strictly", async () => {
  const log = path.join(dir, 'requests.jsonl')
  const nomad = await startNomadDouble({
    vaultAddr: bao.addr,
    acl: { enabled: true },
    client: { enabled: true, address: bao.addr, jwt_auth_backend_path: 'jwt-nomad', create_from_role: 'nomad-workloads' },
    requestLog: log
  })
  // The replayed double listens on the same port with the same agent vault block, so the Vault JWT auth the action
  // configured (jwks_url = nomad-addr + /.well-known/jwks.json) accepts its workload identities: the replayed
  // allocations turn healthy like the logged ones, and every replayed GET catches up with the log at once.
  const port = new URL(nomad.url).port
  try {
    const inputs = (extra: Record<string, string>) => ({
      'vault-addr': bao.addr,
      'vault-token': bao.rootToken,
      'nomad-addr': nomad.url,
      'nomad-token': nomad.managementToken,
      timeout: '1m',
      ...extra
    })
    // a deploy, an update, canaries awaiting and auto-promoted, a batch job, a periodic job, a dry run
    expect((await runAction(inputs({ job: 'examples/web.nomad.hcl', variables: 'image_tag=2.0.0' }))).outputs.verdict).toBe('healthy')
    expect((await runAction(inputs({ job: 'examples/web.nomad.hcl', variables: 'image_tag=2.0.1' }))).code).toBe(0)
    expect((await runAction(inputs({ job: `${FIX}/canary.nomad.hcl`, variables: 'release=v1' }))).code).toBe(0)
    expect((await runAction(inputs({ job: `${FIX}/canary.nomad.hcl`, variables: 'release=v2' }))).outputs.verdict).toBe('awaiting-promotion')
    expect((await runAction(inputs({ job: `${FIX}/canary.nomad.hcl`, variables: 'release=v3', 'auto-promote': 'true' }))).code).toBe(0)
    expect((await runAction(inputs({ job: `${FIX}/batch.nomad.hcl\n${FIX}/periodic.nomad.hcl`, 'inject-vault': 'missing' }))).code).toBe(0)
    expect((await runAction(inputs({ job: 'examples/web.nomad.hcl', 'dry-run': 'true' }))).code).toBe(0)
  } finally {
    await nomad.close()
  }
  expect(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length).toBeGreaterThan(20)

  execFileSync('npx', ['tsc', '-p', 'tsconfig.support.json'], { cwd: repoRoot, stdio: 'pipe' })
  const go = spawnSync(
    goBinary(),
    [
      'run',
      '.',
      '-log',
      log,
      '--',
      process.execPath,
      path.join(repoRoot, '.build/test-support/nomad-double/cli.js'),
      ...['--vault-addr', bao.addr, '--port', port, '--acl', '--jwt-auth-backend-path', 'jwt-nomad', '--create-from-role', 'nomad-workloads']
    ],
    { cwd: path.join(repoRoot, 'tools/nomad-contract'), encoding: 'utf8', timeout: 240_000, env: { ...process.env, GOFLAGS: '-mod=readonly' } }
  )
  const out = `${go.stdout}\n${go.stderr}`
  if (go.status !== 0 || process.env.NOMAD_CONTRACT_VERBOSE) console.error(out)
  expect(go.error).toBeUndefined()
  expect(out).toMatch(/strict-decoded [1-9]\d* request bodies, [1-9]\d* logged responses, [1-9]\d* replayed responses/)
  expect(out).not.toMatch(/^FAIL /m)
  expect(go.status).toBe(0)
}, 300_000)
