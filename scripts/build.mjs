#!/usr/bin/env node
/**
 * Builds the action bundle: dist/index.js (one minified ESM file), dist/package.json and dist/licenses.txt.
 * Usage: node scripts/build.mjs [outdir] [--metafile=FILE]   (default dist; __tests__/dist.test.ts builds into a temp
 * dir and compares; bench/bench.ts reads the metafile for the size by package)
 *
 * esbuild, not ncc, because the bundle must not evaluate packages that a run may never use (see BENCHMARKS.md):
 * - LAZY packages are replaced by a small facade with the same exports that loads the real package on first
 *   use. The real package is still in the bundle, but its top-level code runs only when a call needs it.
 *   undici: imported at the top of @actions/http-client (which @actions/core imports for getIDToken) only for a
 *   proxy dispatcher; node-vault: needed only once the action talks to Vault.
 * - ABSENT packages are replaced by a stub that throws if it is ever called. axios: node-vault requires it at its
 *   top, but calls it only when it is not given a `request-promise`; src/vault/client.ts always gives it our
 *   transport, so axios (with form-data, mime-db, follow-redirects, proxy agents: about 250 kB) is dead code.
 *   The end-to-end tests run this bundle against a real OpenBao, so a call through axios would fail them.
 * The output is deterministic: same sources and lockfile → same bytes (no timestamps, no absolute paths).
 */
import * as esbuild from 'esbuild'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const outdir = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(root, 'dist'))
/** --metafile=FILE writes esbuild's metafile (bytes per input), for the size table in BENCHMARKS.md. */
const metafileOut = args.find((a) => a.startsWith('--metafile='))?.slice('--metafile='.length)

/** Facades: the exports that the bundled importers use, each loading the real package on first call. */
const LAZY = {
  undici: `
let real
const load = () => (real ??= require('undici'))
export function ProxyAgent(options) { return new (load().ProxyAgent)(options) }
export function fetch(input, init) { return load().fetch(input, init) }
`,
  'node-vault': `
let real
const load = () => (real ??= require('node-vault'))
export default function nodeVault(options) { return load()(options) }
`
}

/** Stubs: CommonJS, with only what the importer touches when it loads. */
const ABSENT = {
  axios: `
const absent = () => {
  throw new Error('axios is not in this bundle: node-vault must be given our transport as request-promise (src/vault/client.ts)')
}
module.exports = { create: absent }
`
}

/** Resolves each LAZY package to its facade everywhere except inside the facade itself, and each ABSENT one to its stub. */
const lazyPackages = {
  name: 'lazy-packages',
  setup(build) {
    const pattern = (names) => new RegExp(`^(${names.map((n) => n.replace(/[-/]/g, '\\$&')).join('|')})$`)
    build.onResolve({ filter: pattern(Object.keys(LAZY)) }, (args) =>
      args.namespace === 'lazy' ? undefined : { path: args.path, namespace: 'lazy' }
    )
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({ contents: LAZY[args.path], loader: 'js', resolveDir: root }))
    build.onResolve({ filter: pattern(Object.keys(ABSENT)) }, (args) => ({ path: args.path, namespace: 'absent' }))
    build.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({ contents: ABSENT[args.path], loader: 'js' }))
  }
}

fs.rmSync(outdir, { recursive: true, force: true })
fs.mkdirSync(outdir, { recursive: true })
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/index.ts'],
  outfile: path.join(outdir, 'index.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  // CommonJS packages in an ESM bundle call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  plugins: [lazyPackages]
})
fs.writeFileSync(path.join(outdir, 'package.json'), '{"type":"module"}\n')
fs.writeFileSync(path.join(outdir, 'licenses.txt'), licenses(result.metafile))
if (metafileOut) fs.writeFileSync(metafileOut, JSON.stringify(result.metafile))

/** The license text of every package whose code is in the bundle, sorted by name. */
function licenses(metafile) {
  const dirs = new Set()
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, info] of Object.entries(output.inputs)) {
      if (info.bytesInOutput === 0) continue
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)
      if (m) dirs.add(m[1])
    }
  }
  const entries = [...dirs].map((dir) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'))
    const file = fs
      .readdirSync(path.join(root, dir))
      .sort()
      .find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f))
    const text = file ? fs.readFileSync(path.join(root, dir, file), 'utf8').trim() : ''
    return { id: `${pkg.name}@${pkg.version}`, license: String(pkg.license ?? 'UNKNOWN'), text }
  })
  const unique = [...new Map(entries.map((e) => [e.id, e])).values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  return unique.map((e) => `${e.id}\n${e.license}\n${e.text}\n`).join('\n')
}
