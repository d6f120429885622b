/**
 * Reads what Vault has, plans, checks Vault's limits, and applies the changes as a transaction (transaction.ts):
 * a failed or cancelled run puts back what it wrote. A run against an unchanged Vault only reads (4 GETs, in
 * parallel); a run that wrote reads the objects back once to prove the end state. A fresh setup takes 5 sequential
 * rounds: the reads, the mount, then its accessor with the config and the role, then the policy, then the read-back
 * (writeFreshMount).
 * The reads are read-state.ts, the mount writes mount-writes.ts, the read-back verify.ts.
 */
import * as core from '@actions/core'
import type { Config } from '../config.js'
import { CancelledError } from '../cancel.js'
import { ActionError, HttpError, withNote } from '../errors.js'
import type { TlsSettings as TlsOptions } from '../transport/index.js'
import { fetchJwks, jwksToPem, runnerJwksTls } from '../keys/jwks.js'
import { createVaultApi, type VaultApi, type VaultRequestEvent } from './vault-client.js'
import { desiredState } from './desired.js'
import { formatChange, logChange } from './change-text.js'
import { checkRequestStrings } from './limits.js'
import { enableMount, mountAfterEnable, writeFreshMount } from './mount-writes.js'
import { readCurrentState } from './read-state.js'
import { ConcurrentChangeError, VanishedError, verifyEndState } from './verify.js'
import { BeingDestroyedError, planUndeclared, planVault, writeOrder, type Change, type CurrentState } from './plan-vault.js'
import type { RollbackEntry } from './restore.js'
import { VaultTransaction } from './transaction.js'

export interface VaultResult {
  /** Accessor of the JWT auth mount; '' in a dry run when the mount does not exist yet. */
  accessor: string
  /** The changes made (or, in a dry run, that would be made). Empty when Vault was already up to date. */
  changes: Change[]
  /** The changes as planned from the first read, before any write (what the plan-id covers). */
  planned: Change[]
  /** true when changes were written to Vault (false in a dry run and when there was nothing to do). */
  applied: boolean
  authPath: string
  /** Managed roles and policies that are no longer declared: removed with prune (then also in changes), else kept. */
  undeclared: Change[]
  /** Set when the run failed or was cancelled after writing: what happened to each written object. */
  rollback?: RollbackEntry[]
}

export interface ReconcileOptions {
  /** For key-source static: returns the PEM public keys of the JWKS at `url`. Default: fetchJwks + jwksToPem. */
  fetchStaticKeys?: (url: string, tls: TlsOptions) => Promise<string[]>
  /** Use this client instead of creating one from cfg.vault. */
  api?: VaultApi
  /** Called before every Vault request (when the client is created here). */
  onRequest?: (event: VaultRequestEvent) => void
  /** Log sink; default core.info. */
  log?: (line: string) => void
  /** Aborted on cancellation: the write in flight finishes, then what was written is put back. */
  signal?: AbortSignal
  /** The current state, when the caller started readCurrentState earlier (main.ts reads while job files parse). */
  current?: Promise<CurrentState>
  /**
   * expected-plan: called with the plan right before the first write (also when nothing is to change); a returned
   * text refuses the run with nothing written.
   */
  approve?: (planned: Change[]) => string | undefined
}

export async function defaultFetchStaticKeys(url: string, tls: TlsOptions): Promise<string[]> {
  return jwksToPem(await fetchJwks(url, tls), `The JWKS at jwks-url "${url}"`)
}

export async function reconcileVault(cfg: Config, opts: ReconcileOptions = {}): Promise<VaultResult> {
  const log = opts.log ?? ((l: string) => core.info(l))
  const settings = cfg.settings
  const api = opts.api ?? createVaultApi(cfg.vault, { onRequest: opts.onRequest })
  const fetchStatic = opts.fetchStaticKeys ?? defaultFetchStaticKeys

  const [current, staticKeys] = await Promise.all([
    opts.current ?? readCurrentState(api, settings),
    settings.keySource === 'static'
      ? fetchStatic(settings.jwksUrl, runnerJwksTls(settings.jwksUrl, settings.jwksCaPem, cfg.nomad))
      : Promise.resolve(undefined)
  ])
  const desired = desiredState(settings, { staticKeys })
  const planned = planVault(current, desired)
  const undeclared = planUndeclared(current, desired)
  const result = (accessor: string, changes: Change[], applied: boolean): VaultResult => ({
    accessor,
    changes,
    planned,
    applied,
    authPath: desired.mount.path,
    undeclared
  })
  const tooBig = checkRequestStrings(desired.authConfig, `auth config write (POST ${desired.configPath})`, 'The keys of the key source')
  if (tooBig.length > 0) throw new ActionError(`${tooBig[0]} Nothing was written to Vault.`)
  if (undeclared.length > 0 && !desired.prune) {
    log(
      `Vault: ${undeclared.map((c) => `${c.resource} ${c.path}`).join(', ')} ${undeclared.length === 1 ? 'is' : 'are'} managed by the action but no longer ` +
        'declared in roles; kept. Set prune: true to remove them.'
    )
  }

  const refused = opts.approve?.(planned)
  if (refused) throw new ActionError(`${refused} Nothing was written to Vault or Nomad.`)
  if (planned.length === 0) {
    const names = (list: { name: string }[]) => list.map((x) => `"${x.name}"`).join(', ')
    log(`Vault: auth method "${desired.mount.path}", role(s) ${names(desired.roles)} and policy(ies) ${names(desired.policies)} are up to date.`)
    return result(current.mount?.accessor ?? '', [], false)
  }
  if (cfg.dryRun) {
    log(`Vault (dry run): ${planned.length} change(s) would be made; nothing was written.`)
    for (const c of planned) for (const l of formatChange(c)) log(`  ${l}`)
    return result(current.mount?.accessor ?? '', planned, false)
  }

  const tx = new VaultTransaction(api, desired, log)
  tx.accessor = current.mount?.accessor ?? ''
  try {
    let state = current
    let steps = writeOrder(planned, current)
    const mountChange = steps.find((c) => c.resource === 'auth-mount')
    if (opts.signal?.aborted) throw new CancelledError('before its first write to Vault')
    if (mountChange) {
      logChange(log, mountChange)
      const origin = await enableMount(api, desired)
      // Journalled before anything else can fail, so that a failed read below still rolls the new mount back.
      tx.recordMount(mountChange, origin)
      if (origin === 'created') {
        await writeFreshMount({ api, tx, settings, desired, current, log, signal: opts.signal })
        log(`Vault: ${tx.written.length} change(s) applied.`)
        return result(tx.accessor, tx.written, true)
      }
      const mount = await mountAfterEnable(api, desired)
      tx.accessor = mount.accessor
      // Another run mounted it first: what it wrote under the mount is now the state to update from.
      state = await readCurrentState(api, settings)
      if (!state.mount) state = { ...state, mount }
      steps = writeOrder(planVault(state, desired), state).filter((c) => c.resource !== 'auth-mount')
    }
    for (const change of steps) {
      if (opts.signal?.aborted) throw new CancelledError('while it was writing to Vault')
      logChange(log, change)
      await tx.write(change, state)
    }
    await verifyEndState(readCurrentState(api, settings), desired, log)
  } catch (thrown) {
    const written = tx.written
    // Another run's work (a change, or a destroy): undoing this run's writes would not put anything right.
    const conflict = thrown instanceof ConcurrentChangeError || thrown instanceof VanishedError || thrown instanceof BeingDestroyedError
    const vanished =
      current.mount && thrown instanceof HttpError && thrown.status === 404 && /no handler for route/i.test(thrown.serverMessage)
        ? ` The auth method "${desired.mount.path}" existed when this run read it: another run (a mode: destroy?) disabled it meanwhile.`
        : ''
    const err = vanished ? withNote(thrown, vanished) : thrown
    const rollback = written.length > 0 && !conflict ? await tx.rollback() : undefined
    throw attachOutcome(err, { ...result(tx.accessor, written, written.length > 0), rollback })
  }
  log(`Vault: ${tx.written.length} change(s) applied.`)
  return result(tx.accessor, tx.written, true)
}

const OUTCOME = Symbol('vaultOutcome')

/** The error of a failed reconcile, carrying its outcome (vaultOutcomeOf); after a rollback, a new error that says what it did. */
function attachOutcome(thrown: unknown, outcome: VaultResult): unknown {
  if (!(thrown instanceof Error)) return thrown
  const kept = outcome.rollback?.filter((r) => r.outcome === 'kept') ?? []
  const note = !outcome.rollback?.length
    ? ''
    : kept.length === 0
      ? ` Vault was put back as it was before the run (${outcome.rollback.length} object(s) restored).`
      : ` Vault could NOT be fully put back: ${kept.map((k) => `${k.path} (${k.reason})`).join('; ')}. The step summary gives the command to fix each.`
  const err = note ? withNote(thrown, note) : thrown
  ;(err as Error & { [OUTCOME]?: VaultResult })[OUTCOME] = outcome
  return err
}

/** What a failed reconcile wrote and put back (undefined when the error did not come from reconcileVault). */
export function vaultOutcomeOf(err: unknown): VaultResult | undefined {
  return err instanceof Error ? (err as Error & { [OUTCOME]?: VaultResult })[OUTCOME] : undefined
}
