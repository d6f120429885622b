import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { ActionError } from '../src/errors.js'
import { declaredVariables } from '../src/nomad/hcl.js'
import { buildVariables, checkVariableNames, locateInputLine } from '../src/nomad/variables.js'

let dir: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nomad-variables-'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

const job = (file: string, src: string) => ({ file, format: 'hcl2' as const, declared: declaredVariables(src) })

describe('checkVariableNames (Nomad drops undeclared variables silently)', () => {
  it('fails on the var-file line that sets an undeclared variable, suggesting the declared name', async () => {
    const vf = path.join(dir, 'prod.vars.hcl')
    fs.writeFileSync(vf, '# prod\nimage = "nginx:1.27"\nreplcas = 3\n')
    const vars = await buildVariables({ varFiles: [vf], variables: {} })
    const err = (() => {
      try {
        checkVariableNames(vars, [job('web.nomad.hcl', 'variable "image" {}\nvariable "replicas" { default = 1 }\njob "web" {}\n')])
      } catch (e) {
        return e as ActionError
      }
    })()
    expect(err).toBeInstanceOf(ActionError)
    expect(err?.annotation).toEqual({ file: vf, startLine: 3 })
    expect(err?.message).toContain(
      `The var-file ${vf} (input \`var-files\`) sets "replcas" on line 3, but job file web.nomad.hcl declares no variable "replcas" (did you mean "replicas"?)`
    )
    expect(err?.message).toContain('Nomad ignores undeclared variables silently')
  })

  it('accepts a name any of several HCL jobs declares, and skips the check when a job cannot be scanned', async () => {
    const vars = await buildVariables({ varFiles: [], variables: { image: 'x', port: '80' } })
    const a = job('a.nomad.hcl', 'variable "image" {}\njob "a" {}\n')
    const b = job('b.nomad.hcl', 'variables {\n  port = 8080\n}\njob "b" {}\n')
    expect(() => checkVariableNames(vars, [a, b])).not.toThrow()
    expect(() => checkVariableNames(vars, [a])).toThrow(/The `variables` input sets "port", but job file a.nomad.hcl declares no variable "port"/)
    expect(() => checkVariableNames(vars, [a, { file: 'c.nomad.hcl', format: 'hcl2', declared: undefined }])).not.toThrow()
    // JSON jobs do not use variables at all (the loader warns about that).
    expect(() => checkVariableNames(vars, [{ file: 'w.json', format: 'json' }])).not.toThrow()
  })

  it('annotates the workflow line of the variables input when the workflow file is checked out', () => {
    const wf = path.join(dir, '.github', 'workflows')
    fs.mkdirSync(wf, { recursive: true })
    fs.writeFileSync(
      path.join(wf, 'deploy.yml'),
      'jobs:\n  d:\n    steps:\n      - uses: x/nomad-vault-action@v1\n        with:\n          variables: |\n            image=nginx\n            replcas=3\n'
    )
    const saved = { ref: process.env.GITHUB_WORKFLOW_REF, ws: process.env.GITHUB_WORKSPACE }
    process.env.GITHUB_WORKFLOW_REF = 'octo/app/.github/workflows/deploy.yml@refs/heads/main'
    process.env.GITHUB_WORKSPACE = dir
    try {
      expect(locateInputLine('replcas')).toEqual({ file: '.github/workflows/deploy.yml', startLine: 8 })
      expect(locateInputLine('absent')).toEqual({ file: '.github/workflows/deploy.yml' })
    } finally {
      for (const [k, v] of [
        ['GITHUB_WORKFLOW_REF', saved.ref],
        ['GITHUB_WORKSPACE', saved.ws]
      ] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  })
})
