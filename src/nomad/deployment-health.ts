/** Per-group health of a deployment (api.DeploymentState) as GroupHealth, and its one-line rendering. */
import type { Deployment, DeploymentState } from './api.js'
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

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}
