/**
 * Job files for tests that bypass the action or vary one: registerJobFile registers a file in the Nomad double the
 * way `nomad job run` does (parse, then register); jobFileAs writes a copy of a file under another job ID.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { NomadDouble } from './nomad-double/server.js'
import { repoRoot } from './paths.js'

export async function registerJobFile(n: NomadDouble, file: string, id?: string): Promise<void> {
  const headers = { 'X-Nomad-Token': n.managementToken, 'Content-Type': 'application/json' }
  const parsed = await fetch(`${n.url}/v1/jobs/parse`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ JobHCL: fs.readFileSync(file, 'utf8'), Canonicalize: true })
  })
  if (parsed.status !== 200) throw new Error(`parse ${file}: HTTP ${parsed.status} ${await parsed.text()}`)
  const job = await parsed.json()
  if (id) Object.assign(job, { ID: id, Name: id })
  const reg = await fetch(`${n.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ Job: job }) })
  if (reg.status !== 200) throw new Error(`register ${file}: HTTP ${reg.status} ${await reg.text()}`)
}

/**
 * A copy of a job file whose `job "<id>"` label is `id` instead, in a fresh directory under the repository's
 * git-ignored .local/ (job files must be inside the workspace); its path is returned. The job ID is the block label,
 * which HCL2 does not let a variable set, so a second ID needs a second file: this writes it from the first instead
 * of keeping a near-copy in the fixtures.
 */
export function jobFileAs(file: string, id: string): string {
  const text = fs.readFileSync(file, 'utf8')
  const renamed = text.replace(/^job "[^"]+"/m, `job "${id}"`)
  if (renamed === text) throw new Error(`${file}: no job "<id>" block label to rename`)
  const local = path.join(repoRoot, '.local')
  fs.mkdirSync(local, { recursive: true })
  const out = path.join(fs.mkdtempSync(path.join(local, 'job-')), `${id}.nomad.hcl`)
  fs.writeFileSync(out, renamed)
  return out
}
