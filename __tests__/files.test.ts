/** Safe reading of user files (policy-file, job, var-files) and Vault's limits checked as inputs. */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { ValidationErrors } from '../src/errors.js'
import { FILE_LIMITS, PEM_LIMIT, readUserFile, type FileAccess } from '../src/files.js'
import { parseInputs } from '../src/inputs/read-inputs.js'
import { isAclPolicy } from '../src/vault/policy-shape.js'
import { captureStdout } from '../test-support/input-reader.js'

let ws: string
let outside: string
let access: FileAccess
beforeAll(() => {
  ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nva-ws-')))
  outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nva-out-')))
  access = { workspace: ws, allowOutside: false }
  fs.writeFileSync(path.join(ws, 'policy.hcl'), 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n')
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'TOKEN=hvs.do-not-print-me\n')
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(ws, 'link.hcl'))
  execFileSync('mkfifo', [path.join(ws, 'fifo.hcl')])
})
afterAll(() => {
  fs.rmSync(ws, { recursive: true, force: true })
  fs.rmSync(outside, { recursive: true, force: true })
})

const stdout = captureStdout()

const base: Record<string, string> = {
  'vault-addr': 'https://vault.example.com:8200',
  'vault-token': 'hvs.supersecretvaulttoken',
  'nomad-addr': 'https://nomad.example.com:4646'
}
/** The problems parseInputs reports for the base inputs with `over` (none: []). */
const problems = (over: Record<string, string>, env: NodeJS.ProcessEnv = { GITHUB_WORKSPACE: ws }): string[] => {
  try {
    parseInputs((n) => ({ ...base, ...over })[n] ?? '', env)
  } catch (e) {
    return (e as ValidationErrors).problems
  }
  return []
}

const read =
  (f: string, input = 'job', a: FileAccess | undefined = access) =>
  () =>
    readUserFile(path.isAbsolute(f) ? f : path.join(ws, f), input, a)

describe('readUserFile', () => {
  it('reads a regular UTF-8 file inside the workspace', () => {
    expect(read('policy.hcl', 'policy-file')()).toContain('capabilities')
  })

  it('refuses a FIFO at once instead of hanging', () => {
    expect(read('fifo.hcl')).toThrow(/Input "job": ".*fifo.hcl" is a FIFO \(named pipe\), not a regular file/)
  })

  it('refuses a device without reading it', () => {
    expect(read('/dev/zero', 'job', { workspace: ws, allowOutside: true })).toThrow(/"\/dev\/zero" is a character device/)
  })

  it('refuses a file outside the workspace, and a symlink that points out of it, unless allowed', () => {
    expect(read('/etc/hostname', 'policy-file')).toThrow(
      /Input "policy-file": "\/etc\/hostname" is outside the workspace .*allow-outside-workspace: true/
    )
    expect(read('link.hcl', 'var-files')).toThrow(/Input "var-files": ".*link.hcl" is outside the workspace .*\(it resolves to ".*secret.txt"\)/)
    expect(read('link.hcl', 'var-files', { workspace: ws, allowOutside: true })()).toContain('TOKEN=')
  })

  it('refuses files over the documented limit, including files that report size 0', () => {
    const big = path.join(ws, 'big.nomad.hcl')
    fs.writeFileSync(big, Buffer.alloc(FILE_LIMITS.job + 1, 0x61))
    expect(read(big)).toThrow(/is 1000001 bytes; the limit for job is 1000000 bytes/)
    expect(read('/proc/self/environ', 'policy-file', { workspace: ws, allowOutside: true })).not.toThrow(/limit/)
  })

  it('refuses text that is not UTF-8, and binary files', () => {
    const latin1 = path.join(ws, 'latin1.hcl')
    fs.writeFileSync(latin1, Buffer.from([0x6a, 0x6f, 0x62, 0x20, 0xe9, 0x0a]))
    expect(read(latin1)).toThrow(/"job": ".*latin1.hcl" is not valid UTF-8 text/)
    const bin = path.join(ws, 'bin.hcl')
    fs.writeFileSync(bin, Buffer.from([0x6a, 0x00, 0x62]))
    expect(read(bin)).toThrow(/binary file/)
  })

  it('names the input and the file when it does not exist, and refuses a directory', () => {
    expect(read('nope.hcl', 'var-files')).toThrow(/Input "var-files": ".*nope.hcl" does not exist on the runner/)
    expect(read(ws)).toThrow(/is a directory/)
  })
})

describe('policy-file through parseInputs', () => {
  it('reads a policy in the workspace', () => {
    const cfg = parseInputs((n) => ({ ...base, 'policy-file': path.join(ws, 'policy.hcl') })[n] ?? '', { GITHUB_WORKSPACE: ws })
    expect(cfg.settings.roles[0].policyText).toContain('secret/data/*')
  })

  it('never echoes a file that is not a policy, even when reading outside the workspace is allowed', () => {
    const p = problems({ 'policy-file': path.join(ws, 'link.hcl'), 'allow-outside-workspace': 'true' })
    expect(p).toEqual([expect.stringMatching(/"policy-file": ".*link.hcl" is not a Vault ACL policy .*Its content is not shown/)])
    expect(p.join('\n') + stdout.text()).not.toContain('do-not-print-me')
    expect(problems({ 'policy-file': '/etc/passwd' })[0]).toMatch(/outside the workspace/)
  })

  it('recognises HCL and JSON policies only', () => {
    expect(isAclPolicy('# c\npath "a/*" { capabilities = ["read"] }\n/* x */ path "b" {\n}\n')).toBe(true)
    expect(isAclPolicy('{"path": {"a/*": {"capabilities": ["read"]}}}')).toBe(true)
    expect(isAclPolicy('root:x:0:0:root:/root:/bin/bash\n')).toBe(false)
    expect(isAclPolicy('PATH=/usr/bin\0HOME=/root')).toBe(false)
    expect(isAclPolicy('path "a" {')).toBe(false)
    expect(isAclPolicy('')).toBe(false)
  })

  it('checks var-files with the same rules before any write', () => {
    expect(problems({ 'var-files': path.join(ws, 'fifo.hcl') })[0]).toMatch(/"var-files": ".*fifo.hcl" is a FIFO/)
  })
})

describe("inputs Vault would refuse (Vault's own limits)", () => {
  it('token-period: whole seconds, at most the default maximum lease TTL', () => {
    expect(problems({ 'token-period': '500ms' })[0]).toMatch(
      /"token-period": "500ms" is not a whole number of seconds.*store 0s \(no period at all\)/
    )
    expect(problems({ 'token-period': '800h' })[0]).toMatch(/longer than Vault's default maximum lease TTL \(768h/)
    expect(problems({ 'token-period': '768h' })).toEqual([])
  })
  it("bound-claims: a role write over OpenBao's JSON string limit", () => {
    const values = Array.from({ length: 9000 }, (_, i) => `ns${i}`)
    expect(problems({ 'bound-claims': JSON.stringify({ nomad_namespace: values }) })[0]).toMatch(
      /"bound-claims" make the role write \(POST auth\/jwt-nomad\/role\/nomad-workloads\) carry 90\d\d JSON strings.*more than 1000/
    )
    expect(problems({ 'bound-claims': JSON.stringify({ nomad_namespace: values.slice(0, 900) }) })).toEqual([])
  })
  it('role and policy names', () => {
    expect(problems({ role: 'a@b' })[0]).toMatch(/"role" is not a valid Vault role name: "a@b"/)
    expect(problems({ role: 'web-' })[0]).toMatch(/"role" is not a valid Vault role name/)
    expect(problems({ policy: 'Web' })[0]).toMatch(/Vault stores policy names in lower case.*"web"/)
  })
})

describe('certificate and key inputs given as a path go through the safe reader', () => {
  const PEM_INPUTS = [
    'vault-ca-cert',
    'nomad-ca-cert',
    'jwks-ca-cert',
    'oidc-discovery-ca-cert',
    'vault-client-cert',
    'vault-client-key',
    'nomad-client-cert',
    'nomad-client-key'
  ]

  it('refuses a FIFO at once, naming the input (the old plain read blocked the run forever)', () => {
    for (const input of PEM_INPUTS) {
      const mine = problems({ [input]: path.join(ws, 'fifo.hcl') }).filter((p) => p.startsWith(`Input "${input}" is neither`))
      expect(mine).toEqual([expect.stringMatching(/ nor a readable file: .* is a FIFO \(named pipe\), not a regular file/)])
    }
  })

  it('refuses a device without reading it', () => {
    expect(problems({ 'vault-ca-cert': '/dev/zero' })).toEqual([
      expect.stringMatching(/^Input "vault-ca-cert" is neither PEM text nor a readable file: "\/dev\/zero" is a character device/)
    ])
    expect(problems({ 'nomad-client-cert': '/dev/urandom', 'nomad-client-key': '/dev/zero' })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Input "nomad-client-cert" .*"\/dev\/urandom" is a character device/),
        expect.stringMatching(/^Input "nomad-client-key" .*the file it names is a character device/)
      ])
    )
  })

  it('refuses a file over PEM_LIMIT from its size, without reading it into memory', () => {
    const huge = path.join(ws, 'huge.pem')
    fs.writeFileSync(huge, '')
    fs.truncateSync(huge, 300 * 1024 * 1024) // sparse: 300 MiB that take no disk
    const before = process.resourceUsage().maxRSS
    expect(problems({ 'jwks-ca-cert': huge })).toEqual([
      expect.stringMatching(/^Input "jwks-ca-cert" .*" is 314572800 bytes; the limit for jwks-ca-cert is 1048576 bytes\./)
    ])
    // maxRSS is the peak (kB): reading the file (the old readFileSync) would add 300 MB or more to it
    expect(process.resourceUsage().maxRSS - before).toBeLessThan(64 * 1024)
    expect(PEM_LIMIT).toBe(1024 * 1024)
  })

  it('reads a PEM file under the limit, and never echoes the path given in a key input', () => {
    const ca = path.join(ws, 'ca.pem')
    fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n')
    expect(problems({ 'vault-ca-cert': ca })).toEqual([])
    const p = problems({ 'vault-client-cert': ca, 'vault-client-key': path.join(ws, 'secret-key-path') })
    expect(p.join('\n')).toMatch(/Input "vault-client-key" is neither PEM text nor a readable file: the file it names does not exist/)
    expect(p.join('\n')).not.toContain('secret-key-path')
    expect(problems({ 'vault-client-key': 'MIIEv\nQIBADANBg' }).join('\n')).toMatch(
      /"vault-client-key" is neither PEM text \(no -----BEGIN line\) nor a file path/
    )
  })
})
