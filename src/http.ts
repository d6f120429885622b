import * as http from 'node:http'
import * as https from 'node:https'

export interface TlsOptions {
  /** PEM text of CA certificates to trust in addition to nothing else (replaces the system store when set). */
  ca?: string
  /** Turn off certificate verification. Only when the user asked for it explicitly. */
  insecure?: boolean
}

export interface HttpRequest {
  method: string
  url: string
  headers?: Record<string, string>
  body?: string
  timeoutMs?: number
  tls?: TlsOptions
}

export interface HttpResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/**
 * A minimal HTTP(S) request on node:http/https. Used for Nomad and for JWKS/OIDC fetches,
 * because Node 20's fetch cannot take a custom CA. Transport errors are rethrown with the
 * method and URL (never headers, which may carry tokens).
 */
export function request(req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url)
  const isHttps = url.protocol === 'https:'
  const mod = isHttps ? https : http
  const options: https.RequestOptions = {
    method: req.method,
    headers: { ...(req.headers ?? {}) },
    timeout: req.timeoutMs ?? 30_000
  }
  if (isHttps) {
    if (req.tls?.ca) options.ca = req.tls.ca
    options.rejectUnauthorized = req.tls?.insecure !== true
  }
  if (req.body !== undefined) {
    ;(options.headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(req.body))
  }
  return new Promise((resolve, reject) => {
    const r = mod.request(url, options, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })
      )
      res.on('error', reject)
    })
    r.on('timeout', () => {
      r.destroy(new TransportError(req.method, url, 'ETIMEDOUT', `no response within ${options.timeout} ms`))
    })
    r.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof TransportError) return reject(e)
      reject(new TransportError(req.method, url, e.code ?? 'ERROR', e.message))
    })
    if (req.body !== undefined) r.write(req.body)
    r.end()
  })
}

export class TransportError extends Error {
  constructor(
    readonly method: string,
    readonly url: URL,
    readonly code: string,
    detail: string
  ) {
    super(`${method} ${url.origin}${url.pathname}: ${code} (${detail})`)
    this.name = 'TransportError'
  }
}

/** Strip userinfo and query strings so that an URL is safe to show in logs. */
export function safeUrl(u: string): string {
  try {
    const url = new URL(u)
    url.username = ''
    url.password = ''
    url.search = ''
    return url.toString()
  } catch {
    return '(invalid URL)'
  }
}
