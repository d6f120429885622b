/**
 * Reads what Vault has, plans, checks Vault's limits, and applies the changes as a transaction (transaction.ts):
 * a failed or cancelled run puts back what it wrote. A run against an unchanged Vault only reads (4 GETs, in
 * parallel); a run that wrote reads the objects back once to prove the end state. A fresh setup takes 4 sequential
 * rounds: the reads, the mount, then its accessor with the config and the role, then the policy (writeFreshMount).
 */
import * as core from '@actions/core'
import type { Config, VaultSettings } from '../config.js'
import { CancelledError } from '../cancel.js'
import { ActionError, HttpError } from '../errors.js'
import type { TlsSettings as TlsOptions } from '../transport/index.js'
import { fetchJwks, jwksToPem, runnerJwksTls } from '../keys/jwks.js'
import { createVaultApi, type VaultApi, type VaultRequestEvent } from './client.js'
import { MountInUseError } from './errors.js'
import { desiredState, MOUNT_DESCRIPTION, POLICY_MARKER, type DesiredState } from './desired.js'
import { roleList, roleNamespaces } from '../roles.js'
import { formatChange } from './change-text.js'
import { checkRequestStrings } from './limits.js'
import { dataOf, parseMounts, policyOf } from './read-back.js'
import { planUndeclared, planVault, writeOrder, type Change, type CurrentMount, type CurrentState, type UndeclaredState } from './plan.js'
import { VaultTransaction, type RollbackEntry } from './transaction.js'

export interface VaultResult {
  /** Accessor of the JWT auth mount; '' in a dry run when the mount does not exist yet. */
  accessor: string
  /** The changes made (or, in a dry run, that would be made). Empty when Vault was already up to date. */
  changes: Change[]
  /** true when changes were written to Vault (false in a dry run and when there was nothing to do). */
  applied: boolean
  /** Token policies the role grants (the first declared role). */
  policies: string[]
  authPath: string
  /** The first declared role (the only one with the single-role inputs). */
  role: string
  /** Every declared role with its policies and the Nomad namespaces it is bound to (null: any). */
  roles: { name: string; policies: string[]; namespaces: string[] | null }[]
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
}

export async function defaultFetchStaticKeys(url: string, tls: TlsOptions): Promise<string[]> {
  return jwksToPem(await fetchJwks(url, tls), `The JWKS at jwks-url "${url}"`)
}

/**
 * Reads the current state in parallel: the mount list, the config, every declared role and policy (and, with the
 * roles input or prune, the list of roles on the mount). The reads under the mount and the policy reads only matter
 * when the mount exists: if it does not, a 400/403/404 from them is ignored (the token may only have access once
 * it exists). Undeclared roles on a managed mount, and the marked policies only they use, are read in a second round.
 */
export async function readCurrentState(api: VaultApi, settings: VaultSettings): Promise<CurrentState> {
  const path = settings.authPath.replace(/^\/+|\/+$/g, '')
  const declared = roleList(settings)
  const policyNames = [...new Set(declared.map((r) => r.policy))]
  const listRoles = settings.roles !== undefined || settings.prune === true
  const soft = <T>(p: Promise<T>) =>
    p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error })
    )
  const [mounts, config, names, ...rest] = await Promise.all([
    api.read('sys/auth'),
    soft(api.read(`auth/${path}/config`)),
    listRoles ? soft(api.list(`auth/${path}/role`)) : Promise.resolve({ ok: true as const, value: [] as string[] }),
    ...declared.map((r) => soft(api.read(`auth/${path}/role/${r.name}`))),
    ...policyNames.map((n) => soft(api.read(`sys/policies/acl/${n}`)))
  ])
  const mount = parseMounts(mounts)[`${path}/`] ?? null
  const settle = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T | null => {
    if (r.ok) return r.value
    if (!mount && r.error instanceof HttpError && [400, 403, 404].includes(r.error.status)) return null
    throw r.error
  }
  const roles: Record<string, Record<string, unknown> | null> = {}
  declared.forEach((r, i) => {
    const res = settle(rest[i])
    roles[r.name] = mount ? dataOf(res) : null
  })
  const policies: Record<string, string | null> = {}
  policyNames.forEach((n, i) => {
    policies[n] = policyOf(settle(rest[declared.length + i]))
  })
  const configRes = settle(config)
  const listed = (settle(names) ?? []) as string[]
  const managed = mount?.type === 'jwt' && mount.description?.trim() === MOUNT_DESCRIPTION
  const extra = managed ? listed.filter((n) => !(n in roles)) : []
  return {
    mount,
    authConfig: mount ? dataOf(configRes) : null,
    role: roles[declared[0].name],
    policy: policies[declared[0].policy],
    roles,
    policies,
    ...(listRoles && mount ? { undeclared: await readUndeclared(api, path, extra, policyNames) } : {})
  }
}

/** Undeclared roles (as read) and the marked policies that only they use. */
async function readUndeclared(api: VaultApi, path: string, names: string[], declaredPolicies: string[]): Promise<UndeclaredState> {
  const out: UndeclaredState = { roles: {}, policies: {} }
  const data = await Promise.all(names.map((n) => api.read(`auth/${path}/role/${n}`)))
  names.forEach((n, i) => {
    const d = dataOf(data[i])
    if (d) out.roles[n] = d
  })
  const used = new Set(Object.values(out.roles).flatMap((r) => (Array.isArray(r.token_policies) ? r.token_policies.map(String) : [])))
  const candidates = [...used].filter((p) => !declaredPolicies.includes(p) && p !== 'default' && p !== 'root')
  const texts = await Promise.all(candidates.map((p) => api.read(`sys/policies/acl/${p}`)))
  candidates.forEach((p, i) => {
    const text = policyOf(texts[i])
    if (text?.trimStart().startsWith(POLICY_MARKER)) out.policies[p] = text
  })
  return out
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
    applied,
    policies: [...desired.role.token_policies],
    authPath: desired.mount.path,
    role: desired.roles[0].name,
    roles: roleList(settings).map((r) => ({ name: r.name, policies: [r.policy], namespaces: roleNamespaces(r) })),
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
  } catch (err) {
    const written = tx.written
    const conflict = err instanceof ConcurrentChangeError
    const rollback = written.length > 0 && !conflict ? await tx.rollback() : undefined
    throw attachOutcome(err, { ...result(tx.accessor, written, written.length > 0), rollback })
  }
  log(`Vault: ${tx.written.length} change(s) applied.`)
  return result(tx.accessor, tx.written, true)
}

/** Another run or a person changed an object while this run was writing: nothing is rolled back. */
export class ConcurrentChangeError extends ActionError {
  constructor(changes: Change[]) {
    super(
      `Another run (or a person) changed ${changes.map((c) => c.path).join(', ')} while this run was writing to Vault: ` +
        `reading back, ${changes.flatMap((c) => c.diff.map((d) => `${d.field} is ${JSON.stringify(d.before)}, not ${JSON.stringify(d.after)}`)).join('; ')}. ` +
        "Nothing was rolled back, so as not to undo the other run's work. Re-run this workflow; to avoid the race, " +
        'let only one deploy at a time use this Vault auth path (a GitHub Actions `concurrency:` group).'
    )
    this.name = 'ConcurrentChangeError'
  }
}

const OUTCOME = Symbol('vaultOutcome')

function attachOutcome(err: unknown, outcome: VaultResult): unknown {
  if (!(err instanceof Error)) return err
  ;(err as Error & { [OUTCOME]?: VaultResult })[OUTCOME] = outcome
  const kept = outcome.rollback?.filter((r) => r.outcome === 'kept') ?? []
  if (outcome.rollback && outcome.rollback.length > 0) {
    err.message +=
      kept.length === 0
        ? ` Vault was put back as it was before the run (${outcome.rollback.length} object(s) restored).`
        : ` Vault could NOT be fully put back: ${kept.map((k) => `${k.path} (${k.reason})`).join('; ')}. The step summary gives the command to fix each.`
  }
  return err
}

/** What a failed reconcile wrote and put back (undefined when the error did not come from reconcileVault). */
export function vaultOutcomeOf(err: unknown): VaultResult | undefined {
  return err instanceof Error ? (err as Error & { [OUTCOME]?: VaultResult })[OUTCOME] : undefined
}

/**
 * Reads the objects back after writing: they must be the desired state, or another writer was at work. Every write
 * succeeded, so a failed read-back only gives a warning (undoing good writes would not help anyone). `unchecked`:
 * resources that were still being written while they were read.
 */
async function verifyEndState(
  read: Promise<CurrentState>,
  desired: DesiredState,
  log: (l: string) => void,
  unchecked: Change['resource'][] = []
): Promise<void> {
  let after: CurrentState
  try {
    after = await read
  } catch (e) {
    log(`Vault: every write succeeded, but reading them back to verify failed: ${(e as Error).message}`)
    return
  }
  const left = planVault(after, desired).filter((c) => !unchecked.includes(c.resource))
  if (left.length > 0) throw new ConcurrentChangeError(left)
}

interface FreshMount {
  api: VaultApi
  tx: VaultTransaction
  settings: VaultSettings
  desired: DesiredState
  current: CurrentState
  log: (l: string) => void
  signal?: AbortSignal
}

/**
 * The writes under a mount this run's own POST has just created. Nothing can use the mount yet (no role, no config
 * until now), so these writes need no order among themselves; only the policy waits for the accessor it names.
 * Round 3: the accessor read, the config and the role at once. Round 4: the policy, while the config and the role are
 * read back. The policy is not read back: that would cost a fifth round, for an object that names the accessor of a
 * mount that did not exist a moment before. Every request of a round settles before a failure is thrown, so the
 * journal holds every write that succeeded when the rollback starts.
 */
async function writeFreshMount({ api, tx, settings, desired, current, log, signal }: FreshMount): Promise<void> {
  const unmounted: CurrentState = { ...current, mount: { type: desired.mount.type, accessor: '' } }
  const first = writeOrder(planVault(unmounted, desired), unmounted).filter((c) => c.resource !== 'auth-mount' && c.resource !== 'policy')
  if (signal?.aborted) throw new CancelledError('while it was writing to Vault')
  for (const change of first) logChange(log, change)
  const [mount] = await settled([mountAfterEnable(api, desired), tx.writeRound(first, unmounted)])
  tx.accessor = mount.accessor
  const state: CurrentState = { ...current, mount }
  const policies = planVault(state, desired).filter((c) => c.resource === 'policy')
  if (signal?.aborted) throw new CancelledError('while it was writing to Vault')
  for (const change of policies) logChange(log, change)
  const readBack = readCurrentState(api, settings)
  readBack.catch(() => {}) // judged by verifyEndState once the writes have settled
  await tx.writeRound(policies, state)
  // A cancel that arrived during the last round: what was written is put back, as for one between rounds.
  if (signal?.aborted) throw new CancelledError('while it was writing to Vault')
  await verifyEndState(readBack, desired, log, ['policy'])
}

/** Awaits both requests of one round; then throws the first failure, or returns the values. */
async function settled<A, B>(round: [Promise<A>, Promise<B>]): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled(round)
  if (a.status === 'rejected') throw a.reason
  if (b.status === 'rejected') throw b.reason
  return [a.value, b.value]
}

function logChange(log: (l: string) => void, change: Change): void {
  const lines = formatChange(change)
  log(`Vault: ${lines[0]}`)
  for (const l of lines.slice(1)) log(l)
}

/**
 * Enables the JWT auth method. "path is already in use" means another run (or a person) mounted it after our
 * read: then it is not ours (never disabled by a rollback), and the run goes on as an update.
 */
async function enableMount(api: VaultApi, desired: DesiredState): Promise<'created' | 'ambiguous' | 'foreign'> {
  const { type, description } = desired.mount
  try {
    await api.write(desired.mountPath, { type, description })
    return 'created'
  } catch (err) {
    if (!(err instanceof MountInUseError)) throw err
    return err.afterAmbiguousAttempt ? 'ambiguous' : 'foreign'
  }
}

/** The mount as GET sys/auth lists it after enabling it (its accessor), checked to be a JWT auth method. */
async function mountAfterEnable(api: VaultApi, desired: DesiredState): Promise<CurrentMount> {
  const { path, type } = desired.mount
  const mount = parseMounts(await api.read('sys/auth'))[`${path}/`]
  if (!mount || !mount.accessor) {
    throw new ActionError(
      `Vault accepted enabling the JWT auth method at auth-path "${path}", but GET /v1/sys/auth does not list it. ` +
        'Check that the Vault namespace (vault-namespace) is right and re-run.'
    )
  }
  if (mount.type !== type) {
    throw new ActionError(`auth-path "${path}": an auth method of type "${mount.type}" was mounted there concurrently. Choose another auth-path.`)
  }
  return mount
}
