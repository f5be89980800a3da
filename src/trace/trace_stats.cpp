#include "trace/trace_stats.h"

#include <fmt/format.h>

#include <algorithm>

namespace isim::trace {
namespace {
constexpr unsigned kPageShift = 12;  // footprint granule: the smallest page every IOMMU maps
}

void TraceSummary::add(const Event& e) {
  first_ps = events ? std::min(first_ps, e.time_ps) : e.time_ps;
  last_ps = events ? std::max(last_ps, e.time_ps) : e.time_ps;
  ++events;
  ++by_kind[static_cast<size_t>(e.kind)];
  rids.insert(e.rid);
  if (e.pasid) pasids.insert(*e.pasid);
  if (e.kind != Kind::dma) return;
  ++(e.access == Access::write ? writes : reads);
  bytes += e.size;
  const uint64_t last = e.size ? e.addr + e.size - 1 : e.addr;
  for (uint64_t p = e.addr >> kPageShift; p <= last >> kPageShift; ++p) pages.insert(p);
}

void TraceSummary::print(std::ostream& os) const {
  os << fmt::format("events       {}\n", events);
  for (unsigned k = 0; k < kKinds; ++k)
    if (by_kind[k]) os << fmt::format("  {:<10} {}\n", kind_name(static_cast<Kind>(k)), by_kind[k]);
  os << fmt::format("dma reads    {}\ndma writes   {}\ndma bytes    {}\n", reads, writes, bytes);
  os << fmt::format("footprint    {} bytes ({} distinct 4 KiB pages)\n", footprint(), pages.size());
  os << fmt::format("requesters   {}\npasids       {}\n", rids.size(), pasids.size());
  os << fmt::format("time span    {} ps ({} .. {})\n", last_ps - first_ps, first_ps, last_ps);
}

}  // namespace isim::trace
