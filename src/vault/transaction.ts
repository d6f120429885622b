/**
 * The write side of a reconcile, as a transaction: every write is journalled with the value read before the run,
 * and on failure (or cancellation) the journal is undone in reverse order. An object is put back only while it
 * still holds what this run wrote (otherwise another run or a person changed it, and their value is kept); a
 * mount is disabled only when this run's own POST created it, nothing else configured it, and nobody logged in
 * through it.
 */
import { InternalError } from '../errors.js'
import type { VaultApi } from './vault-client.js'
import { roleWriteBody, type DesiredState } from './desired.js'
import { equal, normalisePolicy } from './normalise.js'
import { loginsThrough, readMounts } from './read-back.js'
import { CONFIG_FIELDS, ROLE_FIELDS, currentPolicy, currentRole, type Change, type CurrentState } from './plan-vault.js'
import { configRestoreBody, fixFor, roleAt, roleRestoreBody, type JournalEntry, type RollbackEntry } from './restore.js'

export class VaultTransaction {
  private readonly journal: JournalEntry[] = []
  /** true only when this run's own POST sys/auth/<path> got a success answer. */
  mountCreatedHere = false
  accessor = ''

  constructor(
    private readonly api: VaultApi,
    private readonly desired: DesiredState,
    private readonly log: (line: string) => void
  ) {}

  /** The changes written so far, in order. */
  get written(): Change[] {
    return this.journal.map((e) => e.change)
  }

  /**
   * Journals the mount POST: only a mount this run's own POST created ('created') can ever be disabled again.
   * 'ambiguous' (a repeated POST found the path in use) is journalled to be reported, never disabled.
   */
  recordMount(change: Change, origin: 'created' | 'ambiguous' | 'foreign'): void {
    this.mountCreatedHere = origin === 'created'
    if (origin !== 'foreign') this.journal.push({ change, before: null })
  }

  /**
   * Journals a delete before sending it (`before` is the object as read), so that a delete whose answer is lost is
   * still put back by a rollback; then deletes it.
   */
  async remove(change: Change, before: Record<string, unknown> | string): Promise<void> {
    this.journal.push({ change, before })
    await this.api.remove(change.path)
  }

  /** Writes one change (config, policy or role), journalled with its value in `before`; a delete is journalled first. */
  async write(change: Change, before: CurrentState): Promise<void> {
    if (change.action === 'delete') {
      const name = change.path.slice(change.path.lastIndexOf('/') + 1)
      const old = change.resource === 'role' ? before.undeclared?.roles[name] : before.undeclared?.policies[name]
      if (old === undefined) throw new InternalError(`${change.path} is to be deleted but was not read.`)
      return this.remove(change, old)
    }
    this.journal.push(await this.send(change, before))
  }

  /**
   * Writes changes that need no order among themselves at once (one round). Once every write has settled, each one
   * that succeeded is journalled, in the order given; then the first failure is thrown.
   */
  async writeRound(changes: Change[], before: CurrentState): Promise<void> {
    const results = await Promise.allSettled(changes.map((c) => this.send(c, before)))
    for (const r of results) if (r.status === 'fulfilled') this.journal.push(r.value)
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  /** Sends one write; resolves the journal entry for it. */
  private async send(change: Change, before: CurrentState): Promise<JournalEntry> {
    const d = this.desired
    if (change.action === 'delete') throw new InternalError(`${change.path} is a delete, which write() journals before sending.`)
    switch (change.resource) {
      case 'auth-config':
        await this.api.write(change.path, d.authConfig)
        return { change, before: before.authConfig }
      case 'policy': {
        if (!this.accessor) throw new InternalError(`the accessor of auth-path "${d.mount.path}" is unknown.`)
        const policy = d.policies.find((p) => p.path === change.path)
        if (!policy) throw new InternalError(`${change.path} is not a policy this run declares.`)
        const text = policy.text(this.accessor)
        await this.api.write(change.path, { policy: text })
        return { change, before: currentPolicy(before, policy.name), written: text }
      }
      case 'role': {
        const entry = roleAt(this.desired, change.path)
        await this.api.write(change.path, roleWriteBody(entry.role))
        return { change, before: currentRole(before, entry.name) }
      }
      case 'auth-mount':
        throw new InternalError('the mount is enabled by reconcile.ts (enableMount).')
    }
  }

  /** Undoes the journal in reverse order. Never throws: what could not be undone is reported with its fix. */
  async rollback(): Promise<RollbackEntry[]> {
    const out: RollbackEntry[] = []
    const mountEntry = this.mountCreatedHere ? this.journal.find((e) => e.change.resource === 'auth-mount') : undefined
    // A mount this run created goes last and takes its config and role with it; when it must stay (in use),
    // everything this run wrote stays, so that whoever uses it keeps working.
    const inUse = mountEntry ? await this.mountInUse() : undefined
    for (const entry of [...this.journal].reverse()) {
      if (inUse) out.push(this.kept(entry, entry === mountEntry ? inUse : `the auth method this run enabled is in use (${inUse})`))
      else if (mountEntry && entry.change.resource !== 'policy') continue
      else out.push(await this.guarded(entry, () => this.undo(entry)))
    }
    if (mountEntry && !inUse) {
      const mount = await this.guarded(mountEntry, async () => {
        await this.api.remove(this.desired.mountPath)
        return { resource: 'auth-mount', path: mountEntry.change.path, outcome: 'disabled' }
      })
      for (const entry of [...this.journal].reverse()) {
        if (entry === mountEntry || entry.change.resource === 'policy') continue
        out.push(
          mount.outcome === 'disabled'
            ? { resource: entry.change.resource, path: entry.change.path, outcome: 'deleted' }
            : this.kept(entry, `the auth method it belongs to could not be disabled (${mount.reason})`)
        )
      }
      out.push(mount)
    }
    for (const r of out) {
      this.log(
        r.outcome === 'kept'
          ? `Vault: could NOT put back ${r.path}: ${r.reason}. To do it by hand: ${r.fix}`
          : `Vault: rolled back ${r.path} (${r.outcome}).`
      )
    }
    return out
  }

  private async guarded(entry: JournalEntry, fn: () => Promise<RollbackEntry>): Promise<RollbackEntry> {
    try {
      return await fn()
    } catch (e) {
      return this.kept(entry, `undoing it failed: ${(e as Error).message}`)
    }
  }

  private async undo(entry: JournalEntry): Promise<RollbackEntry> {
    const { change } = entry
    const resource = change.resource
    if (change.action === 'delete') return this.undoDelete(entry)
    if (resource === 'auth-mount') {
      return this.kept(entry, "the answer to enabling it was lost and a repeat found the path in use, so it may be another run's")
    }
    if (resource === 'auth-config' && entry.before === null) {
      return this.kept(
        entry,
        "Vault cannot remove an auth method's config; the method was not configured before, so nothing could log in through it then"
      )
    }
    if (!(await this.stillOurs(entry))) {
      return this.kept(entry, 'it no longer holds what this run wrote (another run or a person changed it since), so their value is kept')
    }
    if (entry.before === null) {
      // Created by this run: remove it again.
      await this.api.remove(change.path)
      return { resource, path: change.path, outcome: 'deleted' }
    }
    const body =
      resource === 'policy'
        ? { policy: entry.before as string }
        : resource === 'auth-config'
          ? configRestoreBody(entry.before as Record<string, unknown>)
          : roleRestoreBody(entry.before as Record<string, unknown>, roleAt(this.desired, change.path).role)
    await this.api.write(change.path, body)
    return { resource, path: change.path, outcome: 'restored' }
  }

  /**
   * Puts back an object this run deleted (journalled before the DELETE was sent). Still there: the delete never
   * reached Vault (or someone wrote it again), nothing to put back. A disabled auth method cannot be enabled again
   * with its accessor, config and roles, so it is reported; a role or policy is written back as it was read.
   */
  private async undoDelete(entry: JournalEntry): Promise<RollbackEntry> {
    const { change } = entry
    const resource = change.resource
    if (!(await this.stillOurs(entry))) return { resource, path: change.path, outcome: 'restored' }
    if (resource === 'auth-mount') {
      return this.kept(entry, 'Vault cannot enable an auth method again with its accessor, config and roles; it stays removed')
    }
    const body = resource === 'policy' ? { policy: entry.before as string } : configRestoreBody(entry.before as Record<string, unknown>)
    await this.api.write(change.path, body)
    return { resource, path: change.path, outcome: 'restored' }
  }

  /** Whether the object still holds exactly what this run wrote (for a delete: whether it is still gone). */
  private async stillOurs(entry: JournalEntry): Promise<boolean> {
    const { change } = entry
    const d = this.desired
    if (change.action === 'delete' && change.resource === 'auth-mount') {
      return !(await readMounts(this.api))[`${d.mount.path}/`]
    }
    const res = await this.api.read(change.path)
    // A delete is ours while the object is still gone.
    if (change.action === 'delete') return !res?.data
    if (change.resource === 'policy') {
      const text = res?.data?.policy ?? res?.data?.rules
      return typeof text === 'string' && normalisePolicy(text) === normalisePolicy(entry.written ?? '')
    }
    const data = res?.data as Record<string, unknown> | undefined
    if (!data) return false
    const fields = change.resource === 'auth-config' ? CONFIG_FIELDS : ROLE_FIELDS
    const want = (change.resource === 'auth-config' ? d.authConfig : roleAt(this.desired, change.path).role) as unknown as Record<string, unknown>
    return fields.every(({ field, kind }) => equal(kind, data[field], want[field]))
  }

  /** Why the mount this run created must stay (undefined: nothing else uses it, it may be disabled). */
  private async mountInUse(): Promise<string | undefined> {
    const d = this.desired
    // Objects under the mount that this run did not write, but exist now: another run is configuring it.
    const wrote = new Set(this.journal.map((e) => e.change.resource))
    try {
      const wroteRoles = new Set(this.journal.filter((e) => e.change.resource === 'role').map((e) => e.change.path))
      const [config, ...roles] = await Promise.all([this.api.read(d.configPath), ...d.roles.map((r) => this.api.read(r.path))])
      const foreign = [
        !wrote.has('auth-config') && config?.data && Object.keys(config.data).length > 0 ? d.configPath : '',
        ...d.roles.map((r, i) => (!wroteRoles.has(r.path) && roles[i]?.data ? r.path : ''))
      ].filter(Boolean)
      if (foreign.length > 0) return `another run configured it meanwhile (${foreign.join(', ')} exist)`
      if (!this.accessor) this.accessor = (await readMounts(this.api))[`${d.mount.path}/`]?.accessor ?? ''
      if (!this.accessor) return 'its accessor could not be read, so logins through it could not be checked'
      const aliases = await loginsThrough(this.api, this.accessor)
      if (aliases > 0) return `${aliases} identit${aliases === 1 ? 'y has' : 'ies have'} logged in through it`
    } catch (e) {
      return `could not check whether it is in use (${(e as Error).message})`
    }
    return undefined
  }

  private kept(entry: JournalEntry, reason: string): RollbackEntry {
    return { resource: entry.change.resource, path: entry.change.path, outcome: 'kept', reason, fix: fixFor(entry, this.desired) }
  }
}
