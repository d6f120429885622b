#!/usr/bin/env node
/**
 * Writes the files generated from the input schema (src/inputs/schema.ts): the `inputs:` section of action.yml and
 * docs/inputs.md. `npm run inputs` after changing the schema; __tests__/input-schema.test.ts fails while they are stale.
 * The renderers are test-support/input-docs.ts, bundled here with esbuild (the sources are TypeScript).
 */
import * as esbuild from 'esbuild'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const built = await esbuild.build({
  entryPoints: [path.join(root, 'test-support/input-docs.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: path.join(root, '.build/input-docs.mjs'),
  packages: 'external',
  logLevel: 'error'
})
if (built.errors.length > 0) process.exit(1)
const { renderActionYml, renderInputsDoc } = await import(pathToFileURL(path.join(root, '.build/input-docs.mjs')).href)
const actionYml = path.join(root, 'action.yml')
fs.writeFileSync(actionYml, renderActionYml(fs.readFileSync(actionYml, 'utf8')))
fs.mkdirSync(path.join(root, 'docs'), { recursive: true })
fs.writeFileSync(path.join(root, 'docs/inputs.md'), renderInputsDoc())
console.log('wrote action.yml (inputs) and docs/inputs.md')
