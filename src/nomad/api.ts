/**
 * A typed Nomad API in the spirit of Nomad's Go `api/` package (github.com/hashicorp/nomad/api, MPL-2.0):
 * one QueryOptions for namespace, region and blocking queries, and a handle per resource returning the typed
 * structs of api-types.ts. Requests go through NomadClient (the shared transport).
 */
import type {
  AgentSelf,
  AllocationListStub,
  Deployment,
  DeploymentPromoteRequest,
  Evaluation,
  Job,
  JobRegisterRequest,
  JobRegisterResponse,
  JobSubmission,
  JobsParseRequest
} from './api-types.js'
import type { NomadClient, Query } from './client.js'

/** api.QueryOptions / api.WriteOptions: what every call may set. index + waitMs make a blocking query. */
export interface QueryOptions {
  namespace?: string
  region?: string
  /** X-Nomad-Index of the previous answer (blocking query). */
  index?: number
  /** How long the server may hold a blocking query, in ms. */
  waitMs?: number
  /** Aborts the request: a blocking query whose answer nobody waits for any more. */
  signal?: AbortSignal
}

/** api.QueryMeta: the X-Nomad-Index of the answer. */
export interface QueryMeta {
  lastIndex: number
}

function query(opts: QueryOptions): Query {
  const q: Query = {}
  if (opts.namespace !== undefined) q.namespace = opts.namespace
  if (opts.region !== undefined) q.region = opts.region
  return q
}

const seg = encodeURIComponent

/** A Nomad API over one client: `api.jobs().info(id, { namespace })`, `api.evaluations().info(id, { index, waitMs })`. */
export class NomadApi {
  constructor(readonly client: NomadClient) {}

  private async get<T>(path: string, opts: QueryOptions): Promise<[T, QueryMeta]> {
    const res = await this.client.get<T>(path, { query: query(opts), index: opts.index, waitMs: opts.waitMs, signal: opts.signal })
    return [res.body, { lastIndex: res.index }]
  }

  jobs() {
    return {
      /** POST /v1/jobs/parse: the job as api.Job JSON (Nomad 1.6+ takes Variables). */
      parse: <J>(req: JobsParseRequest, opts: QueryOptions = {}) => this.client.post<J>('/v1/jobs/parse', req, query(opts)),
      /** GET /v1/job/:id */
      info: (id: string, opts: QueryOptions = {}) => this.get<Job>(`/v1/job/${seg(id)}`, opts),
      /** GET /v1/job/:id/submission?version=N: the source registered with a version (Nomad 1.6+). */
      submission: (id: string, version: number, opts: QueryOptions = {}) =>
        this.client.get<JobSubmission | null>(`/v1/job/${seg(id)}/submission`, { query: { ...query(opts), version } }).then((r) => r.body),
      /** GET /v1/job/:id/allocations */
      allocations: (id: string, opts: QueryOptions = {}) => this.get<AllocationListStub[]>(`/v1/job/${seg(id)}/allocations`, opts),
      /** GET /v1/job/:id/evaluations */
      evaluations: (id: string, opts: QueryOptions = {}) => this.get<Evaluation[]>(`/v1/job/${seg(id)}/evaluations`, opts),
      /** GET /v1/job/:id/deployment: the latest deployment, or null. */
      latestDeployment: (id: string, opts: QueryOptions = {}) => this.get<Deployment | null>(`/v1/job/${seg(id)}/deployment`, opts),
      /**
       * POST /v1/jobs. With EnforceIndex the check index makes a repeat harmless (a repeat is refused, never
       * applied twice), so only then is the request retried after a lost answer.
       */
      register: <J>(req: JobRegisterRequest<J>, opts: QueryOptions = {}) =>
        this.client.post<JobRegisterResponse | null>('/v1/jobs', req, query(opts), { idempotent: req.EnforceIndex === true })
    }
  }

  evaluations() {
    return {
      /** GET /v1/evaluation/:id */
      info: (id: string, opts: QueryOptions = {}) => this.get<Evaluation>(`/v1/evaluation/${seg(id)}`, opts)
    }
  }

  deployments() {
    return {
      /** GET /v1/deployment/:id */
      info: (id: string, opts: QueryOptions = {}) => this.get<Deployment>(`/v1/deployment/${seg(id)}`, opts),
      /** POST /v1/deployment/promote/:id */
      promote: (req: DeploymentPromoteRequest, opts: QueryOptions = {}) =>
        this.client.post<unknown>(`/v1/deployment/promote/${seg(req.DeploymentID)}`, req, query(opts))
    }
  }

  agent() {
    return {
      /** GET /v1/agent/self */
      self: () => this.get<AgentSelf>('/v1/agent/self', {})
    }
  }
}
