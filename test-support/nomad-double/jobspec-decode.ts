/**
 * tools/nomad-hcl's evaluated job body → api.Job JSON, as Nomad v1.10's HCL2 parser decodes it.
 * Facts from Nomad's jobspec2 at v1.10.5 (MPL-2.0; read, not copied): the job body is decoded with gohcl (Nomad's fork,
 * github.com/hashicorp/hcl/v2 v2.20.2-nomad-1, gohcl/decode.go) into the api structs by their `hcl` tags
 * (jobspec-schema.ts); hcl_conversions.go adds the custom decoders (durations; constraint and affinity shorthands;
 * task group `meta =` and `vault`; task `env =`, `meta =`, `scaling "cpu"|"mem"`); types.config.go the job's
 * `meta =`, `vault` and lone `task` blocks. Schema-less blocks (a driver's `config`, a scaling `policy`) arrive
 * already read as Nomad reads them (tools/nomad-hcl/schemaless.go). Unset fields encode as Go's encoding/json does
 * (nil → null).
 */
import { goDurationNs } from './duration.js'
import { API_STRUCTS } from './jobspec-schema.js'

export interface HclAttr {
  value: unknown
  range: string
  start: string
  nameRange: string
}
export interface HclBody {
  attrs: Record<string, HclAttr>
  blocks: HclBlock[]
}
export interface HclBlock {
  type: string
  labels: string[]
  range: string
  typeRange: string
  openBrace: string
  labelRanges: string[]
  body: HclBody
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** One error of decoding, in hcl's Diagnostic.Error() form. */
export class Diags {
  readonly list: string[] = []
  add(range: string, summary: string, detail: string): void {
    this.list.push(`${range}: ${summary}; ${detail}`)
  }
}

/** cty's number → string conversion. */
const numText = (n: number): string => (Number.isInteger(n) ? BigInt(n).toString() : String(n))

/** cty's friendly type names, for "Unsuitable value: <type> required". */
const ctyName = (t: string): string =>
  t === 'string'
    ? 'string'
    : t === 'bool'
      ? 'bool'
      : t === 'int' || t === 'uint' || t === 'float'
        ? 'number'
        : t.startsWith('[]')
          ? `list of ${ctyName(t.slice(2))}`
          : t.startsWith('map:')
            ? `map of ${ctyName(t.slice(4))}`
            : 'object'

export class JobDecoder {
  constructor(readonly diags: Diags) {}

  /** An attribute's value as the Go field type wants it (cty convert, then gocty); errors point at the expression. */
  convert(v: unknown, type: string, a: HclAttr): unknown {
    const bad = (why: string): unknown => {
      this.diags.add(a.start, 'Unsuitable value type', `Unsuitable value: ${why}`)
      return zero(type)
    }
    if (type === 'duration' || type === '*duration') {
      if (v === null) {
        this.diags.add(a.start, 'Unsuitable value', 'Unsuitable duration value: nil')
        return zero(type)
      }
      if (typeof v === 'string') {
        const ns = goDurationNs(v)
        if (ns === undefined) {
          this.diags.add(a.start, 'Unsuitable value type', `Unsuitable duration value: time: invalid duration ${JSON.stringify(v)}`)
          return zero(type)
        }
        return ns
      }
      if (typeof v === 'number') return Math.trunc(v)
      return bad(`expected a string but found ${Array.isArray(v) ? 'tuple' : typeof v === 'boolean' ? 'bool' : 'object'}`)
    }
    if (type.startsWith('*')) return v === null ? null : this.convert(v, type.slice(1), a)
    if (v === null) return zero(type)
    switch (type) {
      case 'string':
        if (typeof v === 'string') return v
        if (typeof v === 'number') return numText(v)
        if (typeof v === 'boolean') return String(v)
        return bad('string required')
      case 'int':
      case 'uint':
      case 'float': {
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : undefined
        if (n === undefined) return bad('a number is required')
        // gocty's texts for Go's int and uint (the smaller sizes name their own bounds)
        if (type === 'int' && !Number.isInteger(n)) return bad('value must be a whole number, between -9223372036854775808 and 9223372036854775807')
        if (type === 'uint' && !(Number.isInteger(n) && n >= 0))
          return bad('value must be a whole number, between 0 and 18446744073709551615 inclusive')
        return n
      }
      case 'bool':
        if (typeof v === 'boolean') return v
        if (v === 'true' || v === 'false') return v === 'true'
        return bad('a bool is required')
      case 'interface':
        return v
      case 'bytes':
        return null
    }
    if (type.startsWith('[]')) {
      if (!Array.isArray(v)) return bad(`${ctyName(type)} required`)
      return v.map((x) => this.convert(x, type.slice(2), a))
    }
    if (type.startsWith('map:')) {
      if (!isObj(v)) return bad(`${ctyName(type)} required`)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.convert(x, type.slice(4), a)]))
    }
    return bad(`${ctyName(type)} required`)
  }

  /** gohcl's body → struct: unknown arguments and blocks are errors; `extra` names the custom decoders' own. */
  struct(name: string, body: HclBody, labels: string[] = [], extra: { attrs?: string[]; blocks?: string[] } = {}, missingAt = 'input.hcl'): Obj {
    const specs = API_STRUCTS[name]
    if (!specs) throw new Error(`nomad double bug: no api struct ${name} in jobspec-schema.ts`)
    const attrNames = new Set(extra.attrs ?? [])
    const blockNames = new Set(extra.blocks ?? [])
    for (const [, hcl, kind] of specs) if (kind === 'block') blockNames.add(hcl)
    for (const [, hcl, kind] of specs) if (kind === 'optional' || kind === 'attr!') attrNames.add(hcl)
    this.unsupported(body, attrNames, blockNames)
    const out: Obj = {}
    let label = 0
    for (const [jsonTag, hcl, kind, type] of specs) {
      const [json, omit] = jsonTag.split(',')
      let v: unknown
      if (kind === 'label') v = labels[label++] ?? zero(type)
      else if (kind === 'optional' || kind === 'attr!') {
        const a = body.attrs[hcl]
        if (a) v = this.convert(a.value, type, a)
        else {
          if (kind === 'attr!')
            this.diags.add(missingAt, 'Missing required argument', `The argument ${JSON.stringify(hcl)} is required, but no definition was found.`)
          v = zero(type)
        }
      } else if (kind === 'block' && !(extra.blocks ?? []).includes(hcl)) v = this.blocks(type, hcl, body)
      else v = zero(type)
      if (omit === 'omitempty' && (v === null || v === '' || v === 0 || v === false)) continue
      out[json] = v
    }
    return out
  }

  /** hclsyntax Body.Content's errors for names the schema lacks, with its "Did you mean" hints (schema names sorted). */
  unsupported(body: HclBody, attrs: Set<string>, blocks: Set<string>): void {
    const unsetAttrs = [...attrs].filter((n) => !(n in body.attrs)).sort()
    for (const [k, a] of Object.entries(body.attrs)) {
      if (attrs.has(k)) continue
      const near = nameSuggestion(k, unsetAttrs)
      const hint = near
        ? ` Did you mean ${JSON.stringify(near)}?`
        : blocks.has(k)
          ? ` Did you mean to define a block of type ${JSON.stringify(k)}?`
          : ''
      this.diags.add(a.nameRange, 'Unsupported argument', `An argument named ${JSON.stringify(k)} is not expected here.${hint}`)
    }
    for (const b of body.blocks) {
      if (blocks.has(b.type)) continue
      const near = nameSuggestion(b.type, [...blocks].sort())
      const hint = near
        ? ` Did you mean ${JSON.stringify(near)}?`
        : attrs.has(b.type)
          ? ` Did you mean to define argument ${JSON.stringify(b.type)}? If so, use the equals sign to assign it a value.`
          : ''
      this.diags.add(b.typeRange, 'Unsupported block type', `Blocks of type ${JSON.stringify(b.type)} are not expected here.${hint}`)
    }
  }

  /** The blocks of one hcl name into a field of `type` (gohcl: one for a pointer, a list for a slice, label → value for a map). */
  blocks(type: string, hcl: string, body: HclBody): unknown {
    const bs = body.blocks.filter((b) => b.type === hcl && this.labelsFit(type.replace(/^(\[\]|map:)?\*?/, ''), b))
    if (bs.length === 0) return zero(type)
    if (type.startsWith('[]')) return bs.map((b) => this.block(type.slice(2), b))
    const labelled = type.startsWith('map:') && bs[0].labels.length === 1
    if (bs.length > 1 && !labelled) {
      this.diags.add(bs[1].range, `Duplicate ${hcl} block`, `Only one ${hcl} block is allowed. Another was defined at ${bs[0].range}.`)
      return zero(type)
    }
    if (labelled) return Object.fromEntries(bs.map((b) => [b.labels[0], this.block(type.slice(4), b)]))
    if (type === 'map:interface') return freeForm(bs[0].body)
    if (type.startsWith('map:')) return this.attrMap(bs[0].body, type.slice(4))
    return this.block(type, bs[0])
  }

  /** hclsyntax's label count check: a block with too few or too many labels is reported and left out. */
  labelsFit(struct: string, b: HclBlock): boolean {
    const names = (API_STRUCTS[struct] ?? []).filter((f) => f[2] === 'label').map((f) => f[1])
    if (b.labels.length === names.length) return true
    const list = `${names.length} labels (${names.join(', ')})`
    if (b.labels.length < names.length)
      this.diags.add(b.openBrace, `Missing ${names[b.labels.length]} for ${b.type}`, `All ${b.type} blocks must have ${list}.`)
    else if (names.length === 0) this.diags.add(b.labelRanges[0], `Extraneous label for ${b.type}`, `No labels are expected for ${b.type} blocks.`)
    else this.diags.add(b.labelRanges[names.length], `Extraneous label for ${b.type}`, `Only ${list} are expected for ${b.type} blocks.`)
    return false
  }

  block(type: string, b: HclBlock): unknown {
    const name = type.replace(/^\*/, '')
    const custom = this.custom[name]
    return custom ? custom(b) : this.struct(name, b.body, b.labels, {}, missingItem(b))
  }

  /** `meta { k = v }`, a check's `header { k = [v] }`: every attribute converted to the map's element type. */
  attrMap(body: HclBody, elem: string): Obj {
    const out: Obj = {}
    for (const [k, a] of Object.entries(body.attrs)) out[k] = this.convert(a.value, elem, a)
    for (const b of body.blocks) this.diags.add(b.typeRange, 'Unsuitable value type', `Unsuitable value: ${ctyName(elem)} required`)
    return out
  }

  /** Nomad's decodeAsAttribute: `meta = { … }` instead of a block; both at once is an error. */
  asAttribute(body: HclBody, name: string): Record<string, string> | undefined {
    const a = body.attrs[name]
    if (!a) return undefined
    const b = body.blocks.find((x) => x.type === name)
    if (b) {
      this.diags.add(
        b.range,
        `Duplicate ${name} block`,
        `${name} may not be defined more than once. Another definition is defined at ${a.range.replace(/-.*$/, '')}.`
      )
      return undefined
    }
    return this.convert(a.value, 'map:string', a) as Record<string, string>
  }

  readonly custom: Record<string, (b: HclBlock) => unknown> = {
    Constraint: (b) => this.constraint(b),
    Affinity: (b) => this.affinity(b)
  }

  private shorthand(b: HclBlock, names: string[], types: Record<string, string>): Record<string, unknown> {
    this.unsupported(b.body, new Set(names), new Set())
    const v: Record<string, unknown> = {}
    for (const n of names) {
      const a = b.body.attrs[n]
      if (a) v[n] = this.convert(a.value, types[n] ?? '*string', a)
    }
    return v
  }

  /** hcl_conversions.go decodeConstraint: the shorthand attributes set the operand (last one wins, in that order). */
  constraint(b: HclBlock): Obj {
    const names = [
      'attribute',
      'value',
      'operator',
      'distinct_property',
      'distinct_hosts',
      'regexp',
      'version',
      'semver',
      'set_contains',
      'set_contains_all',
      'set_contains_any',
      'is_set',
      'is_not_set'
    ]
    const v = this.shorthand(b, names, { distinct_hosts: '*bool' })
    const s = (k: string): string => (typeof v[k] === 'string' ? (v[k] as string) : '')
    const c = { LTarget: s('attribute'), RTarget: s('value'), Operand: s('operator') }
    for (const op of ['version', 'semver', 'regexp', 'set_contains']) if (s(op)) Object.assign(c, { Operand: op, RTarget: s(op) })
    if (typeof v.distinct_hosts === 'boolean') Object.assign(c, { Operand: 'distinct_hosts', RTarget: String(v.distinct_hosts) })
    if (s('distinct_property')) Object.assign(c, { Operand: 'distinct_property', LTarget: s('distinct_property') })
    if (!c.Operand) c.Operand = '='
    return c
  }

  /** hcl_conversions.go decodeAffinity. */
  affinity(b: HclBlock): Obj {
    const names = ['attribute', 'value', 'operator', 'weight', 'version', 'semver', 'regexp', 'set_contains', 'set_contains_all', 'set_contains_any']
    const v = this.shorthand(b, names, { weight: '*int' })
    const s = (k: string): string => (typeof v[k] === 'string' ? (v[k] as string) : '')
    const a = {
      LTarget: s('attribute'),
      RTarget: s('value'),
      Operand: s('operator'),
      Weight: typeof v.weight === 'number' ? Math.trunc(v.weight) : null
    }
    for (const op of ['version', 'semver', 'regexp', 'set_contains_any', 'set_contains_all', 'set_contains'])
      if (s(op)) Object.assign(a, { Operand: op, RTarget: s(op) })
    if (!a.Operand) a.Operand = '='
    return a
  }
}

/** hclsyntax's nameSuggestion: the first name less than 3 edits away (Levenshtein distance), else undefined. */
export function nameSuggestion(given: string, names: string[]): string | undefined {
  return names.find((n) => levenshtein(given, n) < 3)
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]
}

/** hclsyntax's MissingItemRange of a block's body: the empty range at its "{". */
export const missingItem = (b: HclBlock): string => b.openBrace.replace(/^(.*:\d+,)(\d+)-\d+$/, '$1$2-$2')

/** Go's zero value of a field type, as encoding/json writes it. */
export function zero(type: string): unknown {
  if (/^(\*|\[\]|map:)/.test(type) || type === 'bytes' || type === 'interface') return null
  if (type === 'string') return ''
  if (type === 'bool') return false
  if (['int', 'uint', 'float', 'duration'].includes(type)) return 0
  if (API_STRUCTS[type]) {
    const out: Obj = {}
    for (const [jsonTag, , , t] of API_STRUCTS[type]) {
      const [json, omit] = jsonTag.split(',')
      const z = zero(t)
      if (!(omit === 'omitempty' && (z === null || z === '' || z === 0 || z === false))) out[json] = z
    }
    return out
  }
  return null
}

/** A schema-less block (`config`, `policy`): tools/nomad-hcl already gives it as Nomad reads it, attributes only. */
export function freeForm(body: HclBody): Obj {
  return Object.fromEntries(Object.entries(body.attrs).map(([k, a]) => [k, a.value]))
}
