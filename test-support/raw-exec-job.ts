/**
 * A small Nomad job in HCL2 for the tests that run the deploy pipeline against the Nomad double without Vault: one
 * group, one raw_exec task that sleeps. `type` (default service), `namespace` and an `update` block are optional.
 */
export function rawExecJob(id: string, opts: { type?: string; update?: string; namespace?: string } = {}): string {
  return `job "${id}" {
  datacenters = ["*"]
${opts.type ? `  type = "${opts.type}"\n` : ''}${opts.namespace ? `  namespace = "${opts.namespace}"\n` : ''}${opts.update ?? ''}  group "web" {
    task "server" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["60"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`
}
