/**
 * The Nomad test double's settings and the records it logs: every start option but the extra routes (options.ts adds
 * those), so that the state, the HTTP layer and the ACL login read them without importing the routes' types.
 */
export interface AclAuthMethodConfig {
  JWKSURL?: string
  OIDCDiscoveryURL?: string
  JWTValidationPubKeys?: string[]
  BoundAudiences?: string[]
  BoundIssuer?: string[]
  SigningAlgs?: string[]
  ClaimMappings?: Record<string, string>
  ListClaimMappings?: Record<string, string>
  /** Seconds. */
  ClockSkewLeeway?: number
}

export interface AclAuthMethod {
  Name: string
  Type: 'JWT'
  TokenLocality?: 'local' | 'global'
  /** Go duration, e.g. "10m". */
  MaxTokenTTL: string
  Config: AclAuthMethodConfig
}

export interface AclBindingRule {
  AuthMethod: string
  Selector?: string
  BindType: 'role' | 'policy' | 'management'
  BindName?: string
}

export interface AclRole {
  Name: string
  Policies: { Name: string }[]
}

/** Part of NomadDoubleOptions.acl. */
export interface AclLoginOptions {
  authMethods?: AclAuthMethod[]
  bindingRules?: AclBindingRule[]
  roles?: AclRole[]
  /** ACL policies that exist for binding (default: management, read-only, submit, agent-read). */
  policies?: string[]
}

/** How scripted allocations fail (see NomadDouble.failAllocs). */
export interface FailAllocsOptions {
  namespace?: string
  version?: number
  times?: number
  /** false: the driver's start error is not recoverable (default true). */
  recoverable?: boolean
  /** The task runs, then exits with this code every time (a crash loop) instead of failing to start. */
  exitCode?: number
}

/** The failure every run of one scripted allocation's first task hits. */
export interface TaskFailure {
  /** Driver error on start ("Driver Failure"); unused with exitCode. */
  message: string
  recoverable: boolean
  exitCode?: number
}

export type AclPolicy = 'management' | 'read-only' | 'submit' | 'agent-read' | string

/** Every start option but the extra routes: what the state and the routes read. */
export interface DoubleSettings {
  /**
   * The Nomad version to behave like, "1.7.0" to "2.0.x" (default "1.10.5"); see the README's version table for
   * what differs (e.g. 1.7–1.9 refuse a Vault task without identity and without policies).
   */
  nomadVersion?: string
  /** Address of the real Vault/OpenBao the double's "clients" log in to. */
  vaultAddr?: string
  region?: string
  datacenter?: string
  /** Namespaces that exist (default ["default"]). */
  namespaces?: string[]
  /** Node pools that exist besides the built-in "default" and "all" (nomad/structs/node_pool.go). */
  nodePools?: string[]
  /** With the JWT auth methods, binding rules and roles of acl-login.ts for POST /v1/acl/login. */
  acl?: AclLoginOptions & {
    enabled: boolean
    /** SecretID of a management token (generated when omitted). */
    managementToken?: string
    tokens?: { secret: string; policies: AclPolicy[] | AclPolicy }[]
  }
  /** Agent `vault` block, server side. Default: enabled with default_identity aud ["vault.io"] ttl "1h". */
  server?: { enabled: boolean; default_identity?: { aud: string[]; ttl?: string; extra_claims?: Record<string, string> } }
  /** Agent `vault` block, client side. Default: enabled, address = vaultAddr, jwt_auth_backend_path "jwt-nomad". */
  client?: { enabled: boolean; address?: string; jwt_auth_backend_path?: string; create_from_role?: string; namespace?: string }
  /**
   * What the contacted agent is (default both, like a dev agent). `{ server: true, client: false }` is a production
   * `nomad-addr`: /v1/agent/self then shows the server's own vault block only (no client settings, Nomad's defaults for
   * address and jwt_auth_backend_path). The double still runs its clients; only agent/self changes.
   */
  agent?: { server: boolean; client: boolean }
  /** The root key's algorithm (default RS256); EdDSA = a cluster made before 1.7 whose keys were never rotated. */
  keyAlgorithm?: 'RS256' | 'EdDSA'
  /** server.oidc_issuer. */
  oidcIssuer?: string
  /** ms from alloc creation until the client starts it (default 50). */
  allocStartMs?: number
  /** ms from task start until the alloc is healthy (service) or complete (batch) (default 100). */
  healthyAfterMs?: number
  /** ms from eval creation until the scheduler processes it (default 10). */
  evalDelayMs?: number
  /**
   * Wall-clock time per Nomad time (default 0.01): Nomad's durations — restart delay (15 s), reschedule delay (30 s,
   * exponential), healthy_deadline (5 m), progress_deadline (10 m), min_healthy_time (10 s), template retry backoff —
   * are multiplied by it. 1 = real Nomad timing. Event texts keep Nomad's unscaled durations.
   */
  timeScale?: number
  /**
   * Images the registry does not have: a `docker` task whose `config.image` is one of them fails to start with the
   * docker driver's pull error (recoverable, so the task restarts per its restart policy, then "Not Restarting").
   */
  missingImages?: string[]
  /** Client nodes; default one node with 4000 MHz / 8192 MB in `datacenter`. */
  nodes?: { name?: string; datacenter?: string; cpu: number; memoryMB: number }[]
  port?: number
  host?: string
  /**
   * Serve HTTPS and require a client certificate signed by `ca`, as an agent with `tls { http = true,
   * verify_https_client = true }` does (Nomad's TLS guide: every HTTP API request then needs a client certificate).
   */
  tls?: { cert: string; key: string; ca: string }
  /** Test hook: called after a plan is computed and before it is answered. */
  onPlan?: (jobId: string, namespace: string) => void
  /**
   * File to append one JSON line per request to: `{ method, path, query, body, status, response }` (request body and
   * response body as text; none for /v1/acl/* responses, which carry tokens). The Go contract test replays it.
   */
  requestLog?: string
}

export interface RequestLogEntry {
  method: string
  path: string
  query: Record<string, string>
  time: number
  status?: number
  /** ms the request waited in a blocking query */
  blockedMs?: number
  /** the request body as sent (only for routes that read a body) */
  body?: string
}

export interface SecretRead {
  namespace: string
  jobId: string
  allocId: string
  group: string
  task: string
  path: string
  data: unknown
  /** a template `secret` call with `key=value` arguments is a Vault write: the data it wrote */
  written?: Record<string, string>
}

export interface VaultLogin {
  allocId: string
  task: string
  role: string
  jwt: string
  ok: boolean
  error?: string
  policies?: string[]
}
