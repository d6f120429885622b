import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import * as fs from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { ActionError } from '../src/errors.js'
import { NomadClient } from '../src/nomad/nomad-client.js'
import { hclString, topLevelAttributes } from '../src/nomad/hcl.js'
import { loadJob } from '../src/nomad/jobfile.js'
import { unknownFieldsWarning } from '../src/nomad/json-fields.js'
import { resolveJobFiles } from '../src/nomad/job-paths.js'
import { buildVariables, renderVariables } from '../src/nomad/variables.js'

let dir: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nomad-jobfile-'))
  const files = [
    'jobs/web.nomad.hcl',
    'jobs/api.nomad.hcl',
    'jobs/readme.md',
    'jobs/.hidden.nomad.hcl',
    'jobs/.git/objects/x.nomad.hcl',
    '.deploy/prod.nomad.hcl',
    '.deploy/.old/prod.nomad.hcl',
    'jobs/nested/deep/worker.nomad.hcl',
    'jobs/nested/batch.nomad',
    'other/cron.hcl',
    'single.json'
  ]
  for (const f of files) {
    fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true })
    fs.writeFileSync(path.join(dir, f), '# job\n')
  }
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('resolveJobFiles', () => {
  it('resolves paths and globs in input order without duplicates', async () => {
    const r = await resolveJobFiles(['single.json', 'jobs/*.nomad.hcl', 'jobs/web.nomad.hcl', '', 'other/c?on.hcl'], { cwd: dir })
    expect(r).toEqual(['single.json', 'jobs/api.nomad.hcl', 'jobs/web.nomad.hcl', 'other/cron.hcl'])
  })

  it('supports ** across directories and skips dot files', async () => {
    expect(await resolveJobFiles(['jobs/**/*.nomad.hcl'], { cwd: dir })).toEqual([
      'jobs/api.nomad.hcl',
      'jobs/nested/deep/worker.nomad.hcl',
      'jobs/web.nomad.hcl'
    ])
    expect(await resolveJobFiles(['**/*.nomad'], { cwd: dir })).toEqual(['jobs/nested/batch.nomad'])
    expect(await resolveJobFiles(['jobs/[aw]*.nomad.hcl'], { cwd: dir })).toEqual(['jobs/api.nomad.hcl', 'jobs/web.nomad.hcl'])
    expect(await resolveJobFiles(['jobs/.*.nomad.hcl'], { cwd: dir })).toEqual(['jobs/.hidden.nomad.hcl'])
    expect(await resolveJobFiles(['.deploy/**/*.hcl'], { cwd: dir })).toEqual(['.deploy/prod.nomad.hcl'])
    expect(await resolveJobFiles(['.deploy/../jobs/**/x.nomad.hcl'], { cwd: dir }).catch((e: Error) => e.message)).toMatch(/matches no file/)
  })

  it('supports absolute patterns', async () => {
    const abs = path.join(dir, 'other', '*.hcl')
    expect(await resolveJobFiles([abs])).toEqual([path.join(dir, 'other', 'cron.hcl')])
  })

  it('names the job input when a pattern matches nothing, or a path is missing or a directory', async () => {
    await expect(resolveJobFiles(['jobs/*.nomad.json'], { cwd: dir })).rejects.toThrow(/`job` input pattern "jobs\/\*\.nomad\.json" matches no file/)
    await expect(resolveJobFiles(['nope.hcl'], { cwd: dir })).rejects.toThrow(/`job` input entry "nope.hcl" does not exist/)
    await expect(resolveJobFiles(['jobs'], { cwd: dir })).rejects.toThrow(/is a directory/)
    const err = (await resolveJobFiles(['a.hcl', 'b/*.hcl'], { cwd: dir }).catch((e: unknown) => e)) as Error
    expect(err).toBeInstanceOf(ActionError)
    expect(err?.message).toContain('2 problems with the `job` input')
  })
})

describe('variables', () => {
  it('escapes quotes, backslashes, newlines and template sequences', () => {
    expect(hclString('a "b" \\ c')).toBe('"a \\"b\\" \\\\ c"')
    expect(hclString('x${var.y}%{if}')).toBe('"x$${var.y}%%{if}"')
    expect(hclString('l1\nl2\t')).toBe('"l1\\nl2\\t"')
    expect(renderVariables({ image: 'nginx:1.27', count: '3', list: '["a","b"]', note: 'say "hi" ${x}' })).toBe(
      'image = "nginx:1.27"\ncount = "3"\nlist = ["a", "b"]\nnote = "say \\"hi\\" $${x}"'
    )
    expect(() => renderVariables({ 'bad name': 'x' })).toThrow(/`variables` input has an invalid variable name "bad name"/)
  })

  it('finds top-level attributes in var files, including heredocs and multi-line values', () => {
    const src = '# comment\nimage = "a"\nports = [\n  80,\n  443,\n]\ntext = <<EOT\nhello = "no"\nEOT\nmap = { a = "}" }\n'
    expect(topLevelAttributes(src)?.map((a) => [a.name, a.line])).toEqual([
      ['image', 2],
      ['ports', 3],
      ['text', 7],
      ['map', 10]
    ])
    expect(topLevelAttributes('block "x" {\n}\n')).toBeUndefined()
  })

  it('concatenates var files and the variables input; later definitions win', async () => {
    const a = path.join(dir, 'a.vars.hcl')
    const b = path.join(dir, 'b.vars.json')
    fs.writeFileSync(a, 'image = "nginx:1"\nreplicas = 2\n')
    fs.writeFileSync(b, JSON.stringify({ replicas: 3, tags: ['x'] }))
    const v = await buildVariables({ varFiles: [a, b], variables: { image: 'nginx:2' } })
    expect(v.text).toBe('replicas = 3\ntags = ["x"]\nimage = "nginx:2"\n')
    expect(v.fileText).toBe('replicas = 3\ntags = ["x"]\n')
    await expect(buildVariables({ varFiles: [path.join(dir, 'missing.hcl')], variables: {} })).rejects.toThrow(/`var-files` input entry/)
  })
})

// ---------------------------------------------------------------------------------------------
// loadJob against a stub /v1/jobs/parse

const servers: http.Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise<void>((r) => s.close(() => r()))
})

async function parseStub(respond: (body: { JobHCL: string; Canonicalize: boolean; Variables: string }) => { status: number; body: string }) {
  const seen: { path: string; query: URLSearchParams; body: { JobHCL: string; Canonicalize: boolean; Variables: string } }[] = []
  const server = http.createServer(async (req, res) => {
    let raw = ''
    for await (const c of req) raw += c
    const u = new URL(req.url ?? '/', 'http://x')
    const body = JSON.parse(raw)
    seen.push({ path: u.pathname, query: u.searchParams, body })
    const out = respond(body)
    res.writeHead(out.status, { 'Content-Type': out.status === 200 ? 'application/json' : 'text/plain' }).end(out.body)
  })
  servers.push(server)
  server.keepAliveTimeout = 1
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { client: new NomadClient({ addr: url, token: 'x-token', skipVerify: false, namespace: 'apps', region: '' }, { retries: 0 }), seen }
}

describe('loadJob', () => {
  it('accepts a JSON {"Job": …} wrapper and a bare job object', async () => {
    const wrapped = path.join(dir, 'wrapped.json')
    const bare = path.join(dir, 'bare.json')
    fs.writeFileSync(wrapped, JSON.stringify({ Job: { ID: 'web', TaskGroups: [] } }))
    fs.writeFileSync(bare, JSON.stringify({ ID: 'api', Name: 'api', TaskGroups: [] }))
    const { client, seen } = await parseStub(() => ({ status: 500, body: 'should not be called' }))
    const w = await loadJob(wrapped, { variables: {}, varFiles: [] }, client)
    expect(w.job.ID).toBe('web')
    expect(w.format).toBe('json')
    expect(w.submission).toEqual({ Source: fs.readFileSync(wrapped, 'utf8'), Format: 'json', VariableFlags: {}, Variables: '' })
    const b = await loadJob(bare, { variables: { x: '1' }, varFiles: [] }, client)
    expect(b.job.ID).toBe('api')
    expect(b.warnings[0]).toContain('only apply to HCL jobs')
    expect(seen).toHaveLength(0)
  })

  it('warns about JSON job fields Nomad would drop silently', async () => {
    const f = path.join(dir, 'typo.json')
    fs.writeFileSync(f, JSON.stringify({ Job: { ID: 'web', TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'server', Confg: {} }] }] } }))
    const { client } = await parseStub(() => ({ status: 500, body: 'should not be called' }))
    const r = await loadJob(f, { variables: {}, varFiles: [] }, client)
    // the warning is made once the cluster's Nomad version is known (prepareJobs); without it, any version's fields count
    expect(r.warnings).toEqual([])
    expect(unknownFieldsWarning(f, r.job)).toEqual([
      `JSON job file "${f}" has a field that Nomad's api.Job does not have, which Nomad ignores silently: TaskGroups[web].Tasks[server].Confg (did you mean "Config"?). ` +
        'Check the spelling against `nomad job inspect` output (api.Job field names).'
    ])
  })

  it('rejects JSON that is not a job, and points at JSON syntax errors', async () => {
    const hclJson = path.join(dir, 'hcljson.json')
    fs.writeFileSync(hclJson, JSON.stringify({ job: { web: {} } }))
    const broken = path.join(dir, 'broken.json')
    fs.writeFileSync(broken, '{\n  "Job": {\n    "ID": "x",\n  }\n}')
    const { client } = await parseStub(() => ({ status: 500, body: '' }))
    await expect(loadJob(hclJson, { variables: {}, varFiles: [] }, client)).rejects.toThrow(/HCL JSON syntax/)
    const err = (await loadJob(broken, { variables: {}, varFiles: [] }, client).catch((e) => e)) as ActionError
    expect(err).toBeInstanceOf(ActionError)
    expect(err.annotation?.file).toBe(broken)
    expect(err.message).toContain('not valid JSON')
  })

  it('parses HCL on the server with the variables and builds the submission', async () => {
    const file = path.join(dir, 'jobs', 'web.nomad.hcl')
    fs.writeFileSync(file, 'variable "image" {}\njob "web" {\n}\n')
    const vf = path.join(dir, 'prod.vars.hcl')
    fs.writeFileSync(vf, 'region = "eu"\n')
    const { client, seen } = await parseStub(() => ({
      status: 200,
      body: JSON.stringify({ ID: 'web', Name: 'web', Type: 'service', TaskGroups: [] })
    }))
    const r = await loadJob(file, { variables: { image: 'nginx:${tag}' }, varFiles: [vf] }, client)
    expect(seen[0].path).toBe('/v1/jobs/parse')
    expect(seen[0].query.get('namespace')).toBe('apps')
    expect(seen[0].body).toEqual({ JobHCL: fs.readFileSync(file, 'utf8'), Canonicalize: true, Variables: 'region = "eu"\nimage = "nginx:$${tag}"\n' })
    expect(r.format).toBe('hcl2')
    expect(r.job.ID).toBe('web')
    expect(r.submission).toEqual({
      Source: fs.readFileSync(file, 'utf8'),
      Format: 'hcl2',
      VariableFlags: { image: 'nginx:${tag}' },
      Variables: 'region = "eu"\n'
    })
  })

  it('turns a parse error into an annotation on the user file and line', async () => {
    const file = path.join(dir, 'jobs', 'api.nomad.hcl')
    fs.writeFileSync(file, 'job "api" {\n  group "g" {\n    task "t" {\n      driver = "docker"\n  foo = 1\n    }\n  }\n}\n')
    const { client } = await parseStub(() => ({
      status: 400,
      body: 'Failed to parse job: input.hcl:5,3-9: Unsupported argument; An argument named "foo" is not expected here.'
    }))
    const err = (await loadJob(file, { variables: {}, varFiles: [] }, client).catch((e) => e)) as ActionError
    expect(err).toBeInstanceOf(ActionError)
    expect(err.annotation).toEqual({ file, startLine: 5, startColumn: 3 })
    expect(err.message).toContain(`${file}:5,3: Unsupported argument; An argument named "foo" is not expected here.`)
    expect(err.message).not.toContain('input.hcl')
  })

  it('keeps job-file diagnostics on the job file, even when var-files are used', async () => {
    const file = path.join(dir, 'short.nomad.hcl')
    fs.writeFileSync(file, 'variables {\n  a = 0\n  b = 0\n  c = 0\n  d = 0\n  e = 0\n}\njob "s" {\n}\n')
    const vf = path.join(dir, 'bad.vars.hcl')
    fs.writeFileSync(vf, 'a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n')
    const { client } = await parseStub(() => ({
      status: 400,
      body: 'Failed to parse job: input.hcl:1,1-4: First problem; detail one\ninput.hcl:2,3-3,1: Second problem; detail two'
    }))
    const err = (await loadJob(file, { variables: {}, varFiles: [vf] }, client).catch((e) => e)) as ActionError
    expect(err.message).toContain(`${file}:1,1: First problem; detail one`)
    expect(err.message).toContain(`${file}:2,3: Second problem; detail two`)
    expect(err.annotation).toEqual({ file, startLine: 1, startColumn: 1 })
  })

  // Real Nomad parses the Variables as their own "input.hcl" from line 1 (jobspec2/parse.go, decode).
  it('maps a syntax error in the variables onto the var-file line at fault', async () => {
    const file = path.join(dir, 'long.nomad.hcl')
    fs.writeFileSync(file, 'variable "a" {}\nvariable "b" {}\nvariable "c" {}\n' + '\n'.repeat(8) + 'job "s" {\n}\n')
    const vf = path.join(dir, 'syntax.vars.hcl')
    fs.writeFileSync(vf, '# header\n\na = 1\nb = 2\n')
    const vf2 = path.join(dir, 'syntax2.vars.hcl')
    fs.writeFileSync(vf2, 'c = [\n  1,\n]\n')
    const { client } = await parseStub(() => ({
      status: 400,
      body: 'Failed to parse job: unable to parse var content: input.hcl:4,5-6: Invalid expression; Expected the start of an expression, but found an invalid expression token.'
    }))
    // Variables sent: "a = 1", "b = 2", "c = [", "  1,", "]": line 4 is line 2 of the second var-file.
    const err = (await loadJob(file, { variables: {}, varFiles: [vf, vf2] }, client).catch((e) => e)) as ActionError
    expect(err.annotation).toEqual({ file: vf2, startLine: 2, startColumn: 5 })
    expect(err.message).toContain(`Nomad could not use ${vf2} (variables for job file ${file})`)
    expect(err.message).toContain(`${vf2}:2,5: Invalid expression`)
    expect(err.message).not.toContain('input.hcl')
  })

  it('maps a type error onto the var-file or the variables input, and validation rules onto the job', async () => {
    const file = path.join(dir, 'typed.nomad.hcl')
    fs.writeFileSync(
      file,
      'variable "count" { type = number }\nvariable "port" {\n  type = number\n  validation {\n    condition = var.port > 0\n    error_message = "Port must be positive."\n  }\n}\njob "s" {}\n'
    )
    const vf = path.join(dir, 'typed.vars.json')
    fs.writeFileSync(vf, '{\n  "port": -1\n}\n')
    const { client } = await parseStub((body) => ({
      status: 400,
      body: body.Variables.includes('count = "many"')
        ? "Failed to parse job: input.hcl:2,9-15: Invalid value for variable; The value for count is not compatible with the variable's type constraint: a number is required."
        : 'Failed to parse job: input.hcl:1,8-10: Invalid value for varfile variable; Port must be positive.\n\nThis was checked by the validation rule at input.hcl:4,3-13.'
    }))
    const input = (await loadJob(file, { variables: { count: 'many' }, varFiles: [vf] }, client).catch((e) => e)) as ActionError
    expect(input.message).toContain('Nomad could not use the `variables` input (count)')
    expect(input.message).toContain('the `variables` input (count): Invalid value for variable; The value for count')
    // The fault is in the workflow, not in the job file (no workflow file checked out here: no annotation).
    expect(input.annotation).toBeUndefined()
    const varfile = (await loadJob(file, { variables: {}, varFiles: [vf] }, client).catch((e) => e)) as ActionError
    // A JSON var-file is sent as rendered HCL: the line of its key, no column.
    expect(varfile.annotation).toEqual({ file: vf, startLine: 2 })
    expect(varfile.message).toContain(`${vf}:2: Invalid value for varfile variable; Port must be positive.`)
    expect(varfile.message).toContain(`validation rule at ${file}:4,3.`)
  })

  it('points an unset variable at its declaration, and names a misspelt variable instead', async () => {
    const file = path.join(dir, 'unset.nomad.hcl')
    fs.writeFileSync(file, 'job "s" {}\n\nvariable "image" {\n  type = string\n}\n')
    const { client } = await parseStub(() => ({
      status: 400,
      body: 'Failed to parse job: <nil>: Unset variable "image"; A used variable must be set or have a default value; see https://developer.hashicorp.com/nomad/docs/job-specification/hcl2/variables for details.'
    }))
    const unset = (await loadJob(file, { variables: {}, varFiles: [] }, client).catch((e) => e)) as ActionError
    expect(unset.annotation).toEqual({ file, startLine: 3 })
    expect(unset.message).toContain(`${file}:3: Unset variable "image"`)
    expect(unset.message).toContain('Set "image" in the `variables` input or a var-file')
    const typo = (await loadJob(file, { variables: { imgae: 'nginx' }, varFiles: [] }, client).catch((e) => e)) as ActionError
    expect(typo.message).toContain('The `variables` input sets "imgae", but job file')
    expect(typo.message).toContain('(did you mean "image"?)')
  })

  it('passes other HTTP errors through and rejects empty files', async () => {
    const file = path.join(dir, 'jobs', 'web.nomad.hcl')
    fs.writeFileSync(file, 'job "web" {}\n')
    const { client } = await parseStub(() => ({ status: 403, body: 'Permission denied' }))
    await expect(loadJob(file, { variables: {}, varFiles: [] }, client)).rejects.toThrow(/parse-job/)
    const empty = path.join(dir, 'empty.nomad.hcl')
    fs.writeFileSync(empty, '  \n')
    await expect(loadJob(empty, { variables: {}, varFiles: [] }, client)).rejects.toThrow(/is empty/)
  })
})
