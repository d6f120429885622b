/** Login mode "token": the token given as an input (vault-token / nomad-token), used as it is and never revoked. */
import type { Credential, LoginMode } from './types.js'

export function tokenLogin(server: Credential['server'], token: string, input: string): LoginMode {
  return {
    async login() {
      return { server, token, source: `the ${input} input`, obtained: false, revoke: async () => true }
    }
  }
}
