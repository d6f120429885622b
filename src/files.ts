/**
 * Safe reading of the files a user names in inputs (`policy-file`, `job`, `var-files`, and the certificate and key
 * inputs given as a path): a regular file, inside the workspace unless the user opted out
 * (`allow-outside-workspace`; certificates and keys are not confined), under a size limit, valid UTF-8 text.
 * A FIFO never blocks (opened non-blocking, then refused), a device is never read, a symlink is judged by where
 * it points. Errors name the input and the file, never the content.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ActionError } from './errors.js'

/** Where user files may be. Absent (unit tests of the job loader): no workspace restriction. */
export interface FileAccess {
  /** The workspace directory (GITHUB_WORKSPACE, or the working directory when unset). */
  workspace: string
  /** `allow-outside-workspace: true`: files anywhere on the runner. */
  allowOutside: boolean
}

/**
 * Size limits in bytes. Job files and var-files: 1,000,000, Nomad's default server `job_max_source_size` ("1M",
 * command/agent/config.go), above which Nomad discards the job source it keeps. Policies: 512 KiB, half the
 * 1 MiB default storage entry limit (`max_entry_size`) of Vault's and OpenBao's integrated storage, which must
 * also hold the JSON-escaped text.
 */
export const FILE_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  'policy-file': 512 * 1024,
  job: 1_000_000,
  'var-files': 1_000_000,
  // A plan file holds every job as registered: a few times the job files' limit.
  'expected-plan': 16_000_000
})

/**
 * The limit for a PEM certificate, CA bundle or private key given as a path: 1 MiB. The largest PEM file a runner
 * commonly holds is a system CA bundle (Mozilla's ~150 roots, about 220 kB as /etc/ssl/certs/ca-certificates.crt);
 * a client certificate or key is a few kB. 1 MiB leaves room for any real bundle and keeps memory bounded.
 */
export const PEM_LIMIT = 1024 * 1024

/** How readUserFile names and bounds a file. */
export interface ReadOptions {
  /** The size limit in bytes (default: FILE_LIMITS[input], else the job limit). */
  limit?: number
  /** Shown instead of the path in errors (a path given in a secret input is not echoed). */
  label?: string
}

export function fileAccessFromEnv(allowOutside: boolean, env: NodeJS.ProcessEnv = process.env): FileAccess {
  return { workspace: path.resolve(env.GITHUB_WORKSPACE || process.cwd()), allowOutside }
}

const KIND_NAMES: [(s: fs.Stats) => boolean, string][] = [
  [(s) => s.isDirectory(), 'a directory'],
  [(s) => s.isFIFO(), 'a FIFO (named pipe)'],
  [(s) => s.isCharacterDevice(), 'a character device'],
  [(s) => s.isBlockDevice(), 'a block device'],
  [(s) => s.isSocket(), 'a socket']
]

/**
 * Reads a user file as UTF-8 text, or throws an ActionError naming `input` and `file`.
 * `input` is the action input ("policy-file", "job", "var-files", "vault-ca-cert", …); it selects the size limit
 * unless `opts.limit` gives one.
 */
export function readUserFile(file: string, input: string, access?: FileAccess, opts: ReadOptions = {}): string {
  const fail = (what: string) => new ActionError(`Input "${input}": ${opts.label ?? `"${file}"`} ${what}`)
  const limit = opts.limit ?? FILE_LIMITS[input] ?? FILE_LIMITS.job
  let real: string
  try {
    real = fs.realpathSync(path.resolve(file))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw fail(
      code === 'ENOENT'
        ? 'does not exist on the runner. Give a path relative to the workspace, and check out the repository first (actions/checkout).'
        : `cannot be read (${code ?? 'error'}).`
    )
  }
  if (access && !access.allowOutside && !isInside(real, access.workspace)) {
    const via = real !== path.resolve(file) ? ` (it resolves to "${real}")` : ''
    throw fail(
      `is outside the workspace "${access.workspace}"${via}. Keep the file in the repository, or set ` +
        'allow-outside-workspace: true if reading files elsewhere on the runner is intended.'
    )
  }
  let fd: number
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang; a regular file is unaffected.
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW)
  } catch (e) {
    throw fail(`cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`)
  }
  let buf: Buffer
  let length = 0
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) {
      const kind = KIND_NAMES.find(([is]) => is(st))?.[1] ?? 'not a regular file'
      throw fail(`is ${kind}, not a regular file. Name a file.`)
    }
    if (st.size > limit) throw fail(`is ${st.size} bytes; the limit for ${input} is ${limit} bytes.`)
    // Read at most limit + 1 bytes: files that report size 0 (e.g. under /proc) cannot grow past the limit.
    buf = Buffer.alloc(limit + 1)
    for (;;) {
      const n = fs.readSync(fd, buf, length, buf.length - length, null)
      if (n === 0) break
      length += n
      if (length > limit) throw fail(`is larger than the limit for ${input} (${limit} bytes).`)
    }
  } finally {
    fs.closeSync(fd)
  }
  const bytes = buf.subarray(0, length)
  if (bytes.includes(0)) throw fail('is a binary file (it contains NUL bytes), not text.')
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw fail('is not valid UTF-8 text. Save it as UTF-8.')
  }
}

function isInside(real: string, workspace: string): boolean {
  let ws: string
  try {
    ws = fs.realpathSync(workspace)
  } catch {
    ws = path.resolve(workspace)
  }
  return real === ws || real.startsWith(ws.endsWith(path.sep) ? ws : ws + path.sep)
}
