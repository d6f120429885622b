/**
 * Real workflow files (examples/workflows) under a runner we did not write: nektos/act in host mode, offline,
 * against a real OpenBao and the Nomad double, signing in with the OIDC token of a local issuer. Assertions are on
 * act's own output and exit code.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { runAct } from '../test-support/act.js'
import { startGitHubApi } from '../test-support/github-api.js'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import { startE2eCluster } from '../test-support/e2e-cluster.js'
import { startOidcIssuer, type OidcIssuer } from '../test-support/oidc-issuer.js'
import { nomadOidcAcl, setupActionPolicy, setupVaultOidc } from '../test-support/oidc-setup.js'
import { startOpenBao, type OpenBao } from '../test-support/openbao.js'
import { repoRoot } from '../test-support/run-action.js'

let bao: OpenBao
let issuer: OidcIssuer
let nomad: NomadDouble | undefined

const example = (name: string) => fs.readFileSync(path.join(repoRoot, 'examples/workflows', name), 'utf8')
const jobFile = fs.readFileSync(path.join(repoRoot, 'examples/web.nomad.hcl'), 'utf8')

beforeAll(async () => {
  ;[bao, issuer] = await Promise.all([startOpenBao(), startOidcIssuer()])
  await setupActionPolicy(bao)
  await setupVaultOidc(bao, issuer) // role "deploy": acme/web, refs/tags/v*
  await setupVaultOidc(bao, issuer, { role: 'plan', ref: 'refs/pull/*' })
  await setupVaultOidc(bao, issuer, { role: 'drift-check', ref: 'refs/heads/main' })
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-password' } })
})
afterAll(async () => {
  await Promise.all([bao?.stop(), issuer?.close()])
})
afterEach(async () => {
  await nomad?.close()
  nomad = undefined
})

async function cluster(extra: Parameters<typeof startE2eCluster>[2] = {}): Promise<NomadDouble> {
  nomad = await startE2eCluster(bao.addr, { enabled: true, ...nomadOidcAcl(issuer) }, extra)
  return nomad
}

const release = (n: NomadDouble) => ({
  workflow: example('release.yml'),
  event: 'push' as const,
  payload: { ref: 'refs/tags/v1.2.3', repository: { full_name: 'acme/web', name: 'web', owner: { login: 'acme' } } },
  files: { 'deploy/web.nomad.hcl': jobFile },
  vars: { VAULT_ADDR: bao.addr, NOMAD_ADDR: n.url },
  env: issuer.jobEnv({ repository: 'acme/web', ref: 'refs/tags/v1.2.3', workflow: 'release' })
})

describe('example workflows under act', () => {
  it('release.yml: a v1.2.3 tag deploys image tag 1.2.3, and a later step reads the outputs', async () => {
    const n = await cluster()
    const r = await runAct(release(n))
    expect(r.output).toContain('✅  Success - Main Deploy')
    // signed in with the OIDC token (no stored secret)
    expect(r.output).toContain('| Vault: signed in with a JWT login at auth/jwt (role deploy).')
    expect(r.output).toMatch(/\| Nomad: signed in with a JWT login through the auth method "github"/)
    expect(r.output).toContain('| Vault: the token from the JWT login is revoked (auth/token/revoke-self).')
    expect(r.output).toMatch(/\| web 1\.2\.3 is healthy \(job version 0, deployment [0-9a-f-]{36}\)/)
    expect(r.output).toContain('✅  Success - Post Deploy')
    expect(r.output).toContain('🏁  Job succeeded')
    expect(r.code).toBe(0)
    expect(JSON.stringify(n.getJob('web')!.TaskGroups[0].Tasks[0].Config?.args)).toContain('release 1.2.3')
    expect(n.getJob('web')!.Meta).toMatchObject({ github_ref: 'refs/tags/v1.2.3', github_repository: 'acme/web' })
  })

  it("release-gated.yml: the apply job applies exactly the plan job's plan-id", async () => {
    const n = await cluster()
    const r = await runAct({ ...release(n), workflow: example('release-gated.yml'), skippedActions: ['actions/upload-artifact@v4'] })
    expect(r.output).toContain('✅  Success - Main Plan')
    expect(r.output).toContain('✅  Success - Main Apply the approved plan')
    const ids = [...r.output.matchAll(/web is healthy \(plan (np1-[0-9a-f]{16}-[0-9a-zA-Z-]+)\)/g)].map((m) => m[1])
    expect(ids).toHaveLength(1)
    expect(r.output).toContain(`**Plan:** \`${ids[0]}\``)
    expect(r.code).toBe(0)
    // Planned once without writing, registered once by the apply, at the index the plan saw (a new job: 0).
    const registers = n.requests.filter((q) => q.method !== 'GET' && q.path === '/v1/jobs')
    expect(registers).toHaveLength(1)
    expect(JSON.parse(registers[0].body ?? '{}')).toMatchObject({ EnforceIndex: true, JobModifyIndex: 0 })
  })

  it('matrix.yml: the eu-west cluster of the matrix deploys to its region with its var-file', async () => {
    const n = await cluster({ region: 'eu-west' })
    const r = await runAct({
      ...release(n),
      workflow: example('matrix.yml'),
      files: { 'deploy/web.nomad.hcl': jobFile, 'deploy/eu-west.vars.hcl': 'image_tag = "2.4.0"\n' },
      matrix: { cluster: 'eu-west' }
    })
    expect(r.output).toContain('| eu-west is healthy')
    expect(r.output).toContain('🏁  Job succeeded')
    expect(r.code).toBe(0)
    // the region reached Nomad (the double answers "No path to region" to any other) and the var-file set the tag
    expect(n.requests.filter((q) => q.method === 'POST' && q.path === '/v1/jobs').map((q) => q.query.region)).toEqual(['eu-west'])
    expect(JSON.stringify(n.getJob('web')!.TaskGroups[0].Tasks[0].Config?.args)).toContain('release 2.4.0')
  })

  it('plan-pr.yml: a pull request plans, writes nothing, and puts the plan into a pull-request comment', async () => {
    const n = await cluster()
    const api = await startGitHubApi()
    const r = await runAct({
      workflow: example('plan-pr.yml'),
      event: 'pull_request',
      payload: {
        number: 7,
        pull_request: { number: 7, head: { ref: 'feature', sha: 'a'.repeat(40) }, base: { ref: 'main' } },
        repository: { full_name: 'acme/web' }
      },
      files: { 'deploy/web.nomad.hcl': jobFile },
      vars: { VAULT_ADDR: bao.addr, NOMAD_ADDR: n.url },
      env: {
        ...issuer.jobEnv({ repository: 'acme/web', ref: 'refs/pull/7/merge', event_name: 'pull_request', workflow: 'plan' }),
        GITHUB_API_URL: api.url
      },
      secrets: { GITHUB_TOKEN: api.token }
    }).finally(() => api.close())
    expect(r.output).toContain('✅  Success - Main Plan')
    expect(r.output).toMatch(/\| plan planned; Vault changes \[/)
    expect(r.output).toContain('🏁  Job succeeded')
    expect(r.code).toBe(0)
    expect(n.getJob('web')).toBeUndefined()
    expect(r.output).toContain('| pr-comment: wrote the plan comment on pull request #7.')
    expect(api.comments).toEqual([
      expect.objectContaining({ issue: 7, body: expect.stringMatching(/^<!-- nomad-vault-action plan: plan \/ plan \/ deploy\/web.nomad.hcl -->/) })
    ])
    expect(
      n.requests.filter((q) => q.method !== 'GET' && q.path !== '/v1/acl/login' && !q.path.endsWith('/plan') && q.path !== '/v1/jobs/parse')
    ).toEqual([])
  })

  it('release.yml: a failing deployment fails the step and the job', async () => {
    const n = await cluster()
    n.failAllocs('web', 'failed to start task: image not found') // every alloc: Nomad reschedules a single failure
    const r = await runAct(release(n))
    expect(r.output).toContain('❌  Failure - Main Deploy')
    expect(r.output).toMatch(/::error::.*Job "web" failed/)
    expect(r.output).not.toContain('Success - Main Report')
    expect(r.output).toContain('🏁  Job failed')
    expect(r.code).not.toBe(0)
  })

  it('drift-check.yml: the scheduled run fails when Vault differs from the desired state, and writes nothing', async () => {
    const n = await cluster()
    const before = await bao.api('GET', 'sys/auth')
    const r = await runAct({
      workflow: example('drift-check.yml'),
      event: 'schedule',
      payload: { schedule: '17 6 * * 1-5', ref: 'refs/heads/main' },
      vars: { VAULT_ADDR: bao.addr, NOMAD_ADDR: n.url },
      env: issuer.jobEnv({ repository: 'acme/web', ref: 'refs/heads/main', event_name: 'schedule', workflow: 'vault-drift' })
    })
    expect(r.output).toMatch(/::error::Vault has drifted from the desired state \(fail-on-drift\)/)
    expect(r.output).toContain('❌  Failure - Main ./')
    expect(r.output).toMatch(/\| Vault drifted; the changes that would repair it are in the job summary/)
    expect(r.output).toContain('🏁  Job failed')
    expect(r.code).not.toBe(0)
    expect(Object.keys((await bao.api('GET', 'sys/auth')).data)).toEqual(Object.keys(before.data))
  })
})
