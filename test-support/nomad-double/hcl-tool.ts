/**
 * Where the double's HCL2 evaluator (tools/nomad-hcl) is: the one helper that finds it, through scripts/nomad-hcl.sh
 * ($NOMAD_HCL_BIN, else the cache keyed by a hash of its sources, else built there with the Go toolchain on first
 * use; .ci/run builds it up front). Resolved once per process.
 */
import { installedTool } from '../tools.js'

let bin: string | undefined

export function nomadHclBinary(): string {
  bin ??= installedTool('nomad-hcl.sh', 'nomad-hcl binary (tools/nomad-hcl)', 'NOMAD_HCL_BIN', { install: true })
  return bin
}
