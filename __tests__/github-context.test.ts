import { describe, expect, it } from '@jest/globals'
import { releaseMeta, runContextFromEnv, runFacts, STABLE_META_KEYS } from '../src/github/context.js'

const env = {
  GITHUB_SHA: 'deadbeef',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_REPOSITORY: 'acme/shop',
  GITHUB_WORKFLOW: 'deploy',
  GITHUB_SERVER_URL: 'https://github.example.com/',
  GITHUB_RUN_ID: '1234',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_ACTOR: 'octocat'
}

describe('release metadata from the runner environment', () => {
  it('puts only keys that are stable for one commit into Job.Meta', () => {
    expect(releaseMeta(runContextFromEnv(env))).toEqual({
      github_sha: 'deadbeef',
      github_ref: 'refs/heads/main',
      github_repository: 'acme/shop',
      github_workflow: 'deploy'
    })
  })

  it('gives the same Job.Meta for another run, attempt and actor of the same commit', () => {
    const rerun = { ...env, GITHUB_RUN_ID: '9999', GITHUB_RUN_ATTEMPT: '1', GITHUB_ACTOR: 'someone-else' }
    expect(releaseMeta(runContextFromEnv(rerun))).toEqual(releaseMeta(runContextFromEnv(env)))
    expect(Object.keys(releaseMeta(runContextFromEnv(env))).sort()).toEqual([...STABLE_META_KEYS].sort())
  })

  it('keeps per-run facts, with the run URL of this attempt, out of the meta', () => {
    const facts = runFacts(runContextFromEnv(env))
    expect(facts).toEqual({
      github_run_id: '1234',
      github_run_attempt: '2',
      github_run_url: 'https://github.example.com/acme/shop/actions/runs/1234/attempts/2',
      github_actor: 'octocat'
    })
    for (const key of Object.keys(facts)) expect(STABLE_META_KEYS).not.toContain(key)
  })

  it('leaves out what is unset or malformed (outside Actions)', () => {
    const ctx = runContextFromEnv({ GITHUB_SHA: 'abc', GITHUB_RUN_ID: 'NaN', GITHUB_REPOSITORY: 'no-slash' })
    expect(releaseMeta(ctx)).toEqual({ github_sha: 'abc' })
    expect(runFacts(ctx)).toEqual({})
  })
})

describe('loadOctokit', () => {
  it('gives an authenticated octokit on demand (for features that call the GitHub API)', async () => {
    const { loadOctokit } = await import('../src/github/octokit.js')
    const octokit = await loadOctokit('ghs_example')
    expect(typeof octokit.rest.issues.createComment).toBe('function')
    expect(typeof octokit.rest.repos.createDeployment).toBe('function')
  })
})
