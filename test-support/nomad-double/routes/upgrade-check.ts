/**
 * GET /v1/operator/upgrade-check/vault-workload-identity (Nomad 1.7+), the check behind
 * `nomad setup vault -check`. Shape: api.VaultWorkloadIdentityUpgradeCheck in Nomad's MPL api module
 * (api/operator.go): {JobsWithoutVaultIdentity: []JobListStub, OutdatedNodes: []NodeListStub,
 * VaultTokens: []VaultAccessor}, plus the QueryMeta fields. ACL: operator:read.
 * Rules (facts from nomad/operator_endpoint.go): a job is listed when any task has a vault block and no identity
 * whose name starts with "vault_"; a node is outdated when its nomad.version is below 1.7.0.
 * The double runs no legacy token flow (it reports Nomad 1.10, which removed it), so VaultTokens is always [].
 */
import type { Route } from '../http.js'
import type { Job, Json } from '../model.js'

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/operator/upgrade-check/vault-workload-identity',
    handle(c) {
      c.acl('operator:read')
      c.send(200, vaultWorkloadIdentityUpgradeCheck(c.s.jobs.values(), c.s.nodes, '1.10.0', c.s.index))
    }
  }
]

export function vaultWorkloadIdentityUpgradeCheck(
  jobs: Iterable<{ namespace: string; current: Job }>,
  nodes: { ID: string; Name: string; Datacenter: string; version?: string }[],
  agentVersion: string,
  index: number
): Json {
  const without: Json[] = []
  for (const { namespace, current: job } of jobs) {
    const tasks = (job.TaskGroups ?? []).flatMap((g) => g.Tasks ?? [])
    const missing = tasks.some((t) => t.Vault && !(t.Identities ?? []).some((i) => String(i?.Name ?? '').startsWith('vault_')))
    if (!missing) continue
    without.push({
      ID: job.ID,
      ParentID: job.ParentID ?? '',
      Name: job.Name,
      Namespace: namespace,
      Datacenters: job.Datacenters,
      Type: job.Type,
      Priority: job.Priority,
      Periodic: Boolean(job.Periodic),
      ParameterizedJob: Boolean(job.ParameterizedJob),
      Stop: Boolean(job.Stop),
      Status: job.Status,
      StatusDescription: '',
      JobSummary: null,
      CreateIndex: job.CreateIndex,
      ModifyIndex: job.ModifyIndex,
      JobModifyIndex: job.JobModifyIndex,
      SubmitTime: job.SubmitTime
    })
  }
  const outdated = nodes
    .filter((n) => older(n.version ?? agentVersion, [1, 7, 0]))
    .map((n) => ({ ID: n.ID, Name: n.Name, Datacenter: n.Datacenter, Version: n.version ?? agentVersion, Status: 'ready' }))
  return {
    JobsWithoutVaultIdentity: without,
    OutdatedNodes: outdated,
    VaultTokens: [],
    Index: index,
    LastContact: 0,
    KnownLeader: true,
    NextToken: ''
  }
}

function older(version: string, min: number[]): boolean {
  const v = version.replace(/^v/, '').split(/[.-]/).map(Number)
  for (let i = 0; i < min.length; i++) {
    if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) < min[i]
  }
  return false
}
