/**
 * The shapes of Nomad's answers, checked at the typed API boundary (api.ts) before any caller reads them: a 2xx
 * answer that is not what Nomad's HTTP API sends (empty, null, [], {}, a field missing or of the wrong JSON type,
 * e.g. from a proxy or portal in between) becomes an UnexpectedAnswerError naming Nomad, the method and the path.
 * Only the fields the action relies on are required; JSON names from github.com/hashicorp/nomad/api (MPL-2.0).
 */
import { UnexpectedAnswerError } from '../errors.js'

/** What one answer must hold: returns the problem in words, or undefined when the shape is right. */
export type Shape = (body: unknown) => string | undefined

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array'

function kindOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

function describe(v: unknown): string {
  if (v === undefined) return 'an empty body'
  const k = kindOf(v)
  if (k === 'object' && Object.keys(v as object).length === 0) return 'an empty object {}'
  if (k === 'array' && (v as unknown[]).length === 0) return 'an empty list []'
  return k === 'null' ? 'null (or an empty body)' : `a JSON ${k}`
}

/**
 * An object whose listed fields have these JSON types; a field ending in '?' may be absent or null. `what` names
 * the Nomad struct for the message.
 */
export function object(what: string, fields: Record<string, Kind>): Shape {
  return (body) => {
    if (kindOf(body) !== 'object') return `expected ${what} (a JSON object), got ${describe(body)}`
    const o = body as Record<string, unknown>
    const wrong: string[] = []
    for (const [spec, kind] of Object.entries(fields)) {
      const optional = spec.endsWith('?')
      const name = optional ? spec.slice(0, -1) : spec
      const v = o[name]
      if (optional && (v === undefined || v === null)) continue
      if (kindOf(v) !== kind) wrong.push(v === undefined ? `no ${name}` : `${name} is ${kindOf(v)}, not ${kind}`)
    }
    return wrong.length ? `expected ${what}, got an object with ${wrong.join(', ')}` : undefined
  }
}

/** A JSON list whose every element has the shape. */
export function list(what: string, element: Shape): Shape {
  return (body) => {
    if (!Array.isArray(body)) return `expected a list of ${what}, got ${describe(body)}`
    for (let i = 0; i < body.length; i++) {
      const p = element(body[i])
      if (p) return `element ${i} of the list: ${p}`
    }
    return undefined
  }
}

/** null, or the shape (GET /v1/job/:id/deployment of a job without deployments answers null). */
export function nullOr(shape: Shape): Shape {
  return (body) => (body === null ? undefined : shape(body))
}

/** Throws UnexpectedAnswerError when `body` does not have the shape; returns it typed otherwise. */
export function checked<T>(shape: Shape, body: unknown, method: string, path: string): T {
  const problem = shape(body)
  if (problem) throw new UnexpectedAnswerError('Nomad', method, path, problem)
  return body as T
}

export const JOB = object('api.Job', { ID: 'string', Version: 'number', JobModifyIndex: 'number', 'Type?': 'string', 'TaskGroups?': 'array' })
export const ALLOCATION = object('api.AllocationListStub', {
  ID: 'string',
  JobVersion: 'number',
  TaskGroup: 'string',
  ClientStatus: 'string',
  DesiredStatus: 'string',
  'TaskStates?': 'object',
  'DeploymentStatus?': 'object'
})
export const EVALUATION = object('api.Evaluation', { ID: 'string', Status: 'string', 'FailedTGAllocs?': 'object', 'NextEval?': 'string' })
export const DEPLOYMENT = object('api.Deployment', { ID: 'string', JobVersion: 'number', Status: 'string', 'TaskGroups?': 'object' })
export const SUBMISSION = object('api.JobSubmission', { Source: 'string', 'Format?': 'string' })
/** api.JobRegisterResponse: EvalID is "" for periodic and parameterized jobs, but always present. */
export const REGISTER = object('api.JobRegisterResponse', { EvalID: 'string', JobModifyIndex: 'number', 'Warnings?': 'string' })
/** api.JobPlanResponse, asked with Diff: true (Diff.Type "None" when nothing changes). */
export const PLAN = (body: unknown) =>
  object('api.JobPlanResponse', {
    JobModifyIndex: 'number',
    Diff: 'object',
    'Annotations?': 'object',
    'FailedTGAllocs?': 'object',
    'Warnings?': 'string'
  })(body) ?? object('api.JobPlanResponse.Diff', { Type: 'string' })((body as { Diff: unknown }).Diff)
export const AGENT_SELF = object('api.AgentSelf', { 'config?': 'object', 'member?': 'object', 'stats?': 'object' })
export const NAMESPACE = object('api.Namespace', { Name: 'string' })
