/**
 * Vault's and OpenBao's own limits, checked before the first write so that a value Vault would refuse with 400
 * stops the run before anything changed. Pure: each check returns problems (empty when fine).
 *
 * Sources:
 * - Role names: the JWT auth plugin's role path is `role/` + framework.GenericNameRegex("name"), i.e.
 *   `\w(([\w-.]+)?\w)?` (vault-plugin-auth-jwt path_role.go; sdk/framework/path.go). Other names get
 *   "unsupported path" (checked against OpenBao 2.7.2). The input rules using it: src/inputs/rules.ts.
 * - Durations: Vault keeps durations in whole seconds (token_period "500ms" is stored as 0, "1.5s" as 1 on
 *   OpenBao 2.7.2). A role's period above the mount's maximum lease TTL is refused ("'period' ... is greater
 *   than the backend's maximum lease TTL"); that maximum defaults to the server's max_lease_ttl, 768h
 *   (Vault/OpenBao server configuration docs).
 * - Request bodies: OpenBao (since 2.4.1, CVE-2025-6203) refuses a JSON body with more than
 *   max_request_json_strings strings, counting object keys and string values; the listener default is 1000
 *   ("refused JSON input due to high complexity: exceeded maximum number of strings", http/ in OpenBao).
 */

/** `\w(([\w-.]+)?\w)?` from Vault's framework.GenericNameRegex, anchored. */
export const ROLE_NAME_RE = /^\w(?:[\w.-]*\w)?$/

/** The default maximum lease TTL of Vault and OpenBao (server `max_lease_ttl`), in seconds. */
export const DEFAULT_MAX_LEASE_TTL_SECONDS = 768 * 3600

/** OpenBao's default listener `max_request_json_strings`. */
export const MAX_REQUEST_JSON_STRINGS = 1000

/** token-period in seconds (already parsed): whole seconds, 0 or at least 1 s, at most the default max lease TTL. */
export function checkTokenPeriod(seconds: number, text: string): string[] {
  if (!Number.isInteger(seconds)) {
    return [
      `Input "token-period": "${text}" is not a whole number of seconds; Vault keeps durations in whole seconds ` +
        `and would store ${Math.floor(seconds)}s${Math.floor(seconds) === 0 ? ' (no period at all)' : ''}. Use 0 or a value such as 30m.`
    ]
  }
  if (seconds > DEFAULT_MAX_LEASE_TTL_SECONDS) {
    return [
      `Input "token-period": "${text}" is longer than Vault's default maximum lease TTL (768h, 32 days), and Vault ` +
        'refuses a role period above the maximum lease TTL of its mount. Use a shorter period: Nomad renews the token.'
    ]
  }
  return []
}

/** The number of strings Vault/OpenBao counts in a JSON body: every object key and every string value. */
export function countJsonStrings(value: unknown): number {
  if (typeof value === 'string') return 1
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countJsonStrings(v), 0)
  if (value && typeof value === 'object') {
    return Object.entries(value).reduce((n, [, v]) => n + 1 + countJsonStrings(v), 0)
  }
  return 0
}

/** A write body must stay within OpenBao's default JSON string limit. `what` names the input that fills it. */
export function checkRequestStrings(body: unknown, request: string, what: string): string[] {
  const n = countJsonStrings(body)
  if (n <= MAX_REQUEST_JSON_STRINGS) return []
  return [
    `${what} make the ${request} carry ${n} JSON strings, and OpenBao refuses a request body with more than ` +
      `${MAX_REQUEST_JSON_STRINGS} (its listener setting max_request_json_strings, default ${MAX_REQUEST_JSON_STRINGS}). ` +
      'Use fewer values.'
  ]
}
