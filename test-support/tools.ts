/**
 * Finds a test tool that a scripts/<tool>.sh installs (OpenBao, act, actionlint) without installing it: .ci/run and
 * scripts/test.sh install them first; here the script only resolves its environment variable or its cache.
 * `install: true` lets the script build or install it when missing (tools/nomad-hcl, built from our own sources).
 */
import { execFileSync } from 'node:child_process'
import * as path from 'node:path'
import { repoRoot } from './paths.js'

export function installedTool(script: string, what: string, envVar: string, o: { install?: boolean } = {}): string {
  try {
    return execFileSync('bash', [path.join(repoRoot, 'scripts', script)], {
      encoding: 'utf8',
      env: { ...process.env, NVA_NO_INSTALL: o.install ? '0' : '1' },
      stdio: ['ignore', 'pipe', 'pipe']
    }).trim()
  } catch (e) {
    throw new Error(`No ${what} for the tests. Run "bash scripts/${script}" (or set ${envVar}). ${(e as { stderr?: string }).stderr ?? ''}`)
  }
}
