/**
 * The Nomad test double's client-side Vault hook: mints the task's workload identity, logs in to the real
 * Vault/OpenBao at the client's jwt_auth_backend_path, and reads every secret the task's templates name.
 */
import type { Obj } from './options.js'
import type { State } from './state.js'
import { addEvent, failTask, taskEvent } from './task-runner.js'

// ---------------------------------------------------------------- Vault (the client's vault_hook + template hook)
export function vaultLoginPath(s: State): string {
  return s.clientVault.jwt_auth_backend_path.replace(/^\/+|\/+$/g, '')
}

export async function vaultFetch(s: State, method: string, p: string, body?: unknown, token?: string): Promise<{ status: number; json: Obj | undefined; text: string }> {
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
    let json: Obj | undefined
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
export function vaultApiError(s: State, method: string, p: string, status: number, json: Obj | undefined, text: string): string {
  const errs: string[] = Array.isArray(json?.errors) ? json!.errors : text ? [text] : []
  const url = `${s.clientVault.address.replace(/\/+$/, '')}/v1/${p}`
  return `Error making API request.\n\nURL: ${method} ${url}\nCode: ${status}. Errors:\n\n` + errs.map((e) => `* ${e}`).join('\n')
}

export async function vaultPrestart(s: State, a: Obj, job: Obj, tg: Obj, t: Obj): Promise<'ok' | 'failed' | 'waiting'> {
  const idName = `vault_${t.Vault.Cluster || 'default'}`
  const ident = (t.Identities ?? []).find((i: Obj) => i.Name === idName)
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
    role: t.Vault.Role || undefined,
    extraClaims: s.serverVault.default_identity?.extra_claims
  })
  const role = t.Vault.Role || s.clientVault.create_from_role || ''
  const loginPath = `auth/${vaultLoginPath(s)}/login`
  let r: { status: number; json: Obj | undefined; text: string }
  try {
    r = await vaultFetch(s, 'PUT', loginPath, { role, jwt })
  } catch (e) {
    if (s.closed) return 'failed'
    // network error: recoverable in Nomad (retried with backoff, logged only)
    s.vaultLogins.push({ allocId: a.ID, task: t.Name, role, jwt, ok: false, error: String(e) })
    return 'waiting'
  }
  if (r.status < 200 || r.status >= 300 || !r.json?.auth?.client_token) {
    const msg = vaultApiError(s, 'PUT', loginPath, r.status, r.json, r.text)
    s.vaultLogins.push({ allocId: a.ID, task: t.Name, role, jwt, ok: false, error: msg })
    const display = `Vault: failed to derive vault token: failed to derive Vault token for identity ${idName}: failed to login with JWT: ${msg}`
    failTask(s, a, t.Name, taskEvent('Killing', display, { FailsTask: true, VaultError: display, Details: { fails_task: 'true' } }))
    return 'failed'
  }
  const token: string = r.json.auth.client_token
  s.vaultLogins.push({ allocId: a.ID, task: t.Name, role, jwt, ok: true, policies: r.json.auth.policies })
  // template hook: every secret "path" the templates name
  const paths = new Set<string>()
  for (const tpl of t.Templates ?? []) {
    const re = /\bsecret\s+"([^"]+)"/g
    let m: RegExpExecArray | null
    while ((m = re.exec(tpl.EmbeddedTmpl ?? ''))) paths.add(m[1])
  }
  for (const p of paths) {
    let rr: { status: number; json: Obj | undefined; text: string }
    try {
      rr = await vaultFetch(s, 'GET', p, undefined, token)
    } catch {
      return 'waiting'
    }
    if (rr.status === 404) {
      // consul-template keeps waiting for data that does not exist yet
      addEvent(s, a, t.Name, taskEvent('Template', `Missing: vault.read(${p})`))
      return 'waiting'
    }
    if (rr.status < 200 || rr.status >= 300) {
      const msg = vaultApiError(s, 'GET', p, rr.status, rr.json, rr.text)
      const display = `Template failed: vault.read(${p}): vault.read(${p}): ${msg}`
      failTask(s, a, t.Name, taskEvent('Killing', display, { FailsTask: true, Details: { fails_task: 'true' } }))
      return 'failed'
    }
    s.secretReads.push({ namespace: a.Namespace, jobId: a.JobID, allocId: a.ID, group: tg.Name, task: t.Name, path: p, data: rr.json?.data })
  }
  return 'ok'
}

