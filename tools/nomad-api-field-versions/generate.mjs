// Prints the FIELD_VERSIONS entries of src/nomad/api-field-versions.ts: for every struct in src/nomad/api-fields.ts,
// the fields that not every Nomad tag from v1.7.0 on has (json tag name, else the Go field name; embedded structs
// promoted), read from api/*.go of a clone of github.com/hashicorp/nomad (facts only: field names, api/ is MPL-2.0).
// Run with Node 24 (it imports the TypeScript table): node generate.mjs <nomad .git dir>
import { execFileSync } from 'node:child_process'
import { API_FIELDS } from '../../src/nomad/api-fields.ts'

const gitDir = process.argv[2]
if (!gitDir) throw new Error('usage: node generate.mjs <path of a hashicorp/nomad .git directory>')
const git = (...args) => execFileSync('git', [`--git-dir=${gitDir}`, ...args], { maxBuffer: 1 << 28 }).toString()
const tags = git('tag')
  .split('\n')
  .filter((t) => /^v(1\.(7|8|9|\d{2,})|[2-9]\.\d+)\.\d+$/.test(t))
  .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))

/** struct name → JSON field names, for one tag. */
function structs(ref) {
  const out = {}
  const embedded = {}
  for (const f of git('ls-tree', '--name-only', ref, 'api/').split('\n')) {
    if (!f.endsWith('.go') || f.endsWith('_test.go')) continue
    const src = git('show', `${ref}:${f}`)
    for (const m of src.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
      const fields = new Set()
      const embeds = []
      for (const raw of m[2].split('\n')) {
        const line = raw.replace(/\/\/.*$/, '').trim()
        const fm = line.match(/^([A-Z]\w*)\s+([^`]+?)(?:\s+`(.*)`)?$/)
        if (!fm) {
          const em = line.match(/^\*?([A-Z]\w*)$/)
          if (em) embeds.push(em[1])
          continue
        }
        const tag = fm[3]?.match(/json:"([^"]*)"/)?.[1]
        if (tag !== '-') fields.add(tag?.split(',')[0] || fm[1])
      }
      out[m[1]] = fields
      embedded[m[1]] = embeds
    }
  }
  for (const [name, embeds] of Object.entries(embedded)) for (const e of embeds) for (const f of out[e] ?? []) out[name].add(f)
  return out
}

const has = {}
const keys = new Set()
for (const t of tags) {
  const s = structs(t)
  has[t] = new Set()
  for (const [name, fields] of Object.entries(API_FIELDS)) {
    for (const f of s[name] ?? []) has[t].add(`${name}.${f}`)
    for (const f of [...(s[name] ?? []), ...Object.keys(fields)]) keys.add(`${name}.${f}`)
  }
}
for (const key of [...keys].sort()) {
  const v = tags.map((t) => has[t].has(key))
  if (v.every(Boolean)) continue
  const struct = key.split('.')[0]
  const first = v.indexOf(true)
  const since = first > 0 ? tags[first].slice(1) : undefined
  const gone = first >= 0 ? v.indexOf(false, first) : -1
  const until = gone > 0 ? tags[gone].slice(1) : undefined
  const structFirst = tags.findIndex((t) => [...has[t]].some((x) => x.startsWith(`${struct}.`)))
  if (since && structFirst === first && !until) continue // the whole struct is newer: the field that holds it says so
  console.log(`  '${key}': { ${[since && `since: '${since}'`, until && `until: '${until}'`].filter(Boolean).join(', ')} },`)
}
