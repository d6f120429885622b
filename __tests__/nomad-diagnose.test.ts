import { describe, expect, it } from '@jest/globals'
import { diagnoseVaultFailure, type VaultDiagContext } from '../src/nomad/diagnose.js'
import { describeTemplateWait } from '../src/nomad/task-failures.js'

const ctx: VaultDiagContext = {
  audience: 'vault.io',
  boundAudiences: ['vault.io'],
  authPath: 'jwt-nomad',
  role: 'nomad-workloads',
  policies: ['nomad-workloads'],
  kvMount: 'secret',
  namespace: 'default',
  jobId: 'web'
}

function login(vaultMessage: string, path = 'jwt-nomad', code = 400): string {
  return (
    'Vault: failed to derive vault token: failed to derive Vault token for identity vault_default: failed to login with JWT: ' +
    `Error making API request.\n\nURL: PUT https://vault.example.com:8200/v1/auth/${path}/login\nCode: ${code}. Errors:\n\n* ${vaultMessage}`
  )
}

describe('diagnoseVaultFailure', () => {
  it('explains an audience mismatch against the bound audiences', () => {
    const d = diagnoseVaultFailure(login('invalid audience (aud) claim: audience claim does not match any expected audience'), ctx)
    expect(d).toContain(`The role's bound_audiences ["vault.io"] do not include the token's aud`)
    expect(d).toContain('vault.default_identity.aud')
    expect(d).toContain('identity "vault_default" aud')
    const other = diagnoseVaultFailure(login('invalid audience (aud) claim: audience claim does not match any expected audience'), {
      ...ctx,
      boundAudiences: ['nomad.example']
    })
    expect(other).toContain('["nomad.example"]')
  })

  it('names the missing role and the configured one', () => {
    const d = diagnoseVaultFailure(login('role "payments" could not be found'), ctx)
    expect(d).toContain('no role "payments"')
    expect(d).toContain('role "nomad-workloads"')
    expect(d).toContain('create_from_role')
  })

  it('explains signature failures as JWKS or stale keys', () => {
    const d = diagnoseVaultFailure(login('error validating token: failed to verify id token signature'), ctx)
    expect(d).toMatch(/JWKS URL/)
    expect(d).toMatch(/re-run the action/)
  })

  it('explains expired tokens, missing claims and bound claims', () => {
    expect(diagnoseVaultFailure(login('error validating token: token is expired'), ctx)).toMatch(/expired.*clocks/s)
    expect(diagnoseVaultFailure(login('claim "/nomad_job_id" not found in token'), ctx)).toContain('claim "/nomad_job_id"')
    const bc = diagnoseVaultFailure(login('error validating claims: claim "nomad_namespace" does not match any associated bound claim values'), {
      ...ctx,
      boundClaims: { nomad_namespace: ['prod'] }
    })
    expect(bc).toContain('bound_claims')
    expect(bc).toContain('{"nomad_namespace":["prod"]}')
  })

  it('explains a template permission denied with the expected KV layout and the policy', () => {
    const msg =
      'Template failed: vault.read(kv/data/other/web/db): vault.read(kv/data/other/web/db): Error making API request.\n\n' +
      'URL: GET https://vault:8200/v1/kv/data/other/web/db\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n'
    const d = diagnoseVaultFailure(msg, ctx)
    expect(d).toContain('"kv/data/other/web/db"')
    expect(d).toContain('"nomad-workloads"')
    expect(d).toContain('secret/data/<namespace>/<job>/*')
    expect(d).toContain('secret/data/default/web/')
  })

  it('explains a template write (a secret call with key=value parameters) that the policy denies, naming the path and update', () => {
    const name = 'vault.write(pki/issue/web -> cea67813)'
    const msg =
      `Template failed: ${name}: ${name}: Error making API request.\n\n` +
      'URL: PUT https://vault:8200/v1/pki/issue/web\nCode: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied\n\n'
    const d = diagnoseVaultFailure(msg, ctx)
    expect(d).toContain('Vault denied the write to "pki/issue/web"')
    expect(d).toContain('is a Vault write (PUT)')
    expect(d).toContain('path "pki/issue/web" { capabilities = ["update"] }')
    expect(d).not.toContain('->')
  })

  it('explains a missing default identity', () => {
    const d = diagnoseVaultFailure(
      'failed to derive Vault token: failed to retrieve signed workload identity: unable to find token for workload alloc-1 and identity "vault_default"',
      ctx
    )
    expect(d).toContain('default_identity')
    expect(d).toContain('nomad#25955')
  })

  it('explains a wrong auth path', () => {
    const d = diagnoseVaultFailure(login('no handler for route "auth/jwt/login". route entry not found.', 'jwt', 404), ctx)
    expect(d).toContain('auth/jwt')
    expect(d).toContain('jwt_auth_backend_path = "jwt-nomad"')
  })

  it('explains a template that gave up on a missing secret, with the command that writes it', () => {
    const d = diagnoseVaultFailure(
      'Template failed: vault.read(secret/data/default/web/missing): no secret exists at secret/data/default/web/missing',
      ctx
    )
    expect(d).toContain('Vault has no secret at "secret/data/default/web/missing"')
    expect(d).toContain('`vault kv put -mount=secret default/web/missing <key>=<value>`')
    expect(d).toContain('secret/data/default/web/…')
  })

  it('explains a client that cannot reach Vault (a dial error in the Killing event)', () => {
    const d = diagnoseVaultFailure(
      'Vault: failed to derive vault token: failed to derive Vault token for identity vault_default: failed to login with JWT: ' +
        'Put "http://10.0.0.9:8200/v1/auth/jwt-nomad/login": dial tcp 10.0.0.9:8200: connect: connection refused',
      ctx
    )
    expect(d).toContain('The Nomad client cannot reach Vault')
  })

  it('returns undefined for unrelated events', () => {
    expect(diagnoseVaultFailure('Exit Code: 1, Exit Message: "boom"', ctx)).toBeUndefined()
    expect(diagnoseVaultFailure('', ctx)).toBeUndefined()
    expect(diagnoseVaultFailure('Docker container exited with non-zero exit code: 137', ctx)).toBeUndefined()
  })
})

describe('describeTemplateWait', () => {
  const wait = (missing: string[]) =>
    describeTemplateWait({ allocId: '0b4c7c2e-5d7f-4b5a-9c1e-1f2a3b4c5d6e', allocName: 'web.web[0]', task: 'server', missing })

  it('names the secrets a template reads, and the paths it writes to (a secret call with key=value parameters)', () => {
    const both = wait(['vault.read(secret/data/default/web/config)', 'vault.write(pki/issue/web -> cea67813)'])
    expect(both).toContain('waits for Vault secret(s) "secret/data/default/web/config" and Vault write(s) to "pki/issue/web"')
    expect(both).toContain('grant read on it (update for a write).')
    const read = wait(['vault.read(secret/data/default/web/config)'])
    expect(read).toContain('waits for Vault secret(s) "secret/data/default/web/config" (Template: Missing:')
    expect(read).toMatch(/grant read on it\.$/)
  })
})
