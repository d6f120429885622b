/** Registers a job file in the Nomad double the way `nomad job run` does (parse, then register), bypassing the action. */
import * as fs from 'node:fs'
import type { NomadDouble } from './nomad-double/server.js'

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
