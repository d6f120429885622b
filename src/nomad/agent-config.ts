/**
 * Renders the Nomad agent `vault` blocks (Nomad 1.7+ agent configuration, "vault Block" in Nomad's docs; the
 * example `nomad setup vault` prints) that match what the action configured in Vault.
 * Pure: the same Config always gives the same text.
 */
import type { Config } from '../config.js'
import { trimTrailingSlashes } from '../paths.js'
import { hclString } from './hcl.js'
import { defaultRoleName, roleNamespaces } from '../role-choice.js'

/** Lines "name = value" with the `=` aligned, as `nomad fmt` does for consecutive attributes. */
function attributes(indent: string, attrs: [string, string][]): string[] {
  const width = Math.max(...attrs.map(([k]) => k.length))
  return attrs.map(([k, v]) => `${indent}${k.padEnd(width)} = ${v}`)
}

/** The server agents' block: the default identity Nomad gives tasks with a `vault` block. */
export function renderServerBlock(cfg: Config): string {
  const s = cfg.settings
  return [
    'vault {',
    '  enabled = true',
    '',
    '  default_identity {',
    ...attributes('    ', [
      ['aud', `[${hclString(s.audience)}]`],
      ['ttl', hclString(s.identityTtl)]
    ]),
    '  }',
    '}',
    ''
  ].join('\n')
}

/** The client agents' block: where to log in, with which auth method and role. */
export function renderClientBlock(cfg: Config): string {
  const s = cfg.settings
  const attrs: [string, string][] = [
    ['enabled', 'true'],
    ['address', hclString(trimTrailingSlashes(cfg.vault.addr))],
    ['jwt_auth_backend_path', hclString(s.authPath)],
    ['create_from_role', hclString(defaultRoleName(s.roles))]
  ]
  if (cfg.vault.namespace) attrs.push(['namespace', hclString(cfg.vault.namespace)])
  const lines = ['vault {', ...attributes('  ', attrs)]
  const hints: string[] = []
  const roles = s.roles
  if (roles.length > 1) {
    hints.push("  # Roles per Nomad namespace (a task's vault.role; inject-vault sets it by the job's namespace):")
    for (const r of roles) hints.push(`  #   ${r.name}: ${roleNamespaces(r)?.join(', ') ?? 'any other namespace'}`)
  }
  if (cfg.vault.caPem) {
    hints.push(
      '  # Vault uses a private CA (vault-ca-cert): put that PEM on every client and point ca_file at it.',
      '  # ca_file = "/etc/nomad.d/vault-ca.pem"'
    )
  }
  if (cfg.vault.skipVerify) {
    hints.push(
      "  # The action ran with vault-skip-verify. Clients should verify Vault's certificate (ca_file) rather than",
      '  # set tls_skip_verify = true.'
    )
  }
  if (hints.length) lines.push('', ...hints)
  lines.push('}', '')
  return lines.join('\n')
}
