#include "models/tce/pe.h"

namespace isim::tce {

PeMap::PeMap(unsigned pe_rid_shift, uint32_t liobn_base, const TceWindow& default_window)
    : rid_shift_(pe_rid_shift), liobn_base_(liobn_base), default_window_(default_window) {}

std::optional<LiobnRef> PeMap::find_liobn(uint64_t liobn) const {
  // LIOBNs are 32-bit (LoPAPR; QEMU spapr_tce_find_by_liobn rejects wider values).
  if (liobn > 0xffffffffu || liobn < liobn_base_) return std::nullopt;
  const uint64_t rel = liobn - liobn_base_;
  const uint64_t pe = rel >> 1;
  if (pe >= num_pes()) return std::nullopt;
  return LiobnRef{static_cast<uint32_t>(pe), static_cast<unsigned>(rel & 1)};
}

PeState* PeMap::find(uint32_t pe) {
  auto it = pes_.find(pe);
  return it == pes_.end() ? nullptr : &it->second;
}

const PeState* PeMap::find(uint32_t pe) const {
  auto it = pes_.find(pe);
  return it == pes_.end() ? nullptr : &it->second;
}

PeWindows PeMap::boot_windows(uint32_t pe) const {
  PeWindows w;
  w.slot[0] = default_window_;
  w.slot[0].liobn = liobn(pe, 0);
  w.slot[0].bus_base = window_base(0);
  w.slot[0].table_present = false;
  w.slot[1].liobn = liobn(pe, 1);
  w.slot[1].bus_base = window_base(1);
  return w;
}

PeState& PeMap::get(uint32_t pe) {
  auto it = pes_.find(pe);
  if (it != pes_.end()) return it->second;
  PeState s;
  s.windows = boot_windows(pe);
  return pes_.emplace(pe, s).first->second;
}

PeWindows PeMap::snapshot(uint32_t pe) const {
  if (const PeState* s = find(pe)) return s->windows;
  return boot_windows(pe);
}

void PeMap::commit(uint32_t pe, const PeWindows& w) {
  PeState& s = get(pe);
  const uint64_t gen = s.windows.generation + 1;
  s.windows = w;
  s.windows.generation = gen;
}

}  // namespace isim::tce
