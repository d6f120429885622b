/** Per-group health of a deployment (api.DeploymentState) as GroupHealth, its one-line rendering, and how far a rollout got. */
import type { Deployment, DeploymentState } from './api-types.js'
import type { GroupHealth } from './verdict.js'

export function groupHealth(d: Deployment | undefined): GroupHealth[] {
  const tgs = d?.TaskGroups ?? {}
  return Object.keys(tgs)
    .sort()
    .map((name) => {
      const g: Partial<DeploymentState> = tgs[name] ?? {}
      const h: GroupHealth = {
        name,
        desiredTotal: num(g.DesiredTotal),
        placedAllocs: num(g.PlacedAllocs),
        healthyAllocs: num(g.HealthyAllocs),
        unhealthyAllocs: num(g.UnhealthyAllocs),
        desiredCanaries: num(g.DesiredCanaries),
        placedCanaries: Array.isArray(g.PlacedCanaries) ? g.PlacedCanaries.length : 0,
        promoted: g.Promoted === true
      }
      if (typeof g.AutoPromote === 'boolean') h.autoPromote = g.AutoPromote
      if (typeof g.AutoRevert === 'boolean') h.autoRevert = g.AutoRevert
      return h
    })
}

export function groupLine(g: GroupHealth): string {
  const canary = g.desiredCanaries > 0 ? `, canaries ${g.placedCanaries}/${g.desiredCanaries}${g.promoted ? ' promoted' : ''}` : ''
  return `${g.name}: ${g.healthyAllocs}/${g.desiredTotal} healthy, ${g.placedAllocs} placed${g.unhealthyAllocs ? `, ${g.unhealthyAllocs} unhealthy` : ''}${canary}`
}

/**
 * How far a rolling update got, for the groups where some but not all allocations of the new version became healthy
 * ("api: 1 of 3 allocations of version 1 became healthy"); undefined when none did or all did. Nomad replaces
 * max_parallel allocations at a time and places no more once one is unhealthy (scheduler/reconcile.go
 * `computeUnderProvisionedBy`), so the others still run the previous version.
 */
export function rolloutProgress(groups: GroupHealth[], version: number | undefined): string | undefined {
  const partial = groups.filter((g) => g.healthyAllocs > 0 && g.healthyAllocs < g.desiredTotal)
  if (!partial.length) return undefined
  const of = version === undefined ? '' : ` of version ${version}`
  return partial.map((g) => `${g.name}: ${g.healthyAllocs} of ${g.desiredTotal} allocations${of} became healthy`).join(', ')
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}
