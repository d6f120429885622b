import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { normaliseAuthPath, parseBoundClaims, parseInputs, parseVariables } from '../src/inputs/read-inputs.js'
import { testSettings } from '../test-support/config-fixture.js'
import { captureStdout, inputProblems, inputReader } from '../test-support/input-reader.js'
import { makeTestPki } from '../test-support/tls-certs.js'

const base = {
  'vault-addr': 'https://vault.example.com:8200/',
  'vault-token': 'hvs.supersecretvaulttoken',
  'nomad-addr': 'https://nomad.example.com:4646',
  'nomad-token': 'nomad-secret-token-123'
}
const reader = inputReader(base)
const problemsOf = (over: Record<string, string>) => inputProblems(reader(over))
const stdout = captureStdout()

describe('parseInputs', () => {
  it('applies the nomad setup vault defaults', () => {
    const cfg = parseInputs(reader(), { RUNNER_TEMP: '/tmp/rt' })
    expect(cfg.vault.addr).toBe('https://vault.example.com:8200')
    // test-support/config-fixture.ts holds the defaults (those of `nomad setup vault`) as literals, once
    expect(cfg.settings).toMatchObject(testSettings())
    expect(cfg.job).toMatchObject({ files: [], injectVault: 'none', meta: true, wait: 'deployment', timeoutMs: 600_000 })
    expect(cfg.dryRun).toBe(false)
    expect(cfg.tempDir).toBe('/tmp/rt')
    expect(cfg.vault.skipVerify).toBe(false)
  })

  it('masks both tokens as soon as they are read', () => {
    parseInputs(reader())
    const out = stdout.text()
    expect(out).toContain(`::add-mask::${base['vault-token']}`)
    expect(out).toContain(`::add-mask::${base['nomad-token']}`)
  })

  it('masks a token even when other inputs are invalid', () => {
    problemsOf({ 'vault-addr': 'nope' })
    expect(stdout.text()).toContain(`::add-mask::${base['vault-token']}`)
  })

  it('reports every problem at once, each naming its input', () => {
    const problems = problemsOf({
      'vault-addr': 'vault.example.com:8200',
      'vault-token': '   ',
      'auth-path': 'jwt nomad',
      role: '../admin',
      'token-period': 'thirty minutes',
      timeout: '-5m'
    })
    expect(problems.join('\n')).toMatch(/"vault-addr" is not a valid URL|"vault-addr" must be an http/)
    expect(problems.join('\n')).toContain('"vault-token" is empty')
    expect(problems.join('\n')).toContain('"auth-path" is not a valid Vault mount path')
    expect(problems.join('\n')).toContain('"role" is not a valid Vault role name')
    expect(problems.join('\n')).toContain('"token-period" is not a valid duration')
    expect(problems.join('\n')).toContain('"timeout" is not a valid duration')
    expect(problems).toHaveLength(6)
  })

  it('rejects URLs with credentials and non-http schemes', () => {
    expect(problemsOf({ 'vault-addr': 'https://user:pw@vault:8200' })[0]).toContain('must not contain credentials')
    expect(problemsOf({ 'nomad-addr': 'ftp://nomad:4646' })[0]).toContain('"nomad-addr" must be an http:// or https:// URL')
  })

  it('rejects conflicting key sources', () => {
    expect(problemsOf({ 'oidc-discovery-url': 'https://nomad.example.com' })[0]).toContain('"oidc-discovery-url" and "key-source: jwks" conflict')
    expect(problemsOf({ 'key-source': 'oidc-discovery', 'jwks-url': 'https://x/jwks', 'oidc-discovery-url': 'https://x' })[0]).toContain(
      '"jwks-url" and "key-source: oidc-discovery" conflict'
    )
    expect(problemsOf({ 'key-source': 'oidc-discovery' })[0]).toContain('"oidc-discovery-url" is required')
    expect(problemsOf({ 'key-source': 'pem' })[0]).toContain('"key-source" must be one of "jwks", "oidc-discovery", "static"')
  })

  it('needs a JWKS URL or nomad-addr for jwks and static', () => {
    expect(problemsOf({ 'nomad-addr': '' })[0]).toContain('"jwks-url" or "nomad-addr" is required with key-source: jwks')
    const cfg = parseInputs(reader({ 'nomad-addr': '', 'jwks-url': 'https://nomad.internal:4646/.well-known/jwks.json' }))
    expect(cfg.settings.jwksUrl).toBe('https://nomad.internal:4646/.well-known/jwks.json')
  })

  it('accepts an OIDC discovery issuer but not the well-known document URL', () => {
    const cfg = parseInputs(reader({ 'key-source': 'oidc-discovery', 'oidc-discovery-url': 'https://nomad.example.com' }))
    expect(cfg.settings.oidcDiscoveryUrl).toBe('https://nomad.example.com')
    expect(
      problemsOf({ 'key-source': 'oidc-discovery', 'oidc-discovery-url': 'https://nomad.example.com/.well-known/openid-configuration' })[0]
    ).toContain('without "/.well-known/openid-configuration"')
  })

  it('reads a CA certificate from PEM text or a file, and explains an unreadable one', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----'
    expect(parseInputs(reader({ 'vault-ca-cert': pem })).vault.caPem).toBe(pem + '\n')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nva-inputs-'))
    const file = path.join(dir, 'ca.pem')
    fs.writeFileSync(file, pem)
    expect(parseInputs(reader({ 'nomad-ca-cert': file })).nomad.caPem).toBe(pem + '\n')
    expect(problemsOf({ 'vault-ca-cert': path.join(dir, 'missing.pem') })[0]).toMatch(
      /"vault-ca-cert" is neither PEM text nor a readable file: ".*missing.pem" does not exist on the runner/
    )
    fs.writeFileSync(file, 'not a cert')
    expect(problemsOf({ 'jwks-ca-cert': file })[0]).toContain('holds no PEM certificate')
  })

  it('warns when TLS verification is turned off explicitly', () => {
    const cfg = parseInputs(reader({ 'vault-skip-verify': 'true' }))
    expect(cfg.vault.skipVerify).toBe(true)
    expect(stdout.text()).toContain('::warning::vault-skip-verify is true')
    expect(problemsOf({ 'nomad-skip-verify': 'maybe' })[0]).toContain('"nomad-skip-verify" must be true or false')
  })

  it('rejects batch tokens with a period and built-in policy names', () => {
    expect(problemsOf({ 'token-type': 'batch', 'token-period': '30m' })[0]).toContain('batch tokens cannot be periodic')
    expect(parseInputs(reader({ 'token-type': 'batch', 'token-period': '0' })).settings.roles[0].tokenPeriodSeconds).toBe(0)
    expect(problemsOf({ policy: 'root' })[0]).toContain('built-in Vault policy')
    expect(problemsOf({ 'token-type': 'forever' })[0]).toContain('"token-type" must be one of')
  })

  it('requires nomad-addr with a job and checks var-files exist', () => {
    expect(problemsOf({ 'nomad-addr': '', 'jwks-url': 'https://n/jwks', job: 'job.nomad.hcl' })[0]).toContain(
      '"nomad-addr" is required when "job" is set'
    )
    expect(problemsOf({ 'var-files': '/nonexistent/prod.vars' })[0]).toContain('"var-files": "/nonexistent/prod.vars" does not exist')
  })

  it('parses job lines, variables and booleans', () => {
    const cfg = parseInputs(
      reader({
        job: 'jobs/a.nomad.hcl\n\n# comment\njobs/*.json',
        variables: 'image=nginx:1.27\nreplicas = 3',
        'dry-run': 'TRUE',
        meta: 'false',
        wait: 'evaluation'
      })
    )
    expect(cfg.job.files).toEqual(['jobs/a.nomad.hcl', 'jobs/*.json'])
    expect(cfg.job.variables).toEqual({ image: 'nginx:1.27', replicas: '3' })
    expect(cfg.dryRun).toBe(true)
    expect(cfg.job.meta).toBe(false)
    expect(cfg.job.wait).toBe('evaluation')
  })
})

describe('connection inputs: mTLS, retries, timeouts', () => {
  const pki = makeTestPki()
  afterAll(() => fs.rmSync(pki.dir, { recursive: true, force: true }))

  it('reads a client certificate and key from text or paths, checks the pair, and masks every line of the key', () => {
    const cfg = parseInputs(
      reader({
        'vault-client-cert': pki.client.cert,
        'vault-client-key': pki.client.key,
        'vault-tls-server-name': 'vault.service.consul',
        'nomad-client-cert': pki.client.certFile,
        'nomad-client-key': pki.client.keyFile,
        'max-retries': '0',
        'request-timeout': '90s'
      })
    )
    expect(cfg.vault.clientCert).toBe(pki.client.cert.trim() + '\n')
    expect(cfg.vault.clientKey).toBe(pki.client.key.trim() + '\n')
    expect(cfg.vault.tlsServerName).toBe('vault.service.consul')
    expect(cfg.nomad.clientCert).toBe(pki.client.cert.trim() + '\n')
    expect(cfg.nomad.tlsServerName).toBeUndefined()
    expect(cfg.vault.transport).toEqual({ maxRetries: 0, requestTimeoutMs: 90_000 })
    expect(cfg.nomad.transport).toEqual({ maxRetries: 0, requestTimeoutMs: 90_000 })
    const masked = stdout.text()
    const keyLines = pki.client.key.split('\n').filter((l) => l.trim() && !l.startsWith('-----'))
    expect(keyLines.length).toBeGreaterThan(5)
    for (const line of keyLines) expect(masked).toContain(`::add-mask::${line.trim()}`)
  })

  it('defaults to 4 retries and 30 s per attempt', () => {
    expect(parseInputs(reader()).vault.transport).toEqual({ maxRetries: 4, requestTimeoutMs: 30_000 })
  })

  it('reports a half pair, a key of another certificate, a bad server name and out-of-range settings at once', () => {
    const problems = problemsOf({
      'vault-client-cert': pki.client.cert,
      'nomad-client-cert': pki.client.cert,
      'nomad-client-key': pki.strangerClient.key,
      'vault-tls-server-name': '10.0.0.1',
      'max-retries': '50',
      'request-timeout': '500ms'
    })
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Input "vault-client-cert" is set but "vault-client-key" is not'),
        expect.stringContaining('Input "nomad-client-key" is not the private key of the certificate in "nomad-client-cert"'),
        expect.stringContaining('Input "vault-tls-server-name" must be a DNS host name'),
        expect.stringContaining('Input "max-retries" must be a whole number from 0 to 20'),
        expect.stringContaining('Input "request-timeout" must be from 1s to 10m')
      ])
    )
    expect(problems.filter((p) => p.includes('max-retries'))).toHaveLength(1)
  })

  it('explains a key input that is neither PEM nor a readable file, without echoing it', () => {
    const problems = problemsOf({ 'vault-client-cert': pki.client.cert, 'vault-client-key': 'not-a-key-but-maybe-secret' })
    expect(problems.join('\n')).toContain('Input "vault-client-key" is neither PEM text nor a readable file')
    expect(problems.join('\n')).not.toContain('not-a-key-but-maybe-secret')
    expect(stdout.text()).toContain('::add-mask::not-a-key-but-maybe-secret')
  })
})

describe('helpers', () => {
  it('normalises auth paths like Nomad prints them', () => {
    expect(normaliseAuthPath('jwt-nomad/')).toBe('jwt-nomad')
    expect(normaliseAuthPath('/auth/jwt-nomad')).toBe('jwt-nomad')
    expect(normaliseAuthPath('team/jwt')).toBe('team/jwt')
    expect(normaliseAuthPath('a/../b')).toBeUndefined()
    expect(normaliseAuthPath('')).toBeUndefined()
    expect(normaliseAuthPath('has space')).toBeUndefined()
  })

  it('parses bound claims as YAML or JSON', () => {
    expect(parseBoundClaims('nomad_namespace: [default, prod]\nnomad_job_id: web').claims).toEqual({
      nomad_namespace: ['default', 'prod'],
      nomad_job_id: 'web'
    })
    expect(parseBoundClaims('{"nomad_namespace": "prod"}').claims).toEqual({ nomad_namespace: 'prod' })
    expect(parseBoundClaims('- a\n- b').error).toContain('must be a mapping')
    expect(parseBoundClaims('x: {y: 1}').error).toContain('unsupported value for claim "x"')
    expect(parseBoundClaims('{"a": ').error).toContain('neither valid YAML nor JSON')
  })

  it('parses key=value variables', () => {
    expect(parseVariables(['a=1', 'b = two words', 'c='])).toEqual({ vars: { a: '1', b: 'two words', c: '' }, errors: [] })
    expect(parseVariables(['=1', 'no-equals']).errors).toHaveLength(2)
  })
})
