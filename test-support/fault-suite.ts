/**
 * The seeded transient-fault suite: whole runs of the action (src/main.ts run(), in-process, inputs from a reader)
 * against a real OpenBao and the Nomad double, each behind its own seeded fault proxy that injects a transient fault
 * (429/500/502/503/504, an HTML 502 page, a reset before or after forwarding, a truncated body, a delay) into about
 * `rate` of the action's requests. Run 0 is the fault-free reference. Every run must succeed and leave Vault (mount,
 * auth config, role, policy) and Nomad (job spec and version) exactly as the reference run left them; the outputs,
 * the step summary, stdout and stderr are scanned for the tokens the run used.
 *
 * Used by __tests__/fault-suite.test.ts (asserts) and by `npm run fault-suite` (writes the figures to BENCHMARKS.md).
 * Each run has its own auth path, policy and Nomad double, so runs are independent. The retry backoff is scaled down
 * through setRetryDefaults (the transport's one test and bench knob), and the input max-retries is 12 so that a
 * request faulted 13 times in a row (0.3^13, about 1.6e-7) is not a realistic cause of a failed run.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { run } from '../src/main.js'
import { setRetryDefaults } from '../src/transport/retry.js'
import { startFaultProxy, type Fault, type FaultProxy, type FaultLogEntry } from './fault-proxy.js'
import { startNomadDouble, type NomadDouble } from './nomad-double/server.js'
import type { OpenBao } from './openbao.js'
import { parseOutputFile } from './run-action.js'

export interface FaultSuiteOptions {
  bao: OpenBao
  /** Faulted runs (run 0, the reference, comes on top). */
  runs: number
  /** Probability of a fault per request of the action (0..1). */
  rate: number
  /** Seed of the first run's proxies (run i uses seed + i for Vault and seed + 10000 + i for Nomad). */
  seed?: number
  log?: (line: string) => void
}

export interface FaultRunRecord {
  run: number
  ok: boolean
  /** The run's failure message (redacted by the action). */
  error?: string
  requests: number
  faults: number
  byFault: Partial<Record<Fault, number>>
  /** Faults on writes (POST/PUT/DELETE), and of those the ones after the server did the write (reset-after, truncate). */
  writeFaults: number
  ambiguousWrites: number
  /** What differs from the reference run's end state ("vault.role: …"). */
  mismatches: string[]
  /** The tokens found in stdout, stderr, outputs, summary or annotations (by name, never the value). */
  leaks: string[]
  ms: number
}

export interface FaultSuiteFigures {
  runs: number
  rate: number
  requests: number
  faultsInjected: number
  byFault: Partial<Record<Fault, number>>
  writeFaults: number
  ambiguousWrites: number
  successes: number
  endStateMismatches: number
  leaks: number
  wallMs: number
  records: FaultRunRecord[]
  /** The fault-free run's end state, which every faulted run is compared with. */
  reference: EndState
}

/** What a run leaves, with its own names, addresses and IDs replaced so that runs compare equal. */
export interface EndState {
  vault: Record<string, unknown>
  nomad: Record<string, unknown>
  outputs: Record<string, unknown>
}

const ROLE = 'nomad-workloads'

/** Requests OpenBao itself sends (JWKS fetches) are not the action's: they are never faulted. */
const notTheAction = (req: { headers: Record<string, string | string[] | undefined> }) =>
  /Go-http-client/i.test(String(req.headers['user-agent'] ?? ''))

export async function runFaultSuite(o: FaultSuiteOptions): Promise<FaultSuiteFigures> {
  const seed = o.seed ?? 1
  const log = o.log ?? (() => {})
  const vaultProxy = await startFaultProxy({ target: o.bao.addr, delayMs: 30, exempt: notTheAction })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-faults-'))
  const saved = { ...process.env }
  setRetryDefaults({ baseDelayMs: 2, maxDelayMs: 20 })
  const started = Date.now()
  const records: FaultRunRecord[] = []
  let reference: EndState | undefined
  try {
    await o.bao.api('POST', 'secret/data/default/web/config', { data: { password: 'web-password' } })
    for (let i = 0; i <= o.runs; i++) {
      const rate = i === 0 ? 0 : o.rate
      const r = await oneRun(o.bao, vaultProxy, dir, i, rate, seed)
      if (i === 0) {
        if (!r.record.ok || !r.state) throw new Error(`the fault-free reference run failed: ${r.record.error}`)
        reference = r.state
      } else if (r.state && reference) {
        r.record.mismatches = compare(reference, r.state)
      } else {
        r.record.mismatches = ['no end state (the run failed)']
      }
      log(
        `run ${i}: ${r.record.ok ? 'ok' : `FAILED (${r.record.error})`}, ${r.record.faults}/${r.record.requests} requests faulted, ` +
          `${r.record.mismatches.length} mismatch(es), ${r.record.leaks.length} leak(s), ${r.record.ms} ms`
      )
      if (i > 0) records.push(r.record)
    }
  } finally {
    setRetryDefaults({})
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
    process.exitCode = undefined
    await vaultProxy.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const byFault: Partial<Record<Fault, number>> = {}
  for (const r of records) for (const [f, n] of Object.entries(r.byFault)) byFault[f as Fault] = (byFault[f as Fault] ?? 0) + (n ?? 0)
  return {
    runs: records.length,
    rate: o.rate,
    requests: records.reduce((a, r) => a + r.requests, 0),
    faultsInjected: records.reduce((a, r) => a + r.faults, 0),
    byFault,
    writeFaults: records.reduce((a, r) => a + r.writeFaults, 0),
    ambiguousWrites: records.reduce((a, r) => a + r.ambiguousWrites, 0),
    successes: records.filter((r) => r.ok).length,
    endStateMismatches: records.filter((r) => r.mismatches.length > 0).length,
    leaks: records.reduce((a, r) => a + r.leaks.length, 0),
    wallMs: Date.now() - started,
    records,
    reference: reference as EndState
  }
}

async function oneRun(
  bao: OpenBao,
  vaultProxy: FaultProxy,
  dir: string,
  i: number,
  rate: number,
  seed: number
): Promise<{ record: FaultRunRecord; state?: EndState }> {
  const name = `f${i}`
  const authPath = `jwt-${name}`
  const policy = `workloads-${name}`
  const t0 = Date.now()
  const nomad = await startNomadDouble({
    vaultAddr: bao.addr,
    acl: { enabled: true },
    server: { enabled: true, default_identity: { aud: ['vault.io'], ttl: '1h' } },
    client: { enabled: true, address: bao.addr, jwt_auth_backend_path: authPath, create_from_role: ROLE }
  })
  const nomadProxy = await startFaultProxy({ target: nomad.url, seed: seed + 10_000 + i, rate, delayMs: 30, exempt: notTheAction })
  const vaultStart = vaultProxy.log.length
  vaultProxy.configure({ seed: seed + i, rate })
  const runDir = path.join(dir, name)
  fs.mkdirSync(runDir)
  // One summary file for every run: @actions/core keeps the first GITHUB_STEP_SUMMARY it sees.
  const files = { output: path.join(runDir, 'output'), summary: path.join(dir, 'summary.md') }
  fs.writeFileSync(files.output, '')
  fs.writeFileSync(files.summary, '')
  const inputs: Record<string, string> = {
    'vault-addr': vaultProxy.url,
    'vault-token': bao.rootToken,
    'nomad-addr': nomadProxy.url,
    'nomad-token': nomad.managementToken,
    'auth-path': authPath,
    policy,
    job: 'examples/web.nomad.hcl',
    timeout: '1m',
    // The input caps the retries (default 4): a request faulted 13 times in a row at 30% is what 12 allow for.
    'max-retries': '12'
  }
  try {
    const captured = await runInProcess(inputs, { GITHUB_OUTPUT: files.output, GITHUB_STEP_SUMMARY: files.summary, RUNNER_TEMP: runDir })
    vaultProxy.configure({ rate: 0 })
    nomadProxy.configure({ rate: 0 })
    const outputs = parseOutputFile(fs.readFileSync(files.output, 'utf8'))
    const summary = fs.readFileSync(files.summary, 'utf8')
    const logs = [...vaultProxy.log.slice(vaultStart), ...nomadProxy.log]
    const byFault: Partial<Record<Fault, number>> = {}
    for (const e of logs as FaultLogEntry[]) if (e.fault) byFault[e.fault] = (byFault[e.fault] ?? 0) + 1
    const writes = logs.filter((e) => e.fault && e.method !== 'GET')
    const secrets = { 'vault-token': bao.rootToken, 'nomad-token': nomad.managementToken }
    const scanned = [captured.stdout.replace(/^::add-mask::.*$/gm, ''), captured.stderr, fs.readFileSync(files.output, 'utf8'), summary].join('\n')
    const leaks = Object.entries(secrets)
      .filter(([, v]) => scanned.includes(v))
      .map(([k]) => k)
    const ok = captured.exitCode === 0 && outputs.verdict === 'healthy'
    const error = ok ? undefined : (captured.failure ?? `exit code ${captured.exitCode}, verdict ${outputs.verdict ?? '(none)'}`)
    const state = ok ? await endState(bao, nomad, { authPath, policy, nomadProxy: nomadProxy.url, outputs }) : undefined
    return {
      record: {
        run: i,
        ok,
        ...(error ? { error } : {}),
        requests: logs.length,
        faults: Object.values(byFault).reduce((a, n) => a + (n ?? 0), 0),
        byFault,
        writeFaults: writes.length,
        ambiguousWrites: writes.filter((e) => e.fault === 'reset-after' || e.fault === 'truncate').length,
        mismatches: [],
        leaks,
        ms: Date.now() - t0
      },
      state
    }
  } finally {
    vaultProxy.configure({ rate: 0 })
    await nomadProxy.close()
    await nomad.close()
  }
}

/** Runs the action in this process with `inputs`, capturing what it writes to stdout and stderr. */
export async function runInProcess(
  inputs: Record<string, string>,
  env: Record<string, string>
): Promise<{ stdout: string; stderr: string; exitCode: number; failure?: string }> {
  Object.assign(process.env, env)
  process.exitCode = undefined
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write
  const err = process.stderr.write
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return true
  }) as typeof process.stderr.write
  try {
    await run((name) => inputs[name] ?? '')
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
  const exitCode = Number(process.exitCode ?? 0)
  process.exitCode = undefined
  const failure = /^::error::(.*)$/m.exec(stdout)?.[1]
  return { stdout, stderr, exitCode, ...(failure ? { failure: failure.replace(/%0A/g, '\n').replace(/%25/g, '%') } : {}) }
}

/** Reads what the run left in Vault and Nomad, with per-run names, addresses, accessors, IDs and indexes replaced. */
async function endState(
  bao: OpenBao,
  nomad: NomadDouble,
  r: { authPath: string; policy: string; nomadProxy: string; outputs: Record<string, string> }
): Promise<EndState> {
  const mount = (await bao.api('GET', 'sys/auth')).data[`${r.authPath}/`] as Record<string, unknown> | undefined
  const accessor = String(mount?.accessor ?? '(no mount)')
  const vault = {
    mount: mount ? pick(mount, ['type', 'description', 'config', 'options', 'local', 'seal_wrap', 'external_entropy_access']) : null,
    config: (await bao.api('GET', `auth/${r.authPath}/config`)).data,
    role: (await bao.api('GET', `auth/${r.authPath}/role/${ROLE}`)).data,
    policy: (await bao.api('GET', `sys/policies/acl/${r.policy}`)).data.policy
  }
  const res = await fetch(`${nomad.url}/v1/job/web`, { headers: { 'X-Nomad-Token': nomad.managementToken } })
  const job = (await res.json()) as Record<string, unknown>
  const versions = (await (await fetch(`${nomad.url}/v1/job/web/versions`, { headers: { 'X-Nomad-Token': nomad.managementToken } })).json()) as {
    Versions: unknown[]
  }
  const outputs = {
    verdict: r.outputs.verdict,
    'job-version': r.outputs['job-version'],
    'deployment-status': r.outputs['deployment-status'],
    'auth-path': r.outputs['auth-path'],
    role: r.outputs.role,
    policies: r.outputs.policies,
    'nomad-client-config': r.outputs['nomad-client-config']
  }
  const normalise = (v: unknown): Record<string, unknown> =>
    JSON.parse(
      JSON.stringify(v)
        .split(accessor)
        .join('<accessor>')
        .split(r.nomadProxy)
        .join('<nomad-addr>')
        .split(nomad.url)
        .join('<nomad-direct>')
        .split(r.authPath)
        .join('<auth-path>')
        .split(r.policy)
        .join('<policy>')
    )
  return {
    vault: normalise(vault),
    nomad: normalise({ job: withoutVolatile(job), versions: versions.Versions.length }),
    outputs: normalise(outputs)
  }
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]))
}

/** Indexes, times and generated IDs differ between any two registrations; everything else must be equal. */
const VOLATILE = /^(CreateIndex|ModifyIndex|JobModifyIndex|SubmitTime|ID_?|EvalID|NomadTokenID|VaultToken)$/
function withoutVolatile(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutVolatile)
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>)
        .filter(([k]) => !VOLATILE.test(k) || k === 'ID')
        .map(([k, x]) => [k, withoutVolatile(x)])
    )
  }
  return v
}

/** The differences between two end states, as "where: expected … got …" lines. */
export function compare(expected: EndState, actual: EndState): string[] {
  const out: string[] = []
  const walk = (a: unknown, b: unknown, at: string) => {
    if (JSON.stringify(a) === JSON.stringify(b)) return
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)])
      for (const k of keys) walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`)
      return
    }
    out.push(`${at}: expected ${JSON.stringify(a)?.slice(0, 120)}, got ${JSON.stringify(b)?.slice(0, 120)}`)
  }
  walk(expected, actual, 'end-state')
  return out
}
