#!/usr/bin/env bash
# Regenerates the golden stats (tests/golden/*.json) from their configs, on purpose, after a
# change that is meant to alter simulated behaviour. Review `git diff tests/golden` before
# committing. Usage: tests/golden/refresh.sh [path/to/iommu-sim]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sim=${1:-$here/../../build/ci/src/cli/iommu-sim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for cfg in "$here"/none.yaml "$here"/tce.yaml "$here"/vtd.yaml "$here"/amdvi.yaml \
  "$here"/smmuv3.yaml; do
  name=$(basename "$cfg" .yaml)
  "$sim" run "$cfg" --out "$tmp/$name" >/dev/null
  cp "$tmp/$name/stats.json" "$here/$name.json"
  echo "refreshed tests/golden/$name.json"
done
