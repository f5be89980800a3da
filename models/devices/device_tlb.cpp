#include "models/devices/device_tlb.h"

#include <algorithm>

#include "base/bits.h"

namespace isim {

DeviceTlb::DeviceTlb(const CacheParams& geometry, std::span<const unsigned> page_lg2s)
    : cache_(geometry), sizes_(page_lg2s.begin(), page_lg2s.end()) {}

std::optional<AtcHit> DeviceTlb::lookup(const AtcTag& tag, uint64_t addr) {
  const auto r = cache_.lookup_any(sizes_, [&](unsigned lg2) { return Key::of(tag, addr, lg2); });
  if (!r.value) return std::nullopt;
  const unsigned lg2 = sizes_[r.probe];
  return AtcHit{*r.value, r.value->translated | (addr & (lg2_size(lg2) - 1)), lg2};
}

bool DeviceTlb::fill(const AtcTag& tag, uint64_t addr, const AtsCompletion& c) {
  if (!c.valid || c.untranslated_only || (!c.read && !c.write)) return false;
  if (std::find(sizes_.begin(), sizes_.end(), c.page_lg2) == sizes_.end()) return false;
  const AtcEntry e{align_down(c.translated, c.page_lg2), c.read, c.write, c.exec, c.priv};
  cache_.insert(Key::of(tag, addr, c.page_lg2), e);
  return true;
}

size_t DeviceTlb::invalidate(const AtsInvalidation& inv) {
  return cache_.invalidate_if([&](const Key& k, const AtcEntry&) {
    if (inv.has_pasid && !k.tag.has_pasid) return false;
    if (inv.has_pasid && !inv.global && k.tag.pasid != inv.pasid) return false;
    return inv.overlaps(k.base(), k.page_lg2);
  });
}

}  // namespace isim
