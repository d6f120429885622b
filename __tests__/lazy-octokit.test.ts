/**
 * @actions/github (octokit) is loaded only when pr-comment or deployment-environment is set: dist/index.js runs with a
 * preload that records every module Node loads (module.registerHooks), once without those inputs and once with
 * pr-comment, against a Vault stand-in that refuses the token (the run fails fast, then writes its summary) and the
 * GitHub API stand-in.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startGitHubApi, type GitHubApi } from '../test-support/github-api.js'
import { startHttpStub, type HttpStub } from '../test-support/http-stub.js'
import { repoRoot } from '../test-support/paths.js'
import { runAction } from '../test-support/run-action.js'

let vault: HttpStub
let api: GitHubApi
let dir: string

beforeAll(async () => {
  ;[vault, api] = await Promise.all([startHttpStub(() => ({ status: 403, json: { errors: ['permission denied'] } })), startGitHubApi()])
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-lazy-'))
  fs.writeFileSync(
    path.join(dir, 'record.cjs'),
    `const fs = require('node:fs')
const loaded = []
require('node:module').registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context) } })
process.on('exit', () => fs.writeFileSync(process.env.LOADED_FILE, loaded.join('\\n')))
`
  )
  fs.writeFileSync(path.join(dir, 'event.json'), JSON.stringify({ number: 9, pull_request: { number: 9 } }))
})
afterAll(async () => {
  await Promise.all([vault?.close(), api?.close()])
  fs.rmSync(dir, { recursive: true, force: true })
})

/** The dist/chunks files that hold octokit (found by @octokit/core's user agent string). */
function octokitChunks(): string[] {
  const chunks = path.join(repoRoot, 'dist/chunks')
  return fs.readdirSync(chunks).filter((f) => fs.readFileSync(path.join(chunks, f), 'utf8').includes('octokit-core.js/'))
}

async function loadedModules(extra: Record<string, string>): Promise<{ loaded: string[]; stdout: string; code: number }> {
  const file = path.join(dir, `loaded-${Object.keys(extra).length}`)
  const r = await runAction(
    { 'vault-addr': vault.url, 'vault-token': 'hvs.lazy-test-token-0123456789', 'nomad-addr': 'http://127.0.0.1:1', 'dry-run': 'true', ...extra },
    {
      env: {
        NODE_OPTIONS: `-r ${path.join(dir, 'record.cjs')}`,
        LOADED_FILE: file,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
        GITHUB_API_URL: api.url
      }
    }
  )
  fs.rmSync(r.tempDir, { recursive: true, force: true })
  return {
    loaded: fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((u) => path.basename(u)),
    stdout: r.stdout,
    code: r.code
  }
}

describe('octokit is loaded only for the GitHub features', () => {
  it('stays unloaded in a run without pr-comment and deployment-environment, and is loaded with pr-comment', async () => {
    const chunks = octokitChunks()
    expect(chunks).toHaveLength(1)

    const without = await loadedModules({})
    expect(without.code).toBe(1) // the Vault stand-in refuses the token
    expect(without.loaded.some((f) => /^main-.*\.js$/.test(f))).toBe(true) // the main step ran
    expect(without.loaded).not.toContain(chunks[0])
    expect(api.comments).toHaveLength(0)

    const withComment = await loadedModules({ 'pr-comment': 'true', 'github-token': api.token })
    expect(withComment.code).toBe(1)
    expect(withComment.loaded).toContain(chunks[0])
    expect(withComment.stdout).toContain('pr-comment: wrote the plan comment on pull request #9.')
    expect(api.comments).toHaveLength(1)
  })
})
