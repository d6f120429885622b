/**
 * The post step (runs: post in action.yml, post-if: always()): revokes a Vault token from a JWT login that the
 * main step did not revoke itself, e.g. because the run was cancelled. The main step hands the token over in the
 * step state (core.saveState: the runner keeps it in a file of the job and gives it only to this step) and clears
 * it once it revoked the token.
 */
import * as core from '@actions/core'
import type { VaultConnection } from '../config.js'
import { vaultCredential } from './vault-jwt.js'

const STATE = 'vault-revoke'
/** Present in the post step only: set by the main step. */
const POST_MARK = 'is-post'

export function markMainStep(): void {
  core.saveState(POST_MARK, 'true')
}

export function isPostStep(): boolean {
  return core.getState(POST_MARK) === 'true'
}

export function savePendingRevocation(conn: VaultConnection, token: string): void {
  core.saveState(STATE, JSON.stringify({ conn: { ...conn, token: '' }, token }))
}

export function clearPendingRevocation(): void {
  core.saveState(STATE, '')
}

export async function post(): Promise<void> {
  const raw = core.getState(STATE)
  if (!raw) return
  const { conn, token } = JSON.parse(raw) as { conn: VaultConnection; token: string }
  core.setSecret(token)
  await vaultCredential(conn, token, 'the main step').revoke()
}
