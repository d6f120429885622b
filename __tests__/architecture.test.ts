/**
 * The import rules of docs/architecture.md, checked on the real src/ tree: every `import … from`, `export … from`
 * and `import()` with a relative path is resolved to a file, and each rule lists the edges that break it. A
 * self-test plants one violation of every rule in a copy of the graph, so that a rule that can no longer fail fails.
 */
import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import ts from 'typescript'

const ROOT = path.resolve(import.meta.dirname, '..')

/** An import edge: `from` imports `to`, both relative to the repository root (e.g. src/vault/plan-vault.ts). */
interface Edge {
  from: string
  to: string
}

const IMPORT = /(?:^|[\n;])\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`
    if (e.isDirectory()) return sourceFiles(rel)
    return rel.endsWith('.ts') ? [rel] : []
  })
}

/** The relative imports of a file, resolved to repository paths (`./x.js` is the source file `./x.ts`). */
export function importsOf(file: string, text: string): Edge[] {
  const edges: Edge[] = []
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]
    if (!spec.startsWith('.')) continue
    const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts')
    edges.push({ from: file, to })
  }
  return edges
}

function graph(): Edge[] {
  return sourceFiles('src').flatMap((f) => importsOf(f, fs.readFileSync(path.join(ROOT, f), 'utf8')))
}

const under = (dir: string) => (f: string) => f.startsWith(`src/${dir}/`)
const oneOf =
  (...files: string[]) =>
  (f: string) =>
    files.includes(f)
const anyOf =
  (...tests: ((f: string) => boolean)[]) =>
  (f: string) =>
    tests.some((t) => t(f))

/** Neutral ground: may be imported by every layer, and imports only neutral modules itself. */
const neutral = anyOf(
  under('transport'),
  under('keys'),
  under('approval'),
  oneOf(
    'src/errors.ts',
    'src/paths.ts',
    'src/duration.ts',
    'src/config.ts',
    'src/files.ts',
    'src/cancel.ts',
    'src/role-choice.ts',
    'src/pool.ts',
    'src/bounds.ts'
  )
)
/** Modules that talk to a server (or load the module that does). */
const client = oneOf(
  'src/vault/vault-client.ts',
  'src/nomad/nomad-client.ts',
  'src/nomad/api.ts',
  'src/transport/index.ts',
  'src/transport/http-transport.ts',
  'src/transport/fetch.ts',
  'src/keys/jwks.ts',
  'src/github/rest.ts'
)
/** The steps of a run that only an orchestrator calls. */
const step = anyOf(oneOf('src/vault/reconcile.ts', 'src/nomad/deploy.ts', 'src/auth/index.ts', 'src/main.ts'), under('modes'))
const orchestrator = anyOf(oneOf('src/main.ts', 'src/index.ts'), under('modes'))

interface Rule {
  name: string
  broken: (e: Edge, all: Edge[]) => boolean
}

export const RULES: Rule[] = [
  { name: 'src/ never imports test-support/, bench/, __tests__/ or anything else outside src/', broken: (e) => !e.to.startsWith('src/') },
  { name: 'vault/ never imports nomad/', broken: (e) => under('vault')(e.from) && under('nomad')(e.to) },
  { name: 'nomad/ never imports vault/', broken: (e) => under('nomad')(e.from) && under('vault')(e.to) },
  {
    name: 'vault/ and nomad/ import only their own folder and neutral modules (never report/, inputs/, auth/, diagnosis/, github/, modes/)',
    broken: (e) => (under('vault')(e.from) || under('nomad')(e.from)) && !neutral(e.to) && e.to.split('/')[1] !== e.from.split('/')[1]
  },
  {
    name: 'neutral modules (transport/, keys/, errors, paths, duration, config, files, cancel, role-choice, pool, bounds) import only neutral modules',
    broken: (e) => neutral(e.from) && !neutral(e.to)
  },
  { name: 'report/ imports no client (it formats what the run found)', broken: (e) => under('report')(e.from) && client(e.to) },
  {
    name: 'inputs/ imports no client (inputs are read and checked before the first request)',
    broken: (e) => under('inputs')(e.from) && client(e.to)
  },
  {
    name: 'only main.ts and modes/ call the steps of a run (reconcile, deploy, signIn, modes)',
    broken: (e) => step(e.to) && !orchestrator(e.from) && e.to.split('/')[1] !== e.from.split('/')[1]
  },
  {
    name: 'only main.ts and modes/ import both vault/ and nomad/',
    broken: (e, all) => {
      if (orchestrator(e.from) || !(under('vault')(e.to) || under('nomad')(e.to))) return false
      const other = under('vault')(e.to) ? under('nomad') : under('vault')
      return all.some((x) => x.from === e.from && other(x.to))
    }
  }
]

function violations(edges: Edge[]): string[] {
  return RULES.flatMap((r) => edges.filter((e) => r.broken(e, edges)).map((e) => `${r.name}: ${e.from} imports ${e.to}`))
}

describe('architecture: import rules (docs/architecture.md)', () => {
  const edges = graph()

  it('reads the imports of src/', () => {
    expect(edges.length).toBeGreaterThan(150)
    expect(edges).toContainEqual({ from: 'src/main.ts', to: 'src/vault/reconcile.ts' })
    // multi-line imports, `export … from` and dynamic import() are all seen
    expect(edges).toContainEqual({ from: 'src/index.ts', to: 'src/main.ts' })
    expect(edges.every((e) => fs.existsSync(path.join(ROOT, e.to)))).toBe(true)
  })

  it('src/ keeps every rule', () => {
    expect(violations(edges)).toEqual([])
  })

  it('each rule catches a planted violation', () => {
    const planted: Edge[] = [
      { from: 'src/vault/plan-vault.ts', to: 'test-support/nomad-double/server.ts' },
      { from: 'src/vault/plan-vault.ts', to: 'src/nomad/hcl.ts' },
      { from: 'src/nomad/hcl.ts', to: 'src/vault/plan-vault.ts' },
      { from: 'src/nomad/monitor.ts', to: 'src/report/summary.ts' },
      { from: 'src/paths.ts', to: 'src/vault/plan-vault.ts' },
      { from: 'src/report/summary.ts', to: 'src/nomad/nomad-client.ts' },
      { from: 'src/inputs/job.ts', to: 'src/vault/vault-client.ts' },
      { from: 'src/github/options.ts', to: 'src/vault/reconcile.ts' },
      { from: 'src/diagnosis/nomad-findings.ts', to: 'src/vault/plan-vault.ts' }
    ]
    const found = new Set<string>()
    for (const p of planted) for (const v of violations([...edges, p])) found.add(v.slice(0, v.indexOf(':')))
    expect([...found].sort()).toEqual(RULES.map((r) => r.name).sort())
    // and each planted edge alone is reported
    for (const p of planted) expect(violations([...edges, p]).some((v) => v.endsWith(`${p.from} imports ${p.to}`))).toBe(true)
  })

  it('every file in src/ starts with a comment that says its job', () => {
    const bare = sourceFiles('src').filter((f) => !/^\s*(\/\*\*?\s*\S|\/\/\s*\S)/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')))
    expect(bare).toEqual([])
  })

  it('parses the import forms it must see', () => {
    const text =
      "import a from './a.js'\nimport {\n  b,\n  c\n} from '../b.js'\nexport { d } from './d/index.js'\nconst e = await import('./e.js')\nimport 'node:fs'"
    expect(importsOf('src/x/y.ts', text).map((e) => e.to)).toEqual(['src/x/a.ts', 'src/b.ts', 'src/x/d/index.ts', 'src/x/e.ts'])
  })
})

/** At most this many lines in a file of src/ (docs/architecture.md: one job per file). */
export const MAX_LINES = 300

/** The files whose text has more than `max` lines, with their counts. */
export function tooLong(files: { file: string; text: string }[], max = MAX_LINES): string[] {
  return files.flatMap(({ file, text }) => {
    const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    return lines > max ? [`${file}: ${lines} lines`] : []
  })
}

describe('file length', () => {
  it(`no file in src/ has more than ${MAX_LINES} lines`, () => {
    const files = sourceFiles('src').map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }))
    expect(files.length).toBeGreaterThan(50)
    expect(tooLong(files)).toEqual([])
  })

  it('counts lines (a last one without a newline too) and catches a planted long file', () => {
    const lines = (n: number) => `${'x\n'.repeat(n)}`
    expect(tooLong([{ file: 'src/ok.ts', text: lines(MAX_LINES) }])).toEqual([])
    expect(tooLong([{ file: 'src/ok.ts', text: lines(MAX_LINES - 1) + 'last' }])).toEqual([])
    expect(tooLong([{ file: 'src/long.ts', text: lines(MAX_LINES + 1) }])).toEqual([`src/long.ts: ${MAX_LINES + 1} lines`])
    expect(tooLong([{ file: 'src/long.ts', text: lines(MAX_LINES) + 'one more' }])).toEqual([`src/long.ts: ${MAX_LINES + 1} lines`])
  })
})

describe('no citations of documents outside the repository', () => {
  // Built from parts so that this file does not cite what it forbids.
  const FORBIDDEN = [new RegExp(['nomad', 'vault', 'facts'].join('-')), new RegExp(['', 'work', 'shared', 'reference'].join('/')), /\u00a7\s?\d/]
  const cites = (text: string): RegExp | undefined => FORBIDDEN.find((re) => re.test(text))

  it('catches each planted citation form', () => {
    expect(cites(`see ${['nomad', 'vault', 'facts'].join('-')}.md`)).toBeDefined()
    expect(cites(`in ${['', 'work', 'shared', 'reference', 'x.md'].join('/')}`)).toBeDefined()
    expect(cites(`(${String.fromCharCode(0xa7)}7.3)`)).toBeDefined()
    expect(cites('nomad/structs/workload_id.go, api/jobs.go')).toBeUndefined()
  })

  it('no tracked file cites them (state the fact and its public source instead)', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f !== '' && !f.startsWith('node_modules/') && fs.existsSync(path.join(ROOT, f)))
    expect(files.length).toBeGreaterThan(50)
    const offenders = files.filter((f) => {
      const text = fs.readFileSync(path.join(ROOT, f), 'utf8')
      return text.split('\n').some((line) => cites(line) !== undefined)
    })
    expect(offenders).toEqual([])
  })
})

/** At most this many lines in a file of the Nomad test double (test-support/nomad-double/README.md). */
export const MAX_DOUBLE_LINES = 600

/** The import cycles of a graph: the strongly connected components of more than one file (Tarjan), each sorted. */
export function importCycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>()
  for (const e of edges) if (e.from !== e.to) next.set(e.from, [...(next.get(e.from) ?? []), e.to])
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  const visit = (v: string): void => {
    index.set(v, index.size)
    low.set(v, index.get(v)!)
    stack.push(v)
    onStack.add(v)
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) !== index.get(v)) return
    const component: string[] = []
    let w: string
    do {
      w = stack.pop()!
      onStack.delete(w)
      component.push(w)
    } while (w !== v)
    if (component.length > 1) out.push(component.sort())
  }
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v)
  return out.sort((a, b) => a[0].localeCompare(b[0]))
}

describe('the Nomad test double: file length and import cycles', () => {
  const DOUBLE = 'test-support/nomad-double'
  const files = sourceFiles(DOUBLE).map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }))
  const edges = files.flatMap(({ file, text }) => importsOf(file, text))

  it(`no file in ${DOUBLE}/ has more than ${MAX_DOUBLE_LINES} lines`, () => {
    expect(files.length).toBeGreaterThan(20)
    expect(tooLong(files, MAX_DOUBLE_LINES)).toEqual([])
  })

  it('no import cycle among its files (type-only imports count too)', () => {
    expect(edges).toContainEqual({ from: `${DOUBLE}/server.ts`, to: `${DOUBLE}/state.ts` })
    expect(importCycles(edges)).toEqual([])
  })

  it('finds a planted cycle, long or short, and no cycle in a chain', () => {
    const e = (from: string, to: string): Edge => ({ from, to })
    expect(importCycles([e('a', 'b'), e('b', 'c'), e('c', 'd')])).toEqual([])
    expect(importCycles([e('a', 'a')])).toEqual([])
    expect(importCycles([e('x', 'a'), e('a', 'b'), e('b', 'c'), e('c', 'a'), e('c', 'd'), e('d', 'e'), e('e', 'd')])).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e']
    ])
    const planted = [...edges, e(`${DOUBLE}/state.ts`, `${DOUBLE}/server.ts`)]
    expect(importCycles(planted)).toContainEqual(expect.arrayContaining([`${DOUBLE}/server.ts`, `${DOUBLE}/state.ts`]))
  })
})

/** Member names that must not sit in one type: a single role (or policy) beside the list of them. */
const SINGLE_AND_LIST: [string, string][] = [
  ['role', 'roles'],
  ['policy', 'policies']
]

/**
 * The interfaces and object types of a source text (nested ones too) that carry both a single role and a role list
 * (or a single policy and the policy list), as "file: Type has role and roles".
 */
export function singleBesideList(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const out: string[] = []
  const visit = (node: ts.Node, name: string): void => {
    let here = name
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) here = node.name.text
    else if (ts.isPropertySignature(node) && node.name && ts.isIdentifier(node.name)) here = `${name}.${node.name.text}`
    if (ts.isInterfaceDeclaration(node) || ts.isTypeLiteralNode(node)) {
      const members = new Set(node.members.flatMap((m) => (m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) ? [m.name.text] : [])))
      for (const [one, many] of SINGLE_AND_LIST) if (members.has(one) && members.has(many)) out.push(`${file}: ${here} has ${one} and ${many}`)
    }
    ts.forEachChild(node, (child) => visit(child, here))
  }
  visit(source, '')
  return out
}

describe('roles are a list below the input parser (issue 17)', () => {
  it('no type in src/ carries a single role (or policy) beside the list of them', () => {
    const found = sourceFiles('src').flatMap((f) => singleBesideList(f, fs.readFileSync(path.join(ROOT, f), 'utf8')))
    expect(found).toEqual([])
  })

  it('finds the pair in an interface, a type alias and a nested object type, and not apart', () => {
    const text = [
      'export interface VaultSettings { authPath: string; role: string; roles?: RoleSettings[] }',
      'type Current = { policy: string | null; policies?: Record<string, string> }',
      'interface SummaryInput { vault: { role: string; policies: string[]; roles?: { name: string }[] } }',
      'interface Diag { role: string; policies: string[] }',
      'interface Listed { roles: RoleSettings[]; policies: string[] }'
    ].join('\n')
    expect(singleBesideList('src/x.ts', text)).toEqual([
      'src/x.ts: VaultSettings has role and roles',
      'src/x.ts: Current has policy and policies',
      'src/x.ts: SummaryInput.vault has role and roles'
    ])
  })
})

/** Module names that may repeat: a folder's entry point (named by its folder). */
const SHARED_NAMES = ['index.ts']

/** Two modules with one base name, or a file named like a folder (such as src/inputs.ts beside src/inputs/), in a list of paths. */
export function nameClashes(files: string[]): string[] {
  const base = (f: string) => path.posix.basename(f)
  const folders = new Set(files.flatMap((f) => path.posix.dirname(f).split('/').slice(1)))
  const byName = new Map<string, string[]>()
  for (const f of files) if (!SHARED_NAMES.includes(base(f))) byName.set(base(f), [...(byName.get(base(f)) ?? []), f])
  const twice = [...byName.values()].filter((l) => l.length > 1).map((l) => `${l.join(' and ')} share a name`)
  const asFolder = files.filter((f) => folders.has(base(f).replace(/\.ts$/, ''))).map((f) => `${f} is named like a folder`)
  return [...twice, ...asFolder]
}

/** The string and template literals of a source text (their text, without quotes). */
function literals(file: string, text: string): string[] {
  const out: string[] = []
  const visit = (n: ts.Node): void => {
    if (ts.isStringLiteralLike(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) out.push(n.text)
    ts.forEachChild(n, visit)
  }
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true))
  return out
}

/** Where the HTTP paths of the servers may be written: Nomad's typed API and client, and the Vault client's error mapping. */
const API_PATH_FILES = /^src\/nomad\/(api[\w-]*|nomad-client)\.ts$|^src\/vault\/(vault-client|vault-errors)\.ts$/

describe('rooms a maintainer can find (issue 17)', () => {
  const files = sourceFiles('src')
  const text = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8')

  it('no two modules of src/ share a name, and no file is named like a folder', () => {
    expect(nameClashes(files)).toEqual([])
  })

  it('finds a planted clash of names', () => {
    expect(nameClashes(['src/inputs.ts', 'src/inputs/roles.ts', 'src/roles.ts', 'src/a/index.ts', 'src/b/index.ts'])).toEqual([
      'src/inputs/roles.ts and src/roles.ts share a name',
      'src/inputs.ts is named like a folder'
    ])
  })

  it('every Nomad call goes through the typed API: no /v1/ path outside it, and one NomadApi per client', () => {
    // A request path is a literal that starts with /v1/ (a message such as "GET /v1/agent/self returned …" names one).
    const paths = files.filter((f) => !API_PATH_FILES.test(f) && literals(f, text(f)).some((l) => l.startsWith('/v1/')))
    expect(paths).toEqual([])
    const builders = files.filter((f) => text(f).includes('new NomadApi('))
    expect(builders).toEqual(['src/nomad/nomad-client.ts'])
    // the check sees a path in any literal form, and not in a comment
    expect(literals('x.ts', "// GET /v1/a\nc.get('/v1/jobs'); c.get(`/v1/job/${id}/plan`)")).toEqual(['/v1/jobs', '/v1/job/', '/plan'])
    // on the code before issue 17, the raw calls of check, probe, plan and the Nomad login were found
    const before = "await client.post('/v1/jobs', { Job: probeJob(p) }, query)\nconst path = `/v1/job/${PROBE_JOB_ID}`"
    expect(literals('src/modes/probe.ts', before).filter((l) => l.startsWith('/v1/'))).toEqual(['/v1/jobs', '/v1/job/'])
  })

  it('no error message is edited in place: a new error carries the note (with its cause), or the reporter appends it', () => {
    const edited = files.filter((f) => /\.message\s*(\+=|=[^=>])/.test(text(f)))
    expect(edited).toEqual([])
  })

  it('a bug of ours is an InternalError, never an ActionError that says "Internal error"', () => {
    const dressed = files.filter((f) => /new ActionError\(\s*['"`]Internal error/i.test(text(f)))
    expect(dressed).toEqual([])
    expect(text('src/errors.ts')).toMatch(/export class InternalError extends Error/)
  })
})
