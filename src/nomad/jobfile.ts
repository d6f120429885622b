/**
 * Job files: resolve the `job` input (paths and globs) and load a job as api.Job JSON, parsing HCL2 on the
 * Nomad server (`POST /v1/jobs/parse`) with the `var-files` and `variables` inputs.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { JobSettings } from '../config.js'
import { ActionError, HttpError } from '../errors.js'
import { readUserFile } from '../files.js'
import type { NomadClient, Query } from './client.js'
import type { ApiJob } from './inject.js'

// ---------------------------------------------------------------------------------------------
// Glob resolution

const GLOB_CHARS = /[*?[]/

/**
 * Resolve the `job` input's entries (one per line, already split) to files, in input order, without
 * duplicates. An entry is a path or a glob with `*` and `?` (within one path segment), `[abc]`, and `**`
 * (any number of directories). Wildcards do not match names starting with "." unless the pattern does.
 * Throws an ActionError naming the `job` input when an entry matches no file.
 */
export function resolveJobFiles(patterns: string[], opts: { cwd?: string } = {}): string[] {
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
        problems.push(`The \`job\` input entry "${pattern}" does not exist (looked in ${cwd}); check the path, or check out the repository first (actions/checkout)`)
        continue
      }
      if (st.isDirectory()) {
        problems.push(`The \`job\` input entry "${pattern}" is a directory; name the files, e.g. "${path.posix.join(pattern, '*.nomad.hcl')}"`)
        continue
      }
      matches = [path.posix.normalize(pattern)]
    } else {
      matches = glob(pattern, cwd)
      if (matches.length === 0) {
        problems.push(`The \`job\` input pattern "${pattern}" matches no file (looked in ${cwd}); check the pattern, or check out the repository first (actions/checkout)`)
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
  if (problems.length) throw new ActionError(problems.length === 1 ? problems[0] : `${problems.length} problems with the \`job\` input:\n${problems.map((p) => `- ${p}`).join('\n')}`)
  return out
}

/** Files matching one glob pattern, sorted, as paths relative to cwd (or absolute for an absolute pattern). */
export function glob(pattern: string, cwd: string): string[] {
  const isAbs = path.posix.isAbsolute(pattern)
  const segments = pattern.split('/').filter((s, i) => s !== '' && !(s === '.' && i === 0))
  const results = new Set<string>()
  const startDir = isAbs ? '/' : cwd
  const startRel = isAbs ? '/' : ''

  const join = (rel: string, name: string) => (rel === '' ? name : rel === '/' ? `/${name}` : `${rel}/${name}`)

  const walk = (dir: string, rel: string, i: number, visited: Set<string>) => {
    if (i === segments.length) return
    const seg = segments[i]
    const last = i === segments.length - 1
    if (seg === '**') {
      if (last) {
        // "dir/**" means every file below dir.
        for (const e of list(dir)) {
          if (e.name.startsWith('.')) continue
          const childAbs = path.join(dir, e.name)
          const kind = kindOf(childAbs, e)
          if (kind === 'file') results.add(join(rel, e.name))
          else if (kind === 'dir') walkDir(childAbs, join(rel, e.name), i, visited)
        }
        return
      }
      walk(dir, rel, i + 1, visited) // zero directories
      for (const e of list(dir)) {
        if (e.name.startsWith('.')) continue
        const childAbs = path.join(dir, e.name)
        if (kindOf(childAbs, e) === 'dir') walkDir(childAbs, join(rel, e.name), i, visited)
      }
      return
    }
    if (seg === '..' || !GLOB_CHARS.test(seg)) {
      const childAbs = path.join(dir, seg)
      const kind = kindOf(childAbs)
      if (last) {
        if (kind === 'file') results.add(join(rel, seg))
      } else if (kind === 'dir') {
        walk(childAbs, join(rel, seg), i + 1, visited)
      }
      return
    }
    const re = segmentRegex(seg)
    for (const e of list(dir)) {
      if (!re.test(e.name)) continue
      if (e.name.startsWith('.') && !seg.startsWith('.')) continue
      const childAbs = path.join(dir, e.name)
      const kind = kindOf(childAbs, e)
      if (last) {
        if (kind === 'file') results.add(join(rel, e.name))
      } else if (kind === 'dir') {
        walk(childAbs, join(rel, e.name), i + 1, visited)
      }
    }
  }
  // Guard against symlink loops under "**".
  const walkDir = (abs: string, rel: string, i: number, visited: Set<string>) => {
    let real: string
    try {
      real = fs.realpathSync(abs)
    } catch {
      return
    }
    if (visited.has(real)) return
    const next = new Set(visited)
    next.add(real)
    walk(abs, rel, i, next)
  }
  walk(startDir, startRel, 0, new Set())
  return [...results].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

function list(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true })
  } catch {
    return []
  }
}

function kindOf(abs: string, e?: fs.Dirent): 'file' | 'dir' | undefined {
  if (e && !e.isSymbolicLink()) return e.isFile() ? 'file' : e.isDirectory() ? 'dir' : undefined
  try {
    const st = fs.statSync(abs)
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : undefined
  } catch {
    return undefined
  }
}

/** One path segment with *, ? and [...] to a RegExp. */
function segmentRegex(seg: string): RegExp {
  let re = '^'
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2)
      if (end === -1) {
        re += '\\['
        continue
      }
      let body = seg.slice(i + 1, end)
      const negate = body.startsWith('!') || body.startsWith('^')
      if (negate) body = body.slice(1)
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`
      i = end
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(`${re}$`)
}

// ---------------------------------------------------------------------------------------------
// Variables

/** `Submission` as sent with the registration (Nomad 1.6+, nomad-vault-facts §7.3). */
export interface Submission {
  Source: string
  Format: 'hcl2' | 'json'
  VariableFlags: Record<string, string>
  Variables: string
}

export interface VariablesText {
  /** What is sent as `Variables` to /v1/jobs/parse: var-files, then the `variables` input (which wins). */
  text: string
  /** The var-files part only (Submission.Variables); the `variables` input goes to VariableFlags. */
  fileText: string
  /** For each line of `text` (0-based), where it came from. */
  origins: { file: string; line: number }[]
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** Escape a value as an HCL quoted string (quotes, backslashes, control characters, `${` and `%{`). */
export function hclString(value: string): string {
  let s = ''
  for (const ch of value) {
    switch (ch) {
      case '\\':
        s += '\\\\'
        break
      case '"':
        s += '\\"'
        break
      case '\n':
        s += '\\n'
        break
      case '\r':
        s += '\\r'
        break
      case '\t':
        s += '\\t'
        break
      default: {
        const code = ch.codePointAt(0) ?? 0
        s += code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : ch
      }
    }
  }
  // Template sequences: "$${" and "%%{" are the HCL escapes for a literal "${" and "%{".
  s = s.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{')
  return `"${s}"`
}

/** An HCL expression for a JSON value (used for JSON var-files and JSON-looking list/map variables). */
export function hclValue(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'string') return hclString(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return `[${v.map(hclValue).join(', ')}]`
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
    return `{ ${entries.map(([k, x]) => `${hclString(k)} = ${hclValue(x)}`).join(', ')} }`
  }
  return hclString(String(v))
}

/**
 * Render the `variables` input as HCL var-file lines. Values are HCL strings (Nomad converts "3" or "true"
 * to number/bool variables); a value that starts with `[` or `{` and is valid JSON becomes an HCL list/map,
 * so that list and map variables can be set too.
 */
export function renderVariables(vars: Record<string, string>): string {
  const lines: string[] = []
  for (const [k, v] of Object.entries(vars)) {
    if (!IDENT.test(k)) {
      throw new ActionError(`The \`variables\` input has an invalid variable name "${k}": names start with a letter or "_" and contain letters, digits, "_" or "-"`)
    }
    lines.push(`${k} = ${renderVariableValue(v)}`)
  }
  return lines.join('\n')
}

function renderVariableValue(v: string): string {
  const t = v.trim()
  if ((t.startsWith('[') && t.endsWith(']')) || (t.startsWith('{') && t.endsWith('}'))) {
    try {
      return hclValue(JSON.parse(t))
    } catch {
      /* a plain string */
    }
  }
  return hclString(v)
}

interface Attr {
  name: string
  text: string
  file: string
  line: number
}

/**
 * Build the var-file text: var-files in order, then the `variables` input. A variable defined more than once
 * keeps its last definition (like the CLI: later -var-file wins, -var wins over files), because HCL rejects
 * a redefined attribute in one file.
 */
export async function buildVariables(settings: Pick<JobSettings, 'variables' | 'varFiles' | 'fileAccess'>): Promise<VariablesText> {
  const attrs = new Map<string, Attr>()
  const rawParts: { file: string; text: string }[] = []
  let scannable = true
  for (const file of settings.varFiles) {
    let text: string
    try {
      text = readUserFile(file, 'var-files', settings.fileAccess)
    } catch (err) {
      throw new ActionError(`The \`var-files\` input entry "${file}" cannot be read: ${(err as Error).message}`, { cause: err })
    }
    let fileAttrs: Attr[] | undefined
    if (/\.json$/i.test(file) || /^\s*\{/.test(text)) {
      let obj: unknown
      try {
        obj = JSON.parse(text)
      } catch (err) {
        throw new ActionError(`The var-file "${file}" (input \`var-files\`) is not valid JSON: ${(err as Error).message}`, { cause: err })
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
        throw new ActionError(`The var-file "${file}" (input \`var-files\`) must be a JSON object of variable names to values`)
      }
      fileAttrs = Object.entries(obj as Record<string, unknown>).map(([name, v]) => ({ name, text: `${name} = ${hclValue(v)}`, file, line: 1 }))
      text = fileAttrs.map((a) => a.text).join('\n')
    } else {
      fileAttrs = topLevelAttributes(text)?.map((a) => ({ ...a, file }))
    }
    rawParts.push({ file, text })
    if (!fileAttrs) scannable = false
    else for (const a of fileAttrs) attrs.set(a.name, a)
  }

  const origins: VariablesText['origins'] = []
  const pieces: string[] = []
  const push = (text: string, file: string, line: number) => {
    pieces.push(text)
    text.split('\n').forEach((_, i) => origins.push({ file, line: line + i }))
  }
  if (scannable) {
    for (const a of attrs.values()) if (!(a.name in settings.variables)) push(a.text, a.file, a.line)
  } else {
    // A var-file this scanner does not understand: pass the files through unchanged and let Nomad judge them.
    for (const p of rawParts) push(p.text.replace(/\s+$/, ''), p.file, 1)
  }
  const fileText = pieces.join('\n')
  const rendered = renderVariables(settings.variables)
  if (rendered) rendered.split('\n').forEach((l, i) => push(l, 'variables input', i + 1))
  const text = pieces.join('\n')
  return { text: text ? `${text}\n` : '', fileText: fileText ? `${fileText}\n` : '', origins }
}

/**
 * The top-level `name = value` attributes of an HCL var file, with their source text and line, or undefined
 * when the file contains something else (blocks, unbalanced brackets): then the caller passes it on verbatim.
 */
export function topLevelAttributes(src: string): { name: string; text: string; line: number }[] | undefined {
  const out: { name: string; text: string; line: number }[] = []
  let pos = 0
  const n = src.length
  const lineAt = (p: number) => src.slice(0, p).split('\n').length
  while (pos < n) {
    // Skip blank space and comments between attributes.
    const c = src[pos]
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\uFEFF') {
      pos++
      continue
    }
    if (c === '#' || src.startsWith('//', pos)) {
      const nl = src.indexOf('\n', pos)
      pos = nl === -1 ? n : nl + 1
      continue
    }
    if (src.startsWith('/*', pos)) {
      const end = src.indexOf('*/', pos + 2)
      if (end === -1) return undefined
      pos = end + 2
      continue
    }
    const m = /[A-Za-z_][A-Za-z0-9_-]*[ \t]*=(?!=)/y
    m.lastIndex = pos
    const hit = m.exec(src)
    if (!hit) return undefined
    const name = hit[0].replace(/[ \t]*=$/, '')
    const end = scanExpression(src, pos + hit[0].length)
    if (end === undefined) return undefined
    out.push({ name, text: src.slice(pos, end).replace(/\s+$/, ''), line: lineAt(pos) })
    pos = end
  }
  return out
}

/** The end of an attribute's expression: the first newline outside brackets, strings, heredocs and comments. */
function scanExpression(src: string, from: number): number | undefined {
  const stack: string[] = [] // '(', '[', '{', '"' (string), 'T' (template interpolation)
  let i = from
  const n = src.length
  while (i < n) {
    const top = stack[stack.length - 1]
    const c = src[i]
    if (top === '"') {
      if (c === '\\') i += 2
      else if (c === '"') {
        stack.pop()
        i++
      } else if ((c === '$' || c === '%') && src[i + 1] === c && src[i + 2] === '{') i += 3
      else if ((c === '$' || c === '%') && src[i + 1] === '{') {
        stack.push('T')
        i += 2
      } else if (c === '\n') return undefined
      else i++
      continue
    }
    if (c === '\n' && stack.length === 0) return i
    if (c === '"') stack.push('"')
    else if (c === '(' || c === '[' || c === '{') stack.push(c)
    else if (c === ')' || c === ']' || c === '}') {
      const want = c === ')' ? '(' : c === ']' ? '[' : '{'
      if (top === want || (c === '}' && top === 'T')) stack.pop()
      else return undefined
    } else if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      const nl = src.indexOf('\n', i)
      i = nl === -1 ? n : nl
      continue
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2)
      if (end === -1) return undefined
      i = end + 2
      continue
    } else if (c === '<' && src[i + 1] === '<') {
      const h = /<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/y
      h.lastIndex = i
      const hm = h.exec(src)
      if (hm) {
        const marker = hm[1]
        let p = i + hm[0].length
        for (;;) {
          const nl = src.indexOf('\n', p)
          const line = src.slice(p, nl === -1 ? n : nl)
          if (line.trim() === marker) {
            i = nl === -1 ? n : nl
            break
          }
          if (nl === -1) return undefined
          p = nl + 1
        }
        continue
      }
    }
    i++
  }
  return stack.length === 0 ? n : undefined
}

// ---------------------------------------------------------------------------------------------
// Loading

export type JobFormat = 'hcl2' | 'json'

export interface LoadedJob {
  file: string
  job: ApiJob
  /** The file's text. */
  source: string
  format: JobFormat
  submission: Submission
  /** Notes for the user (e.g. variables ignored for JSON jobs). */
  warnings: string[]
}

export interface LoadOptions {
  namespace?: string
  region?: string
  /** Precomputed variables (deploy.ts builds them once for all files). */
  variables?: VariablesText
}

const HCL_EXT = /\.(nomad|hcl|nomad\.hcl|hcl2)$/i

/** Load one job file as api.Job JSON. HCL is parsed by the Nomad server (no HCL parser in the action). */
export async function loadJob(
  file: string,
  settings: Pick<JobSettings, 'variables' | 'varFiles' | 'fileAccess'>,
  client: NomadClient,
  opts: LoadOptions = {}
): Promise<LoadedJob> {
  let source: string
  try {
    source = readUserFile(file, 'job', settings.fileAccess)
  } catch (err) {
    throw new ActionError(`Job file "${file}" (input \`job\`) cannot be read: ${(err as Error).message}`, { cause: err })
  }
  if (source.trim() === '') throw new ActionError(`Job file "${file}" (input \`job\`) is empty`, { annotation: { file } })
  const format: JobFormat = /\.json$/i.test(file) ? 'json' : HCL_EXT.test(file) ? 'hcl2' : source.trimStart().startsWith('{') ? 'json' : 'hcl2'
  if (format === 'json') return loadJson(file, source, settings)

  const vars = opts.variables ?? (await buildVariables(settings))
  const query: Query = {}
  if (opts.namespace !== undefined) query.namespace = opts.namespace
  if (opts.region !== undefined) query.region = opts.region
  let job: ApiJob
  try {
    job = await client.post<ApiJob>('/v1/jobs/parse', { JobHCL: source, Canonicalize: true, Variables: vars.text }, query)
  } catch (err) {
    if (err instanceof HttpError && err.status === 400) throw parseError(file, source, err.serverMessage, vars)
    throw err
  }
  if (!job || typeof job !== 'object' || !job.ID) {
    throw new ActionError(`Nomad parsed "${file}" but returned no job ID: does the file contain a \`job "<name>" { … }\` block?`, { annotation: { file } })
  }
  return {
    file,
    job,
    source,
    format,
    submission: { Source: source, Format: 'hcl2', VariableFlags: { ...settings.variables }, Variables: vars.fileText },
    warnings: []
  }
}

function loadJson(file: string, source: string, settings: Pick<JobSettings, 'variables' | 'varFiles' | 'fileAccess'>): LoadedJob {
  let doc: unknown
  try {
    doc = JSON.parse(source)
  } catch (err) {
    const msg = (err as Error).message
    const pos = Number(msg.match(/position (\d+)/)?.[1])
    const annotation: { file: string; startLine?: number; startColumn?: number } = { file }
    if (Number.isFinite(pos)) {
      const before = source.slice(0, pos).split('\n')
      annotation.startLine = before.length
      annotation.startColumn = before[before.length - 1].length + 1
    }
    const where = annotation.startLine ? `${file}:${annotation.startLine},${annotation.startColumn}` : file
    throw new ActionError(`Job file ${where} is not valid JSON: ${msg}`, { annotation, cause: err })
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ActionError(`Job file "${file}" must contain a JSON object: {"Job": {…}} or the job object itself`, { annotation: { file } })
  }
  const obj = doc as Record<string, unknown>
  let job: ApiJob
  if (obj.Job && typeof obj.Job === 'object' && !Array.isArray(obj.Job)) job = obj.Job as ApiJob
  else if ('ID' in obj || 'TaskGroups' in obj || 'Name' in obj) job = obj as ApiJob
  else if ('job' in obj) {
    throw new ActionError(
      `Job file "${file}" looks like HCL JSON syntax ({"job": …}); the action expects Nomad API JSON (the output of \`nomad job run -output\` or ` +
        '`nomad job inspect`). Rename it to .nomad.hcl so Nomad parses it, or convert it.',
      { annotation: { file } }
    )
  } else {
    throw new ActionError(`Job file "${file}" is JSON but not a Nomad job: expected {"Job": {…}} or a job object with ID and TaskGroups`, {
      annotation: { file }
    })
  }
  if (!job.ID && typeof job.Name === 'string' && job.Name) job.ID = job.Name
  if (!job.ID || typeof job.ID !== 'string') throw new ActionError(`The job in "${file}" has no "ID"`, { annotation: { file } })
  const warnings: string[] = []
  if (Object.keys(settings.variables).length || settings.varFiles.length) {
    warnings.push(`"${file}" is a JSON job: the \`variables\` and \`var-files\` inputs only apply to HCL jobs and were not used for it.`)
  }
  return { file, job, source, format: 'json', submission: { Source: source, Format: 'json', VariableFlags: {}, Variables: '' }, warnings }
}

const DIAG = /input\.hcl:(\d+),(\d+)(?:-(?:\d+,)?\d+)?/g

/**
 * Turn a /v1/jobs/parse 400 into an ActionError that points at the user's file:
 * `Failed to parse job: input.hcl:5,3-9: Summary; Detail` → `<file>:5,3: Summary; Detail` with an annotation.
 * When the line is past the end of the job file it came from the variables, which Nomad also calls input.hcl.
 */
export function parseError(file: string, source: string, serverMessage: string, vars?: VariablesText): ActionError {
  const body = serverMessage.replace(/^Failed to parse job:\s*/i, '').trim()
  const first = /input\.hcl:(\d+),(\d+)/.exec(body)
  const jobLines = source.split('\n').length
  let annotation: ActionError['annotation'] = { file }
  let target = file
  if (first) {
    const line = Number(first[1])
    const column = Number(first[2])
    const origin = vars && line > jobLines ? vars.origins[line - 1] : undefined
    if (origin && origin.file !== 'variables input') {
      target = origin.file
      annotation = { file: origin.file, startLine: origin.line, startColumn: column }
    } else if (origin) {
      target = 'the `variables` input'
      annotation = { file }
    } else {
      annotation = { file, startLine: line, startColumn: column }
    }
  }
  const text = body.replace(DIAG, (_m, l: string, c: string) => {
    const line = Number(l)
    const origin = vars && line > jobLines ? vars.origins[line - 1] : undefined
    if (origin) return origin.file === 'variables input' ? `variables input line ${origin.line},${c}` : `${origin.file}:${origin.line},${c}`
    return `${file}:${l},${c}`
  })
  const intro = target === file ? `Nomad could not parse the job file ${file}` : `Nomad could not parse ${target} (used for job file ${file})`
  return new ActionError(`${intro}:\n${text}`, { annotation })
}
