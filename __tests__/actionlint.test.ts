/**
 * action.yml, the repository's workflows and the example workflows pass actionlint (rhysd/actionlint v1.7.12,
 * scripts/actionlint.sh). The examples are linted with `uses: ./` in a copy of the repository, so actionlint also
 * reads our action.yml: it checks its metadata and that every `with:` key is one of its inputs.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { repoRoot } from '../test-support/run-action.js'
import { installedTool } from '../test-support/tools.js'

let actionlint: string
let project: string

/** A copy of the action (action.yml, dist/) with the given workflows, `your-org/nomad-vault-action@v1` → `./`. */
function projectWith(workflows: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-actionlint-'))
  fs.mkdirSync(path.join(dir, '.github/workflows'), { recursive: true })
  fs.copyFileSync(path.join(repoRoot, 'action.yml'), path.join(dir, 'action.yml'))
  fs.cpSync(path.join(repoRoot, 'dist'), path.join(dir, 'dist'), { recursive: true })
  for (const [name, text] of Object.entries(workflows)) {
    fs.writeFileSync(path.join(dir, '.github/workflows', name), text.replace(/uses: your-org\/nomad-vault-action@v1/g, 'uses: ./'))
  }
  execFileSync('git', ['init', '-q'], { cwd: dir })
  return dir
}

function lint(cwd: string, files: string[] = []): { code: number; out: string } {
  const r = spawnSync(actionlint, ['-no-color', ...files], { cwd, encoding: 'utf8' })
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` }
}

beforeAll(() => {
  actionlint = installedTool('actionlint.sh', 'actionlint binary', 'ACTIONLINT_BIN')
  const examples = path.join(repoRoot, 'examples/workflows')
  project = projectWith(Object.fromEntries(fs.readdirSync(examples).map((f) => [f, fs.readFileSync(path.join(examples, f), 'utf8')])))
})
afterAll(() => {
  if (project) fs.rmSync(project, { recursive: true, force: true })
})

describe('actionlint', () => {
  it('is v1.7.12', () => {
    expect(execFileSync(actionlint, ['-version'], { encoding: 'utf8' })).toMatch(/^v1\.7\.12\n/)
  })

  it('passes the repository workflows (.github/workflows)', () => {
    const r = lint(repoRoot)
    expect(r.out).toBe('')
    expect(r.code).toBe(0)
  })

  it('passes every example workflow, run against our action.yml', () => {
    expect(fs.readdirSync(path.join(project, '.github/workflows')).length).toBeGreaterThanOrEqual(3)
    const r = lint(project)
    expect(r.out).toBe('')
    expect(r.code).toBe(0)
  })

  it('would catch an input that action.yml does not declare', () => {
    const dir = projectWith({
      'bad.yml': 'on: push\njobs:\n  d:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with:\n          vault-adress: x\n'
    })
    try {
      const r = lint(dir)
      expect(r.code).toBe(1)
      expect(r.out).toContain('input "vault-adress" is not defined in action "Nomad Vault workload identity"')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
