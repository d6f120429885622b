#!/usr/bin/env bash
# Runs the action's main job locally against OpenBao and the Nomad test double (see test-support/local-run.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
BAO_BIN=$(bash scripts/openbao.sh)
export BAO_BIN
NOMAD_HCL_BIN=$(bash scripts/nomad-hcl.sh)   # the Nomad test double's HCL2 evaluator (needs Go the first time)
export NOMAD_HCL_BIN
[ -f dist/index.js ] || npm run package
rm -rf .build
npx tsc -p tsconfig.support.json
node .build/test-support/local-run.js
