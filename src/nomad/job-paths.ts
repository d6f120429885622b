/**
 * The `job` input's entries (paths and globs) resolved to files, in input order and without duplicates. Globs go
 * through @actions/glob (loaded on first use); hidden names match only when the pattern names them.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ActionError } from '../errors.js'

const GLOB_CHARS = /[*?[]/

/**
 * Resolve the `job` input's entries (one per line, already split) to files, in input order, without
 * duplicates. An entry is a path or a glob (@actions/glob: `*`, `?`, `[abc]`, `**`). Wildcards do not match
 * names starting with "." unless the pattern names such a segment itself. Throws an ActionError naming the
 * `job` input when an entry matches no file.
 */
export async function resolveJobFiles(patterns: string[], opts: { cwd?: string } = {}): Promise<string[]> {
  const cwd = opts.cwd ?? process.cwd()
  const out: string[] = []
  const seen = new Set<string>()
  const problems: string[] = []
  for (const raw of patterns) {
    const trimmed = raw.trim()
    const pattern = process.platform === 'win32' ? trimmed.replace(/\\/g, '/') : trimmed
    if (!pattern || pattern.startsWith('#')) continue
    let matches: string[]
    if (!GLOB_CHARS.test(pattern)) {
      const abs = path.resolve(cwd, pattern)
      let st: fs.Stats | undefined
      try {
        st = fs.statSync(abs)
      } catch {
        st = undefined
      }
      if (!st) {
        problems.push(
          `The \`job\` input entry "${pattern}" does not exist (looked in ${cwd}); check the path, or check out the repository first (actions/checkout)`
        )
        continue
      }
      if (st.isDirectory()) {
        problems.push(`The \`job\` input entry "${pattern}" is a directory; name the files, e.g. "${path.posix.join(pattern, '*.nomad.hcl')}"`)
        continue
      }
      matches = [path.posix.normalize(pattern)]
    } else {
      matches = await globFiles(pattern, cwd)
      if (matches.length === 0) {
        problems.push(
          `The \`job\` input pattern "${pattern}" matches no file (looked in ${cwd}); check the pattern, or check out the repository first (actions/checkout)`
        )
        continue
      }
    }
    for (const m of matches) {
      const key = path.resolve(cwd, m)
      if (seen.has(key)) continue
      seen.add(key)
      out.push(m)
    }
  }
  if (problems.length)
    throw new ActionError(
      problems.length === 1 ? problems[0] : `${problems.length} problems with the \`job\` input:\n${problems.map((p) => `- ${p}`).join('\n')}`
    )
  return out
}

/** Files matching one glob pattern, sorted, relative to cwd (absolute for an absolute pattern). */
async function globFiles(raw: string, cwd: string): Promise<string[]> {
  const isAbs = path.posix.isAbsolute(raw)
  // @actions/glob refuses "." and ".." segments and resolves relative patterns against process.cwd(): normalise the
  // pattern and anchor it at cwd, escaping cwd's own glob characters.
  const anchored = path.posix.normalize(isAbs ? raw : `${escapeGlob(cwd.split(path.sep).join('/'))}/${raw}`)
  const pattern = isAbs ? anchored : path.posix.normalize(raw)
  const segs = pattern.split('/')
  const literal = literalSegments(segs)
  const dotAllowed = segs.some(isDotName)
  const globDot = segs.slice(literal).some(isDotName)
  let found: string[]
  try {
    // Without a dot segment in the pattern, hidden entries (.git, …) are not even walked.
    // Loaded on first use: plain paths (the common case) never evaluate @actions/glob and minimatch.
    const glob = await import('@actions/glob')
    const globber = await glob.create(anchored, {
      implicitDescendants: false,
      matchDirectories: false,
      followSymbolicLinks: true,
      excludeHiddenFiles: !dotAllowed
    })
    found = await globber.glob()
  } catch (err) {
    throw new ActionError(`The \`job\` input pattern "${raw}" is not a valid glob: ${(err as Error).message}`, { cause: err })
  }
  const base = path.resolve(cwd)
  return found
    .map((abs) => (isAbs ? abs : path.relative(base, abs).split(path.sep).join('/')))
    .filter((p) => globDot || !p.split('/').slice(literal).some(isDotName))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** How many leading segments of the pattern are literal (no glob characters): they may name dot directories. */
function literalSegments(segs: string[]): number {
  const first = segs.findIndex((s) => GLOB_CHARS.test(s))
  return first === -1 ? segs.length : first
}

function isDotName(seg: string): boolean {
  return seg.startsWith('.') && seg !== '.' && seg !== '..'
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[]/g, (c) => `[${c}]`)
}
