/**
 * Slash trimming, written once: mount paths and namespaces without slashes around them, base addresses without a
 * trailing slash (Vault and Nomad treat `jwt-nomad`, `/jwt-nomad/` and `jwt-nomad/` as the same mount).
 */

/** `/jwt-nomad/` → `jwt-nomad`: no leading or trailing slashes. */
export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '')
}

/** `https://vault:8200/` → `https://vault:8200`: no trailing slashes. */
export function trimTrailingSlashes(addr: string): string {
  return addr.replace(/\/+$/, '')
}
