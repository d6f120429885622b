/**
 * Orchestration only: inputs → Vault reconcile → agent blocks → job deploy → outputs and summary.
 * Each layer lives in its own module; this file decides the order and how failures are reported.
 */
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { signIn, type Session } from './auth/index.js'
import type { Config } from './config.js'
import { ActionError, asInternalError, bugMessage, errorMessage, withNote, type InternalError } from './errors.js'
import { redact, registerSecrets, startTransport } from './transport/index.js'
import { readInputs, type InputReader, envInputReader } from './inputs/read-inputs.js'
import { releaseMeta, runContextFromEnv, runFacts } from './github/context.js'
import type { DeploymentRecord } from './github/deployment.js'
import { driftFailure, type GitHubOptions } from './github/options.js'
import { renderClientBlock, renderServerBlock } from './nomad/agent-config.js'
import { deployJobs, deployRun, planJobs, prepareJobs, type JobResult, type PlannedJob, type PreparedJobs } from './nomad/deploy.js'
import { planDocumentOf, refusalOf } from './approval/approve.js'
import type { PlanDocument } from './approval/plan-doc.js'
import { writePlanFile } from './approval/plan-file.js'
import { verdictFails } from './nomad/verdict.js'
import { runMode } from './modes/index.js'
import { failedJobsMessage } from './report/failure.js'
import { jobOutputs, roleOutputs, setOutputs } from './report/outputs.js'
import { buildSummary } from './report/summary.js'
import { changesOutput } from './report/vault-changes.js'
import { createVaultApi } from './vault/vault-client.js'
import { deployVaultContext } from './nomad/job-role.js'
import { readCurrentState } from './vault/read-state.js'
import { reconcileVault, vaultOutcomeOf, type VaultResult } from './vault/reconcile.js'
import type { Change } from './vault/plan-vault.js'
import { confirmVault } from './vault/verify.js'
import { CancelledError, watchCancellation } from './cancel.js'
import { registeredSoFar } from './nomad/registered.js'

/** Runs the action. Resolves `{ cancelled: true }` after a SIGINT/SIGTERM (the caller then exits non-zero). */
export async function run(read: InputReader = envInputReader): Promise<{ cancelled: boolean }> {
  const cancel = watchCancellation()
  // Where the run is, for the summary of a failed or cancelled run.
  let phase: 'inputs' | 'prepare' | 'vault' | 'nomad' = 'inputs'
  let cfg: Config | undefined
  let vault: VaultResult | undefined
  let blocks: { server: string; client: string } | undefined
  let jobs: JobResult[] = []
  let failure: string | undefined
  let session: Session | undefined
  let gh: GitHubOptions | undefined
  let record: DeploymentRecord | undefined
  const github = runContextFromEnv()
  const meta = releaseMeta(github)
  const release = { ...meta, ...runFacts(github) }
  const started: JobResult[] = []
  let prepared: PreparedJobs | undefined
  let plan: PlanDocument | undefined
  let delegated = false // check and destroy report (and summarise) themselves: src/modes/
  try {
    // Every input, every problem at once, before the first request.
    const inputs = readInputs(read)
    cfg = inputs.config
    gh = inputs.github
    const mode = inputs.mode
    startTransport(cfg)
    if (gh.failOnDrift) cfg = { ...cfg, dryRun: true } // a drift check writes nothing
    session = await signIn(cfg)
    cfg = session.config
    registerSecrets(cfg)
    if (mode.mode === 'check' || mode.mode === 'destroy') {
      delegated = true
      await runMode(cfg, mode)
      return { cancelled: cancel.reason !== undefined }
    }
    if (cfg.dryRun) core.notice('dry-run: planning only; nothing will be written to Vault or Nomad.')
    setOutputs({ release: JSON.stringify(release) })

    // Everything is read and checked before the first write. Reading Vault and parsing the job files are both
    // reads, so they run at the same time; the first write comes after both.
    const vaultApi = createVaultApi(cfg.vault)
    const vaultCurrent = readCurrentState(vaultApi, cfg.settings)
    vaultCurrent.catch(() => undefined) // awaited by reconcileVault; a job file error ends the run first
    if (cfg.job.files.length > 0) {
      core.startGroup('Nomad: reading and parsing the job files')
      try {
        phase = 'prepare'
        prepared = await cancel.race(prepareJobs(cfg), 'while the job files were read (nothing was written)')
      } finally {
        core.endGroup()
      }
    }

    // The agent blocks and every job's Vault context follow from the inputs alone (pure).
    blocks = { server: renderServerBlock(cfg), client: renderClientBlock(cfg) }
    const run = prepared ? deployRun(prepared, cfg, deployVaultContext(cfg), blocks, meta, started) : undefined
    // expected-plan: every job is planned before the first write, and the whole plan is compared with the approved
    // one right before Vault's first write (reconcile's approve hook); the jobs are then registered as planned.
    const expected = cfg.job.expectedPlan
    let planned: (PlannedJob | JobResult)[] | undefined
    if (expected && run && prepared) {
      core.startGroup('Nomad: planning every job (expected-plan: compared with the approved plan before any write)')
      try {
        phase = 'prepare'
        run.approvedPlan = true
        planned = await cancel.race(planJobs(run, prepared), 'while the jobs were planned (nothing was written)')
      } finally {
        core.endGroup()
      }
    }
    const plannedJobs = () => (planned ?? []).map((p) => ('loaded' in p ? p.result : p))
    core.startGroup('Vault: JWT auth method for Nomad workload identity')
    try {
      phase = 'vault'
      const approve = expected
        ? (changes: Change[]) => {
            plan = planDocumentOf(cfg as Config, changes, plannedJobs())
            return refusalOf(expected, plan)
          }
        : undefined
      vault = await reconcileVault(cfg, { api: vaultApi, current: vaultCurrent, signal: cancel.signal, approve })
    } finally {
      core.endGroup()
    }
    setOutputs({
      'auth-path': vault.authPath,
      'auth-accessor': vault.accessor,
      ...roleOutputs(cfg.settings.roles),
      'key-source': cfg.settings.keySource,
      changes: JSON.stringify(vault.changes)
    })
    const drift = gh.failOnDrift ? driftFailure(vault.changes) : undefined
    if (drift) {
      failure = drift
      core.setFailed(drift)
    }

    const files = await writeBlocks(cfg.tempDir, blocks)
    setOutputs({
      'nomad-server-config': blocks.server,
      'nomad-client-config': blocks.client,
      'nomad-server-config-file': files.server,
      'nomad-client-config-file': files.client
    })

    if (prepared && run) {
      cancel.check('after Vault was set up, before the job was registered')
      phase = 'nomad'
      // import(): octokit is loaded only by a run that records a deployment or comments (scripts/build.mjs splits it off).
      if (gh.deploymentEnvironment) {
        const { startDeploymentRecord } = await import('./github/deployment.js')
        record = await startDeploymentRecord(gh.token, gh.deploymentEnvironment, cfg.job.files)
      }
      jobs = await cancel.race(deployJobs(run, prepared, cancel.signal, planned), 'while the job was being deployed')
      setOutputs(jobOutputs(jobs))
      const failed = jobs.filter((j) => verdictFails(j.verdict))
      if (failed.length > 0) {
        failure = redact(failedJobsMessage(failed))
        core.setFailed(failure)
      }
    } else {
      core.info('No "job" input: stopping after Vault and the agent configuration.')
    }
    plan ??= planDocumentOf(cfg, vault.planned, jobs)
    // A destroy of the same auth path may have run meanwhile: success is never reported over a vanished setup.
    if (!cfg.dryRun && !failure) await confirmVault(vaultApi, cfg.settings, vault.accessor)
  } catch (err) {
    // A failed Vault step: `changes` says exactly what was written and what the rollback did.
    vault = vaultOutcomeOf(err) ?? vault
    if (phase === 'vault') setOutputs({ changes: JSON.stringify(vault ? changesOutput(vault) : []) })
    const reported = err instanceof CancelledError ? withNote(err, cancelNote(phase, vault)) : err
    if (err instanceof CancelledError && phase === 'nomad') {
      // The outputs known so far: the jobs registered before the signal (their deployments go on in Nomad).
      jobs = await registeredSoFar(started, prepared?.client)
      if (jobs.length > 0) setOutputs(jobOutputs(jobs))
    }
    failure = reportError(reported, cfg)
  } finally {
    // The plan this run made, also when expected-plan refused it (so that the new plan can be reviewed).
    if (plan && cfg) setOutputs({ 'plan-id': plan.planId, 'plan-file': await writePlanFile(cfg.tempDir, plan).catch(() => '') })
    await session?.end()
    await record?.finish(failure ? 'failure' : 'success')
    const md =
      cfg && !delegated
        ? await writeSummary(cfg, vault, blocks, jobs, release, failure, phase === 'vault' || phase === 'prepare' || phase === 'inputs', plan?.planId)
        : undefined
    if (md && cfg && gh?.prComment) await (await import('./github/pr-comment.js')).publishPlanComment(gh.token, md, cfg.job.files)
    cancel.dispose()
  }
  return { cancelled: cancel.reason !== undefined }
}

/** What a cancelled run left behind, appended to the message of its CancelledError. */
function cancelNote(phase: string, vault: VaultResult | undefined): string {
  if (phase === 'nomad') {
    return (
      ' Vault is set up. The job was registered or was being registered: the deployment continues in Nomad (the action ' +
      'only stopped following it); check it with `nomad job status`.'
    )
  }
  if (vault?.rollback) return ' Nothing was registered in Nomad.'
  if (vault?.applied) return ' Vault is set up (every change was written); nothing was registered in Nomad.'
  return ' Nothing was written to Vault or Nomad.'
}

/** Reports an error: user errors by their message, a bug of ours as such with its stack; never prints a token. */
function reportError(err: unknown, cfg: Config | undefined): string {
  const message = redact(errorMessage(err), [cfg?.vault.token, cfg?.nomad.token])
  if (err instanceof ActionError && err.annotation) {
    // One annotation on the user's file and line (setFailed would add a second, unplaced one).
    core.error(message, {
      file: err.annotation.file,
      startLine: err.annotation.startLine,
      startColumn: err.annotation.startColumn,
      title: 'Nomad job parse error'
    })
    process.exitCode = core.ExitCode.Failure
  } else if (err instanceof ActionError) {
    core.setFailed(message)
  } else {
    // Anything that is not an ActionError is a defect of ours: say so, with its stack (redacted) in the log.
    const bug = asInternalError(err) as InternalError
    core.error(redact(bug.stack ?? bug.message, [cfg?.vault.token, cfg?.nomad.token]), { title: 'Bug in nomad-vault-action' })
    const text = redact(bugMessage(bug), [cfg?.vault.token, cfg?.nomad.token])
    core.setFailed(text)
    return text
  }
  return message
}

async function writeBlocks(dir: string, blocks: { server: string; client: string }): Promise<{ server: string; client: string }> {
  await fs.mkdir(dir, { recursive: true })
  const server = path.join(dir, 'nomad-vault-server.hcl')
  const client = path.join(dir, 'nomad-vault-client.hcl')
  await Promise.all([fs.writeFile(server, blocks.server), fs.writeFile(client, blocks.client)])
  return { server, client }
}

async function writeSummary(
  cfg: Config,
  vault: VaultResult | undefined,
  blocks: { server: string; client: string } | undefined,
  jobs: JobResult[],
  release: Record<string, string>,
  error: string | undefined,
  beforeVaultDone = false,
  planId?: string
): Promise<string> {
  const md = buildSummary({
    dryRun: cfg.dryRun,
    vault: {
      addr: cfg.vault.addr,
      authPath: vault?.authPath ?? cfg.settings.authPath,
      accessor: vault?.accessor ?? '',
      keySource: cfg.settings.keySource,
      roles: cfg.settings.roles,
      changes: vault?.changes ?? [],
      undeclared: vault?.undeclared,
      prune: cfg.settings.prune,
      rollback: vault?.rollback,
      note: error && beforeVaultDone && !vault?.changes.length ? 'Nothing was written to Vault.' : undefined
    },
    serverBlock: blocks?.server ?? '',
    clientBlock: blocks?.client ?? '',
    jobs,
    release,
    error,
    planId
  })
  if (!process.env.GITHUB_STEP_SUMMARY) return md
  try {
    await core.summary.addRaw(redact(md)).write()
  } catch (e) {
    core.debug(`job summary not written: ${errorMessage(e)}`)
  }
  return md
}
