/**
 * The authentication interface: one LoginMode per way of signing in (a file each in src/auth), for Vault and for
 * Nomad. main.ts resolves both once, through signIn() in ./index.ts, and passes the tokens into the clients.
 */

/** A token the action holds for one server. */
export interface Credential {
  readonly server: 'Vault' | 'Nomad'
  /** The token the client sends ('' = none, e.g. a Nomad cluster without ACLs). */
  readonly token: string
  /** For logs: "the vault-token input", "a JWT login at auth/jwt (role deploy)". Never contains a secret. */
  readonly source: string
  /** True when the action obtained the token and must end it. */
  readonly obtained: boolean
  /**
   * Ends the token when the action obtained it; a no-op otherwise. Never throws: a failure becomes a warning.
   * Resolves false when the token could not be ended (so that the post step tries again), true otherwise.
   */
  revoke(): Promise<boolean>
}

export interface LoginMode {
  /** Signs in and returns the credential (its token already masked). */
  login(): Promise<Credential>
}
