// Simulated time outside SystemC: the pure-C++ layers (caches, timelines, walkers) count in
// picoseconds so they can be unit-tested without a kernel; src/hw converts to sc_time.
#pragma once

#include <cstdint>

namespace isim {

/// Simulated time or duration in picoseconds.
using Tick = uint64_t;

constexpr Tick kPsPerNs = 1000;
constexpr Tick ns_to_ticks(double ns) {
  return static_cast<Tick>(ns * kPsPerNs + 0.5);
}

/// Duration of `cycles` cycles of a clock at `mhz`, rounded to the nearest picosecond.
constexpr Tick cycles_to_ticks(uint64_t cycles, double mhz) {
  return static_cast<Tick>(static_cast<double>(cycles) * 1e6 / mhz + 0.5);
}

}  // namespace isim
