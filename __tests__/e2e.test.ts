/**
 * End to end: the bundled dist/index.js runs as a child process, exactly as the runner runs it, against a real
 * OpenBao and the Nomad test double, whose allocations log in to that OpenBao with their workload identities.
 */
import { describe, expect, it } from '@jest/globals'
import { e2eSuite, messages } from '../test-support/e2e-suite.js'
import type { NomadDouble } from '../test-support/nomad-double/server.js'
import { runAction, type ActionRun } from '../test-support/run-action.js'

const FIX = '__tests__/fixtures/jobs'
const e2e = e2eSuite({
  secrets: {
    'default/web/config': { password: 'web-password' },
    'default/report/config': { api_key: 'report-key' },
    'default/api/config': { password: 'api-password' },
    // another job's secret, which the web job must not be able to read
    'default/billing/config': { password: 'billing-password' }
  }
})
const { cluster, inputs } = e2e

const noStackTrace = (r: ActionRun) => expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/)

/** The servers give tasks the audience nomad.example, the role expects vault.io: the run fails, naming the role's audiences. */
async function wrongAudience(nomadVersion?: string): Promise<{ r: ActionRun; n: NomadDouble; errors: string }> {
  const n = await cluster({
    ...(nomadVersion ? { nomadVersion } : {}),
    server: { enabled: true, default_identity: { aud: ['nomad.example'], ttl: '1h' } }
  })
  const r = await runAction(inputs(n, { job: 'examples/web.nomad.hcl' }))
  expect(r.code).toBe(1)
  expect(r.outputs.verdict).toBe('failed')
  const errors = messages(r, 'error')
  expect(errors).toMatch(/bound_audiences \["vault.io"\]/)
  return { r, n, errors }
}

describe('deploying a job end to end', () => {
  it('deploys a service job whose task reads its secret, and sets every output', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: 'examples/web.nomad.hcl', variables: 'image_tag=2.0.0' }))
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('healthy')
    expect(r.outputs['job-id']).toBe('web')
    expect(r.outputs['job-version']).toBe('0')
    expect(Number(r.outputs['job-modify-index'])).toBeGreaterThan(0)
    expect(r.outputs['eval-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(r.outputs['deployment-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(r.outputs['deployment-status']).toBe('successful')
    const allocs = JSON.parse(r.outputs.allocations)
    expect(allocs).toHaveLength(1)
    expect(allocs[0]).toMatchObject({ taskGroup: 'web', clientStatus: 'running', healthy: true })
    expect(JSON.parse(r.outputs.plan).groups[0]).toMatchObject({ name: 'web', create: 1 })
    for (const name of [
      'auth-path',
      'auth-accessor',
      'role',
      'policies',
      'key-source',
      'changes',
      'nomad-server-config',
      'nomad-client-config',
      'nomad-server-config-file',
      'nomad-client-config-file'
    ]) {
      expect(r.outputs[name]).toBeTruthy()
    }
    expect(r.outputs['auth-accessor']).toMatch(/^auth_jwt_[0-9a-f]+$/)

    // The task really logged in with its workload identity and read its own secret, through the real OpenBao.
    expect(n.secretReads).toEqual([expect.objectContaining({ jobId: 'web', task: 'server', path: 'secret/data/default/web/config' })])
    expect((n.secretReads[0].data as { data: { password: string } }).data.password).toBe('web-password')

    // Release metadata and the variable reached the registered job; the source was submitted.
    const job = n.getJob('web')!
    expect(job.Meta).toMatchObject({
      github_sha: '0123456789abcdef0123456789abcdef01234567',
      github_ref: 'refs/tags/v1.2.3',
      github_repository: 'acme/web',
      github_workflow: 'release'
    })
    // Per-run facts are in the release output and the summary, never in Job.Meta (they would roll every allocation).
    for (const key of ['github_run_id', 'github_run_url', 'github_actor', 'github_run_attempt']) expect(job.Meta).not.toHaveProperty(key)
    expect(JSON.parse(r.outputs.release)).toMatchObject({
      github_run_id: '4242',
      github_actor: 'octocat',
      github_run_url: 'https://github.com/acme/web/actions/runs/4242'
    })
    expect(r.summary).toContain('| github_run_url | `https://github.com/acme/web/actions/runs/4242` |')
    expect(JSON.stringify(job.TaskGroups[0].Tasks[0].Config?.args)).toContain('release 2.0.0')
    expect(r.summary).toContain('### Job `web` ✅ healthy')

    // Used blocking queries, not fixed polling.
    expect(n.requests.some((q) => q.method === 'GET' && q.query.index !== undefined && Number(q.query.index) > 0)).toBe(true)
  })

  it('a re-run of the same commit changes nothing in Vault or Nomad and says so', async () => {
    const n = await cluster()
    const first = await runAction(inputs(n, { job: 'examples/web.nomad.hcl' }))
    expect(first.code).toBe(0)
    expect(first.outputs.verdict).toBe('healthy')
    const before = {
      job: n.getJob('web')!,
      allocs: n
        .allocations('web')
        .map((a) => a.ID)
        .sort(),
      requests: n.requests.length
    }

    // Another run (and attempt, by another actor) of the same commit.
    const again = await runAction(inputs(n, { job: 'examples/web.nomad.hcl' }), {
      env: { GITHUB_RUN_ID: '4243', GITHUB_RUN_ATTEMPT: '2', GITHUB_ACTOR: 'someone-else' }
    })
    expect(again.code).toBe(0)
    expect(JSON.parse(again.outputs.changes)).toEqual([])
    expect(again.outputs.verdict).toBe('unchanged')
    expect(again.outputs['job-version']).toBe(first.outputs['job-version'])
    expect(again.outputs['deployment-status']).toBe('successful')
    const rerunRequests = n.requests.slice(before.requests)
    expect(rerunRequests.filter((q) => q.method !== 'GET' && q.path !== '/v1/jobs/parse' && !q.path.endsWith('/plan'))).toEqual([])
    const job = n.getJob('web')!
    expect(job.Version).toBe(before.job.Version)
    expect(job.JobModifyIndex).toBe(before.job.JobModifyIndex)
    expect(job.Meta).toEqual(before.job.Meta)
    expect(
      n
        .allocations('web')
        .map((a) => a.ID)
        .sort()
    ).toEqual(before.allocs)
    expect(JSON.parse(again.outputs.release)).toMatchObject({ github_run_id: '4243', github_run_attempt: '2', github_actor: 'someone-else' })
    expect(again.summary).toContain('### Job `web` 🟰 unchanged')
  })

  it('fails with a diagnosis when the servers give tasks another audience than the role expects', async () => {
    const { r, n, errors } = await wrongAudience()
    expect(errors).toContain('invalid audience (aud) claim')
    // the cluster check warned before the deployment, with the block to use
    const warnings = messages(r, 'warning')
    expect(warnings).toContain('nomad.example')
    expect(warnings).toContain('aud = ["vault.io"]')
    expect(n.secretReads).toEqual([])
    noStackTrace(r)
  })

  it('fails on a placement failure with the reason in words', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: `${FIX}/too-big.nomad.hcl` }))
    expect(r.code).toBe(1)
    expect(r.outputs.verdict).toBe('failed')
    expect(r.annotations.find((a) => a.level === 'error')?.message).toMatch(/memory/)
  })

  it('fails a failed deployment, naming the unhealthy allocation and its task events', async () => {
    const n = await cluster()
    n.failAllocs('web', 'exec: "/bin/sh": permission denied') // every alloc: restarts, reschedules, then the progress deadline
    const r = await runAction(inputs(n, { job: 'examples/web.nomad.hcl' }))
    expect(r.code).toBe(1)
    expect(r.outputs.verdict).toBe('failed')
    expect(r.outputs['deployment-status']).toBe('failed')
    const allocs = JSON.parse(r.outputs.allocations)
    expect(allocs.some((a: { clientStatus: string }) => a.clientStatus === 'failed')).toBe(true)
    expect(r.outputs.allocations).toContain('permission denied')
    expect(r.summary).toContain('Unhealthy allocations')
  })

  it('reports canaries that wait for promotion, and promotes them with auto-promote', async () => {
    const n = await cluster()
    const v1 = await runAction(inputs(n, { job: `${FIX}/canary.nomad.hcl`, variables: 'release=v1' }))
    expect(v1.outputs.verdict).toBe('healthy')

    const v2 = await runAction(inputs(n, { job: `${FIX}/canary.nomad.hcl`, variables: 'release=v2' }))
    expect(v2.code).toBe(0)
    expect(v2.outputs.verdict).toBe('awaiting-promotion')
    expect(v2.annotations.some((a) => /promot/i.test(a.message))).toBe(true)
    expect(n.requests.some((q) => q.path.startsWith('/v1/deployment/promote/'))).toBe(false)

    const v3 = await runAction(inputs(n, { job: `${FIX}/canary.nomad.hcl`, variables: 'release=v3', 'auto-promote': 'true' }))
    expect(v3.annotations.filter((a) => a.level === 'error')).toEqual([])
    expect(v3.code).toBe(0)
    expect(v3.outputs.verdict).toBe('healthy')
    expect(n.requests.some((q) => q.path.startsWith('/v1/deployment/promote/'))).toBe(true)
  })

  it('runs a batch job to completion, with the vault block injected where it was missing', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: `${FIX}/batch.nomad.hcl`, 'inject-vault': 'missing' }))
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('complete')
    expect(r.outputs['deployment-id']).toBe('')
    expect(n.secretReads.map((s) => s.path)).toEqual(['secret/data/default/report/config'])
    expect(n.getJob('report')!.TaskGroups[0].Tasks[0].Vault?.Role).toBe('nomad-workloads')
  })

  it('registers a periodic job, which has no evaluation', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: `${FIX}/periodic.nomad.hcl` }))
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('registered')
    expect(r.outputs['eval-id']).toBe('')
  })

  it("passes variables and var-files to Nomad's parser", async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: `${FIX}/vars.nomad.hcl`, variables: 'image_tag=3.1.4', 'var-files': `${FIX}/prod.vars.hcl` }))
    expect(r.code).toBe(0)
    const job = n.getJob('vars')!
    expect(job.TaskGroups[0].Count).toBe(2)
    expect(JSON.stringify(job.TaskGroups[0].Tasks[0].Config?.args)).toContain('from the var-file 3.1.4')
    const submission = n.requests.find((q) => q.path === '/v1/jobs' && q.method !== 'GET')
    expect(submission).toBeDefined()
  })

  it('annotates an HCL syntax error on the right line of the right file, before any Vault write', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: `${FIX}/broken.nomad.hcl`, 'auth-path': 'jwt-never-written' }))
    expect(r.code).toBe(1)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    const err = errors[0]
    expect(err?.props.file).toBe(`${FIX}/broken.nomad.hcl`)
    expect(err?.props.line).toBe('12')
    expect(err?.message).toContain(`${FIX}/broken.nomad.hcl:12`)
    expect((await e2e.bao.api('GET', 'sys/auth')).data['jwt-never-written/']).toBeUndefined()
    noStackTrace(r)
  })

  it('never overwrites a concurrent change: the check index catches it', async () => {
    let race = false
    const n = await cluster({
      onPlan: (jobId) => {
        // someone else runs the job between our plan and our register
        if (race && jobId === 'worker') n.modifyJobOutOfBand('worker', 'default', (j) => (j.Meta = { ...j.Meta, changed_by: 'someone-else' }))
      }
    })
    expect((await runAction(inputs(n, { job: `${FIX}/worker.json` }))).code).toBe(0)
    race = true
    const r = await runAction(inputs(n, { job: `${FIX}/worker.json`, variables: '' }), {
      env: { GITHUB_SHA: 'fedcba9876543210fedcba9876543210fedcba98' }
    })
    expect(r.code).toBe(1)
    const error = r.annotations.find((a) => a.level === 'error')!.message
    expect(error).toMatch(/changed .*between plan and register|Enforcing job modify index/i)
    // not overwritten: the concurrent version is the current one, our commit is not
    const job = n.getJob('worker')!
    expect(job.Meta?.changed_by).toBe('someone-else')
    expect(job.Meta?.github_sha).not.toBe('fedcba9876543210fedcba9876543210fedcba98')
  })

  it('deploys several jobs at once: one failure does not stop the others, and outputs and summary keep the input order', async () => {
    const n = await cluster()
    n.failAllocs('worker', 'exec: "/bin/worker": no such file or directory') // every alloc of the job
    const r = await runAction(inputs(n, { job: `examples/web.nomad.hcl\n${FIX}/worker.json\n${FIX}/batch.nomad.hcl`, 'max-parallel': '3' }))
    expect(r.code).toBe(1)
    const verdicts = JSON.parse(r.outputs.verdict)
    expect(Object.keys(verdicts)).toEqual(['web', 'worker', 'report'])
    expect(verdicts).toEqual({ web: 'healthy', worker: 'failed', report: 'complete' })
    expect(Object.keys(JSON.parse(r.outputs['deployment-status']))).toEqual(['web', 'worker', 'report'])
    const positions = ['web', 'worker', 'report'].map((id) => r.summary.indexOf(`### Job \`${id}\``))
    expect(positions.every((p) => p > 0)).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)
    const errors = r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
    expect(errors.join('\n')).toContain('worker')
    expect(errors.join('\n')).not.toMatch(/Job "web"|Job "report"/)
    // each job's log lines form one group of its own, printed when it ends: never a line of another job inside
    const lines = r.stdout.split('\n')
    for (const id of ['web', 'worker', 'report']) {
      const start = lines.findIndex((l) => l.startsWith(`::group::Nomad job "${id}"`))
      expect(start).toBeGreaterThanOrEqual(0)
      const inside = lines.slice(start + 1, lines.indexOf('::endgroup::', start)).join('\n')
      expect(inside).toContain(`Registered job "${id}"`)
      expect(inside).not.toContain('::group::')
      for (const other of ['web', 'worker', 'report'].filter((o) => o !== id)) expect(inside).not.toContain(`job "${other}"`)
    }
    // the others really ran: web's task read its secret, the batch job's allocation completed
    expect(n.secretReads.map((x) => x.jobId)).toContain('web')
    expect(n.allocations('report').every((a) => a.ClientStatus === 'complete')).toBe(true)
  })

  it('deploys several jobs in one step, with outputs as maps keyed by job id', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: `${FIX}/worker.json\n${FIX}/batch.nomad.hcl` }))
    expect(r.code).toBe(0)
    expect(JSON.parse(r.outputs.verdict)).toEqual({ worker: 'healthy', report: 'complete' })
    expect(Object.keys(JSON.parse(r.outputs['job-version'])).sort()).toEqual(['report', 'worker'])
  })

  it('dry-run changes nothing in Vault or Nomad and reports the plan', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: 'examples/web.nomad.hcl', 'dry-run': 'true', 'auth-path': 'jwt-dry' }))
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('planned')
    expect(JSON.parse(r.outputs.changes).length).toBeGreaterThan(0)
    expect((await e2e.bao.api('GET', 'sys/auth')).data['jwt-dry/']).toBeUndefined()
    expect(n.getJob('web')).toBeUndefined()
    expect(r.summary).toContain('dry run')
  })
})

describe('secrets and user errors', () => {
  it('never shows a token or a workload identity JWT in logs, outputs or the summary', async () => {
    const n = await cluster({ server: { enabled: true, default_identity: { aud: ['nomad.example'], ttl: '1h' } } })
    const r = await runAction(inputs(n, { job: 'examples/web.nomad.hcl' }), { env: { RUNNER_DEBUG: '1', DEBUG: 'node-vault' } })
    expect(r.code).toBe(1)
    const everything = [r.stdout, r.stderr, r.summary, JSON.stringify(r.outputs)].join('\n')
    // masked: the runner hides what follows ::add-mask::, so only those lines may carry the token
    const unmasked = everything
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n')
    expect(unmasked).not.toContain(e2e.bao.rootToken)
    expect(unmasked).not.toContain(n.managementToken)
    expect(n.vaultLogins.length).toBeGreaterThan(0)
    for (const login of n.vaultLogins) expect(unmasked).not.toContain(login.jwt.split('.')[1])
    expect(r.stdout).toContain(`::add-mask::${e2e.bao.rootToken}`)
    expect(r.stdout).toContain(`::add-mask::${n.managementToken}`)
  })

  it('reports bad input as one clear error before any request, without a stack trace', async () => {
    const r = await runAction({
      'vault-addr': 'vault:8200',
      'vault-token': '',
      'key-source': 'static',
      'oidc-discovery-url': 'https://x',
      timeout: 'soon'
    })
    expect(r.code).toBe(1)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].message).toContain('"vault-token" is empty')
    expect(errors[0].message).toContain('"oidc-discovery-url" and "key-source: static" conflict')
    expect(errors[0].message).toContain('"timeout" is not a valid duration')
    noStackTrace(r)
  })

  it('names vault-addr when Vault is unreachable', async () => {
    const n = await cluster()
    const r = await runAction({ ...inputs(n), 'vault-addr': 'http://127.0.0.1:1' })
    expect(r.code).toBe(1)
    const error = r.annotations.find((a) => a.level === 'error')!.message
    expect(error).toContain('vault-addr')
    expect(error).toContain('127.0.0.1:1')
    noStackTrace(r)
  })

  it('names the path and capability when the Vault token is not allowed', async () => {
    const n = await cluster()
    await e2e.bao.api('POST', 'sys/policies/acl/read-only-e2e', { policy: 'path "sys/auth" { capabilities = ["read"] }' })
    const token = (await e2e.bao.api('POST', 'auth/token/create', { policies: ['read-only-e2e'], no_default_policy: true })).auth.client_token
    const r = await runAction({ ...inputs(n), 'vault-token': token, 'auth-path': 'jwt-forbidden' })
    expect(r.code).toBe(1)
    const error = r.annotations.find((a) => a.level === 'error')!.message
    expect(error).toMatch(/HTTP 403/)
    expect(error).toContain('sys/auth/jwt-forbidden')
    expect(error).toContain('sudo')
    expect(error).not.toContain(token)
  })
})

describe('behaving right on real Nomad (job variables, verdicts, versions)', () => {
  it('fails on the var-file line that sets a variable the job does not declare, before any Vault write', async () => {
    // Nomad's parse API is not strict: an undeclared variable is dropped and the job would deploy with its default.
    const n = await cluster()
    const r = await runAction(
      inputs(n, {
        job: `${FIX}/vars.nomad.hcl`,
        'var-files': `${FIX}/typo.vars.hcl`,
        variables: 'greeting=hi',
        'auth-path': 'jwt-never-written-vars'
      })
    )
    expect(r.code).toBe(1)
    const errors = r.annotations.filter((a) => a.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].props.file).toBe(`${FIX}/typo.vars.hcl`)
    expect(errors[0].props.line).toBe('2')
    expect(errors[0].message).toContain('sets "image_tg" on line 2')
    expect(errors[0].message).toContain('(did you mean "image_tag"?)')
    expect((await e2e.bao.api('GET', 'sys/auth')).data['jwt-never-written-vars/']).toBeUndefined()
    expect(n.requests.some((q) => q.path === '/v1/jobs' && q.method !== 'GET')).toBe(false)
    noStackTrace(r)
  })

  it('puts errors inside the variables on the var-file line or the variables input, not on the job file', async () => {
    // Nomad parses the Variables as their own "input.hcl" from line 1.
    const n = await cluster()
    const syntax = await runAction(inputs(n, { job: `${FIX}/vars.nomad.hcl`, 'var-files': `${FIX}/broken.vars.hcl`, variables: 'image_tag=1' }))
    expect(syntax.code).toBe(1)
    const se = syntax.annotations.filter((a) => a.level === 'error')
    expect(se).toHaveLength(1)
    expect(se[0].props.file).toBe(`${FIX}/broken.vars.hcl`)
    expect(se[0].props.line).toBe('1')
    expect(se[0].message).toContain(`Nomad could not use ${FIX}/broken.vars.hcl (variables for job file ${FIX}/vars.nomad.hcl)`)
    expect(se[0].message).not.toContain('input.hcl')

    const typed = await runAction(inputs(n, { job: `${FIX}/vars.nomad.hcl`, variables: 'image_tag=1\nreplicas=many' }))
    expect(typed.code).toBe(1)
    const te = typed.annotations.filter((a) => a.level === 'error')
    expect(te).toHaveLength(1)
    expect(te[0].props.file).toBeUndefined()
    expect(te[0].message).toContain('the `variables` input (replicas): Invalid value for variable; The value for replicas is not compatible')

    const unset = await runAction(inputs(n, { job: `${FIX}/vars.nomad.hcl` }))
    expect(unset.code).toBe(1)
    const ue = unset.annotations.filter((a) => a.level === 'error')
    expect(ue[0].props.file).toBe(`${FIX}/vars.nomad.hcl`)
    expect(ue[0].props.line).toBe('1')
    expect(ue[0].message).toContain('Unset variable "image_tag"')
    expect(ue[0].message).toContain('Set "image_tag" in the `variables` input or a var-file')
    expect(n.requests.some((q) => q.path === '/v1/jobs' && q.method !== 'GET')).toBe(false)
  })

  it("turns Nomad's nested warnings into one GitHub warning per leaf, named by group and task", async () => {
    const n = await cluster({ nomadVersion: '1.9.7' })
    const r = await runAction(inputs(n, { job: `${FIX}/identity.nomad.hcl` }))
    expect(r.code).toBe(0)
    const warnings = r.annotations.filter((a) => a.level === 'warning').map((a) => a.message)
    expect(warnings.filter((w) => w.includes('identities without an expiration are insecure'))).toEqual([
      expect.stringContaining('group "app", task "app": Identity[vault_default] identities without an expiration are insecure')
    ])
    expect(warnings.filter((w) => /has warnings|error(s)? occurred|^\d+ warnings?:/.test(w))).toEqual([])
  })

  it('names unknown fields of a JSON job, which Nomad would drop silently', async () => {
    const n = await cluster()
    const r = await runAction(inputs(n, { job: `${FIX}/typo.json` }))
    expect(r.code).toBe(0)
    const warnings = messages(r, 'warning')
    expect(warnings).toContain('TaskGroups[typo].Tasks[typo].KillTimout (did you mean "KillTimeout"?)')
  })
})

describe.each(['1.7.7', '2.0.5'])('on Nomad %s', (nomadVersion) => {
  it('deploys a service job whose task reads its secret', async () => {
    const n = await cluster({ nomadVersion })
    const r = await runAction(inputs(n, { job: 'examples/web.nomad.hcl' }))
    expect(r.code).toBe(0)
    expect(r.outputs.verdict).toBe('healthy')
    expect(n.secretReads).toEqual([expect.objectContaining({ jobId: 'web', task: 'server', path: 'secret/data/default/web/config' })])
    // The double is a dev agent (server and client): the client check covers that one agent only, and says so.
    expect(r.stdout).toContain('only: /v1/agent/self describes only the agent nomad-addr points at')
  })

  it('fails a Vault login failure with the task, the event and the fix', async () => {
    const { errors } = await wrongAudience(nomadVersion)
    expect(errors).toContain('task "server": Killing: Vault: failed to derive vault token')
  })

  it(`a Vault task without identity or server default_identity: ${nomadVersion === '1.7.7' ? 'refused, with the fix' : 'accepted, and the task never gets a token'}`, async () => {
    const n = await cluster({ nomadVersion, server: { enabled: true } })
    const r = await runAction(inputs(n, { job: 'examples/web.nomad.hcl', timeout: '3s' }))
    expect(r.code).toBe(1)
    const errors = messages(r, 'error')
    if (nomadVersion === '1.7.7') {
      expect(errors).toContain(
        'Nomad refused job "web" (examples/web.nomad.hcl): task(s) "server" have a vault block but no identity "vault_default"'
      )
      expect(errors).toContain('default_identity')
      expect(errors).toContain('identity { name = "vault_default" aud = ["vault.io"] ttl = "1h" }')
      expect(n.getJob('web')).toBeUndefined()
    } else {
      expect(r.outputs.verdict).toBe('timeout')
      expect(errors).toContain('still pending')
    }
  })
})
