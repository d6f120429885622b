# Sourced by scripts/act.sh and scripts/actionlint.sh: the part of "find or install a pinned tool" they share.
# find_tool NAME VERSION VAR SCRIPT: when $VAR is set, prints it (it must be executable) and exits; otherwise sets
# `dest` to the cache folder of NAME at VERSION (${NVA_CACHE_DIR:-$HOME/.cache/nomad-vault-action}/NAME-VERSION),
# and exits non-zero when the binary is not there and NVA_NO_INSTALL=1. The caller installs into $dest if needed.
log() { printf '%s\n' "$*" >&2; }

find_tool() {
  local name=$1 version=$2 var=$3 script=$4
  local explicit=${!var:-}
  if [ -n "$explicit" ]; then
    [ -x "$explicit" ] || { log "$var=$explicit is not an executable file"; exit 1; }
    echo "$explicit"
    exit 0
  fi
  dest="${NVA_CACHE_DIR:-$HOME/.cache/nomad-vault-action}/$name-$version"
  if [ ! -x "$dest/$name" ] && [ "${NVA_NO_INSTALL:-0}" = 1 ]; then
    log "no $name binary: not in $var and not in $dest (run bash scripts/$script)"
    exit 1
  fi
}
