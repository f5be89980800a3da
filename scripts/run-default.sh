#!/usr/bin/env bash
# Sets up, builds the release preset, and runs the default simulation (configs/default.yaml),
# printing a summary and writing out/stats.json and out/stats.csv. Extra arguments go to
# `iommu-sim run` (e.g. --set memory.latency=80ns).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target iommu-sim
exec build/release/src/cli/iommu-sim run configs/default.yaml --out out "$@"
