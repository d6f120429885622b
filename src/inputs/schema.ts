/**
 * The input schema: every input of the action declared once, with its group, type, default, the modes it applies to
 * and its description. The parser (src/inputs/read-inputs.ts and the readers it calls, through the Collector) takes each type
 * rule and default from here; action.yml and docs/inputs.md are generated from it (`npm run inputs`), and
 * __tests__/input-schema.test.ts checks that they are current. A new input is one entry here and the code that reads it.
 */

/** The values of `mode`. */
export const MODES = ['deploy', 'setup', 'check', 'destroy'] as const
export type Mode = (typeof MODES)[number]

/** Vault token types a JWT role takes (token_type; vault-plugin-auth-jwt, via tokenutil). */
export const TOKEN_TYPES = ['service', 'batch', 'default', 'default-service', 'default-batch'] as const

/** The groups, in the order of action.yml and docs/inputs.md: `title` heads each, `about` says what they share. */
export const GROUPS = [
  { id: 'vault', title: 'Vault connection', about: 'Where Vault (or OpenBao) is and how the action trusts it: address, token, namespace, TLS.' },
  { id: 'nomad', title: 'Nomad connection', about: 'Where Nomad is and how the action trusts it: address, token, namespace, region, TLS.' },
  {
    id: 'sign-in',
    title: 'Signing in',
    about: "The workflow's GitHub OIDC token instead of stored tokens (src/auth; needs permissions id-token: write)."
  },
  {
    id: 'vault-setup',
    title: 'Vault setup',
    about: 'What the action sets up in Vault: the auth method, its keys, the role, the policy, or several roles.'
  },
  { id: 'job', title: 'Job', about: 'The Nomad job file(s), their variables, and what the action adds to them.' },
  { id: 'deploy', title: 'Deploy behaviour', about: 'How the job is registered and followed.' },
  { id: 'modes', title: 'Modes and checks', about: 'What the run does: deploy, setup, check or destroy, a dry run, the live probe.' },
  { id: 'github', title: 'GitHub features', about: 'Drift check, the plan as a pull-request comment, the deployment record.' },
  {
    id: 'transport',
    title: 'Transport',
    about: 'Retries and timeouts of every Vault and Nomad request (proxies: the HTTPS_PROXY, HTTP_PROXY and NO_PROXY variables).'
  }
] as const
export type Group = (typeof GROUPS)[number]['id']

/**
 * What a name-like input must look like; src/inputs/rules.ts holds each rule (one per concept: a Nomad namespace is
 * checked by one rule wherever it appears).
 */
export type NameRule =
  | 'vault-role'
  | 'vault-login-role'
  | 'vault-policy'
  | 'vault-namespace'
  | 'nomad-namespace'
  | 'nomad-region'
  | 'acl-name'
  | 'audience'
  | 'dns'
  | 'vault-path'

export type InputType =
  | { kind: 'boolean' }
  | { kind: 'integer'; min: number; max: number }
  /** In seconds: `zero` allows 0; min and max bound the value. */
  | { kind: 'duration'; zero?: boolean; min?: number; max?: number }
  | { kind: 'url' }
  /** A PEM certificate, or with `key` a private key (masked), as text or a path to a file. */
  | { kind: 'pem'; key?: boolean }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'name'; rule: NameRule }
  /** A Vault mount path: "jwt-nomad", "/jwt-nomad/" and "auth/jwt-nomad" are the same. */
  | { kind: 'mount' }
  /** One value a line; blank lines and # comments are skipped. */
  | { kind: 'lines' }
  | { kind: 'yaml' }
  /** A token: masked the moment it is read. */
  | { kind: 'secret' }
  /** A path to a file on the runner, read through src/files.ts. */
  | { kind: 'file' }
  | { kind: 'text'; maxLength?: number }

export interface InputSpec {
  name: string
  group: Group
  type: InputType
  /** action.yml's default. A `${{ … }}` expression is the runner's to fill; the code applies the others too. */
  default?: string
  required?: boolean
  /** The modes the input applies to; absent: every mode. */
  modes?: readonly Mode[]
  /** With `modes`: a value given in another mode is an error, or a warning that it is ignored. */
  otherModes?: 'error' | 'warning'
  description: string
}

const bool: InputType = { kind: 'boolean' }
const url: InputType = { kind: 'url' }
const pem: InputType = { kind: 'pem' }
const pemKey: InputType = { kind: 'pem', key: true }
const secret: InputType = { kind: 'secret' }
const mount: InputType = { kind: 'mount' }
const lines: InputType = { kind: 'lines' }
const yaml: InputType = { kind: 'yaml' }
const file: InputType = { kind: 'file' }
const text: InputType = { kind: 'text', maxLength: 255 }
const oneOf = (...values: string[]): InputType => ({ kind: 'enum', values })
const integer = (min: number, max: number): InputType => ({ kind: 'integer', min, max })
const duration = (o: { zero?: boolean; min?: number; max?: number } = {}): InputType => ({ kind: 'duration', ...o })
const named = (rule: NameRule): InputType => ({ kind: 'name', rule })
const [vaultRole, vaultPolicy, vaultNamespace, nomadNamespace, nomadRegion, name, audience, dnsName, vaultPath] = (
  ['vault-role', 'vault-policy', 'vault-namespace', 'nomad-namespace', 'nomad-region', 'acl-name', 'audience', 'dns', 'vault-path'] as const
).map(named)

// biome-ignore format: one input a line
export const INPUTS: readonly InputSpec[] = [
  { name: 'vault-addr', group: 'vault', type: url, required: true, description: 'Vault or OpenBao API address, e.g. https://vault.example.com:8200.' },
  { name: 'vault-token', group: 'vault', type: secret, description: 'Vault token for the action itself. Needs the policy in docs/security.md, section "Vault token policy". Not used with vault-auth-method jwt.' },
  { name: 'vault-namespace', group: 'vault', type: vaultNamespace, description: 'Vault Enterprise / OpenBao namespace for every Vault request. Empty for none.' },
  { name: 'vault-ca-cert', group: 'vault', type: pem, description: 'CA certificate to verify Vault\'s TLS certificate, as PEM text or a path to a PEM file.' },
  { name: 'vault-skip-verify', group: 'vault', type: bool, default: 'false', description: 'Turn off TLS verification for Vault. Insecure; prefer vault-ca-cert.' },
  { name: 'vault-client-cert', group: 'vault', type: pem, description: 'Client certificate for Vault\'s TLS listener when it requires one (tls_require_and_verify_client_cert), as PEM text or a path on the runner. Needs vault-client-key.' },
  { name: 'vault-client-key', group: 'vault', type: pemKey, description: 'The private key of vault-client-cert (unencrypted PEM text or a path; pass text from a secret). Masked in the log.' },
  { name: 'vault-tls-server-name', group: 'vault', type: dnsName, description: 'The host name to send as SNI and to check Vault\'s certificate against, when it differs from the host in vault-addr (e.g. an IP address or a tunnel).' },
  { name: 'nomad-addr', group: 'nomad', type: url, description: 'Nomad API address, e.g. https://nomad.example.com:4646. Required with a job, and the default base of jwks-url.' },
  { name: 'nomad-token', group: 'nomad', type: secret, description: 'Nomad ACL token (needs submit-job on the namespace; agent:read for the cluster check).' },
  { name: 'nomad-namespace', group: 'nomad', type: nomadNamespace, description: 'Nomad namespace for the job(s). Default is the job\'s own namespace.' },
  { name: 'nomad-region', group: 'nomad', type: nomadRegion, description: 'Nomad region for the job(s). Default is the agent\'s region.' },
  { name: 'nomad-ca-cert', group: 'nomad', type: pem, description: 'CA certificate to verify Nomad\'s TLS certificate, as PEM text or a path to a PEM file.' },
  { name: 'nomad-skip-verify', group: 'nomad', type: bool, default: 'false', description: 'Turn off TLS verification for Nomad. Insecure; prefer nomad-ca-cert.' },
  { name: 'nomad-client-cert', group: 'nomad', type: pem, description: 'Client certificate for Nomad\'s HTTPS API when it requires one (tls.verify_https_client), as PEM text or a path on the runner. Needs nomad-client-key.' },
  { name: 'nomad-client-key', group: 'nomad', type: pemKey, description: 'The private key of nomad-client-cert (unencrypted PEM text or a path; pass text from a secret). Masked in the log.' },
  { name: 'nomad-tls-server-name', group: 'nomad', type: dnsName, description: 'The host name to check Nomad\'s certificate against when it differs from the host in nomad-addr; Nomad\'s agent certificates name server.<region>.nomad or client.<region>.nomad.' },
  { name: 'vault-auth-method', group: 'sign-in', type: oneOf('token', 'jwt'), default: 'token', description: 'How the action signs in to Vault: token (the vault-token input) or jwt (the workflow\'s GitHub OIDC token, no stored secret).' },
  { name: 'vault-auth-path', group: 'sign-in', type: mount, default: 'jwt', description: 'Mount of the JWT auth method the action itself logs in through with vault-auth-method jwt (not the Nomad workload mount auth-path).' },
  { name: 'vault-auth-role', group: 'sign-in', type: named('vault-login-role'), description: 'Vault role of vault-auth-path that the action logs in with (required with vault-auth-method jwt).' },
  { name: 'vault-oidc-audience', group: 'sign-in', type: audience, description: 'Audience of the GitHub OIDC token sent to Vault (the role\'s bound_audiences). Default is GitHub\'s, the repository owner\'s URL.' },
  { name: 'nomad-auth-method', group: 'sign-in', type: oneOf('token', 'jwt'), default: 'token', description: 'How the action signs in to Nomad: token (the nomad-token input) or jwt (the workflow\'s GitHub OIDC token through a Nomad ACL auth method).' },
  { name: 'nomad-auth-method-name', group: 'sign-in', type: name, default: 'github', description: 'Name of the Nomad ACL auth method (type JWT) for nomad-auth-method jwt.' },
  { name: 'nomad-oidc-audience', group: 'sign-in', type: audience, description: 'Audience of the GitHub OIDC token sent to Nomad (the auth method\'s BoundAudiences). Default is GitHub\'s, the repository owner\'s URL.' },
  { name: 'auth-path', group: 'vault-setup', type: mount, default: 'jwt-nomad', description: 'Mount path of the JWT auth method in Vault (the Nomad clients\' jwt_auth_backend_path).' },
  { name: 'role', group: 'vault-setup', type: vaultRole, default: 'nomad-workloads', description: 'Vault role that Nomad tasks log in with (the default_role of the mount and the clients\' create_from_role).' },
  { name: 'audience', group: 'vault-setup', type: audience, default: 'vault.io', description: 'Audience of the Nomad vault identity; the role\'s bound_audiences and the servers\' default_identity.aud.' },
  { name: 'key-source', group: 'vault-setup', type: oneOf('jwks', 'oidc-discovery', 'static'), default: 'jwks', description: 'How Vault gets Nomad\'s public keys: jwks (Vault fetches jwks-url), oidc-discovery (Vault uses oidc-discovery-url), or static (the action fetches the JWKS and writes PEM keys).' },
  { name: 'jwks-url', group: 'vault-setup', type: url, description: 'JWKS URL that Vault (not the runner) must reach. Default <nomad-addr>/.well-known/jwks.json. With key-source static, the runner fetches it.' },
  { name: 'jwks-ca-cert', group: 'vault-setup', type: pem, description: 'CA certificate (PEM text or path) for the JWKS URL, written to the auth method\'s jwks_ca_pem.' },
  { name: 'oidc-discovery-url', group: 'vault-setup', type: url, description: 'Issuer URL for key-source oidc-discovery (Nomad\'s server.oidc_issuer), without /.well-known/openid-configuration.' },
  { name: 'oidc-discovery-ca-cert', group: 'vault-setup', type: pem, description: 'CA certificate (PEM text or path) for oidc-discovery-url.' },
  { name: 'token-type', group: 'vault-setup', type: oneOf(...TOKEN_TYPES), default: 'service', description: 'Vault token type for Nomad tasks (service or batch).' },
  { name: 'token-period', group: 'vault-setup', type: duration({ zero: true }), default: '30m', description: 'Period of the tasks\' Vault tokens (renewable while Nomad renews them). 0 for none.' },
  { name: 'identity-ttl', group: 'vault-setup', type: duration(), default: '1h', description: 'TTL rendered into the Nomad servers\' vault.default_identity block.' },
  { name: 'policy', group: 'vault-setup', type: vaultPolicy, default: 'nomad-workloads', description: 'Name of the ACL policy attached to the role.' },
  { name: 'kv-mount', group: 'vault-setup', type: mount, default: 'secret', description: 'KV v2 mount that the default templated policy grants (<kv-mount>/data/<namespace>/<job>/*).' },
  { name: 'policy-file', group: 'vault-setup', type: file, description: 'Path to a custom policy (HCL) instead of the default one. The text auth_jwt_X is replaced by the mount accessor.' },
  { name: 'bound-claims', group: 'vault-setup', type: yaml, description: 'Extra bound claims for the role, as YAML or JSON, e.g. {"nomad_namespace":["default","prod"]}.' },
  { name: 'roles', group: 'vault-setup', type: yaml, description: 'Several roles on the same auth method, as a YAML list: name, and optionally namespace (the Nomad namespace(s) it serves), bound-claims, policy (default: the name), policy-file, kv-mount, token-type, token-period. Replaces the inputs role, policy, bound-claims and policy-file (giving both is an error). inject-vault gives each job the role of its namespace.' },
  { name: 'prune', group: 'vault-setup', type: bool, default: 'false', description: 'Remove managed roles (and their marked policies) that are no longer declared. Without it they are reported and kept.' },
  { name: 'job', group: 'job', type: lines, modes: ['deploy'], description: 'Nomad job file(s) to deploy - a path, a glob, or several lines. HCL2 (.nomad.hcl, .nomad, .hcl) or JSON (a field the cluster\'s Nomad version does not have is warned about: Nomad drops it silently). Empty to stop after Vault.' },
  { name: 'variables', group: 'job', type: lines, modes: ['deploy'], description: 'HCL2 job variables, one key=value per line.' },
  { name: 'var-files', group: 'job', type: lines, modes: ['deploy'], description: 'HCL2 variable files, one path per line.' },
  { name: 'allow-outside-workspace', group: 'job', type: bool, default: 'false', description: 'Allow policy-file, job and var-files outside GITHUB_WORKSPACE (symlinks are judged by their target). Off by default.' },
  { name: 'inject-vault', group: 'job', type: oneOf('none', 'missing', 'all'), default: 'none', modes: ['deploy'], description: 'Add a vault block with the role to tasks: none, missing (tasks without one), or all (also set the role on every task).' },
  { name: 'meta', group: 'job', type: bool, default: 'true', modes: ['deploy'], description: 'Add release metadata that is stable for one commit (github_sha, github_ref, github_repository, github_workflow) to Job.Meta. Per-run facts (run ID, URL, attempt, actor) go to the summary and the release output only.' },
  { name: 'wait', group: 'deploy', type: oneOf('none', 'evaluation', 'deployment'), default: 'deployment', modes: ['deploy'], description: 'How far to follow the job: none, evaluation, or deployment.' },
  { name: 'timeout', group: 'deploy', type: duration(), default: '10m', modes: ['deploy'], description: 'Deadline for following the job, e.g. 10m: requests still in flight then are aborted, so a Nomad that stops answering ends the wait on time.' },
  { name: 'auto-promote', group: 'deploy', type: bool, default: 'false', modes: ['deploy'], description: 'Promote canaries once they are healthy.' },
  { name: 'preserve-counts', group: 'deploy', type: bool, default: 'false', modes: ['deploy'], description: 'Keep the running task group counts when updating the job.' },
  { name: 'policy-override', group: 'deploy', type: bool, default: 'false', modes: ['deploy'], description: 'Override soft-mandatory Sentinel policies (Nomad Enterprise).' },
  { name: 'expected-plan', group: 'deploy', type: { kind: 'text', maxLength: 4096 }, modes: ['deploy', 'setup'], otherModes: 'error', description: 'The approved plan: a plan-id output, or the path of a plan-file output. The run plans first and refuses, before any write to Vault or Nomad, when its plan differs, and says what changed; otherwise it applies exactly that plan (jobs registered at the planned job modify index).' },
  { name: 'max-parallel', group: 'deploy', type: integer(1, 64), default: '4', modes: ['deploy'], description: 'How many jobs are planned, registered and followed at the same time (1 to 64). Outputs and the summary keep the input order.' },
  { name: 'mode', group: 'modes', type: oneOf(...MODES), default: 'deploy', description: 'What to do: deploy (Vault, agent blocks, then the job), setup (Vault and agent blocks only; a job is an error), check (read-only diagnosis, output findings), or destroy (remove what the action manages).' },
  { name: 'dry-run', group: 'modes', type: bool, default: 'false', description: 'Plan and report every change (Vault and the Nomad job plan) but write nothing.' },
  { name: 'fail-on-warning', group: 'modes', type: bool, default: 'false', modes: ['check', 'destroy'], otherModes: 'warning', description: 'mode: check: fail the step on warnings too (errors always fail it). mode: destroy: refuse (remove nothing) on a warning, such as logins through the auth method or auth methods whose roles could not be checked.' },
  { name: 'force', group: 'modes', type: bool, default: 'false', modes: ['destroy'], otherModes: 'error', description: 'mode: destroy: also remove a role, policy or auth method the action did not create, a policy that roles this run keeps still name, and an auth method that holds roles this run does not remove (each with a warning).' },
  { name: 'probe-secret', group: 'modes', type: vaultPath, modes: ['check'], otherModes: 'error', description: 'mode: check: run a live probe: a batch job (nomad-vault-action-probe) whose task logs in with its workload identity and reads this secret in a template (e.g. secret/data/default/nomad-vault-action-probe/config); the finding says whether it could, and the job is purged.' },
  { name: 'probe-namespace', group: 'modes', type: nomadNamespace, default: 'default', modes: ['check'], description: 'mode: check: Nomad namespace of the probe job (it gets the role of that namespace).' },
  { name: 'fail-on-drift', group: 'github', type: bool, default: 'false', description: 'Drift check: plan only (write nothing to Vault or Nomad) and fail the step when Vault differs from the desired state.' },
  { name: 'pr-comment', group: 'github', type: bool, default: 'false', description: 'On a pull_request run, put the plan (the job summary) into one pull-request comment, updated in place on later runs. Needs permissions pull-requests write.' },
  { name: 'deployment-environment', group: 'github', type: text, description: 'Record a GitHub deployment to this environment (in_progress, then success or failure). Needs permissions deployments write. Empty for none.' },
  { name: 'github-token', group: 'github', type: secret, default: '${{ github.token }}', description: 'Token for pr-comment and deployment-environment.' },
  { name: 'max-retries', group: 'transport', type: integer(0, 20), default: '4', description: 'Retries after the first attempt of a Vault or Nomad request that failed transiently (connection errors, timeouts, 429, 500, 502, 503, 504, a standby\'s 503), with jittered exponential backoff. Only requests that are safe to repeat are retried. 0 to 20.' },
  { name: 'request-timeout', group: 'transport', type: duration({ min: 1, max: 600 }), default: '30s', description: 'How long one attempt of one Vault or Nomad request may take (1s to 10m), e.g. 30s. Nomad\'s blocking queries get their wait time on top.' },
]

const BY_NAME = new Map(INPUTS.map((i) => [i.name, i]))

/** The spec of an input; a name that is not in the schema is a bug of the action. */
export function inputSpec(name: string): InputSpec {
  const spec = BY_NAME.get(name)
  if (!spec) throw new Error(`Bug: input "${name}" is read but not declared in src/inputs/schema.ts.`)
  return spec
}

/** The default the code applies for an empty input ('' for none, and for a default that is a `${{ … }}` expression). */
export function defaultOf(name: string): string {
  const d = inputSpec(name).default ?? ''
  return d.startsWith('${{') ? '' : d
}
