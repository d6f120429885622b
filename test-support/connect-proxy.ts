/**
 * A forward proxy on 127.0.0.1 for the proxy tests: CONNECT tunnels (HTTPS) and absolute-URI requests (plain
 * HTTP), like squid or tinyproxy. `hosts` maps names to addresses, so a test can use host names that only the
 * proxy can resolve: a request that reaches its server proves it went through the proxy.
 */
import * as http from 'node:http'
import * as net from 'node:net'
import type { AddressInfo } from 'node:net'

export interface ConnectProxy {
  url: string
  /** "CONNECT host:port" or "GET http://host:port/path", in arrival order. */
  readonly log: string[]
  close(): Promise<void>
}

export async function startConnectProxy(opts: { hosts?: Record<string, string>; requireAuth?: string } = {}): Promise<ConnectProxy> {
  const log: string[] = []
  const sockets = new Set<net.Socket>()
  const resolve = (host: string) => opts.hosts?.[host] ?? host
  const authorised = (req: http.IncomingMessage) =>
    !opts.requireAuth || req.headers['proxy-authorization'] === `Basic ${Buffer.from(opts.requireAuth).toString('base64')}`

  const server = http.createServer((req, res) => {
    log.push(`${req.method} ${req.url}`)
    if (!authorised(req)) {
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic' })
      return res.end()
    }
    let target: URL
    try {
      target = new URL(req.url ?? '')
    } catch {
      res.writeHead(400)
      return res.end('absolute URL expected')
    }
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    const up = http.request(
      { host: resolve(target.hostname), port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        upRes.pipe(res)
      }
    )
    up.on('error', () => {
      res.writeHead(502)
      res.end('proxy: upstream failed')
    })
    req.pipe(up)
  })
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    log.push(`CONNECT ${req.url}`)
    if (!authorised(req)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n')
      return
    }
    const [host, port] = (req.url ?? '').split(/:(?=\d+$)/)
    const upstream = net.connect(Number(port), resolve(host.replace(/^\[|\]$/g, '')), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'))
    client.on('error', () => upstream.destroy())
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      })
  }
}
