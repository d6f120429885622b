#!/usr/bin/env bash
# For .github/workflows/e2e.yml: starts an OpenBao dev server on 127.0.0.1:8200 (root token "root") with the binary
# that scripts/openbao.sh installs, and writes the KV secret the example job reads (secret/default/web/config).
set -euo pipefail
bao=$(bash "$(dirname "$0")/openbao.sh")
"$bao" server -dev -dev-root-token-id=root -dev-listen-address=127.0.0.1:8200 > bao.log 2>&1 &
for _ in $(seq 50); do curl -fsS http://127.0.0.1:8200/v1/sys/health >/dev/null && break; sleep 0.2; done
curl -fsS -H 'X-Vault-Token: root' -X POST -d '{"data":{"password":"s3cret"}}' \
  http://127.0.0.1:8200/v1/secret/data/default/web/config >/dev/null
