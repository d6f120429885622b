/**
 * Runs a real workflow file under nektos/act (scripts/act.sh) in host mode: `-P ubuntu-latest=-self-hosted`, no
 * Docker, no network. The workflow runs in a prepared git repository that holds action.yml, dist/ and the given
 * files; act serves `uses: actions/checkout@v4` by copying that directory into its workspace
 * (<HOME>/.cache/act/<hash>/hostexecutor), and `uses: ./` then runs our action.yml and dist/index.js with the `node`
 * first on PATH, here the Node 24 of runs.using. HOME is a fresh directory per run, so act's caches and any
 * ~/.actrc of the user stay out of it.
 */
import { execFileSync, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { actionNode, repoRoot } from './run-action.js'
import { installedTool } from './tools.js'

export interface ActOptions {
  /** The workflow text; `uses: your-org/nomad-vault-action@v1` is replaced by `uses: ./`. */
  workflow: string
  event: 'push' | 'pull_request' | 'schedule' | 'workflow_dispatch'
  /** The event payload (act takes github.ref and friends from it). */
  payload: Record<string, unknown>
  /** Files to place in the repository, by relative path. */
  files?: Record<string, string>
  /** `vars.*` */
  vars?: Record<string, string>
  /** Extra environment for every step (e.g. ACTIONS_ID_TOKEN_REQUEST_*). */
  env?: Record<string, string>
  /** `secrets.*`; GITHUB_TOKEN is also `github.token`. */
  secrets?: Record<string, string>
  /** Run only these matrix combinations (`act --matrix key:value`). */
  matrix?: Record<string, string>
  /**
   * Actions that a step uses only outside act (`if: ${{ !env.ACT }}`), such as actions/upload-artifact@v4: act sets
   * up every action of a job before it starts, and offline it cannot fetch one. Each is replaced by a local stand-in
   * that fails the step if it ever runs.
   */
  skippedActions?: string[]
  timeoutMs?: number
}

export interface ActRun {
  code: number
  /** act's own output (stdout and stderr, in order). */
  output: string
}

export function actBinary(): string {
  return installedTool('act.sh', 'act binary', 'ACT_BIN')
}

export async function runAct(opts: ActOptions): Promise<ActRun> {
  const act = actBinary()
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-act-'))
  const repo = path.join(root, 'repo')
  const home = path.join(root, 'home')
  fs.mkdirSync(path.join(repo, '.github/workflows'), { recursive: true })
  fs.mkdirSync(home)
  fs.copyFileSync(path.join(repoRoot, 'action.yml'), path.join(repo, 'action.yml'))
  fs.cpSync(path.join(repoRoot, 'dist'), path.join(repo, 'dist'), { recursive: true })
  for (const [p, text] of Object.entries(opts.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(repo, p)), { recursive: true })
    fs.writeFileSync(path.join(repo, p), text)
  }
  const workflow = path.join(repo, '.github/workflows/workflow.yml')
  fs.writeFileSync(workflow, opts.workflow.replace(/uses: your-org\/nomad-vault-action@v1/g, 'uses: ./'))
  const eventFile = path.join(root, 'event.json')
  fs.writeFileSync(eventFile, JSON.stringify(opts.payload))
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], { cwd: repo, stdio: 'ignore' })
  git('init', '-q', '-b', 'main')
  git('remote', 'add', 'origin', 'https://github.com/acme/web.git') // act derives github.repository from it
  git('add', '-A')
  git('commit', '-q', '-m', 'release')

  const args = [opts.event, '-e', eventFile, '-W', workflow, '-P', 'ubuntu-latest=-self-hosted', '--no-cache-server', '--action-offline-mode']
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('--var', `${k}=${v}`)
  for (const [k, v] of Object.entries(opts.env ?? {})) args.push('--env', `${k}=${v}`)
  for (const [k, v] of Object.entries(opts.secrets ?? {})) args.push('--secret', `${k}=${v}`)
  for (const [k, v] of Object.entries(opts.matrix ?? {})) args.push('--matrix', `${k}:${v}`)
  for (const action of opts.skippedActions ?? []) args.push('--local-repository', `${action}=${standIn(root, action)}`)
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(VAULT_|NOMAD_|INPUT_|GITHUB_|RUNNER_|ACTIONS_|NODE_OPTIONS|DOCKER_)/.test(k)) env[k] = v
  }
  env.HOME = home
  env.PATH = `${path.dirname(actionNode())}${path.delimiter}${process.env.PATH ?? ''}`

  const child = spawn(act, args, { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const timeoutMs = opts.timeoutMs ?? 120_000
  const code = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`act did not finish within ${timeoutMs} ms\n${output}`))
    }, timeoutMs)
    child.on('exit', (c) => {
      clearTimeout(t)
      resolve(c ?? -1)
    })
  })
  fs.rmSync(root, { recursive: true, force: true })
  return { code, output }
}

/** A local action for `action` (owner/name@ref) whose only step fails: it stands in for an action act must not run. */
function standIn(root: string, action: string): string {
  const dir = path.join(root, 'stand-ins', action.replace(/[^A-Za-z0-9.-]/g, '_'))
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(
    path.join(dir, 'action.yml'),
    `name: stand-in\ndescription: offline stand-in for ${action}\nruns:\n  using: composite\n  steps:\n` +
      `    - run: echo "the stand-in for ${action} ran, but its step must be skipped under act" && exit 1\n      shell: bash\n`
  )
  return dir
}
