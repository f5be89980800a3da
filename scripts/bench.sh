#!/usr/bin/env bash
# Builds the release preset and runs the benchmarks: DMA transactions per host second through
# the `none` IOMMU, and page walks per host second per format. Prints a table and writes
# bench/results.json. Figures only: nothing here passes or fails on speed.
#
# Environment: JOBS (build parallelism, default nproc), DMA_COUNT (requests per DMA run,
# default 10000000), WALK_MIN_TIME (Google Benchmark --benchmark_min_time, default 0.5).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

"$root/scripts/setup.sh"
cmake --preset release >/dev/null
cmake --build --preset release -j "${JOBS:-$(nproc)}" --target isim_bench_dma isim_bench_walk

bin="$root/build/release/bench"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- run ------------------------------------------------------------------------------------
dma_json=$("$bin/isim_bench_dma" "${DMA_COUNT:-10000000}")
"$bin/isim_bench_walk" --benchmark_min_time="${WALK_MIN_TIME:-0.5}" \
  --benchmark_out="$tmp/walk.json" --benchmark_out_format=json >/dev/null

# --- extract (plain text tools: the JSON both binaries print has one key per line or a flat
# object, so no JSON parser is needed) ---------------------------------------------------------
json_field() { # json_field KEY <<< '{"KEY": value, ...}'  -> value (quotes stripped)
  sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\)\"\{0,1\}[,}].*/\1/p"
}
dma_rate=$(json_field dma_per_second <<<"$dma_json")
dma_cpu_rate=$(json_field dma_per_cpu_second <<<"$dma_json")
dma_rss=$(json_field peak_rss_kib <<<"$dma_json")

# name<TAB>items_per_second for each benchmark run, in order.
awk '
  /"name":/             { n = $0; sub(/.*"name": *"/, "", n); sub(/".*/, "", n) }
  /"items_per_second":/ { v = $0; sub(/.*"items_per_second": */, "", v); sub(/[,} ].*/, "", v)
                          printf "%s\t%.0f\n", n, v }
' "$tmp/walk.json" >"$tmp/walks.tsv"

# --- report ---------------------------------------------------------------------------------
machine=$(uname -m)
cpus=$(nproc)
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' build/release/CMakeCache.txt)
compiler=$("${cxx:-c++}" --version | head -n1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain 2>/dev/null | grep -q . && echo true || echo false)

printf '\n%-40s %16s\n' "benchmark (walks: per CPU second)" "per second"
printf '%-40s %16s\n' "----------------------------------------" "----------------"
printf '%-40s %16s\n' "dma_none (requests, wall)" "$dma_rate"
printf '%-40s %16s\n' "dma_none (requests, cpu)" "$dma_cpu_rate"
while IFS=$'\t' read -r name rate; do printf '%-40s %16s\n' "$name (walks)" "$rate"; done \
  <"$tmp/walks.tsv"
printf '\nDMA peak RSS %s KiB; %s, %s cpus, %s, commit %s\n' "$dma_rss" "$machine" "$cpus" \
  "$compiler" "$commit"

json_str() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }
{
  printf '{\n'
  printf '  "machine": {"arch": %s, "cpus": %s},\n' "$(json_str "$machine")" "$cpus"
  printf '  "compiler": %s,\n' "$(json_str "$compiler")"
  printf '  "commit": %s,\n  "dirty": %s,\n' "$(json_str "$commit")" "$dirty"
  printf '  "date": %s,\n' "$(json_str "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
  printf '  "dma_none": %s,\n' "$dma_json"
  printf '  "walks_per_second": {'
  sep=""
  while IFS=$'\t' read -r name rate; do
    printf '%s\n    %s: %s' "$sep" "$(json_str "$name")" "$rate"
    sep=","
  done <"$tmp/walks.tsv"
  printf '\n  }\n}\n'
} >bench/results.json
echo "wrote bench/results.json"
