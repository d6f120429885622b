/**
 * Nomad test double: an HTTP server that follows Nomad's HTTP API closely enough for the action's end-to-end
 * tests, and whose "clients" really log in to Vault/OpenBao with minted workload identities.
 * This file starts the server and builds the handle tests hold. Where each behaviour lives:
 *   state.ts (tables, index, timers) · http.ts (router, blocking queries, ACL) · routes/*.ts (one file per resource)
 *   jobs-admission.ts (admission, register, plan) · reconcile.ts (what the scheduler would do) · evals.ts
 *   (evaluations) · scheduler.ts (placement) · deployments.ts (deployment watcher) · task-runner.ts (alloc lifecycle)
 *   · task-events.ts (task events, stop) · vault-hook.ts (client-side Vault login, template fetches) · jobspec.ts
 * Every behaviour names its source in README.md (fidelity table). No Nomad (BUSL) code is used; only facts.
 */
import { randomUUID } from 'node:crypto'
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'
import type { AddressInfo } from 'node:net'
import { NomadApiError } from './api-error.js'
import { Router, routeContext, send } from './http.js'
import type { NomadDouble, NomadDoubleOptions, RequestLogEntry } from './options.js'
import { register } from './jobs-admission.js'
import { DEFAULT_NS, State } from './state.js'
import { ROUTE_FILES } from './routes/index.js'
import { unblockEvals } from './evals.js'
import { processEval } from './scheduler.js'
import { startAlloc } from './task-runner.js'

export type { AclPolicy, NomadDouble, NomadDoubleOptions, RequestLogEntry, SecretRead, VaultLogin } from './options.js'
export type { Route, RouteContext } from './http.js'
export { NomadApiError } from './api-error.js'

/** One JSON line per request for the contract test (tools/nomad-contract). */
function logRequest(file: string, e: RequestLogEntry, response: string | undefined): void {
  const line = { method: e.method, path: e.path, query: e.query, body: e.body ?? null, status: e.status, response: response ?? null }
  fs.appendFileSync(file, JSON.stringify(line) + '\n')
}

export async function startNomadDouble(opts: NomadDoubleOptions = {}): Promise<NomadDouble> {
  const s = await State.create(opts)
  // the eval broker hands evaluations to the scheduler, and the clients run what it places
  s.workers = { processEval, runAlloc: startAlloc }
  const router = new Router([...ROUTE_FILES.flat(), ...(opts.extraRoutes ?? [])])

  const handler: http.RequestListener = async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const q = url.searchParams
    const entry: RequestLogEntry = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(q), time: Date.now() }
    s.requests.push(entry)
    s.wake() // lets waitFor() observe request arrival; blocking queries re-check and keep waiting
    const chunks: Buffer[] = []
    if (opts.requestLog) {
      const end = res.end.bind(res) as (...a: unknown[]) => http.ServerResponse
      res.end = ((...a: unknown[]) => {
        if (typeof a[0] === 'string' || Buffer.isBuffer(a[0])) chunks.push(Buffer.from(a[0] as string))
        return end(...a)
      }) as typeof res.end
    }
    res.on('finish', () => {
      entry.status = res.statusCode
      if (opts.requestLog)
        logRequest(opts.requestLog, entry, url.pathname.startsWith('/v1/acl/') ? undefined : Buffer.concat(chunks).toString('utf8'))
    })
    try {
      const { route, params } = router.match(req.method ?? 'GET', url.pathname)
      const qRegion = q.get('region')
      if (!route.anyRegion && qRegion && qRegion !== s.region) throw new NomadApiError(500, 'No path to region')
      await route.handle(routeContext(s, req, res, q, params, entry))
    } catch (e) {
      if (e instanceof NomadApiError) send(res, e.status, e.message)
      else send(res, 500, String((e as Error)?.message ?? e))
    }
  }
  const server = opts.tls
    ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: true }, handler)
    : http.createServer(handler)

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const addr = server.address() as AddressInfo
  const url = `${opts.tls ? 'https' : 'http'}://${opts.host ?? '127.0.0.1'}:${addr.port}`

  const double: NomadDouble = {
    url,
    managementToken: s.managementToken,
    keyring: s.keyring,
    requests: s.requests,
    secretReads: s.secretReads,
    vaultLogins: s.vaultLogins,
    get index() {
      return s.index
    },
    failNextAlloc(jobId, message, namespace = DEFAULT_NS) {
      double.failAllocs(jobId, message, { namespace, times: 1 })
    },
    failAllocs(jobId, message = 'failed to start task: scripted failure', o = {}) {
      s.failures.push({
        ns: o.namespace ?? DEFAULT_NS,
        jobId,
        message,
        version: o.version,
        remaining: o.times ?? Infinity,
        recoverable: o.recoverable !== false,
        ...(o.exitCode !== undefined ? { exitCode: o.exitCode } : {})
      })
    },
    addNode(n) {
      s.nodes.push({
        ID: randomUUID(),
        Name: n.name ?? `node-${s.nodes.length + 1}`,
        Datacenter: n.datacenter ?? s.datacenter,
        cpu: n.cpu,
        memoryMB: n.memoryMB
      })
      s.wake()
      unblockEvals(s)
    },
    setProgressDeadlineMs(ms) {
      s.progressDeadlineOverrideMs = ms
    },
    setHealthyDeadlineMs(ms) {
      s.healthyDeadlineOverrideMs = ms
    },
    modifyJobOutOfBand(jobId, namespace = DEFAULT_NS, mutate) {
      const rec = s.jobRec(namespace, jobId)
      const copy = structuredClone(rec.current)
      if (mutate) mutate(copy)
      else copy.Meta = { ...(copy.Meta ?? {}), 'nomad-double-out-of-band': String(s.index + 1) }
      return register(s, namespace, copy, { triggeredBy: 'job-register' }).JobModifyIndex
    },
    bumpJobModifyIndex(jobId, namespace = DEFAULT_NS) {
      return double.modifyJobOutOfBand(jobId, namespace)
    },
    async rotateKey() {
      await s.keyring.rotate()
      s.bump('keyring')
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (!predicate()) {
        if (s.closed) throw new Error('nomad double closed')
        if (Date.now() >= deadline) throw new Error('waitFor: timed out')
        await s.waitForChange(deadline)
      }
    },
    getJob(jobId, namespace = DEFAULT_NS) {
      return s.findJob(namespace, jobId)?.current
    },
    allocations(jobId, namespace = DEFAULT_NS) {
      return [...s.allocs.values()].filter((a) => a.JobID === jobId && a.Namespace === namespace)
    },
    deployments(jobId, namespace = DEFAULT_NS) {
      return [...s.deployments.values()].filter((d) => d.JobID === jobId && d.Namespace === namespace).sort((a, b) => a.CreateIndex - b.CreateIndex)
    },
    async close() {
      if (s.closed) return
      s.closed = true
      for (const t of s.timers) clearTimeout(t)
      s.timers.clear()
      s.wake()
      for (const ac of s.aborts) ac.abort()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
  }
  return double
}
