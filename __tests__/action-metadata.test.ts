/** action.yml, the code and the docs must agree on every input and output name (the input schema: input-schema.test.ts). */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
const action = parse(fs.readFileSync(path.join(root, 'action.yml'), 'utf8'))
const inputsDoc = fs.readFileSync(path.join(root, 'docs/inputs.md'), 'utf8')
const outputsDoc = fs.readFileSync(path.join(root, 'docs/outputs.md'), 'utf8')
// src/inputs/read-inputs.ts, its readers in src/inputs/ (schema, modes), the sign-in inputs (src/auth/sign-in-inputs.ts) and the GitHub options
const inputsSrc = [
  'src/inputs/read-inputs.ts',
  ...fs.readdirSync(path.join(root, 'src/inputs')).map((f) => `src/inputs/${f}`),
  'src/auth/sign-in-inputs.ts',
  'src/github/options.ts'
]
  .map((f) => fs.readFileSync(path.join(root, f), 'utf8'))
  .join('\n')
const srcFiles = ['src/main.ts', 'src/report/outputs.ts', 'src/modes/check.ts'].map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('\n')

describe('action.yml', () => {
  it('runs the committed bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js', post: 'dist/index.js', 'post-if': 'always()' })
  })

  it.each(Object.keys(action.inputs))(
    'input %s is read by src/inputs/read-inputs.ts (or src/inputs/, src/auth/sign-in-inputs.ts, src/github/options.ts) and documented in docs/inputs.md',
    (name) => {
      expect(inputsSrc).toContain(`'${name}'`)
      expect(inputsDoc).toContain(`| \`${name}\` |`)
    }
  )

  it.each(Object.keys(action.outputs))('output %s is set by the code and documented in docs/outputs.md', (name) => {
    expect(srcFiles).toMatch(new RegExp(`['"]?${name.replace(/-/g, '\\-')}['"]?\\s*:`))
    expect(outputsDoc).toContain(`| \`${name}\` |`)
  })
})
