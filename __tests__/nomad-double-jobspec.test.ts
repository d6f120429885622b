/**
 * The double's POST /v1/jobs/parse against what Nomad v1.10's jobspec2 gives for the same files: each fixture in
 * __tests__/fixtures/jobspec/ is a job file (and optionally the request's Variables, <name>.vars.hcl) with the
 * answer expected from Nomad, <name>.expected.json, derived by reading Nomad's jobspec2 (MPL-2.0) and api types at
 * v1.10.5, not by running either. A job answer is compared field by field with the fields Go's encoding/json writes
 * as null left out (the expected files list every other field, zero values included); an error answer by its text.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { NomadDouble } from '../test-support/nomad-double/options.js'
import { startNomadDouble } from '../test-support/nomad-double/server.js'
import { repoRoot } from '../test-support/paths.js'

const dir = path.join(repoRoot, '__tests__', 'fixtures', 'jobspec')
const fixtures = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.nomad.hcl'))
  .map((f) => f.replace(/\.nomad\.hcl$/, ''))
  .sort()

let nomad: NomadDouble

beforeAll(async () => {
  // parsing never reaches Vault: the address is never dialled
  nomad = await startNomadDouble({ vaultAddr: 'http://127.0.0.1:9' })
})
afterAll(async () => {
  await nomad?.close()
})

async function parse(body: Record<string, unknown>): Promise<{ status: number; text: string }> {
  const res = await fetch(`${nomad.url}/v1/jobs/parse`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Nomad-Token': nomad.managementToken },
    body: JSON.stringify(body)
  })
  return { status: res.status, text: await res.text() }
}

/** The JSON without its null fields (Go's nil pointers, slices and maps). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls)
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== null)
        .map(([k, x]) => [k, withoutNulls(x)])
    )
  return v
}

describe('double /v1/jobs/parse answers as Nomad 1.10 jobspec2 does', () => {
  it('has fixtures', () => {
    expect(fixtures).toEqual(
      expect.arrayContaining(['dynamic-workers', 'filesystem-function', 'plural-variables', 'sidecar-artifact', 'undeclared-variable'])
    )
  })

  it.each(fixtures)('%s', async (name) => {
    const hcl = fs.readFileSync(path.join(dir, `${name}.nomad.hcl`), 'utf8')
    const varsFile = path.join(dir, `${name}.vars.hcl`)
    const Variables = fs.existsSync(varsFile) ? fs.readFileSync(varsFile, 'utf8') : undefined
    const expected = JSON.parse(fs.readFileSync(path.join(dir, `${name}.expected.json`), 'utf8'))
    const r = await parse({ JobHCL: hcl, Variables })
    if (expected.error !== undefined) {
      expect({ status: r.status, text: r.text }).toEqual({ status: expected.status, text: expected.error })
    } else {
      expect(r.status).toBe(200)
      expect(withoutNulls(JSON.parse(r.text))).toEqual(expected.job)
    }
  })

  it.each(['abspath', 'basename', 'dirname', 'file', 'filebase64', 'fileexists', 'fileset', 'pathexpand'])(
    'refuses the filesystem function %s() with its position',
    async (fn) => {
      const args = fn === 'fileset' ? '(".", "*.tpl")' : '("x")'
      const r = await parse({ JobHCL: `job "j" {\n  meta {\n    m = ${fn}${args}\n  }\n}\n` })
      expect(r.status).toBe(400)
      expect(r.text).toBe(
        `Failed to parse job: input.hcl:3,9-${9 + fn.length + 1}: Error in function call; Call to function "${fn}" failed: filesystem function disabled.`
      )
    }
  )

  it('reports an unknown block and a bad duration at their positions, one a line; a group without its label alone', async () => {
    const task = '    task "t" {\n      kill_timeout = "5 minutes"\n      lifecyle {\n        hook = "prestart"\n      }\n    }\n'
    const r = await parse({ JobHCL: `job "j" {\n  group "g" {\n${task}  }\n}\n` })
    expect(r.status).toBe(400)
    expect(r.text.split('\n')).toEqual([
      'Failed to parse job: input.hcl:5,7-15: Unsupported block type; Blocks of type "lifecyle" are not expected here. Did you mean "lifecycle"?',
      'input.hcl:4,23-32: Unsuitable value type; Unsuitable duration value: time: invalid duration "5 minutes"'
    ])
    // hclsyntax leaves a block with a missing label out, so nothing inside it is decoded
    const unlabelled = await parse({ JobHCL: `job "j" {\n  group {\n${task}  }\n}\n` })
    expect(unlabelled.text).toBe('Failed to parse job: input.hcl:2,9-10: Missing name for group; All group blocks must have 1 labels (name).')
  })

  it('requires lifecycle.hook, reported at the block\'s "{"', async () => {
    const r = await parse({ JobHCL: 'job "j" {\n  group "g" {\n    task "t" {\n      lifecycle {\n        sidecar = true\n      }\n    }\n  }\n}\n' })
    expect(r.text).toBe(
      'Failed to parse job: input.hcl:4,17-17: Missing required argument; The argument "hook" is required, but no definition was found.'
    )
  })

  it('reads Variables in HCL JSON syntax when the text starts with "{" (jobspec2 parseHCLOrJSON)', async () => {
    const JobHCL = 'variable "n" {\n  type = number\n}\njob "j" {\n  group "g" {\n    count = var.n\n  }\n}\n'
    const r = await parse({ JobHCL, Variables: '{"n": 4}' })
    expect(r.status).toBe(200)
    expect(JSON.parse(r.text).TaskGroups[0].Count).toBe(4)
  })

  it("keeps lifecycle, artifacts and port_map through Canonicalize, the action's request", async () => {
    const r = await parse({ JobHCL: fs.readFileSync(path.join(dir, 'sidecar-artifact.nomad.hcl'), 'utf8'), Canonicalize: true })
    expect(r.status).toBe(200)
    const tasks = JSON.parse(r.text).TaskGroups[0].Tasks
    expect(tasks.map((t: { Name: string }) => t.Name)).toEqual(['migrate', 'log-shipper', 'server'])
    expect(tasks[1].Lifecycle).toEqual({ Hook: 'poststart', Sidecar: true })
    expect(tasks[2].Artifacts[0].RelativeDest).toBe('local/config')
    expect(tasks[2].Config.port_map).toEqual([{ http: 8080 }])
  })
})
