// `iommu-sim trace stats`: what a trace holds, in one pass with bounded state per page.
#pragma once

#include <array>
#include <cstdint>
#include <ostream>
#include <set>
#include <unordered_set>

#include "trace/trace_event.h"

namespace isim::trace {

struct TraceSummary {
  std::array<uint64_t, kKinds> by_kind{};
  uint64_t reads = 0, writes = 0, bytes = 0;
  uint64_t first_ps = 0, last_ps = 0;
  std::unordered_set<uint64_t> pages;  ///< distinct 4 KiB pages DMA touched
  std::set<uint16_t> rids;
  std::set<uint32_t> pasids;
  uint64_t events = 0;

  void add(const Event& e);
  /// Footprint: distinct 4 KiB pages times 4 KiB.
  uint64_t footprint() const { return pages.size() * 4096; }
  void print(std::ostream& os) const;
};

}  // namespace isim::trace
