#!/usr/bin/env bash
# Installs what iommu-sim needs to build and test, from Debian's packages. Idempotent: installs
# only what is missing, so a second run does nothing. Run as root or with sudo available.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libsystemc-dev            # SystemC 2.3 with TLM-2.0
  libboost-dev
  libfmt-dev
  libyaml-cpp-dev
  nlohmann-json3-dev        # JSON stats output and reading (compare, sweeps)
  libcli11-dev              # command line with subcommands
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev          # bench/ harness
  gnuplot-nox               # iommu-sim plot: sweep charts as SVG/PNG
  python3                   # scripts/bench.py: the benchmark suite driver
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
