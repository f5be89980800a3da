// Parameters of the DRAM model (src/hw/memory.h); kept apart so config loading needs no SystemC.
#pragma once

#include <cstdint>

#include "sim/param_types.h"

namespace isim {

struct MemoryParams {
  uint64_t size = uint64_t{64} << 30;        ///< bytes of physical memory at address 0
  Latency latency = Latency::ns(90);         ///< idle access latency (row miss, controller, fabric)
  unsigned channels = 4;                     ///< independent channels, each with its own timeline
  cfg::Bandwidth channel_bandwidth{19.2e9};  ///< peak data bandwidth of one channel
  uint64_t interleave = 4096;                ///< bytes mapped to one channel before the next one
  cfg::Frequency clock{1600};                ///< controller clock, for latencies given in cycles

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    using cfg::Unit;
    v.param("size", size, "physical memory size (sparse: only touched pages cost host memory)",
            Unit::bytes, Range<uint64_t>{4096, uint64_t{1} << 52});
    v.param("latency", latency, "idle access latency of one request");
    v.param("channels", channels, "independent memory channels", Range<unsigned>{1, 64});
    v.param("channel_bandwidth", channel_bandwidth, "peak bandwidth of one channel");
    v.param("interleave", interleave, "channel interleaving granule", Unit::bytes,
            Range<uint64_t>{64, uint64_t{1} << 30});
    v.param("clock", clock, "controller clock (converts latencies written in cycles)");
  }
  template <class C>
  void validate(C& c) const {
    if (interleave & (interleave - 1)) c.fail("interleave", "must be a power of two");
    if (size % 4096) c.fail("size", "must be a multiple of 4KiB");
  }
};

}  // namespace isim
