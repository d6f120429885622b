/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and the lower-case forms), read exactly as @actions/http-client reads
 * them on self-hosted runners (its getProxyUrl: loopback is never proxied, NO_PROXY entries match a host, a
 * host:port, a domain suffix, or "*"). HTTPS goes through a CONNECT tunnel; plain HTTP is sent to the proxy
 * with the absolute URL.
 */
import { getProxyUrl } from '@actions/http-client/lib/proxy'
import * as http from 'node:http'
import type { Socket } from 'node:net'

/** The proxy for a request URL, or undefined for a direct connection. */
export function proxyFor(url: URL): URL | undefined {
  const p = getProxyUrl(url)
  return p ? new URL(p.href) : undefined
}

export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined
  const user = decodeURIComponent(proxy.username)
  const pass = decodeURIComponent(proxy.password)
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
}

/** Opens a CONNECT tunnel to target's host:port through an http:// proxy. */
export function connectTunnel(proxy: URL, target: URL, timeoutMs: number): Promise<Socket> {
  const port = target.port || (target.protocol === 'https:' ? '443' : '80')
  const authority = `${target.hostname.replace(/^\[|\]$/g, '')}:${port}`
  const headers: Record<string, string> = { Host: authority }
  const auth = proxyAuthorization(proxy)
  if (auth) headers['Proxy-Authorization'] = auth
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: proxy.port || 80,
      method: 'CONNECT',
      path: target.hostname.includes(':') ? `[${target.hostname.replace(/^\[|\]$/g, '')}]:${port}` : authority,
      headers,
      timeout: timeoutMs
    })
    req.once('connect', (res, socket) => {
      if (res.statusCode === 200) return resolve(socket)
      socket.destroy()
      reject(Object.assign(new Error(`the proxy answered CONNECT with HTTP ${res.statusCode}`), { code: 'EPROXY' }))
    })
    req.once('timeout', () => req.destroy(Object.assign(new Error('the proxy did not answer CONNECT in time'), { code: 'ETIMEDOUT' })))
    req.once('error', (e: NodeJS.ErrnoException) => reject(Object.assign(e, { code: e.code ?? 'EPROXY' })))
    req.end()
  })
}
