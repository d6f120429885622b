/**
 * mode: check. Reads Vault and Nomad (never writes), turns what it saw into findings (src/diagnosis/*), and reports them:
 * the `findings` output, one annotation per error or warning, and the job summary. Errors fail the step; with
 * fail-on-warning, warnings do too.
 */
import * as core from '@actions/core'
import type { Config } from '../config.js'
import { errorMessage, HttpError } from '../errors.js'
import { checkVerdict, findingsOutput, findingsSummary, sortFindings, type Finding } from '../diagnosis/findings.js'
import { nomadFindings, jobVaultTasks, serverAudiences, type Fetched, type UpgradeCheckBody } from '../diagnosis/nomad-findings.js'
import { policyHazards } from '../diagnosis/policy-hazards.js'
import { vaultFindings, type PublishedKey } from '../diagnosis/vault-findings.js'
import { NomadClient, type NomadClientOptions } from '../nomad/nomad-client.js'
import { readAgentSelf, type AgentSelfResult } from '../nomad/cluster-check.js'
import { mapLimit } from '../pool.js'
import type { ApiJob } from '../nomad/inject.js'
import { fetchJwks, jwksToPem, runnerJwksTls } from '../keys/jwks.js'
import type { TlsSettings } from '../transport/index.js'
import { createVaultApi, type VaultApi } from '../vault/vault-client.js'
import { desiredState, type DesiredState } from '../vault/desired.js'
import { roleForNamespace } from '../role-choice.js'
import { PROBE_JOB_ID } from '../diagnosis/probe-job.js'
import { runProbe } from './probe.js'
import { setOutputs } from '../report/outputs.js'
import { capSummary } from '../report/summary-fit.js'
import { redact } from '../transport/index.js'
import { readCurrentState } from '../vault/read-state.js'
import type { ModeOptions } from '../inputs/mode-options.js'

export interface CheckResult {
  findings: Finding[]
  /** Why the step failed; undefined when it passed. */
  failure?: string
}

export interface CheckDeps {
  api?: VaultApi
  nomadClient?: NomadClientOptions
}

/** Nomad's JWKS as the runner sees it, one entry per key (kid, algorithm, PEM or why it is unusable). */
export async function publishedKeys(url: string, tls: TlsSettings = {}): Promise<PublishedKey[]> {
  const jwks = await fetchJwks(url, tls)
  const out: PublishedKey[] = []
  for (const [i, key] of jwks.keys.entries()) {
    const kid = String(key.kid ?? `#${i + 1}`)
    const alg = String(key.alg ?? (key.kty === 'RSA' ? 'RS256' : key.kty === 'OKP' ? 'EdDSA' : (key.kty ?? '?')))
    try {
      out.push({ kid, alg, pem: (await jwksToPem({ keys: [key] }, 'jwks-url'))[0] })
    } catch (err) {
      out.push({ kid, alg, problem: errorMessage(err) })
    }
  }
  return out
}

async function fetched<T>(p: Promise<T>): Promise<Fetched<T>> {
  try {
    return { ok: true, value: await p }
  } catch (err) {
    return { ok: false, status: err instanceof HttpError ? err.status : undefined, reason: errorMessage(err) }
  }
}

/** Every job in every namespace, as GET /v1/job/:id returns it (8 at a time). */
async function readAllJobs(client: NomadClient): Promise<ApiJob[]> {
  const jobs = client.api.jobs()
  const stubs = await jobs.list<{ ID: string; Namespace?: string }>({ namespace: '*' })
  const list = Array.isArray(stubs) ? stubs : []
  const out = await mapLimit(list, 8, async (s) => (await jobs.info(s.ID, { namespace: s.Namespace || 'default' }))[0] as ApiJob)
  return out.filter(Boolean)
}

/** Gathers everything (reads only) and evaluates it. Exported for tests; runCheck reports it. */
export async function collectFindings(cfg: Config, deps: CheckDeps = {}): Promise<Finding[]> {
  const s = cfg.settings
  // The policy hazards and the clients' create_from_role are checked for the first declared role.
  const first = s.roles[0]
  const api = deps.api ?? createVaultApi(cfg.vault)
  const nomad = cfg.nomad.addr ? new NomadClient({ ...cfg.nomad, namespace: '' }, deps.nomadClient) : undefined
  const noNomad: Fetched<never> = { ok: false, reason: 'no nomad-addr' }
  const [current, keys, self, upgrade, jobs] = await Promise.all([
    readCurrentState(api, s),
    s.keySource === 'oidc-discovery'
      ? Promise.resolve(undefined)
      : fetched(publishedKeys(s.jwksUrl, runnerJwksTls(s.jwksUrl, s.jwksCaPem, cfg.nomad))),
    nomad ? readAgentSelf(nomad) : Promise.resolve<AgentSelfResult | undefined>(undefined),
    nomad
      ? fetched(
          nomad.api
            .operator()
            .vaultWorkloadIdentityUpgradeCheck<UpgradeCheckBody>()
            .then((body) => body ?? {})
        )
      : Promise.resolve(noNomad),
    nomad ? fetched(readAllJobs(nomad)) : Promise.resolve(noNomad)
  ])

  // The desired state; for static keys, the keys Nomad publishes (or, if they could not be fetched, Vault's own, so
  // that the other fields are still compared).
  let desired: DesiredState | null = null
  const usable = keys?.ok ? keys.value.filter((k) => k.pem).map((k) => k.pem!) : []
  const inVault = current.authConfig?.jwt_validation_pubkeys
  const staticKeys = usable.length > 0 ? usable : Array.isArray(inVault) ? inVault.map(String) : []
  try {
    desired = desiredState(s, { staticKeys: s.keySource === 'static' ? staticKeys : undefined })
  } catch {
    desired = null
  }

  const findings: Finding[] = vaultFindings({
    settings: s,
    current,
    desired,
    keys: keys === undefined ? null : keys.ok ? keys.value : null,
    jwksError: keys && !keys.ok ? keys.reason : undefined,
    serverAudiences: self ? serverAudiences(self) : undefined
  })

  if (nomad && self) {
    findings.push(
      ...nomadFindings({ expected: { authPath: s.authPath, role: first.name, audience: s.audience, vaultAddr: cfg.vault.addr }, self, upgrade, jobs })
    )
  } else {
    findings.push({
      severity: 'info',
      check: 'nomad',
      message: 'No nomad-addr: the Nomad side (agents, upgrade check, jobs) was not checked.',
      fix: 'Set nomad-addr and nomad-token (agent:read, operator:read, read-job on every namespace).'
    })
  }

  const policyText = current.policies[first.policy] ?? desired?.policies[0].text(current.mount?.accessor ?? '')
  if (policyText) {
    findings.push(
      ...policyHazards({
        policyName: first.policy,
        policyText,
        accessor: current.mount?.accessor ?? '',
        role: current.roles[first.name] ?? (desired?.roles[0].role as unknown as Record<string, unknown>) ?? null,
        jobs: jobs.ok
          ? jobs.value.map((j) => ({
              id: String(j.ID),
              namespace: String(j.Namespace ?? 'default'),
              vaultTasks: jobVaultTasks(j).map((t) => t.task)
            }))
          : undefined
      })
    )
  }
  return sortFindings(findings)
}

/** The live probe (probe-secret): its finding, with the role of the probe's namespace. */
async function probeFindings(cfg: Config, probe: NonNullable<ModeOptions['probe']>, deps: CheckDeps): Promise<Finding[]> {
  if (!cfg.nomad.addr) {
    return [
      {
        severity: 'warning',
        check: 'live-probe',
        message: 'probe-secret is set but nomad-addr is not: no probe was run.',
        fix: 'Set nomad-addr and nomad-token.'
      }
    ]
  }
  const roles = cfg.settings.roles
  const role = (roleForNamespace(roles, probe.namespace) ?? roles[0]).name
  const client = new NomadClient({ ...cfg.nomad, namespace: probe.namespace }, deps.nomadClient)
  core.startGroup(`check: live probe in namespace "${probe.namespace}" (registers and purges job ${PROBE_JOB_ID})`)
  try {
    return [await runProbe(client, { ...probe, role }, cfg.settings.authPath, cfg.job.timeoutMs || 120_000)]
  } finally {
    core.endGroup()
  }
}

export async function runCheck(cfg: Config, opts: ModeOptions, deps: CheckDeps = {}): Promise<CheckResult> {
  let findings: Finding[] = []
  let failure: string | undefined
  try {
    core.startGroup('check: reading Vault and Nomad (read-only)')
    try {
      findings = await collectFindings(cfg, deps)
    } finally {
      core.endGroup()
    }
    if (opts.probe) findings = sortFindings([...findings, ...(await probeFindings(cfg, opts.probe, deps))])
    for (const f of findings) {
      const text = `${f.message}${f.fix ? ` Fix: ${f.fix}` : ''}`
      const props = { title: `check: ${f.check}` }
      if (f.severity === 'error') core.error(text, props)
      else if (f.severity === 'warning') core.warning(text, props)
      else core.info(`[${f.check}] ${text}`)
    }
    setOutputs({ findings: findingsOutput(findings) })
    failure = checkVerdict(findings, opts.failOnWarning)
    if (failure) {
      // The findings are annotated already: only mark the step failed.
      core.info(failure)
      process.exitCode = core.ExitCode.Failure
    }
    return { findings, failure }
  } finally {
    if (process.env.GITHUB_STEP_SUMMARY && findings.length > 0) {
      try {
        // The same redaction as every other summary: evidence holds what Vault and Nomad returned.
        await core.summary
          .addRaw(capSummary(redact(findingsSummary(findings, { vaultAddr: cfg.vault.addr, nomadAddr: cfg.nomad.addr, verdict: failure }))))
          .write()
      } catch (e) {
        core.debug(`job summary not written: ${errorMessage(e)}`)
      }
    }
  }
}
