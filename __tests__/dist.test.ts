/**
 * dist/ is committed and must match the sources: rebuild the bundle into a temp dir and compare byte for byte.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { describe, expect, it } from '@jest/globals'

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..')

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath ?? (d as unknown as { path: string }).path, d.name)))
    .sort()
}

describe('dist/', () => {
  it('matches a fresh build of src/ (run "npm run package" and commit dist/)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-dist-'))
    try {
      // The same build as `npm run package` (scripts/build.mjs), into a temp dir.
      execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), out], { cwd: root, stdio: 'pipe' })
      const committed = listFiles(path.join(root, 'dist'))
      const fresh = listFiles(out)
      expect(committed).toEqual(fresh)
      const differing = fresh.filter((f) => !fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(root, 'dist', f))))
      expect(differing).toEqual([])
    } finally {
      fs.rmSync(out, { recursive: true, force: true })
    }
  }, 120_000)
})
