/**
 * Errors a user can cause (bad input, a server refusing a request) are ActionErrors:
 * they carry a message that names the input or server, what was wrong and how to fix it,
 * and main.ts reports them without a stack trace.
 */
import { clip } from './bounds.js'

export class ActionError extends Error {
  /** Optional file annotation (for job parse errors). */
  readonly annotation?: { file: string; startLine?: number; startColumn?: number }
  constructor(message: string, options?: { annotation?: ActionError['annotation']; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined)
    this.name = 'ActionError'
    this.annotation = options?.annotation
  }
}

/**
 * An HTTP error from Vault or Nomad: method, path, status and the server's message (shown at most MESSAGE_LIMIT long;
 * `serverMessage` keeps all of it). Never a token.
 */
export class HttpError extends ActionError {
  constructor(
    readonly server: 'Vault' | 'Nomad' | string,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly serverMessage: string,
    hint?: string
  ) {
    super(`${server} ${method} ${path} failed with HTTP ${status}: ${clip(serverMessage) || '(empty response)'}` + (hint ? `. ${hint}` : ''))
    this.name = 'HttpError'
  }
}

/**
 * The error with a note appended to its message, as a new error: of the same class, with the same fields (an
 * HttpError keeps its status), the original as its `cause` and its stack. The original is left as it was. Anything
 * thrown that is not an Error is returned unchanged.
 */
export function withNote<E>(err: E, note: string): E {
  if (!(err instanceof Error)) return err
  const copy = Object.create(Object.getPrototypeOf(err)) as Error
  Object.assign(copy, err)
  Object.defineProperties(copy, {
    message: { value: `${err.message}${note}`, writable: true, configurable: true },
    stack: { value: err.stack, writable: true, configurable: true },
    cause: { value: err, writable: true, configurable: true }
  })
  return copy as E
}

/** Collects every validation problem so the user sees all of them at once. */
export class ValidationErrors extends ActionError {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} input problems:\n${problems.map((p) => `- ${p}`).join('\n')}`)
    this.name = 'ValidationErrors'
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}

/**
 * A server answered with success but the body is not the answer its API defines (empty, null, the wrong JSON
 * type, a field missing or of the wrong type), e.g. a proxy or portal in between. Names the server, the method,
 * the path and what was wrong; never the body (it may carry a token).
 */
export class UnexpectedAnswerError extends ActionError {
  constructor(
    readonly server: 'Vault' | 'Nomad' | string,
    readonly method: string,
    readonly path: string,
    readonly problem: string,
    /** The input that holds the server's address, e.g. `nomad-addr`. */
    input = `${server.toLowerCase()}-addr`
  ) {
    super(
      `${server} ${method} ${path} answered with success, but the answer is not ${server}'s: ${problem}. ` +
        `Check that \`${input}\` points at the ${server} HTTP API itself (not a UI, login page or proxy path), and that no proxy or gateway in between rewrites its answers.`
    )
    this.name = 'UnexpectedAnswerError'
  }
}

/**
 * A defect of the action itself (a broken assumption, a type error): main.ts reports it as a bug, with its stack.
 * Anything thrown that is not an ActionError is treated the same way (see asInternalError).
 */
export class InternalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined)
    this.name = 'InternalError'
  }
}

/** The InternalError for anything thrown that is not an ActionError (a TypeError, a string); undefined for user errors. */
export function asInternalError(err: unknown): InternalError | undefined {
  if (err instanceof ActionError) return undefined
  if (err instanceof InternalError) return err
  const e = new InternalError(errorMessage(err), { cause: err })
  if (err instanceof Error && err.stack) e.stack = err.stack
  return e
}

/** The words main.ts and a job's verdict use for a defect of ours. */
export function bugMessage(err: InternalError): string {
  return `${err.message} (this is a bug in nomad-vault-action, please report it with this message and the stack trace in the log)`
}
