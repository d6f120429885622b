/**
 * One permanent fault at each single request of a whole run (Vault AND Nomad requests), against a working setup
 * that a workload already uses: the run fails with a clear message (or succeeds, when the fault fell on a request it
 * does not need), Vault ends either as it was before the run or in the desired state, never in between, Nomad is
 * never updated while Vault was put back, and the workload's existing Vault token and a new login with a JWT signed by
 * the Nomad double's key keep working. The fault is a login/portal HTML page answered with 200 (a permanent
 * misconfiguration, never retried). In-process for every request; through the bundle (dist/index.js) for the role
 * write and the registration, with every token scanned for in what the runner would show.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { setRetryDefaults } from '../src/transport/retry.js'
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from '../test-support/fault-proxy.js'
import { runInProcess } from '../test-support/fault-suite.js'
import { startNomadDouble, type NomadDouble } from '../test-support/nomad-double/server.js'
import { startOpenBao, type OpenBao } from '../test-support/openbao.js'
import { runAction } from '../test-support/run-action.js'
import { remaining, scenarioConfig, tokenAlive, workloadLogin } from '../test-support/vault-scenario.js'

let bao: OpenBao
let nomad: NomadDouble
let vaultProxy: FaultProxy
let nomadProxy: FaultProxy
let dir: string
const saved = { ...process.env }

/** The action's requests through both proxies, numbered together; the one numbered `faultAt` gets the fault. */
let counter = 0
let faultAt = 0
let faultPath: RegExp | undefined
let faulted: string | undefined
function rule(req: ProxiedRequest) {
  counter++
  const hit =
    (faultAt > 0 && counter === faultAt) || (faultPath !== undefined && faulted === undefined && faultPath.test(`${req.method} ${req.path}`))
  if (!hit) return null
  faulted = `${req.method} ${req.path}`
  return 'html-200' as const
}
/** OpenBao's own JWKS fetches through the Nomad proxy are not the action's requests. */
const notTheAction = (req: ProxiedRequest) => /Go-http-client/i.test(String(req.headers['user-agent'] ?? ''))

beforeAll(async () => {
  bao = await startOpenBao()
  await bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-secret' } })
  nomad = await startNomadDouble({
    vaultAddr: bao.addr,
    acl: { enabled: true },
    client: { enabled: true, address: bao.addr, jwt_auth_backend_path: 'jwt-p', create_from_role: 'nomad-workloads' }
  })
  vaultProxy = await startFaultProxy({ target: bao.addr, rule, exempt: notTheAction })
  nomadProxy = await startFaultProxy({ target: nomad.url, rule, exempt: notTheAction })
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-permanent-'))
  fs.writeFileSync(path.join(dir, 'summary.md'), '')
  setRetryDefaults({ baseDelayMs: 2, maxDelayMs: 20 })
}, 60_000)

afterAll(async () => {
  setRetryDefaults({})
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
  Object.assign(process.env, saved)
  await vaultProxy?.close()
  await nomadProxy?.close()
  await nomad?.close()
  await bao?.stop()
  if (dir) fs.rmSync(dir, { recursive: true, force: true })
})

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'vault-addr': vaultProxy.url,
    'vault-token': bao.rootToken,
    'nomad-addr': nomadProxy.url,
    'nomad-token': nomad.managementToken,
    'auth-path': 'jwt-p',
    policy: 'policy-p',
    job: 'examples/web.nomad.hcl',
    variables: 'image_tag=1.0.0',
    timeout: '1m',
    ...extra
  }
}
/** The working setup, and an update that writes a new policy, changes the role (token period, policy) and the job. */
const before = () => inputs()
const after = () => inputs({ policy: 'policy-p2', 'token-period': '2h', variables: 'image_tag=2.0.0' })
const vaultBefore = () => scenarioConfig(bao.addr, bao.rootToken, 'p', `${nomadProxy.url}/.well-known/jwks.json`, { role: 'nomad-workloads' })
const vaultAfter = () =>
  scenarioConfig(bao.addr, bao.rootToken, 'p', `${nomadProxy.url}/.well-known/jwks.json`, {
    role: 'nomad-workloads',
    policy: 'policy-p2',
    tokenPeriodSeconds: 7200
  })

let runs = 0
async function runOnce(values: Record<string, string>, at = 0, pathRule?: RegExp) {
  counter = 0
  faultAt = at
  faultPath = pathRule
  faulted = undefined
  const output = path.join(dir, `output-${++runs}`)
  fs.writeFileSync(output, '')
  fs.writeFileSync(path.join(dir, 'summary.md'), '')
  try {
    const r = await runInProcess(values, { GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: path.join(dir, 'summary.md'), RUNNER_TEMP: dir })
    return { ...r, ok: r.exitCode === 0, requests: counter, faulted: faulted as string | undefined }
  } finally {
    faultAt = 0
    faultPath = undefined
  }
}

/** Back to the working setup, without the update's new policy (so that every update run creates it first). */
async function restore(): Promise<void> {
  expect((await runOnce(before())).ok).toBe(true)
  await bao.api('DELETE', 'sys/policies/acl/policy-p2')
}

/** Whether the update's new policy exists (a run that was put back must have deleted it). */
async function newPolicyExists(): Promise<boolean> {
  const res = await fetch(`${bao.addr}/v1/sys/policies/acl/policy-p2`, { headers: { 'X-Vault-Token': bao.rootToken } })
  await res.text()
  return res.status === 200
}

async function jobImage(): Promise<string> {
  const res = await fetch(`${nomad.url}/v1/job/web`, { headers: { 'X-Nomad-Token': nomad.managementToken } })
  const job = (await res.json()) as { TaskGroups: { Tasks: { Config: { args: string[] } }[] }[] }
  return /release (\S+);/.exec(job.TaskGroups[0].Tasks[0].Config.args.join(' '))?.[1] ?? '?'
}

describe('one permanent fault at each single request of a run', () => {
  it('in-process, every Vault and Nomad request: as before or as desired, Nomad never ahead of Vault, logins keep working', async () => {
    const clean0 = await runOnce(before())
    expect(clean0).toMatchObject({ ok: true, faulted: undefined })
    expect(await remaining(bao, vaultBefore())).toEqual([])
    // a workload of the running job logs in with a JWT signed by the Nomad double's key, and reads its secret
    const login = await workloadLogin(bao, vaultBefore(), nomad.keyring)
    expect(login).toMatchObject({ login: 200, read: 200 })
    const clean = await runOnce(after())
    expect({ ok: clean.ok, failure: clean.failure }).toEqual({ ok: true, failure: undefined })
    expect(await remaining(bao, vaultAfter())).toEqual([])
    expect(await jobImage()).toBe('2.0.0')
    expect(clean.requests).toBeGreaterThanOrEqual(15)
    await restore()

    const seen = new Set<string>()
    for (let k = 1; k <= clean.requests; k++) {
      const r = await runOnce(after(), k)
      if (r.faulted) seen.add(r.faulted.replace(/jwt-p|policy-p2?/g, '…'))
      const asBefore = (await remaining(bao, vaultBefore())).length === 0
      const asDesired = (await remaining(bao, vaultAfter())).length === 0
      const image = await jobImage()
      const state = { k, faulted: r.faulted, ok: r.ok, asBefore, asDesired }
      // exactly one of the two Vault states, never in between
      expect(state).toEqual({ ...state, asBefore: !asDesired })
      if (r.ok) expect(state).toEqual({ ...state, asDesired: true })
      else {
        // a clear message that names the server and the cause, no stack trace
        expect({ k, message: r.failure }).toEqual({
          k,
          message: expect.stringMatching(/not Vault's JSON API|not JSON|login page/)
        })
        expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/)
      }
      // a run put back deleted the policy it created, and Nomad is never updated while Vault was put back
      if (asBefore) expect({ k, image, newPolicy: await newPolicyExists() }).toEqual({ k, image: '1.0.0', newPolicy: false })
      expect(r.stdout.replace(/^::add-mask::.*$/gm, '') + r.stderr).not.toContain(bao.rootToken)
      expect(r.stdout.replace(/^::add-mask::.*$/gm, '') + r.stderr).not.toContain(nomad.managementToken)
      // the workload's token still works, and a new login with the current setup works
      expect({ k, alive: await tokenAlive(bao, login.token!) }).toEqual({ k, alive: true })
      expect({ k, login: await workloadLogin(bao, asDesired ? vaultAfter() : vaultBefore(), nomad.keyring) }).toEqual({
        k,
        login: expect.objectContaining({ login: 200, read: 200 })
      })
      await restore()
    }
    // the faults landed on Vault writes and on Nomad's parse, plan and register
    for (const w of [
      'POST /v1/sys/policies/acl/…',
      'POST /v1/auth/…/role/nomad-workloads',
      'POST /v1/jobs/parse',
      'POST /v1/job/web/plan',
      'POST /v1/jobs'
    ]) {
      expect({ w, seen: seen.has(w) }).toEqual({ w, seen: true })
    }
  }, 240_000)

  it('through the bundle: a fault at the role write and at the registration; logins keep working, no token printed', async () => {
    const login = await workloadLogin(bao, vaultBefore(), nomad.keyring)
    expect(login).toMatchObject({ login: 200, read: 200 })
    for (const [where, expected] of [
      [/^POST \/v1\/auth\/jwt-p\/role\//, 'before'],
      [/^POST \/v1\/jobs$/, 'desired']
    ] as const) {
      counter = 0
      faultPath = where
      faulted = undefined
      const r = await runAction(after())
      faultPath = undefined
      expect(faulted as string | undefined).toMatch(where)
      expect(r.code).toBe(1)
      const errors = r.annotations.filter((a) => a.level === 'error').map((a) => a.message)
      expect(errors).toEqual([expect.stringMatching(/not Vault's JSON API|not JSON/)])
      expect((await remaining(bao, expected === 'before' ? vaultBefore() : vaultAfter())).length).toBe(0)
      if (expected === 'before') {
        expect(await jobImage()).toBe('1.0.0')
        expect(await newPolicyExists()).toBe(false)
        expect(JSON.parse(r.outputs.changes)).toEqual([expect.objectContaining({ resource: 'policy', rollback: 'deleted' })])
      }
      expect(await tokenAlive(bao, login.token!)).toBe(true)
      expect(await workloadLogin(bao, expected === 'before' ? vaultBefore() : vaultAfter(), nomad.keyring)).toMatchObject({ login: 200, read: 200 })
      const shown = [r.stdout.replace(/^::add-mask::.*$/gm, ''), r.stderr, JSON.stringify(r.outputs), r.summary].join('\n')
      for (const secret of [bao.rootToken, nomad.managementToken, login.token!]) expect(shown).not.toContain(secret)
      expect(r.summary).toMatch(expected === 'before' ? /Rolled back/ : /"web"/)
      await restore()
    }
  }, 120_000)
})
