/**
 * The Nomad test double's route table: every route file, in order. To add a resource, write
 * routes/<resource>.ts exporting `routes: Route[]` (see http.ts for Route and RouteContext) and list it here.
 */
import type { Route } from '../http.js'
import { routes as acl } from './acl.js'
import { routes as aclLogin } from '../acl-login.js'
import { routes as agent } from './agent.js'
import { routes as allocations } from './allocations.js'
import { routes as deployments } from './deployments.js'
import { routes as evaluations } from './evaluations.js'
import { routes as jobs } from './jobs.js'
import { routes as namespaces } from './namespaces.js'
import { routes as upgradeCheck } from './upgrade-check.js'
import { routes as wellKnown } from './well-known.js'

export const ROUTE_FILES: Route[][] = [wellKnown, agent, acl, aclLogin, jobs, evaluations, deployments, allocations, namespaces, upgradeCheck]
