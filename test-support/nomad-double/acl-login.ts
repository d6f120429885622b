/**
 * The double's JWT ACL auth method and POST /v1/acl/login, after Nomad's documented behaviour and its source facts
 * (nomad/acl_endpoint.go ACL.Login, lib/auth/{jwt/validator,claims,identity,binder}.go, v1.10; no code copied):
 *
 * - The body is {"AuthMethodName","LoginToken"}; a missing one is 400 "invalid login request: missing auth method
 *   name" / "missing login token". ACLs off: 400 "ACL support disabled".
 * - Unknown method: 400 `auth-method "<name>" not found`.
 * - The JWT is verified against the method's keys (JWTValidationPubKeys, else JWKSURL, else OIDCDiscoveryURL),
 *   SigningAlgs and BoundAudiences, then BoundIssuer. Any failure: 401 "unable to validate provided token: …".
 * - Claims are mapped: ClaimMappings {claim: name} give `value.<name>`, ListClaimMappings give `list.<name>`
 *   (a claim name starting with "/" is a JSON pointer). Binding-rule selectors (go-bexpr) see ONLY these mapped
 *   values, never the raw claims; an empty selector matches everything, an invalid or failing one matches nothing.
 * - Matching rules bind a role, a policy (BindName may interpolate ${value.<name>}) or management. A role or policy
 *   that does not exist is skipped. Nothing bound: 400 "no role or policy bindings matched".
 * - The answer is the new ACLToken (not wrapped): Type "client" (or "management"), Name "JWT-<method>",
 *   ExpirationTTL = MaxTokenTTL and ExpirationTime = CreateTime + MaxTokenTTL.
 */
import { randomUUID } from 'node:crypto'
import { goDurationNs } from './duration.js'
import type { Route } from './http.js'
import type { AclAuthMethodConfig, AclLoginOptions } from './settings.js'
import type { State } from './state.js'
import { createRemoteJWKSet, importSPKI, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose'

export interface AclLoginDeps {
  aclEnabled: boolean
  /** Registers a new token with the union of the policies' capabilities, made at `createdAt` and expiring at `expiresAt` (ms); returns its AccessorID. */
  addToken(secret: string, policies: string[], expiresAt: number, name: string, createdAt: number): string
  nextIndex(): number
}

const handlers = new WeakMap<State, ReturnType<typeof createAclLogin>>()

/** `POST|PUT /v1/acl/login`, listed in routes/index.ts. */
export const routes: Route[] = [
  {
    method: 'WRITE',
    path: '/v1/acl/login',
    async handle(c) {
      let login = handlers.get(c.s)
      if (!login) {
        const s = c.s
        login = createAclLogin(s.opts.acl ?? {}, {
          aclEnabled: s.aclEnabled,
          addToken: (secret, policies, expiresAt, name, createdAt) => {
            s.addToken(secret, policies, expiresAt, name, createdAt)
            return s.tokenInfo.get(secret)!.accessor
          },
          nextIndex: () => s.bump()
        })
        handlers.set(s, login)
      }
      const r = await login(await c.body())
      c.send(r.status, r.body)
    }
  }
]

interface Answer {
  status: number
  body: unknown
}

const VALID_NAME = /^[a-zA-Z0-9-]{1,128}$/

export function createAclLogin(opts: AclLoginOptions, deps: AclLoginDeps): (body: Record<string, unknown>) => Promise<Answer> {
  const policies = new Set(opts.policies ?? ['management', 'read-only', 'submit', 'agent-read'])
  const roles = new Map((opts.roles ?? []).map((r) => [r.Name, { ...r, ID: randomUUID() }]))
  const fail = (status: number, body: string): Answer => ({ status, body })

  return async (body) => {
    if (!deps.aclEnabled) return fail(400, 'ACL support disabled')
    const name = typeof body.AuthMethodName === 'string' ? body.AuthMethodName : ''
    const jwt = typeof body.LoginToken === 'string' ? body.LoginToken : ''
    const missing = [!name && 'missing auth method name', !jwt && 'missing login token'].filter(Boolean)
    if (missing.length) {
      const text =
        missing.length === 1 ? `1 error occurred:\n\t* ${missing[0]}\n\n` : `2 errors occurred:\n${missing.map((m) => `\t* ${m}`).join('\n')}\n\n`
      return fail(400, `invalid login request: ${text}`)
    }
    const method = (opts.authMethods ?? []).find((m) => m.Name === name)
    if (!method) return fail(400, `auth-method "${name}" not found`)

    let claims: JWTPayload
    try {
      claims = await validate(jwt, method.Config)
    } catch (e) {
      return fail(401, `unable to validate provided token: ${(e as Error).message}`)
    }
    const values = mapClaims(claims, method.Config.ClaimMappings ?? {}, false) as Record<string, string>
    const lists = mapClaims(claims, method.Config.ListClaimMappings ?? {}, true) as Record<string, string[]>

    let management = false
    const boundPolicies: string[] = []
    const boundRoles: { ID: string; Name: string }[] = []
    for (const rule of (opts.bindingRules ?? []).filter((r) => r.AuthMethod === name)) {
      if (!selectorMatches(rule.Selector ?? '', { value: values, list: lists })) continue
      if (rule.BindType === 'management') {
        management = true
        break
      }
      const bindName = (rule.BindName ?? '').replace(/\$\{value\.([^}]+)\}/g, (_, k: string) => (values[k] ?? '').toLowerCase())
      if (!VALID_NAME.test(bindName)) return fail(500, `computed "${rule.BindType}" bind name for bind target is invalid: "${bindName}"`)
      if (rule.BindType === 'policy' && policies.has(bindName)) boundPolicies.push(bindName)
      const role = rule.BindType === 'role' ? roles.get(bindName) : undefined
      if (role) boundRoles.push({ ID: role.ID, Name: role.Name })
    }
    if (!management && boundPolicies.length === 0 && boundRoles.length === 0) return fail(400, 'no role or policy bindings matched')

    const secret = randomUUID()
    const effective = management ? ['management'] : [...boundPolicies, ...boundRoles.flatMap((r) => roles.get(r.Name)!.Policies.map((p) => p.Name))]
    const ttlMs = Math.max(0, goDurationNs(method.MaxTokenTTL) ?? 0) / 1e6
    const created = new Date()
    const accessor = deps.addToken(secret, effective, created.getTime() + ttlMs, `JWT-${method.Name}`, created.getTime())
    const index = deps.nextIndex()
    return {
      status: 200,
      body: {
        AccessorID: accessor,
        SecretID: secret,
        Name: `JWT-${method.Name}`,
        Type: management ? 'management' : 'client',
        Policies: management ? null : boundPolicies,
        Roles: management ? null : boundRoles,
        Global: method.TokenLocality === 'global',
        CreateTime: created.toISOString(),
        ExpirationTime: new Date(created.getTime() + ttlMs).toISOString(),
        ExpirationTTL: ttlMs * 1e6,
        CreateIndex: index,
        ModifyIndex: index
      }
    }
  }
}

async function validate(jwt: string, c: AclAuthMethodConfig): Promise<JWTPayload> {
  const verifyOpts = {
    algorithms: c.SigningAlgs?.length ? c.SigningAlgs : undefined,
    audience: c.BoundAudiences?.length ? c.BoundAudiences : undefined,
    clockTolerance: c.ClockSkewLeeway ?? 0
  }
  let payload: JWTPayload
  try {
    if (c.JWTValidationPubKeys?.length) {
      let last: unknown
      for (const pem of c.JWTValidationPubKeys) {
        try {
          const key = await importSPKI(pem, c.SigningAlgs?.[0] ?? 'RS256')
          return checkIssuer((await jwtVerify(jwt, key, verifyOpts)).payload, c)
        } catch (e) {
          last = e
        }
      }
      throw last
    }
    let jwksUrl = c.JWKSURL
    if (!jwksUrl && c.OIDCDiscoveryURL) {
      const res = await fetch(`${c.OIDCDiscoveryURL.replace(/\/+$/, '')}/.well-known/openid-configuration`)
      if (!res.ok) throw new Error(`unable to get validation keys from OIDC provider: HTTP ${res.status}`)
      jwksUrl = ((await res.json()) as { jwks_uri: string }).jwks_uri
    }
    if (!jwksUrl) throw new Error('no key source configured')
    payload = (await jwtVerify(jwt, createRemoteJWKSet(new URL(jwksUrl)), verifyOpts)).payload
  } catch (e) {
    throw new Error(`unable to verify signature of JWT token: ${capMessage(e)}`)
  }
  return checkIssuer(payload, c)
}

function checkIssuer(payload: JWTPayload, c: AclAuthMethodConfig): JWTPayload {
  if (c.BoundIssuer?.length) {
    if (payload.iss === undefined) throw new Error('auth method specifies BoundIssuers but the provided token does not contain issuer information')
    if (!c.BoundIssuer.includes(payload.iss)) throw new Error(`invalid JWT issuer: ${payload.iss}`)
  }
  return payload
}

/** jose's errors in the words of hashicorp/cap/jwt, which Nomad uses. */
function capMessage(e: unknown): string {
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return 'invalid audience (aud) claim: audience claim does not match any expected audience'
    if (e.claim === 'nbf') return 'invalid not before (nbf) claim: token not yet valid'
  }
  if (e instanceof joseErrors.JWTExpired) return 'invalid expiration time (exp) claim: token is expired'
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return 'invalid algorithm (alg) header: token signed with unsupported algorithm'
  if (e instanceof joseErrors.JWSSignatureVerificationFailed || e instanceof joseErrors.JWKSNoMatchingKey) {
    return 'failed to verify id token signature'
  }
  return (e as Error)?.message ?? String(e)
}

function mapClaims(claims: JWTPayload, mappings: Record<string, string>, list: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [source, target] of Object.entries(mappings)) {
    let v: unknown = claims
    if (source.startsWith('/')) for (const part of source.slice(1).split('/')) v = (v as Record<string, unknown> | undefined)?.[part]
    else v = claims[source]
    if (v === undefined || v === null) continue
    if (list) out[target] = (Array.isArray(v) ? v : [v]).map(String).filter((s) => s !== '')
    else if (['string', 'number', 'boolean'].includes(typeof v)) out[target] = String(v)
  }
  return out
}

// ---------------------------------------------------------------- go-bexpr subset
// Grammar (github.com/hashicorp/go-bexpr): or/and/not, parentheses, and the match expressions
// `<sel> == <v>`, `<sel> != <v>`, `<v> in <sel>`, `<v> not in <sel>`, `<sel> contains <v>`, `<sel> not contains <v>`,
// `<sel> is empty`, `<sel> is not empty`, `<sel> matches <v>`, `<sel> not matches <v>`. Values are "quoted",
// `backquoted` or bare. A selector naming a missing key makes the evaluation fail, so the rule does not match.

type Data = { value: Record<string, string>; list: Record<string, string[]> }

export function selectorMatches(selector: string, data: Data): boolean {
  if (selector.trim() === '') return true
  try {
    const p = new Parser(tokenize(selector), data)
    const r = p.or()
    if (!p.done()) return false
    return r
  } catch {
    return false
  }
}

function tokenize(s: string): string[] {
  const out: string[] = []
  const re = /\s*(\(|\)|==|!=|"(?:[^"\\]|\\.)*"|`[^`]*`|[^\s()]+)/y
  let m: RegExpExecArray | null
  while (re.lastIndex < s.length && (m = re.exec(s))) out.push(m[1])
  if (s.slice(re.lastIndex).trim()) throw new Error('syntax')
  return out
}

class Parser {
  private i = 0
  constructor(
    private readonly t: string[],
    private readonly data: Data
  ) {}
  done() {
    return this.i >= this.t.length
  }
  private peek(k = 0) {
    return this.t[this.i + k]
  }
  private take(word?: string): string {
    const v = this.t[this.i++]
    if (v === undefined || (word && v !== word)) throw new Error('syntax')
    return v
  }
  or(): boolean {
    return this.chain(
      'or',
      () => this.and(),
      (a, b) => a || b
    )
  }
  and(): boolean {
    return this.chain(
      'and',
      () => this.not(),
      (a, b) => a && b
    )
  }
  /** `x <word> x <word> x …` with each x read by `next`; every operand is read (and evaluated), then joined. */
  private chain(word: string, next: () => boolean, join: (a: boolean, b: boolean) => boolean): boolean {
    let v = next()
    while (this.peek() === word) {
      this.take()
      v = join(v, next())
    }
    return v
  }
  not(): boolean {
    if (this.peek() === 'not' && this.peek(1) !== 'in') {
      this.take()
      return !this.not()
    }
    if (this.peek() === '(') {
      this.take()
      const v = this.or()
      this.take(')')
      return v
    }
    return this.match()
  }
  private literal(tok: string): string {
    if (tok.startsWith('"')) return JSON.parse(tok)
    if (tok.startsWith('`')) return tok.slice(1, -1)
    return tok
  }
  private lookup(sel: string): string | string[] {
    const [root, ...rest] = sel.split('.')
    const key = rest.join('.')
    if (root === 'value' && key in this.data.value) return this.data.value[key]
    if (root === 'list' && key in this.data.list) return this.data.list[key]
    throw new Error(`selector ${sel} not found`)
  }
  private match(): boolean {
    const a = this.take()
    const op = this.take()
    if (op === 'in' || (op === 'not' && this.peek() === 'in')) {
      if (op === 'not') this.take('in')
      const has = asList(this.lookup(this.take())).includes(this.literal(a))
      return op === 'in' ? has : !has
    }
    const sel = this.lookup(a)
    switch (op) {
      case '==':
        return sel === this.literal(this.take())
      case '!=':
        return sel !== this.literal(this.take())
      case 'contains':
        return asList(sel).includes(this.literal(this.take()))
      case 'matches':
        return new RegExp(this.literal(this.take())).test(String(sel))
      case 'is':
        if (this.peek() === 'not') {
          this.take()
          this.take('empty')
          return sel.length > 0
        }
        this.take('empty')
        return sel.length === 0
      case 'not': {
        const w = this.take()
        const v = this.literal(this.take())
        if (w === 'contains') return !asList(sel).includes(v)
        if (w === 'matches') return !new RegExp(v).test(String(sel))
        throw new Error('syntax')
      }
      default:
        throw new Error('syntax')
    }
  }
}

const asList = (v: string | string[]) => (Array.isArray(v) ? v : [v])
