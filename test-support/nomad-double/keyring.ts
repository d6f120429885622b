/**
 * The Nomad test double's root keyring: RSA keys that sign workload identities (RS256, kid = key UUID),
 * published as a JWKS like Nomad's /.well-known/jwks.json (Nomad nomad/encrypter.go, command/agent/keyring_endpoint.go).
 */
import { randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'

export interface RootKey {
  kid: string
  /** RS256 (keys made by Nomad 1.7+), or EdDSA: a key made before 1.7 has only its ed25519 key, and Nomad signs with it. */
  alg: 'RS256' | 'EdDSA'
  privateKey: CryptoKey
  publicJwk: JWK
  /** Nomad's RootKeyState values that are published in the JWKS (nomad/structs/keyring.go). */
  state: 'active' | 'inactive' | 'prepublished'
  createTime: number
}

export interface IdentityClaims {
  nomad_namespace: string
  nomad_job_id: string
  nomad_allocation_id: string
  nomad_task?: string
  nomad_service?: string
  vault_role?: string
  extra_claims?: Record<string, string>
  sub: string
  aud: string | string[]
  [k: string]: unknown
}

export interface MintOptions {
  namespace?: string
  jobId: string
  group?: string
  task: string
  region?: string
  allocId?: string
  identityName?: string
  audience?: string | string[]
  /** seconds; 0 or undefined ttl means no exp claim, like Nomad without ttl */
  ttlSeconds?: number
  /** override iat (seconds since epoch) to mint an already-expired token */
  issuedAt?: number
  role?: string
  extraClaims?: Record<string, string>
  /** sign with this key instead of the active one (for "unknown key" tests) */
  key?: RootKey
}

export class Keyring {
  private keys: RootKey[] = []

  /**
   * `alg: 'EdDSA'`: a cluster whose root key was made before Nomad 1.7 and never rotated; it has no RSA key, so the
   * JWKS publishes an OKP (Ed25519) key with alg EdDSA and identities are signed with EdDSA (nomad/encrypter.go
   * `signClaims`, `GetPublicKey`). Every key made by a rotation is RS256.
   */
  static async create(alg: RootKey['alg'] = 'RS256'): Promise<Keyring> {
    const k = new Keyring()
    k.keys.push(await newKey(alg))
    return k
  }

  /** A fresh RSA-2048 key that is not in this keyring (to mint tokens signed by an unknown key). */
  static async detachedKey(): Promise<RootKey> {
    return newKey()
  }

  /** Like `nomad operator root keyring rotate -now`: the new key is active at once, the old one stays published. */
  async rotate(): Promise<RootKey> {
    for (const k of this.keys) k.state = 'inactive'
    const key = await newKey()
    this.keys.push(key)
    return key
  }

  /**
   * Like `nomad operator root keyring rotate -prepublish <d>` (Nomad 1.8.3+, and the automatic rotation at half of
   * root_key_rotation_threshold): the new key is published in the JWKS at once but signs nothing until promote().
   */
  async prepublish(): Promise<RootKey> {
    const key = await newKey()
    key.state = 'prepublished'
    this.keys.push(key)
    return key
  }

  /** The prepublished key's publish time has come: it becomes active and the active key inactive (still published). */
  promote(): RootKey {
    const next = this.keys.find((k) => k.state === 'prepublished')
    if (!next) throw new Error('keyring has no prepublished key')
    for (const k of this.keys) if (k.state === 'active') k.state = 'inactive'
    next.state = 'active'
    return next
  }

  /** Drop inactive keys from the published set (like a key GC after rotation); prepublished keys stay. */
  dropInactive(): void {
    this.keys = this.keys.filter((k) => k.state !== 'inactive')
  }

  get active(): RootKey {
    const k = this.keys.find((x) => x.state === 'active')
    if (!k) throw new Error('keyring has no active key')
    return k
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) }
  }

  async mint(o: MintOptions): Promise<string> {
    const key = o.key ?? this.active
    const ns = o.namespace ?? 'default'
    const region = o.region ?? 'global'
    const group = o.group ?? o.jobId
    const identityName = o.identityName ?? 'vault_default'
    const now = o.issuedAt ?? Math.floor(Date.now() / 1000)
    const claims: IdentityClaims = {
      nomad_namespace: ns,
      nomad_job_id: o.jobId,
      nomad_allocation_id: o.allocId ?? randomUUID(),
      nomad_task: o.task,
      sub: `${region}:${ns}:${o.jobId}:${group}:${o.task}:${identityName}`,
      // go-jose serialises a one-element audience as a plain string
      aud: Array.isArray(o.audience) && o.audience.length === 1 ? o.audience[0] : (o.audience ?? 'vault.io')
    }
    if (o.role) claims.vault_role = o.role
    if (o.extraClaims) claims.extra_claims = o.extraClaims
    const jwt = new SignJWT({ ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setJti(randomUUID())
    if (o.ttlSeconds && o.ttlSeconds > 0) jwt.setExpirationTime(now + o.ttlSeconds)
    return jwt.sign(key.privateKey)
  }
}

async function newKey(alg: RootKey['alg'] = 'RS256'): Promise<RootKey> {
  const { publicKey, privateKey } =
    alg === 'EdDSA'
      ? await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
      : await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
  const kid = randomUUID()
  const jwk = await exportJWK(publicKey)
  return {
    kid,
    alg,
    privateKey,
    publicJwk: { ...jwk, kid, alg, use: 'sig' },
    state: 'active',
    createTime: Date.now()
  }
}
