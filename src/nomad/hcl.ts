/**
 * HCL helpers: encode strings and JSON values as HCL native syntax, the identifier rule for variable names,
 * and a scanner for the top-level `name = value` attributes of a var file. Pure; no parser of our own beyond that.
 */

const IDENT = '[A-Za-z_][A-Za-z0-9_-]*'

/** An HCL identifier, as used for variable names (a letter or "_", then letters, digits, "_" or "-"; ASCII subset). */
export const HCL_IDENT = new RegExp(`^${IDENT}$`)
/** A block label: a quoted string or an identifier. */
const LABEL = new RegExp(`"((?:[^"\\\\\\n]|\\\\.)*)"|(${IDENT})`, 'g')
const ATTRIBUTE_START = new RegExp(`${IDENT}[ \\t]*=(?!=)`, 'y')
const HEREDOC_START = new RegExp(`<<-?(${IDENT})[ \\t]*\\r?\\n`, 'y')

/** An HCL native-syntax quoted string: escapes \ " and control characters, and template sequences ${ and %{. */
export function hclString(value: string): string {
  let out = ''
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0
    if (ch === '\\') out += '\\\\'
    else if (ch === '"') out += '\\"'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`
    else out += ch
  }
  // "$${" and "%%{" are the HCL escapes for a literal "${" and "%{".
  return `"${out.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{')}"`
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

export interface HclAttribute {
  name: string
  /** The attribute's source text, `name = value`, without trailing blank space. */
  text: string
  /** 1-based line of the attribute's name. */
  line: number
}

/**
 * The top-level `name = value` attributes of an HCL var file, with their source text and line, or undefined
 * when the file contains something else (blocks, unbalanced brackets): then the caller passes it on verbatim.
 */
export function topLevelAttributes(src: string): HclAttribute[] | undefined {
  const out: HclAttribute[] = []
  const lineAt = (p: number) => src.slice(0, p).split('\n').length
  let pos = skipBlank(src, 0)
  while (pos !== undefined && pos < src.length) {
    ATTRIBUTE_START.lastIndex = pos
    const hit = ATTRIBUTE_START.exec(src)
    if (!hit) return undefined
    const name = hit[0].replace(/[ \t]*=$/, '')
    const end = scanExpression(src, pos + hit[0].length)
    if (end === undefined) return undefined
    out.push({ name, text: src.slice(pos, end).replace(/\s+$/, ''), line: lineAt(pos) })
    pos = skipBlank(src, end)
  }
  return pos === undefined ? undefined : out
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
      const hm = heredocStart(src, i)
      if (hm) {
        let p = i + hm.length
        for (;;) {
          const nl = src.indexOf('\n', p)
          const line = src.slice(p, nl === -1 ? n : nl)
          if (line.trim() === hm.marker) {
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

function heredocStart(src: string, at: number): { marker: string; length: number } | undefined {
  HEREDOC_START.lastIndex = at
  const hm = HEREDOC_START.exec(src)
  return hm ? { marker: hm[1], length: hm[0].length } : undefined
}

/** A variable a job declares, with the 1-based line of its `variable` block (or `variables` attribute). */
export interface DeclaredVariable {
  name: string
  line: number
}

/**
 * The variables a job file declares: top-level `variable "name" { … }` blocks and the attributes of top-level
 * `variables { … }` blocks (both jobspec2 forms), in HCL native syntax or HCL JSON syntax. Undefined when the
 * file has a shape this scanner does not follow; then nobody can tell and the caller skips its check.
 */
export function declaredVariables(src: string): DeclaredVariable[] | undefined {
  if (/^[\s\uFEFF]*\{/.test(src)) return declaredInJson(src)
  const out: DeclaredVariable[] = []
  const n = src.length
  const lineAt = (p: number) => src.slice(0, p).split('\n').length
  let pos = skipBlank(src, 0)
  while (pos !== undefined && pos < n) {
    BLOCK_TYPE.lastIndex = pos
    const head = BLOCK_TYPE.exec(src)
    if (!head) return undefined
    const type = head[1]
    const labels = [...head[2].matchAll(LABEL)].map((m) => m[1] ?? m[2])
    const open = pos + head[0].length - 1
    if (src[open] !== '{') {
      // A top-level attribute (name = value): skip its expression.
      const end = scanExpression(src, open + 1)
      if (end === undefined) return undefined
      pos = skipBlank(src, end)
      continue
    }
    const end = scanExpression(src, open)
    if (end === undefined) return undefined
    if (type === 'variable' && labels.length === 1) out.push({ name: labels[0], line: lineAt(pos) })
    if (type === 'variables' && labels.length === 0) {
      const close = src.lastIndexOf('}', end)
      const body = src.slice(open + 1, close)
      const attrs = topLevelAttributes(body)
      if (!attrs) return undefined
      const base = lineAt(open) - 1
      for (const a of attrs) out.push({ name: a.name, line: base + a.line })
    }
    pos = skipBlank(src, end)
  }
  return pos === undefined ? undefined : out
}

/** `type label "label" {` or `name =` at a top-level position. */
const BLOCK_TYPE = new RegExp(`(${IDENT})((?:[ \\t]+(?:"(?:[^"\\\\\\n]|\\\\.)*"|${IDENT}))*)[ \\t]*([{=])`, 'y')

/** The next position that is not blank space or a comment; undefined for an unterminated comment. */
function skipBlank(src: string, from: number): number | undefined {
  let pos = from
  const n = src.length
  while (pos < n) {
    const c = src[pos]
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\uFEFF') pos++
    else if (c === '#' || src.startsWith('//', pos)) {
      const nl = src.indexOf('\n', pos)
      pos = nl === -1 ? n : nl + 1
    } else if (src.startsWith('/*', pos)) {
      const end = src.indexOf('*/', pos + 2)
      if (end === -1) return undefined
      pos = end + 2
    } else break
  }
  return pos
}

function declaredInJson(src: string): DeclaredVariable[] | undefined {
  let doc: unknown
  try {
    doc = JSON.parse(src)
  } catch {
    return undefined
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined
  const d = doc as Record<string, unknown>
  const names = new Set<string>()
  const collect = (v: unknown) => {
    for (const item of Array.isArray(v) ? v : [v]) if (item && typeof item === 'object') for (const k of Object.keys(item)) names.add(k)
  }
  collect(d.variable)
  collect(d.variables)
  return [...names].map((name) => ({ name, line: lineOfJsonKey(src, name) }))
}

/** The 1-based line of the first `"name":` key in a JSON text (1 when not found). */
export function lineOfJsonKey(src: string, name: string): number {
  const at = src.search(new RegExp(`"${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}"\\s*:`))
  return at < 0 ? 1 : src.slice(0, at).split('\n').length
}
