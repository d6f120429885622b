/**
 * The Nomad test double's client-side Vault hook: mints the task's workload identity, logs in to the real
 * Vault/OpenBao at the client's jwt_auth_backend_path, and fetches every secret the task's templates name (reads,
 * and writes for `secret` calls with parameters).
 */
import { createHash } from 'node:crypto'
import { asString, type Allocation, type Job, type Json, type Task, type TaskEvent, type TaskGroup, isJson, stringList } from './model.js'
import type { State } from './state.js'
import { addEvent, taskEvent } from './task-events.js'

// ---------------------------------------------------------------- Vault (the client's vault_hook + template hook)
export function vaultLoginPath(s: State): string {
  return s.clientVault.jwt_auth_backend_path.replace(/^\/+|\/+$/g, '')
}

export async function vaultFetch(
  s: State,
  method: string,
  p: string,
  body?: unknown,
  token?: string
): Promise<{ status: number; json: Json | undefined; text: string }> {
  const ac = new AbortController()
  s.aborts.add(ac)
  try {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' }
    if (token) headers['X-Vault-Token'] = token
    if (s.clientVault.namespace) headers['X-Vault-Namespace'] = s.clientVault.namespace
    const res = await fetch(`${s.clientVault.address.replace(/\/+$/, '')}/v1/${p}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ac.signal
    })
    const text = await res.text()
    let json: Json | undefined
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    return { status: res.status, json, text }
  } finally {
    s.aborts.delete(ac)
  }
}

/** Vault api client's ResponseError text (hashicorp/vault api/response.go format). */
export function vaultApiError(s: State, method: string, p: string, status: number, json: Json | undefined, text: string): string {
  const errs: string[] = Array.isArray(json?.errors) ? json!.errors : text ? [text] : []
  const url = `${s.clientVault.address.replace(/\/+$/, '')}/v1/${p}`
  return `Error making API request.\n\nURL: ${method} ${url}\nCode: ${status}. Errors:\n\n` + errs.map((e) => `* ${e}`).join('\n')
}

/**
 * What the Vault hook leaves for the task runner: go on (`ok`), stay pending (`waiting`, recoverable), nothing more
 * (`failed`: the double closed or the allocation was stopped meanwhile), or kill the task with this event.
 */
export type PrestartOutcome = 'ok' | 'waiting' | 'failed' | { kill: TaskEvent }

export async function vaultPrestart(s: State, a: Allocation, job: Job, tg: TaskGroup, t: Task): Promise<PrestartOutcome> {
  const vault = t.Vault ?? {}
  const idName = `vault_${vault.Cluster || 'default'}`
  const ident = (t.Identities ?? []).find((i) => i.Name === idName)
  if (!ident) return 'waiting' // Nomad 1.10: "unable to find token for workload … vault_default", recoverable
  const jwt = await s.keyring.mint({
    namespace: a.Namespace,
    jobId: job.ParentID || job.ID,
    group: tg.Name,
    task: t.Name,
    region: s.region,
    allocId: a.ID,
    identityName: idName,
    audience: ident.Audience ?? [],
    ttlSeconds: ident.TTL ? Math.floor(ident.TTL / 1e9) : 0,
    role: vault.Role || undefined,
    extraClaims: s.serverVault.default_identity?.extra_claims
  })
  const role = vault.Role || s.clientVault.create_from_role || ''
  const loginPath = `auth/${vaultLoginPath(s)}/login`
  let r: { status: number; json: Json | undefined; text: string }
  try {
    r = await vaultFetch(s, 'PUT', loginPath, { role, jwt })
  } catch (e) {
    if (s.closed) return 'failed'
    // any JWT login error, a dial error too, is non-recoverable (client/vaultclient/vaultclient.go DeriveTokenWithJWT)
    const msg = `Put "${vaultUrl(s, loginPath)}": ${goDialError(e, vaultUrl(s, loginPath))}`
    s.vaultLogins.push({ allocId: a.ID, task: t.Name, role, jwt, ok: false, error: msg })
    const display = `Vault: failed to derive vault token: failed to derive Vault token for identity ${idName}: failed to login with JWT: ${msg}`
    return { kill: taskEvent('Killing', display, { FailsTask: true, VaultError: display, Details: { fails_task: 'true' } }) }
  }
  const auth = isJson(r.json?.auth) ? r.json.auth : undefined
  const token = asString(auth?.client_token)
  if (r.status < 200 || r.status >= 300 || !token) {
    const msg = vaultApiError(s, 'PUT', loginPath, r.status, r.json, r.text)
    s.vaultLogins.push({ allocId: a.ID, task: t.Name, role, jwt, ok: false, error: msg })
    const display = `Vault: failed to derive vault token: failed to derive Vault token for identity ${idName}: failed to login with JWT: ${msg}`
    return { kill: taskEvent('Killing', display, { FailsTask: true, VaultError: display, Details: { fails_task: 'true' } }) }
  }
  s.vaultLogins.push({ allocId: a.ID, task: t.Name, role, jwt, ok: true, policies: stringList(auth?.policies) })
  // template hook: every secret the templates name, once each
  const deps = new Map<string, SecretDependency>()
  for (const tpl of t.Templates ?? []) for (const d of secretDependencies(tpl.EmbeddedTmpl ?? '')) deps.set(d.name, d)
  for (const d of deps.values()) {
    const outcome = await fetchSecret(s, a, tg, t, d, token)
    if (outcome !== 'ok') return outcome
  }
  return 'ok'
}

/** A template's `secret` call: a read, or a write when it has `key=value` arguments. */
export interface SecretDependency {
  path: string
  /** the write's data; undefined for a read */
  data?: Record<string, string>
  /** consul-template's name of it: `vault.read(<path>)` or `vault.write(<path> -> <hash of the data>)` */
  name: string
}

/**
 * The `secret` calls of a template: `secret "p"` reads p; `secret "p" "k=v" …` writes {k: v, …} to p
 * (consul-template template/funcs.go `secretFunc`, dependency/vault_read.go, dependency/vault_write.go: the path is
 * trimmed of "/", the write's name carries the first 4 bytes of the SHA-1 of its sorted `k="v"` pairs).
 */
export function secretDependencies(tmpl: string): SecretDependency[] {
  const out: SecretDependency[] = []
  const re = /\bsecret((?:\s+"(?:[^"\\]|\\.)*")+)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(tmpl))) {
    const args = [...m[1].matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => unquote(x[1]))
    const path = args[0].trim().replace(/^\/+|\/+$/g, '')
    const rest = args.slice(1).filter((x) => x !== '')
    if (rest.length === 0) {
      out.push({ path, name: `vault.read(${path})` })
      continue
    }
    const data: Record<string, string> = {}
    for (const kv of rest) {
      const i = kv.indexOf('=')
      if (i >= 0) data[kv.slice(0, i).trim()] = kv.slice(i + 1).trim()
    }
    const hash = createHash('sha1')
    for (const k of Object.keys(data).sort()) hash.update(`${k}=${JSON.stringify(data[k])}`)
    out.push({ path, data, name: `vault.write(${path} -> ${hash.digest('hex').slice(0, 8)})` })
  }
  return out
}

/** A Go string literal's text without its quotes; escapes JSON does not know are kept as written. */
function unquote(text: string): string {
  try {
    return JSON.parse(`"${text}"`) as string
  } catch {
    return text
  }
}

/** client.template.vault_retry defaults (client/config/config.go): 12 attempts, backoff 250ms doubling up to 1m. */
const TEMPLATE_RETRY = { attempts: 12, backoffNs: 250e6, maxBackoffNs: 60e9 }

/**
 * The template runner's fetch of one secret (GET for a read, PUT with the data for a write), retried like
 * consul-template: a 404 ("no secret exists at <path>") or a 403 is retried with backoff (scaled by timeScale); a 404
 * shows `Missing: <name>` while it waits; after the last attempt the task is killed with "Template failed: …"
 * (FailsTask).
 */
async function fetchSecret(s: State, a: Allocation, tg: TaskGroup, t: Task, d: SecretDependency, token: string): Promise<PrestartOutcome> {
  const { path: p, name } = d
  const method = d.data ? 'PUT' : 'GET'
  let lastError = ''
  for (let attempt = 0; attempt <= TEMPLATE_RETRY.attempts; attempt++) {
    if (attempt > 0) {
      const backoff = Math.min(TEMPLATE_RETRY.backoffNs * 2 ** (attempt - 1), TEMPLATE_RETRY.maxBackoffNs)
      await new Promise<void>((resolve) => s.later(s.scaledMs(backoff), resolve))
      if (s.closed || a.DesiredStatus !== 'run') return 'failed'
    }
    let rr: { status: number; json: Json | undefined; text: string }
    try {
      rr = await vaultFetch(s, method, p, d.data, token)
    } catch (e) {
      if (s.closed) return 'failed'
      lastError = `${name}: ${method === 'GET' ? 'Get' : 'Put'} "${vaultUrl(s, p)}": ${goDialError(e, vaultUrl(s, p))}`
      continue
    }
    if (rr.status >= 200 && rr.status < 300) {
      s.secretReads.push({
        namespace: a.Namespace,
        jobId: a.JobID,
        allocId: a.ID,
        group: tg.Name,
        task: t.Name,
        path: p,
        data: rr.json?.data,
        ...(d.data ? { written: d.data } : {})
      })
      return 'ok'
    }
    if (rr.status === 404) {
      if (attempt === 0) addEvent(s, a, t.Name, taskEvent('Template', `Missing: ${name}`))
      lastError = `${name}: no secret exists at ${p}`
    } else lastError = `${name}: ${name}: ${vaultApiError(s, method, p, rr.status, rr.json, rr.text)}`
  }
  const display = `Template failed: ${lastError}`
  return { kill: taskEvent('Killing', display, { FailsTask: true, Details: { fails_task: 'true' } }) }
}

function vaultUrl(s: State, p: string): string {
  return `${s.clientVault.address.replace(/\/+$/, '')}/v1/${p}`
}

/** A Node fetch failure as Go's net/http reports it ("dial tcp 127.0.0.1:1: connect: connection refused"). */
function goDialError(e: unknown, url: string): string {
  const cause = (e as { cause?: { code?: string; address?: string; port?: number; hostname?: string } })?.cause
  const u = new URL(url)
  const hostPort = `${cause?.address ?? u.hostname}:${cause?.port ?? (u.port || (u.protocol === 'https:' ? 443 : 80))}`
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hostPort}: connect: connection refused`
    case 'ENOTFOUND':
      return `dial tcp: lookup ${cause.hostname ?? u.hostname}: no such host`
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `dial tcp ${hostPort}: i/o timeout`
    case 'ECONNRESET':
      return 'read: connection reset by peer'
    default:
      return String((cause as Error | undefined)?.message ?? (e as Error)?.message ?? e)
  }
}
