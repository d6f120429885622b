/**
 * One loopback HTTP stub for unit tests: a server on 127.0.0.1 (free port) that records every request and answers
 * with what the test's handler returns. Use it instead of a hand-made `http.createServer` in a test file.
 *
 *   const api = await startHttpStub(routes({ 'GET /v1/agent/self': () => ({ json: self }) }))
 *   ... api.url ... api.seen ...
 *   await api.close()   // in afterAll/afterEach: also drops kept-alive connections
 */
import * as http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** One request as the stub received it. */
export interface StubRequest {
  method: string
  /** Path without the query string. */
  path: string
  /** The path with the query string, as sent. */
  url: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
  /** The body as text ('' when none). */
  raw: string
  /** The body parsed as JSON; undefined when empty or not JSON. */
  body: unknown
}

/** The answer: JSON (`json`), text (`text`, text/plain unless headers say otherwise), or an empty body. */
export interface StubReply {
  /** 200 unless set. */
  status?: number
  json?: unknown
  text?: string
  headers?: Record<string, string>
}

export type StubHandler = (req: StubRequest) => StubReply | Promise<StubReply>

export interface HttpStub {
  /** `http://127.0.0.1:<port>` without a trailing slash. */
  url: string
  /** Every request, in order. */
  seen: StubRequest[]
  /** Exceptions thrown by the handler (each was answered with 500). */
  errors: string[]
  close(): Promise<void>
}

const NOT_FOUND: StubHandler = () => ({ status: 404, text: '404 page not found' })

/**
 * A handler from a table keyed by `"METHOD /path"` (the path without its query). Other requests go to `otherwise`,
 * by default a text 404 like Nomad's `404 page not found`.
 */
export function routes(table: Record<string, StubHandler>, otherwise: StubHandler = NOT_FOUND): StubHandler {
  return (req) => (table[`${req.method} ${req.path}`] ?? otherwise)(req)
}

export async function startHttpStub(handler: StubHandler): Promise<HttpStub> {
  const seen: StubRequest[] = []
  const errors: string[] = []
  const sockets = new Set<Socket>()
  const server = http.createServer(async (req, res) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    const u = new URL(req.url ?? '/', 'http://stub')
    const request: StubRequest = {
      method: req.method ?? '',
      path: u.pathname,
      url: req.url ?? '/',
      query: u.searchParams,
      headers: req.headers,
      raw,
      body: parseJson(raw)
    }
    seen.push(request)
    let reply: StubReply
    try {
      reply = await handler(request)
    } catch (e) {
      errors.push(String(e))
      reply = { status: 500, text: String(e) }
    }
    const headers: Record<string, string> = {}
    if (reply.json !== undefined) headers['Content-Type'] = 'application/json'
    else if (reply.text !== undefined) headers['Content-Type'] = 'text/plain'
    Object.assign(headers, reply.headers)
    res.writeHead(reply.status ?? 200, headers)
    res.end(reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? ''))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

function parseJson(raw: string): unknown {
  if (!raw) return undefined
  try {
    return JSON.parse(raw)
  } catch {
    return undefined
  }
}
