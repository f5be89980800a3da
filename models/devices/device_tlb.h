// A device's Address Translation Cache (ATC, "device TLB"): the translations an ATS-capable
// function obtained with translation requests, tagged by PASID, holding each at the size the
// completion gave. Pure C++ (no SystemC): the device model supplies times.
//
// Sources: PCIe 6.0 10.2.3 (translation completions: translated address, size, R/W/Exe/Priv,
// U = untranslated access only, which must not be cached), 10.3 (invalidation: an Invalidate
// Request drops every entry overlapping its range; with a PASID prefix only that PASID's
// entries, with Global Invalidate those of every PASID; the Global bit of entries is not
// tracked, so a global invalidation drops all PASID-tagged entries in the range). An Invalidate Request without a
// PASID prefix is applied here to the range in every PASID as well as to untagged entries:
// dropping more than the message names is always safe, dropping less would keep a
// translation software removed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "hw/cache/set_assoc_cache.h"
#include "hw/ats.h"
#include "hw/pcie_msg.h"

namespace isim {

/// Tag of an ATC entry: the PASID it was requested with, if any.
struct AtcTag {
  bool has_pasid = false;
  uint32_t pasid = 0;
  bool operator==(const AtcTag&) const = default;
};

/// One cached translation (the completion's fields).
struct AtcEntry {
  uint64_t translated = 0;  ///< output address of the page
  bool read = false;
  bool write = false;
  bool exec = false;
  bool priv = false;
};

/// A hit: the entry and the output address of the looked-up byte.
struct AtcHit {
  AtcEntry entry;
  uint64_t addr = 0;
  unsigned page_lg2 = 12;
};

class DeviceTlb {
 public:
  using Key = PageKey<AtcTag>;

  /// `page_lg2s`: the translation sizes the ATC holds, probed in this order (the smallest first
  /// finds the common case soonest).
  DeviceTlb(const CacheParams& geometry, std::span<const unsigned> page_lg2s);

  /// The entry covering `addr` for `tag`, if any (counts a hit or a miss).
  std::optional<AtcHit> lookup(const AtcTag& tag, uint64_t addr);
  /// Caches a completion for `addr`. Returns false (and caches nothing) when the completion
  /// may not be cached: not valid, U set, no permission at all, or a size the ATC does not
  /// hold.
  bool fill(const AtcTag& tag, uint64_t addr, const AtsCompletion& c);
  /// Applies an Invalidate Request; returns the number of entries dropped.
  size_t invalidate(const AtsInvalidation& inv);

  const CacheStats& stats() const { return cache_.stats(); }

 private:
  SetAssocCache<Key, AtcEntry> cache_;
  std::vector<unsigned> sizes_;
};

}  // namespace isim
