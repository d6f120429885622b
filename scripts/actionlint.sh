#!/usr/bin/env bash
# Finds or installs rhysd/actionlint (lints GitHub workflow files, and the action.yml of `uses: ./` steps), and
# prints its path.
#
# Order:
#   1. $ACTIONLINT_BIN (an explicit path to an `actionlint` binary);
#   2. the cache: ${NVA_CACHE_DIR:-$HOME/.cache/nomad-vault-action}/actionlint-<version>/actionlint;
#   3. install into the cache: `go install github.com/rhysd/actionlint/cmd/actionlint@<version>` from the Go module
#      proxy (the module's go.sum entries are checked against the Go checksum database). Needs the Go toolchain,
#      which GitHub's ubuntu runners have.
# Nothing is downloaded silently as a fallback for a failed step: every failure exits non-zero.
set -euo pipefail

ACTIONLINT_VERSION=v1.7.12

source "$(dirname "$0")/tool-cache.sh"
find_tool actionlint "$ACTIONLINT_VERSION" ACTIONLINT_BIN actionlint.sh
if [ ! -x "$dest/actionlint" ]; then
  command -v go >/dev/null || { log "installing actionlint needs the Go toolchain (go on PATH), or set ACTIONLINT_BIN"; exit 1; }
  log "installing actionlint $ACTIONLINT_VERSION with go install into $dest"
  mkdir -p "$dest"
  GOBIN="$dest" GOFLAGS=-mod=mod go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" >&2
  "$dest/actionlint" -version >&2
fi
echo "$dest/actionlint"
