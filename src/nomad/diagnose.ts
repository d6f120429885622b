/**
 * Explain Nomad task events caused by Vault against the Vault configuration the action wrote (PURE).
 *
 * Recognised inputs: what the client's vault_hook reports (Nomad client/allocrunner/taskrunner/vault_hook.go: any
 * JWT login error is non-recoverable and ends in a `Killing` event; real example in hashicorp/nomad#23387), and what
 * consul-template reports for a template's Vault read:
 * - `Vault: failed to derive vault token: … failed to login with JWT: Error making API request. … * <vault message>`
 *   (a `Killing` event, FailsTask)
 * - `Template failed: vault.read(<path>): … Code: 403 … permission denied`, or `vault.write(<path> -> <hash>)` for a
 *   template `secret` call with key=value parameters (consul-template dependency/vault_write.go), which is a write
 * - `Template failed: vault.read(<path>): no secret exists at <path>` (after the template's Vault retries)
 * - `failed to retrieve signed workload identity: unable to find token for workload … vault_default` (client log / event)
 */

export interface VaultDiagContext {
  /** The audience the action configured (the role's bound_audiences entry it manages). */
  audience: string
  /** The role's bound_audiences as written to Vault. */
  boundAudiences: string[]
  /** JWT auth mount path, without slashes. */
  authPath: string
  role: string
  policies: string[]
  /** KV v2 mount the default policy grants (for the expected path layout). */
  kvMount?: string
  /** The role's bound_claims, for bound-claims mismatches. */
  boundClaims?: Record<string, string | string[]>
  /** The Nomad namespace and job, to show the exact expected KV path. */
  namespace?: string
  jobId?: string
}

/** Returns an explanation, or undefined when the message is not a Vault failure this knows. */
export function diagnoseVaultFailure(eventMessage: string, vault: VaultDiagContext): string | undefined {
  if (!eventMessage) return undefined
  const msg = eventMessage
  const lower = msg.toLowerCase()
  const isDerive = /failed to (derive|renew) vault token|failed to login with jwt|vault: /i.test(msg)
  const isTemplate = /template failed|vault\.read|vault\.write|secret "|missing dependency: vault/i.test(msg)
  const isIdentity = /unable to find token for workload|failed to retrieve signed workload identity/i.test(msg)
  if (!isDerive && !isTemplate && !isIdentity && !/vault/i.test(msg)) return undefined

  const loginPath = msg.match(/\/v1\/auth\/+(.+?)\/+login/)?.[1]
  const aud = JSON.stringify(vault.boundAudiences.length ? vault.boundAudiences : [vault.audience])
  const kv = vault.kvMount || 'secret'
  const ns = vault.namespace || '<namespace>'
  const job = vault.jobId || '<job>'
  const policies = vault.policies.length ? vault.policies.map((p) => `"${p}"`).join(', ') : '(none)'

  if (isIdentity) {
    return (
      'No Vault identity was signed for the task: it has a vault block but no `identity "vault_default"` block, and the Nomad servers have no ' +
      '`vault { default_identity { … } }` (nomad#25955). The task will never get a Vault token. Fix: add `default_identity { aud = ' +
      `${JSON.stringify([vault.audience])} ttl = "1h" }\` to the servers' vault block (see the rendered server block), or add ` +
      `\`identity { name = "vault_default" aud = ${JSON.stringify([vault.audience])} ttl = "1h" }\` to the task.`
    )
  }

  if (lower.includes('invalid audience (aud) claim') || lower.includes('audience claim does not match')) {
    return (
      `The role's bound_audiences ${aud} do not include the token's aud; the Nomad servers' vault.default_identity.aud ` +
      `(or the job's identity "vault_default" aud) must be ${aud}. Vault role "${vault.role}" at auth/${vault.authPath}.`
    )
  }

  const roleMissing = msg.match(/role "([^"]*)" could not be found/i)
  if (roleMissing) {
    const name = roleMissing[1]
    return (
      `Vault has no role "${name}" under auth/${loginPath ?? vault.authPath}: the role comes from the job's vault.role, else the Nomad ` +
      `clients' vault.create_from_role, else the auth method's default_role. The action configured role "${vault.role}" at ` +
      `auth/${vault.authPath}; set \`vault { role = "${vault.role}" }\` in the task (or use inject-vault: all), or point ` +
      'create_from_role at it.'
    )
  }
  if (/missing role|no role name|role name.*(required|empty)/i.test(msg)) {
    return (
      `The login sent no role and auth/${loginPath ?? vault.authPath} has no default_role: set \`vault { role = "${vault.role}" }\` in the ` +
      "task, or create_from_role in the clients' vault block."
    )
  }

  if (/no handler for route|route entry not found/i.test(msg) || (loginPath && loginPath !== vault.authPath && /Code: 40[04]/.test(msg))) {
    return (
      `The Nomad client logged in at auth/${loginPath ?? '?'} but the action configured the JWT auth method at auth/${vault.authPath}: ` +
      `set \`jwt_auth_backend_path = "${vault.authPath}"\` in the clients' vault block (see the rendered client block) and restart the clients.`
    )
  }

  if (lower.includes('failed to verify id token signature') || /failed to verify signature|no known key|unable to verify/i.test(msg)) {
    return (
      `Vault could not verify the workload identity's signature: either Vault cannot reach the JWKS URL of auth/${vault.authPath} ` +
      '(it must be reachable from the Vault servers, with jwks_ca_pem for a private CA), or the static keys are stale after a Nomad ' +
      'key rotation: re-run the action to refresh them.'
    )
  }

  if (/token is expired|token has expired|exp not satisfied|"exp" claim/i.test(msg)) {
    return (
      'The workload identity JWT had expired when Vault checked it: check the clocks of the Nomad clients and the Vault servers (NTP), ' +
      "and that the vault_default identity ttl (the servers' default_identity ttl) is not shorter than the time the task takes to start."
    )
  }
  if (/not yet valid|nbf|iat.*future|issued in the future/i.test(msg)) {
    return 'The workload identity JWT is not valid yet for Vault: the clocks of the Nomad servers and the Vault servers disagree; fix NTP.'
  }

  const claimMissing = msg.match(/claim "([^"]+)" not found/i)
  if (claimMissing) {
    return (
      `Vault role "${vault.role}" reads claim "${claimMissing[1]}" (user_claim or claim_mappings) but the token does not carry it: the task is ` +
      'not using a Nomad workload identity for Vault (check that the identity is named "vault_default"), or the role was written for a ' +
      'different token; re-run the action to rewrite the role.'
    )
  }

  if (/error validating claims|bound claim|does not match any associated bound claim values|claim .* does not match/i.test(msg)) {
    const claims = vault.boundClaims && Object.keys(vault.boundClaims).length ? ` (${JSON.stringify(vault.boundClaims)})` : ''
    return (
      `The token's claims do not match the bound_claims of Vault role "${vault.role}"${claims}: the job's namespace, job ID or task is not ` +
      'allowed by the role; change the `bound-claims` input or deploy the job where the role allows it.'
    )
  }

  const noSecret = msg.match(/no secret exists at ([^\s"]+)/i)
  if (noSecret) {
    const path = noSecret[1]
    const kv2 = path.match(/^([^/]+)\/data\/(.+)$/)
    const put = kv2 ? `\`vault kv put -mount=${kv2[1]} ${kv2[2]} <key>=<value>\`` : `a secret at ${path}`
    return (
      `Vault has no secret at "${path}", which a template of the task reads: Nomad retried for about 5 minutes, then killed the task. ` +
      `Write it (${put}) or fix the path in the template; the default policy grants read on ${kv}/data/<namespace>/<job>/* ` +
      `(for this job: ${kv}/data/${ns}/${job}/…).`
    )
  }

  if (/permission denied|code: 403/i.test(msg)) {
    // consul-template names a write `vault.write(<path> -> <hash of its data>)`: a `secret` call with key=value parameters
    const write = msg.match(/vault\.write\((\S+) -> [0-9a-f]+\)/)?.[1]
    if (write) {
      return (
        `Vault denied the write to "${write}": a template's \`secret "${write}" "key=value" …\` call (with parameters) is a Vault write ` +
        `(PUT), and the token's policies (${policies}) do not grant update on that path. Grant it (policy-file: ` +
        `path "${write}" { capabilities = ["update"] }), or drop the parameters if the template only means to read.`
      )
    }
    const path = msg.match(/vault\.(?:read|write)\(([^)]+)\)/)?.[1] ?? msg.match(/URL: (?:GET|PUT|POST|LIST) \S+?\/v1\/(\S+)/)?.[1]
    if (isTemplate || path) {
      return (
        `Vault denied ${path ? `"${path}"` : 'a template read'}: the token's policies (${policies}) do not grant that path. The default policy ` +
        `grants read on ${kv}/data/<namespace>/<job>/* (for this job: ${kv}/data/${ns}/${job}/…) and list on ${kv}/metadata/…; ` +
        'store the secret there or extend the policy (policy-file).'
      )
    }
    if (isDerive) {
      return `Vault refused the JWT login at auth/${loginPath ?? vault.authPath} with permission denied: check the role "${vault.role}" and the Vault namespace of the clients' vault block.`
    }
  }

  if (isDerive && /x509|certificate/i.test(msg)) {
    return "The Nomad client does not trust Vault's TLS certificate: set ca_file (or ca_path) in the clients' vault block."
  }
  if (isDerive && /connection refused|no such host|i\/o timeout|dial tcp/i.test(msg)) {
    return "The Nomad client cannot reach Vault: check `address` in the clients' vault block and the network from the clients to Vault."
  }
  return undefined
}
