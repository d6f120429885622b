#!/usr/bin/env bash
# For .github/workflows/e2e.yml on GitHub's runners only (real Nomad is BUSL-licensed and never used by the repository's
# own tests): downloads Nomad $1 from HashiCorp's release site, starts a dev agent whose clients log in to the Vault
# at $2 through the JWT auth method the action sets up (jwt-nomad, role nomad-workloads), and waits for a leader.
set -euo pipefail
version=${1:?usage: e2e-nomad.sh <nomad version> <vault address>}
vault_addr=${2:?usage: e2e-nomad.sh <nomad version> <vault address>}
curl -fsSLo nomad.zip "https://releases.hashicorp.com/nomad/${version}/nomad_${version}_linux_amd64.zip"
unzip -o nomad.zip nomad
cat > agent.hcl <<HCL
plugin "raw_exec" {
  config { enabled = true }
}
vault {
  enabled               = true
  address               = "${vault_addr}"
  jwt_auth_backend_path = "jwt-nomad"
  create_from_role      = "nomad-workloads"
  default_identity {
    aud = ["vault.io"]
    ttl = "1h"
  }
}
HCL
sudo ./nomad agent -dev -config agent.hcl > nomad.log 2>&1 &
for _ in $(seq 100); do curl -fsS http://127.0.0.1:4646/v1/status/leader && exit 0; sleep 0.3; done
echo "Nomad ${version} did not elect a leader; nomad.log:" >&2
tail -n 100 nomad.log >&2
exit 1
