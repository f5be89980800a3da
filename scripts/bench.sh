#!/usr/bin/env bash
# Builds the release preset and runs the benchmark suite (scripts/bench.py): the reference
# loop, translated DMA per IOMMU model and case, walks, trace replay, start-up, memory per
# mapped page and sweep scaling, each REPEATS times. Prints a table and writes
# bench/results.json. Figures only: nothing here passes or fails on speed.
#
# Environment: JOBS (build parallelism, default nproc), REPEATS (default 3).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/scripts/setup.sh"
cmake --preset release >/dev/null
cmake --build --preset release -j "${JOBS:-$(nproc)}" \
  --target iommu-sim isim_bench_ref isim_bench_iommu isim_bench_walk
exec python3 "$root/scripts/bench.py" --bin-dir "$root/build/release" \
  --out "$root/bench/results.json" --repeats "${REPEATS:-3}"
