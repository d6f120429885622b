/**
 * The Nomad test double's HTTP layer: the route table type, the router, ACL checks, body reading, answers and
 * blocking queries (`?index=&wait=`) with Nomad's headers.
 *
 * Adding routes: write a file under routes/ that exports `routes: Route[]` and add it to ROUTE_FILES in
 * routes/index.ts (or pass `extraRoutes` to startNomadDouble). A route names its method(s), a path with `:param`
 * segments, and a handler that gets a RouteContext.
 */
import type * as http from 'node:http'
import { NomadApiError } from './api-error.js'
import { goDurationNs } from './duration.js'
import type { Json } from './model.js'
import type { RequestLogEntry } from './settings.js'
import { DEFAULT_NS, type State } from './state.js'

/** Default and maximum wait of a blocking query (Nomad API docs: "Blocking Queries"). */
const WAIT_DEFAULT_MS = 5 * 60_000
const WAIT_MAX_MS = 10 * 60_000

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE'
/** 'WRITE' = PUT or POST, which Nomad's HTTP handlers treat alike. */
export type RouteMethod = Method | 'WRITE'

export interface RouteContext {
  s: State
  req: http.IncomingMessage
  res: http.ServerResponse
  method: string
  q: URLSearchParams
  /** `?namespace=`, default "default" */
  ns: string
  /** `:param` values, URI-decoded */
  params: Record<string, string>
  entry: RequestLogEntry
  /** The JSON request body ({} when empty); 400 "Failed to decode request" when not JSON. Read once, cached. */
  body(): Promise<Json>
  send(status: number, body: unknown, headers?: Record<string, string>): void
  /** Answers a blocking query: waits while `?index=` ≥ the getter's index, up to `?wait=`. */
  blocking(get: Getter): Promise<void>
  /** Throws 403 unless the request's token has the capability (no-op when ACLs are off). */
  acl(cap: string): void
}

export interface Route {
  /** Methods this route answers; omitted = any method. Another method on the same path → 405. */
  method?: RouteMethod | RouteMethod[]
  /** e.g. `/v1/job/:id/plan` */
  path: string
  /** true: `?region=` is not checked against the agent's region */
  anyRegion?: boolean
  handle(ctx: RouteContext): void | Promise<void>
}

export type Getter = () => { index: number; body: unknown }

/** A GET route that checks one ACL capability, then answers a blocking query with what `get` returns for the request. */
export function blockingRoute(path: string, cap: string, get: (c: RouteContext) => ReturnType<Getter>): Route {
  return {
    method: 'GET',
    path,
    handle(c) {
      c.acl(cap)
      return c.blocking(() => get(c))
    }
  }
}

interface Compiled {
  route: Route
  re: RegExp
  names: string[]
}

export class Router {
  private compiled: Compiled[] = []

  constructor(routes: Route[]) {
    for (const r of routes) this.add(r)
  }

  add(route: Route): void {
    const names: string[] = []
    const src = route.path
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          names.push(seg.slice(1))
          return '([^/]+)'
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      })
      .join('/')
    this.compiled.push({ route, re: new RegExp(`^${src}$`), names })
  }

  /** The route for method+path, 405 when the path exists for other methods, 404 when it does not. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } {
    let pathMatched = false
    for (const c of this.compiled) {
      const m = c.re.exec(path)
      if (!m) continue
      pathMatched = true
      if (!methodMatches(c.route.method, method)) continue
      const params: Record<string, string> = {}
      c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])))
      return { route: c.route, params }
    }
    if (pathMatched) throw new NomadApiError(405, 'Invalid method')
    throw new NomadApiError(404, `Invalid URL path: ${path}`)
  }
}

function methodMatches(want: Route['method'], method: string): boolean {
  if (want === undefined) return true
  return (Array.isArray(want) ? want : [want]).some((w) => w === method || (w === 'WRITE' && (method === 'PUT' || method === 'POST')))
}

/** Resolves the request's token (X-Nomad-Token or Authorization: Bearer) and checks one capability. */
export function aclCheck(s: State, req: http.IncomingMessage, cap: string): void {
  if (!s.aclEnabled) return
  let secret = req.headers['x-nomad-token'] as string | undefined
  const auth = req.headers.authorization
  if (!secret && auth && /^Bearer\s+/i.test(auth)) secret = auth.replace(/^Bearer\s+/i, '')
  if (!secret) throw new NomadApiError(403, 'Permission denied') // anonymous token has no policies
  const caps = s.tokens.get(secret)
  if (!caps) throw new NomadApiError(403, 'ACL token not found')
  // An expired token (ExpirationTime passed): nomad/auth/auth.go returns structs.ErrTokenExpired, which
  // command/agent/http.go does not map to a status, so the answer is 500 "ACL token expired".
  const expiresAt = s.tokenInfo.get(secret)?.expiresAt
  if (expiresAt !== undefined && Date.now() >= expiresAt) throw new NomadApiError(500, 'ACL token expired')
  if (caps.has('*') || caps.has(cap)) return
  throw new NomadApiError(403, 'Permission denied')
}

/** `?wait=` and `?index=` as Nomad's parseWait reads them (command/agent/http.go). */
function parseBlocking(q: URLSearchParams): { minIndex: number; waitMs: number } {
  const wait = q.get('wait')
  let waitMs = WAIT_DEFAULT_MS
  if (wait) {
    // Go time.ParseDuration: a bare number other than "0" is invalid (Nomad answers 400 "Invalid wait time")
    const ns = goDurationNs(wait)
    if (ns === undefined) throw new NomadApiError(400, 'Invalid wait time')
    waitMs = Math.max(0, ns / 1e6)
    if (waitMs === 0) waitMs = WAIT_DEFAULT_MS // MaxQueryTime 0 means the default
  }
  const idx = q.get('index')
  if (idx && (!/^\d+$/.test(idx) || BigInt(idx) > 2n ** 64n - 1n)) throw new NomadApiError(400, 'Invalid index')
  return { minIndex: idx ? Number(idx) : 0, waitMs: Math.min(waitMs, WAIT_MAX_MS) }
}

async function readBody(req: http.IncomingMessage, entry: RequestLogEntry): Promise<Json> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  entry.body = text
  if (!text) return {}
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new NomadApiError(400, `Failed to decode request: ${(e as Error).message}`)
  }
}

export function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return
  const isText = typeof body === 'string' && status >= 400
  res.writeHead(status, {
    'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json',
    ...headers
  })
  res.end(isText ? body : JSON.stringify(body))
}

/** Builds the context a route handler gets. */
export function routeContext(
  s: State,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  q: URLSearchParams,
  params: Record<string, string>,
  entry: RequestLogEntry
): RouteContext {
  let body: Promise<Json> | undefined
  const ctx: RouteContext = {
    s,
    req,
    res,
    method: req.method ?? 'GET',
    q,
    ns: q.get('namespace') || DEFAULT_NS,
    params,
    entry,
    body: () => (body ??= readBody(req, entry)),
    send: (status, b, headers) => send(res, status, b, headers),
    acl: (cap) => aclCheck(s, req, cap),
    async blocking(get) {
      const { minIndex, waitMs } = parseBlocking(q)
      const deadline = Date.now() + waitMs
      const t0 = Date.now()
      let r = get()
      // a client that gave up (closed the connection) is not waited for
      let gone = false
      req.once('close', () => {
        if (res.writableFinished) return
        gone = true
        s.wake()
      })
      while (minIndex > 0 && r.index <= minIndex && Date.now() < deadline && !s.closed && !gone) {
        await s.waitForChange(deadline)
        r = get()
      }
      entry.blockedMs = Date.now() - t0
      send(res, 200, r.body, { 'X-Nomad-Index': String(Math.max(1, r.index)), 'X-Nomad-KnownLeader': 'true', 'X-Nomad-LastContact': '0' })
    }
  }
  return ctx
}
