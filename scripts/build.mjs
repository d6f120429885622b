#!/usr/bin/env node
/**
 * Builds the action bundle: dist/index.js (the entry), dist/chunks/*.js (code split off by esbuild, loaded by import()),
 * dist/package.json and dist/licenses.txt (every package in any of the files).
 * Usage: node scripts/build.mjs [outdir] [--metafile=FILE]   (default dist; __tests__/dist.test.ts builds into a temp
 * dir and compares; bench/bench.ts reads the metafile for the size by package)
 *
 * esbuild, not ncc, because the bundle must not compile or evaluate packages that a run may never use (BENCHMARKS.md):
 * - code splitting: what the source loads with a dynamic import() (the main step from src/index.ts, node-vault from
 *   src/vault/vault-client.ts, @actions/glob from src/nomad, octokit from src/main.ts for pr-comment and
 *   deployment-environment) is in a chunk of its own, which Node reads and compiles only
 *   when it is imported. A run that stops at its inputs compiles the entry and the main step's chunks only.
 * - LAZY packages are replaced by a small facade with the same exports that loads the real package on first use
 *   (see LAZY below).
 * - ABSENT packages are replaced by a stub that throws if it is ever called. axios: node-vault requires it at its
 *   top, but calls it only when it is not given a `request-promise`; src/vault/vault-client.ts always gives it our
 *   transport, so axios (with form-data, mime-db, follow-redirects, proxy agents: about 250 kB) is dead code.
 *   @actions/http-client as @actions/core imports it: only for core.getIDToken, which the action does not call
 *   (src/auth/github-oidc.ts fetches the token through our transport); without the stub it would pull undici
 *   (430 kB) into the start-up chunks. @actions/http-client and undici as @actions/github imports them: only for
 *   octokit's default proxy agent and fetch, which src/github/rest.ts replaces with the transport's fetch. The
 *   end-to-end tests run this bundle, so a call to a stub would fail them.
 * - Node's built-in modules are loaded with require() (see BUILTIN below).
 * The output is deterministic: same sources and lockfile → same bytes (no timestamps, no absolute paths; chunk names
 * carry a hash of their content).
 */
import * as esbuild from 'esbuild'
import * as fs from 'node:fs'
import { builtinModules } from 'node:module'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const outdir = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(root, 'dist'))
/** --metafile=FILE writes esbuild's metafile (bytes per input), for the size table in BENCHMARKS.md. */
const metafileOut = args.find((a) => a.startsWith('--metafile='))?.slice('--metafile='.length)

/**
 * Facades: the exports the bundled importers use, each requiring the real (CommonJS) package on first call. An import
 * of a CommonJS package runs its top level when the importing chunk loads; behind a facade it runs on first use.
 * yaml: evaluating it (its schemas and tags) was about 10% of a run that stops at its inputs, and it is needed only
 * when bound-claims or roles is set.
 */
const LAZY = {
  yaml: `
let real
export function parse(src, reviver, options) {
  real ??= require('yaml')
  return real.parse(src, reviver, options)
}
`
}

/** Stubs, with only what the importer touches when it loads. */
const ABSENT = {
  axios: `
const absent = () => {
  throw new Error('axios is not in this bundle: node-vault must be given our transport as request-promise (src/vault/vault-client.ts)')
}
module.exports = { create: absent }
`,
  'core-http-client': `
export class HttpClient {
  constructor() {
    throw new Error('core.getIDToken is not in this bundle: src/auth/github-oidc.ts fetches the OIDC token through our transport')
  }
}
`,
  // @actions/github's defaults build a proxy agent and an undici fetch when it loads; src/github/rest.ts replaces both
  // with the transport's fetch, so they only need to exist. The fetch throws if it is ever called.
  'github-http-client': `
export class HttpClient {
  getAgent() {}
  getAgentDispatcher() {}
}
`,
  'github-undici': `
export function fetch() {
  throw new Error("@actions/github's own fetch is not in this bundle: src/github/rest.ts gives octokit the transport's fetch")
}
`
}

/** Node's built-in module names, with and without the node: prefix. */
const BUILTIN = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`)

/** Resolves each LAZY package to its facade (except inside the facade), each ABSENT one to its stub, and Node's built-ins to require(). */
const bundlePlugin = {
  name: 'nomad-vault-action',
  setup(build) {
    const pattern = (names) => new RegExp(`^(${names.map((n) => n.replace(/[-/]/g, '\\$&')).join('|')})$`)
    build.onResolve({ filter: pattern(Object.keys(LAZY)) }, (args) =>
      args.namespace === 'lazy' ? undefined : { path: args.path, namespace: 'lazy' }
    )
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({ contents: LAZY[args.path], loader: 'js', resolveDir: root }))
    build.onResolve({ filter: pattern(Object.keys(ABSENT)) }, (args) => ({ path: args.path, namespace: 'absent' }))
    build.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({ contents: ABSENT[args.path], loader: 'js' }))
    // Node's built-in modules through require(), also where ESM code imports them: an ESM import of a built-in makes
    // Node build its ESM facade, which reads every export, getters included (node:http's WebSocket/EventSource
    // getters load Node's internal undici: about 35 ms at start-up). require() reads an export only when it is used.
    build.onResolve({ filter: BUILTIN }, (args) => (args.namespace === 'builtin' ? undefined : { path: args.path, namespace: 'builtin' }))
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require('${args.path}')`, loader: 'js' }))
    // @actions/core imports @actions/http-client (and so undici) only for getIDToken, which the action does not call.
    build.onResolve({ filter: /^@actions\/http-client$/ }, (args) =>
      /node_modules\/@actions\/core\//.test(args.importer) ? { path: 'core-http-client', namespace: 'absent' } : undefined
    )
    // @actions/github imports @actions/http-client and undici only for its default proxy agent and fetch (see ABSENT).
    build.onResolve({ filter: /^(@actions\/http-client|undici)$/ }, (args) =>
      /node_modules\/@actions\/github\/lib\//.test(args.importer)
        ? { path: args.path === 'undici' ? 'github-undici' : 'github-http-client', namespace: 'absent' }
        : undefined
    )
  }
}

fs.rmSync(outdir, { recursive: true, force: true })
fs.mkdirSync(outdir, { recursive: true })
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/index.ts'],
  outdir,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
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
  plugins: [bundlePlugin]
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
