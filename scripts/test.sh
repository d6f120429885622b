#!/usr/bin/env bash
# The whole test suite: lint and format check, type check, then every jest test (unit, OpenBao integration, end-to-end against
# the bundled dist/index.js with OpenBao and the Nomad test double). Tests start and stop their own servers
# on 127.0.0.1. Extra arguments go to jest (e.g. a file name).
set -euo pipefail
cd "$(dirname "$0")/.."

BAO_BIN=$(bash scripts/openbao.sh)
export BAO_BIN
echo "OpenBao: $("$BAO_BIN" version)"
# nektos/act for the tests that run example workflows under a real runner (host mode, offline), cached outside the repo.
ACT_BIN=$(bash scripts/act.sh)
export ACT_BIN
# rhysd/actionlint v1.7.12 (go install from the Go module proxy), cached outside the repo.
ACTIONLINT_BIN=$(bash scripts/actionlint.sh)
export ACTIONLINT_BIN
# tools/nomad-hcl, the Nomad test double's HCL2 evaluator (go build, cached by a hash of its sources).
NOMAD_HCL_BIN=$(bash scripts/nomad-hcl.sh)
export NOMAD_HCL_BIN

# Lint and format check (Biome, biome.json): errors fail the suite; `npm run lint` also lists the warnings,
# `npm run format` applies the formatter and the safe fixes.
npx biome check --diagnostic-level=error
npx tsc -p tsconfig.test.json

results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
NODE_OPTIONS=--experimental-vm-modules NODE_NO_WARNINGS=1 npx jest --json --outputFile="$results" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1) }
' "$results" || status=1
exit $status
