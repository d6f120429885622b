/**
 * How much a run shows: GitHub's limits on a step summary and on a step output, and the one way a long text (a task
 * event, a server's message) is cut before it reaches a log line, an annotation, the summary or an output.
 */

/**
 * The most of one message shown anywhere: 4 KiB of text. A task event, a Nomad warning or a server's error text
 * longer than this is cut in the middle (the start says what failed, the end often holds the cause).
 */
export const MESSAGE_LIMIT = 4096

/**
 * GitHub refuses a step summary over 1 MiB (1,048,576 bytes) and then shows none of it ("$GITHUB_STEP_SUMMARY upload
 * aborted, supports content up to a size of 1024k"; docs: workflow commands, "Adding a job summary"). The summary is
 * built to at most this many bytes, leaving room for the masking the runner applies.
 */
export const SUMMARY_LIMIT = 1_000_000

/**
 * GitHub keeps step and job outputs of at most 1 MB each (docs: workflow syntax, `jobs.<job_id>.outputs`: "Outputs
 * are Unicode strings, and can be a maximum of 1 MB"). Read as 1,000,000 bytes, with room for the output file's
 * delimiter lines.
 */
export const OUTPUT_LIMIT = 999_000

/**
 * `text` cut to at most `max` characters: the start and the end are kept, with "…" and how much was cut between
 * them. Shorter text is returned as it is.
 */
export function clip(text: string, max: number = MESSAGE_LIMIT): string {
  if (text.length <= max) return text
  const keep = Math.max(0, max - ` … [${text.length} characters cut] … `.length)
  const head = Math.ceil(keep * 0.75)
  return `${text.slice(0, head)} … [${text.length - keep} characters cut] … ${text.slice(text.length - (keep - head))}`
}

/**
 * A long message (a task's error text, repeated on every restart) is shown once; a later repeat says so instead.
 * `said` holds the messages shown so far in one listing.
 */
export function showOnce(said: Set<string>, message: string): string {
  if (message.length <= 80) return message
  if (said.has(message)) return '(the same message as above)'
  said.add(message)
  return message
}

/** The size of `text` in bytes, as GitHub counts it (UTF-8). */
export function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}
