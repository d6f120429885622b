/**
 * Nomad's refusals of a job (plan and register run the same admission checks) that differ between Nomad
 * versions, in the user's words with the fix.
 *
 * - Nomad 1.7–1.9: a task with a `vault` block, no identity "vault_default" and no `vault.default_identity` on
 *   the servers falls back to the legacy token flow, which needs `vault.policies`; the admission hook then refuses
 *   the job with HTTP 500 "Task <name> has a Vault block with an empty list of policies" (nomad/job_endpoint_hooks.go,
 *   jobVaultHook). Nomad 1.10+ accepts the job, and the task waits for a token that never comes.
 * - All versions: a task using a non-default Vault cluster without its identity: "Task <name> uses Vault cluster
 *   <cluster> but does not have an identity named <identity> and no default identity is provided in agent configuration".
 * - All versions, one validator error each (nomad/job_endpoint_validators.go, job_endpoint_hook_node_pool.go,
 *   structs/structs_ce.go at v1.10.5): `job "<id>" is in nonexistent namespace "<ns>"`, `job "<id>" is in nonexistent
 *   node pool "<pool>"`, and on Nomad CE `Multiregion jobs are unlicensed.`
 */

export interface RefusalContext {
  jobId: string
  /** The user's file, for the message. */
  file?: string
  /** The audience the action configured (for the identity block to add). */
  audience?: string
  /** The server vault block the action rendered. */
  renderedServerBlock?: string
}

const EMPTY_POLICIES = /Task (\S+) has a Vault block with an empty list of policies/g
const NO_NAMESPACE = /job "[^"]*" is in nonexistent namespace "([^"]*)"/
const NO_NODE_POOL = /job "[^"]*" is in nonexistent node pool "([^"]*)"/
const MULTIREGION = /Multiregion jobs are unlicensed\./
const CLUSTER_IDENTITY = /Task (\S+) uses Vault cluster (\S+) but does not have an identity named (\S+) and no default identity is provided/g

/** An explanation of a job refusal this knows, or undefined. */
export function explainJobRefusal(serverMessage: string, ctx: RefusalContext): string | undefined {
  const where = ctx.file ? ` (${ctx.file})` : ''
  const aud = JSON.stringify([ctx.audience || 'vault.io'])
  const server = ctx.renderedServerBlock
    ? `:\n${ctx.renderedServerBlock.replace(/\s+$/, '')}\n`
    : ' (the action renders it in the `nomad-server-config` output), '
  const empty = [...serverMessage.matchAll(EMPTY_POLICIES)].map((m) => m[1])
  if (empty.length) {
    return (
      `Nomad refused job "${ctx.jobId}"${where}: task(s) ${list(empty)} have a vault block but no identity "vault_default", and the ` +
      'Nomad servers have no vault.default_identity, so Nomad 1.7–1.9 fall back to the legacy token flow and require vault.policies ' +
      `("${firstLine(serverMessage, EMPTY_POLICIES)}"). Fix: add default_identity to the vault block of every Nomad server and restart them${server}` +
      `or give each of these tasks its own identity: identity { name = "vault_default" aud = ${aud} ttl = "1h" }.`
    )
  }
  const cluster = [...serverMessage.matchAll(CLUSTER_IDENTITY)]
  if (cluster.length) {
    return (
      `Nomad refused job "${ctx.jobId}"${where}: task(s) ${list(cluster.map((m) => m[1]))} use Vault cluster ${list(cluster.map((m) => m[2]))} ` +
      `without an identity for it, and the servers' vault block for that cluster has no default_identity. Fix: add identity { name = ` +
      `"${cluster[0][3]}" aud = ${aud} ttl = "1h" } to each task, or default_identity to that vault block on the servers.`
    )
  }
  const missing: string[] = []
  const ns = NO_NAMESPACE.exec(serverMessage)
  if (ns) {
    missing.push(
      `namespace "${ns[1]}" does not exist ("${ns[0]}"): create it (\`nomad namespace apply ${ns[1]}\`), or deploy to one that exists ` +
        "(the nomad-namespace input, else the job's namespace)"
    )
  }
  const pool = NO_NODE_POOL.exec(serverMessage)
  if (pool) {
    missing.push(
      `node pool "${pool[1]}" does not exist ("${pool[0]}"): create it (\`nomad node pool apply\` with a node_pool "${pool[1]}" ` +
        "block) and put clients in it, or change the job's node_pool"
    )
  }
  if (MULTIREGION.test(serverMessage)) {
    missing.push(
      'multiregion jobs need Nomad Enterprise ("Multiregion jobs are unlicensed."): remove the multiregion block and deploy the job to ' +
        'each region on its own (the nomad-region input)'
    )
  }
  if (missing.length) return `Nomad refused job "${ctx.jobId}"${where}: ${missing.join('; ')}.`
  return undefined
}

function list(names: string[]): string {
  return [...new Set(names)].map((n) => `"${n}"`).join(', ')
}

/** The first match only (a fresh, non-global RegExp: the shared /g patterns keep no state between calls). */
function firstLine(msg: string, re: RegExp): string {
  return new RegExp(re.source).exec(msg)?.[0] ?? ''
}
