/** The validated configuration of one action run. Built by src/inputs/read-inputs.ts; everything downstream reads only this. */
import type { PlanDocument } from './approval/plan-doc.js'
import type { FileAccess } from './files.js'

export type KeySource = 'jwks' | 'oidc-discovery' | 'static'
export type InjectVault = 'none' | 'missing' | 'all'
export type WaitMode = 'none' | 'evaluation' | 'deployment'

export interface ServerConnection {
  /** Base URL without trailing slash, e.g. https://vault.example.com:8200 */
  addr: string
  token: string
  /** PEM text of the CA bundle to trust (already read from a file when the input was a path). */
  caPem?: string
  /** Only true when the user turned TLS verification off explicitly. */
  skipVerify: boolean
  /** mTLS: PEM client certificate and key (read from a file when the input was a path). */
  clientCert?: string
  clientKey?: string
  /** TLS server name to send and to check the certificate against, when it differs from the address's host. */
  tlsServerName?: string
  /** Retries and per-attempt timeout (inputs max-retries, request-timeout); defaults when absent. */
  transport?: TransportSettings
}

export interface TransportSettings {
  maxRetries: number
  requestTimeoutMs: number
}

export interface VaultConnection extends ServerConnection {
  /** Vault Enterprise / OpenBao namespace; '' for none. */
  namespace: string
}

export interface NomadConnection extends ServerConnection {
  /** Nomad namespace for job operations; '' means the job's own or "default". */
  namespace: string
  /** Nomad region; '' means the agent's. */
  region: string
}

/** A bound claim value: a string, or a list of accepted strings. */
export type BoundClaims = Record<string, string | string[]>

export interface VaultSettings {
  /** Mount path of the JWT auth method, without slashes, e.g. "jwt-nomad". */
  authPath: string
  /** The audience Nomad's vault identity carries and the role's bound_audiences. */
  audience: string
  keySource: KeySource
  /** For key-source jwks, and the URL the action fetches for key-source static. */
  jwksUrl: string
  jwksCaPem?: string
  oidcDiscoveryUrl?: string
  oidcDiscoveryCaPem?: string
  /** TTL of the Nomad server's default_identity, rendered into the server block, e.g. "1h". */
  identityTtl: string
  /**
   * Every declared role on the mount, in input order; never empty. The input parser turns the single-role inputs
   * (role, policy, bound-claims, policy-file, kv-mount, token-type, token-period) into a list of one.
   */
  roles: RoleSettings[]
  /**
   * True when the `roles` input declared them: the managed roles on the mount that are no longer declared are then
   * read (and removed with prune); false for the single-role inputs.
   */
  rolesInput: boolean
  /** The `prune` input: remove managed roles (and their policies) that are no longer declared. */
  prune?: boolean
}

/** One declared role: an entry of the `roles` input, or the single-role inputs. */
export interface RoleSettings {
  /** Role name, e.g. "nomad-workloads". */
  name: string
  /** ACL policy name the role grants. */
  policy: string
  /** KV v2 mount that the default templated policy grants. */
  kvMount: string
  /** Custom policy text from policy-file (may contain the placeholder `auth_jwt_X` for the accessor). */
  policyText?: string
  boundClaims: BoundClaims
  tokenType: string
  /** Period of the workload tokens in whole seconds (0 for none). */
  tokenPeriodSeconds: number
}

export interface JobSettings {
  /** Resolved job files, in input order. Empty: the action stops after Vault and rendering. */
  files: string[]
  /** HCL2 variables from the `variables` input (key=value lines). */
  variables: Record<string, string>
  /** var-files, resolved paths. */
  varFiles: string[]
  /** Where job files and var-files may be read from (set by inputs; absent: anywhere, for unit tests). */
  fileAccess?: FileAccess
  injectVault: InjectVault
  meta: boolean
  wait: WaitMode
  timeoutMs: number
  autoPromote: boolean
  preserveCounts: boolean
  policyOverride: boolean
  /** How many jobs are prepared, planned, registered and followed at the same time (max-parallel, >= 1). */
  maxParallel: number
  /** expected-plan: the approved plan (its plan-id, or the plan file's document); absent: apply what this run plans. */
  expectedPlan?: string | PlanDocument
}

/** How the action itself signs in (src/auth): a token from the inputs, or the workflow's GitHub OIDC token. */
export type AuthMode = 'token' | 'jwt'

export interface VaultAuthSettings {
  method: AuthMode
  /** JWT mount the ACTION logs in through (not the workload mount `settings.authPath`), e.g. "jwt". */
  path: string
  /** Vault role of that mount. */
  role: string
  /** Audience requested for the GitHub ID token; '' = GitHub's default (the repository owner's URL). */
  audience: string
}

export interface NomadAuthSettings {
  method: AuthMode
  /** Name of the Nomad ACL auth method (type JWT), e.g. "github". */
  methodName: string
  /** Audience requested for the GitHub ID token; '' = GitHub's default. */
  audience: string
}

export interface AuthSettings {
  vault: VaultAuthSettings
  nomad: NomadAuthSettings
}

export interface Config {
  /** How the action signs in to Vault and Nomad; the tokens in `vault`/`nomad` are filled in by src/auth. */
  auth: AuthSettings
  vault: VaultConnection
  nomad: NomadConnection
  settings: VaultSettings
  job: JobSettings
  dryRun: boolean
  /** Where rendered files go (RUNNER_TEMP or the OS temp dir). */
  tempDir: string
}
