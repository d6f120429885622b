/**
 * The transport as a `fetch` function, for a library that takes one (octokit's `request: { fetch }` option): each call
 * is one Transport.request, so that the library's requests get the same retries, timeouts, redirect policy, proxies,
 * TLS and redacted errors as Vault's and Nomad's. Only what such a library sends is supported: a string body (or none)
 * and a URL on the transport's origin; a transport failure rejects with its NetworkError/RedirectError.
 */
import type { Transport } from './http-transport.js'

/** Statuses whose answer has no body (a Response with one would throw). */
const NO_BODY = new Set([101, 103, 204, 205, 304])

export function transportFetch(transport: Transport): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const body = init?.body ?? undefined
    if (body !== undefined && typeof body !== 'string') {
      throw new Error(`transportFetch takes a string body, got ${Object.prototype.toString.call(body)} (a bug of nomad-vault-action)`)
    }
    const res = await transport.request({
      method: init?.method ?? 'GET',
      path: url,
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body,
      signal: init?.signal ?? undefined
    })
    const headers = new Headers()
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v)
    }
    return new Response(NO_BODY.has(res.status) ? null : res.body, { status: res.status, headers })
  }
}
