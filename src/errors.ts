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
