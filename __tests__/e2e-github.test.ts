/**
 * The GitHub-side features on dist/index.js: the plan as one pull-request comment updated in place, the drift check
 * (fail-on-drift), and the deployment record; GitHub's REST API is a local stand-in (test-support/github-api.ts).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { startGitHubApi, type GitHubApi } from '../test-support/github-api.js'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import { startE2eCluster } from '../test-support/e2e-cluster.js'
import { startOpenBao, type OpenBao } from '../test-support/openbao.js'
import { runAction } from '../test-support/run-action.js'

let bao: OpenBao
let api: GitHubApi
let nomad: NomadDouble | undefined
let eventDir: string

beforeAll(async () => {
  ;[bao, api] = await Promise.all([startOpenBao(), startGitHubApi()])
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-password' } })
  eventDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-event-'))
})
afterAll(async () => {
  await Promise.all([bao?.stop(), api?.close()])
  fs.rmSync(eventDir, { recursive: true, force: true })
})
afterEach(async () => {
  await nomad?.close()
  nomad = undefined
})

async function cluster(): Promise<NomadDouble> {
  nomad = await startE2eCluster(bao.addr)
  return nomad
}

function inputs(n: NomadDouble, extra: Record<string, string> = {}): Record<string, string> {
  return { 'vault-addr': bao.addr, 'vault-token': bao.rootToken, 'nomad-addr': n.url, 'nomad-token': n.managementToken, timeout: '1m', ...extra }
}

function pullRequestEnv(number: number): Record<string, string> {
  const file = path.join(eventDir, `pr-${number}.json`)
  fs.writeFileSync(file, JSON.stringify({ number, pull_request: { number, head: { ref: 'feature' } } }))
  return {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: file,
    GITHUB_API_URL: api.url,
    GITHUB_JOB: 'plan',
    GITHUB_REF: `refs/pull/${number}/merge`
  }
}

describe('pr-comment', () => {
  it('writes the plan into one comment and updates it in place on the next push', async () => {
    const n = await cluster()
    const env = pullRequestEnv(7)
    const first = await runAction(inputs(n, { job: 'examples/web.nomad.hcl', 'dry-run': 'true', 'pr-comment': 'true', 'github-token': api.token }), {
      env
    })
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('pr-comment: wrote the plan comment on pull request #7.')
    expect(api.comments).toHaveLength(1)
    const id = api.comments[0].id
    expect(api.comments[0].body).toMatch(/^<!-- nomad-vault-action plan: release \/ plan \/ examples\/web.nomad.hcl -->\n/)
    expect(api.comments[0].body).toContain(first.summary.trim().split('\n')[0])
    expect(api.comments[0].body).toContain('`web`')

    const again = await runAction(
      inputs(n, { job: 'examples/web.nomad.hcl', 'dry-run': 'true', 'pr-comment': 'true', 'github-token': api.token, variables: 'image_tag=2.0.0' }),
      { env }
    )
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('pr-comment: updated the plan comment on pull request #7.')
    expect(api.comments).toHaveLength(1)
    expect(api.comments[0].id).toBe(id)
    expect(api.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1)
    // the token never reaches the log
    expect(again.stdout.split(api.token).length - 1).toBe(1) // only in ::add-mask::
    expect(n.getJob('web')).toBeUndefined()
  })

  it('warns, and does not fail the step, when the token may not comment', async () => {
    const n = await cluster()
    api.failWith(403)
    try {
      const r = await runAction(inputs(n, { 'dry-run': 'true', 'pr-comment': 'true', 'github-token': api.token }), { env: pullRequestEnv(8) })
      expect(r.code).toBe(0)
      const warnings = r.annotations
        .filter((a) => a.level === 'warning')
        .map((a) => a.message)
        .join('\n')
      expect(warnings).toMatch(/pr-comment: could not write the plan comment on pull request #8.*permissions: pull-requests: write/)
    } finally {
      api.failWith(undefined)
    }
  })
})

describe('fail-on-drift', () => {
  it('plans only, writes nothing and fails while Vault differs; passes once Vault is in the desired state', async () => {
    const n = await cluster()
    const drift = await runAction(inputs(n, { 'fail-on-drift': 'true' }))
    expect(drift.code).toBe(1)
    const errors = drift.annotations
      .filter((a) => a.level === 'error')
      .map((a) => a.message)
      .join('\n')
    expect(errors).toMatch(/Vault has drifted from the desired state \(fail-on-drift\): 4 change\(s\)/)
    expect(errors).toContain('- create sys/auth/jwt-nomad')
    const mounts = await bao.api('GET', 'sys/auth')
    expect(mounts.data['jwt-nomad/']).toBeUndefined()

    expect((await runAction(inputs(n))).code).toBe(0) // a normal run repairs it
    const clean = await runAction(inputs(n, { 'fail-on-drift': 'true' }))
    expect(clean.code).toBe(0)
    expect(JSON.parse(clean.outputs.changes)).toEqual([])

    // someone changes the role by hand: the drift check names the role and the field
    await bao.api('POST', 'auth/jwt-nomad/role/nomad-workloads', { role_type: 'jwt', token_period: '1h' })
    const edited = await runAction(inputs(n, { 'fail-on-drift': 'true' }))
    expect(edited.code).toBe(1)
    expect(edited.annotations.map((a) => a.message).join('\n')).toMatch(/- update auth\/jwt-nomad\/role\/nomad-workloads \(.*token_period.*\)/)
  })
})

describe('deployment-environment', () => {
  it('records a GitHub deployment: in_progress, then success, or failure when the job fails', async () => {
    const n = await cluster()
    const env = { GITHUB_API_URL: api.url }
    const ok = await runAction(inputs(n, { job: 'examples/web.nomad.hcl', 'deployment-environment': 'production', 'github-token': api.token }), {
      env
    })
    expect(ok.code).toBe(0)
    expect(api.deployments.at(-1)).toMatchObject({
      environment: 'production',
      ref: '0123456789abcdef0123456789abcdef01234567',
      statuses: ['in_progress', 'success']
    })

    await n.close()
    const fresh = await cluster() // a first deployment whose only allocation fails
    fresh.failAllocs('web', 'failed to start task: image not found') // every alloc: restarts, reschedules, then the progress deadline
    const bad = await runAction(inputs(fresh, { job: 'examples/web.nomad.hcl', 'deployment-environment': 'production', 'github-token': api.token }), {
      env
    })
    expect(bad.code).toBe(1)
    expect(api.deployments.at(-1)!.statuses).toEqual(['in_progress', 'failure'])
  })

  it('is refused next to dry-run, before anything runs', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { 'dry-run': 'true', 'deployment-environment': 'production', 'github-token': api.token }))
    expect(r.code).toBe(1)
    expect(r.annotations[0].message).toMatch(/"deployment-environment" records a deployment, but dry-run deploys nothing/)
  })
})
