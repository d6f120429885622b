#!/usr/bin/env bash
# Finds or builds tools/nomad-hcl (the Nomad test double's HCL2 evaluator for /v1/jobs/parse), and prints its path.
#
# Order:
#   1. $NOMAD_HCL_BIN (an explicit path to a `nomad-hcl` binary);
#   2. the cache: ${NVA_CACHE_DIR:-$HOME/.cache/nomad-vault-action}/nomad-hcl-<hash of its sources>/nomad-hcl;
#   3. build into the cache with the Go toolchain (`go build`; its modules come from the Go module proxy and are
#      checked against go.sum). Go is taken from PATH, else /usr/local/go/bin/go, or from $GO.
# A change to tools/nomad-hcl gives a new hash, so a stale binary is never used. Every failure exits non-zero.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/tools/nomad-hcl"
hash=$(cd "$src" && cat go.mod go.sum $(ls *.go | sort) | sha256sum | cut -c1-16)

source "$root/scripts/tool-cache.sh"
find_tool nomad-hcl "$hash" NOMAD_HCL_BIN nomad-hcl.sh
if [ ! -x "$dest/nomad-hcl" ]; then
  GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  [ -x "$GO" ] || { log "building nomad-hcl needs the Go toolchain (go on PATH), or set NOMAD_HCL_BIN"; exit 1; }
  log "building tools/nomad-hcl into $dest"
  mkdir -p "$dest"
  tmp="$dest/nomad-hcl.tmp.$$"
  (cd "$src" && "$GO" build -trimpath -buildvcs=false -o "$tmp" .) >&2
  mv -f "$tmp" "$dest/nomad-hcl"
fi
echo "$dest/nomad-hcl"
