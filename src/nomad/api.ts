/**
 * A typed Nomad API in the spirit of Nomad's Go `api/` package (github.com/hashicorp/nomad/api, MPL-2.0):
 * one QueryOptions for namespace, region and blocking queries, and a handle per resource returning the typed
 * structs of api-types.ts. Requests go through NomadClient (the shared transport). Every answer a caller reads is
 * checked against its shape first (api-answers.ts): a 2xx body that is not Nomad's answer is an UnexpectedAnswerError,
 * never a TypeError further on.
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
  JobsParseRequest,
  Namespace
} from './api-types.js'
import * as shapes from './api-answers.js'
import { checked, type Shape } from './api-answers.js'
import type { NomadClient, Query } from './nomad-client.js'

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

  private async get<T>(path: string, opts: QueryOptions, shape: Shape): Promise<[T, QueryMeta]> {
    const res = await this.client.get<unknown>(path, { query: query(opts), index: opts.index, waitMs: opts.waitMs, signal: opts.signal })
    return [checked<T>(shape, res.body, 'GET', path), { lastIndex: res.index }]
  }

  private async post<T>(path: string, body: unknown, opts: QueryOptions, shape: Shape, idempotent?: boolean): Promise<T> {
    const res = await this.client.post<unknown>(path, body, query(opts), { ...(idempotent === undefined ? {} : { idempotent }), signal: opts.signal })
    return checked<T>(shape, res, 'POST', path)
  }

  jobs() {
    return {
      /** POST /v1/jobs/parse: the job as api.Job JSON (Nomad 1.6+ takes Variables). */
      parse: <J>(req: JobsParseRequest, opts: QueryOptions = {}) => this.client.post<J>('/v1/jobs/parse', req, query(opts)),
      /** GET /v1/jobs: the job stubs, as Nomad answers them (namespace "*": every namespace). */
      list: <S>(opts: QueryOptions = {}) => this.client.get<S[]>('/v1/jobs', { query: query(opts), signal: opts.signal }).then((r) => r.body),
      /** GET /v1/job/:id */
      info: (id: string, opts: QueryOptions = {}) => this.get<Job>(`/v1/job/${seg(id)}`, opts, shapes.JOB),
      /** GET /v1/job/:id/submission?version=N: the source registered with a version (Nomad 1.6+), or null. */
      submission: (id: string, version: number, opts: QueryOptions = {}) => {
        const path = `/v1/job/${seg(id)}/submission`
        return this.client
          .get<unknown>(path, { query: { ...query(opts), version }, signal: opts.signal })
          .then((r) => checked<JobSubmission | null>(shapes.nullOr(shapes.SUBMISSION), r.body, 'GET', path))
      },
      /** GET /v1/job/:id/allocations */
      allocations: (id: string, opts: QueryOptions = {}) =>
        this.get<AllocationListStub[]>(`/v1/job/${seg(id)}/allocations`, opts, shapes.list('api.AllocationListStub', shapes.ALLOCATION)),
      /** GET /v1/job/:id/evaluations */
      evaluations: (id: string, opts: QueryOptions = {}) =>
        this.get<Evaluation[]>(`/v1/job/${seg(id)}/evaluations`, opts, shapes.list('api.Evaluation', shapes.EVALUATION)),
      /** GET /v1/job/:id/deployment: the latest deployment, or null. */
      latestDeployment: (id: string, opts: QueryOptions = {}) =>
        this.get<Deployment | null>(`/v1/job/${seg(id)}/deployment`, opts, shapes.nullOr(shapes.DEPLOYMENT)),
      /** POST /v1/job/:id/plan with Diff: true (read-only: changes nothing in Nomad). */
      plan: <J, R>(id: string, req: { Job: J; Diff: true; PolicyOverride?: boolean }, opts: QueryOptions = {}) =>
        this.post<R>(`/v1/job/${seg(id)}/plan`, req, opts, shapes.PLAN),
      /**
       * POST /v1/jobs. With EnforceIndex the check index makes a repeat harmless (a repeat is refused, never
       * applied twice), so only then is the request retried after a lost answer.
       */
      register: <J>(req: JobRegisterRequest<J>, opts: QueryOptions = {}) =>
        this.post<JobRegisterResponse>('/v1/jobs', req, opts, shapes.REGISTER, req.EnforceIndex === true),
      /** DELETE /v1/job/:id (purge: true removes it from Nomad at once). */
      deregister: (id: string, purge: boolean, opts: QueryOptions = {}) =>
        this.client.delete<unknown>(`/v1/job/${seg(id)}`, { ...query(opts), purge })
    }
  }

  evaluations() {
    return {
      /** GET /v1/evaluation/:id */
      info: (id: string, opts: QueryOptions = {}) => this.get<Evaluation>(`/v1/evaluation/${seg(id)}`, opts, shapes.EVALUATION)
    }
  }

  deployments() {
    return {
      /** GET /v1/deployment/:id */
      info: (id: string, opts: QueryOptions = {}) => this.get<Deployment>(`/v1/deployment/${seg(id)}`, opts, shapes.DEPLOYMENT),
      /** POST /v1/deployment/promote/:id */
      promote: (req: DeploymentPromoteRequest, opts: QueryOptions = {}) =>
        this.client.post<unknown>(`/v1/deployment/promote/${seg(req.DeploymentID)}`, req, query(opts), { signal: opts.signal })
    }
  }

  agent() {
    return {
      /** GET /v1/agent/self */
      self: () => this.get<AgentSelf>('/v1/agent/self', {}, shapes.AGENT_SELF)
    }
  }

  acl() {
    return {
      /** POST /v1/acl/login: an ACL token for a login token (JWT) through an auth method; as Nomad answers it. */
      login: <T>(req: { AuthMethodName: string; LoginToken: string }) => this.client.post<T>('/v1/acl/login', req)
    }
  }

  operator() {
    return {
      /** GET /v1/operator/upgrade-check/vault-workload-identity (Nomad 1.7+), as Nomad answers it. */
      vaultWorkloadIdentityUpgradeCheck: <T>() => this.client.get<T>('/v1/operator/upgrade-check/vault-workload-identity').then((r) => r.body)
    }
  }

  namespaces() {
    return {
      /** GET /v1/namespace/:name (any capability in the namespace may read it; 404 when it does not exist). */
      info: (name: string, opts: QueryOptions = {}) => this.get<Namespace>(`/v1/namespace/${seg(name)}`, opts, shapes.NAMESPACE)
    }
  }
}
