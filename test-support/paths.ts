import { existsSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root, found from test-support/ or from its compiled copy in .build/test-support/. */
function findRepoRoot(dir: string): string {
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    if (existsSync(path.join(d, 'action.yml'))) return d
  }
  throw new Error(`cannot find the repository root above ${dir}`)
}

export const repoRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)))
