// The AMD-Vi model's translation caches: keys and values for the device table cache, the
// IOTLB, the v1 page-directory cache and the GCR3 cache, each an instance of the generic
// SetAssocCache, and the predicates of the architected invalidations (2.4.2
// INVALIDATE_DEVTAB_ENTRY, 2.4.3 INVALIDATE_IOMMU_PAGES, 2.4.8 INVALIDATE_IOMMU_ALL).
//
// Tags follow what the spec says each structure is looked up by: the DTE by DeviceID, IOTLB
// entries by DomainID + PASID (GN) + address + page size, page-directory entries by DomainID +
// level + the address bits above that level, GCR3 entries by DeviceID + PASID.
//
// What an invalidation removes (interpretations of 2.4.3, fail closed: never less than the
// command names):
//   GN = 0: IOTLB entries of the domain without a PASID whose page overlaps the range, and
//           nested (PASID) entries of the domain whose guest-physical page overlaps it;
//           PDE = 1 also drops host page-directory entries of the domain covering any of it.
//   GN = 1: IOTLB entries of the domain with that PASID overlapping the range (PDE = 1: its
//           guest page-directory entries too), and the GCR3
//           entry of that PASID for devices of the domain (Linux rewrites a GCR3 entry and
//           flushes with GN = 1 for the PASID, so a cached guest CR3 must go with it).
#pragma once

#include <cstdint>

#include "hw/cache/set_assoc_cache.h"
#include "models/amdvi/commands.h"
#include "models/amdvi/translator.h"

namespace isim::amdvi {

struct DteKey {
  uint16_t device_id = 0;
  uint64_t set_hash() const { return device_id; }
  bool operator==(const DteKey&) const = default;
};

struct IotlbTag {
  uint16_t domain_id = 0;
  bool gn = false;  ///< PASID-tagged (guest or nested) translation
  uint32_t pasid = 0;
  bool operator==(const IotlbTag&) const = default;
};
using IotlbKey = PageKey<IotlbTag>;

struct IotlbEntry {
  uint64_t out_page = 0;  ///< output page base
  pt::Perms perms;
  TranslationType type = TranslationType::Host;
  bool untranslated_only = false;
  uint64_t gpa_page = 0;  ///< nested: guest-physical page base (same size as the key's page)
};

/// A v1 table found by a walk: the table at `level` serving every address whose bits above
/// that level's reach equal `prefix`.
struct PdeKey {
  uint16_t domain_id = 0;
  uint8_t level = 0;  ///< our level numbering (0 = the table holding 4 KiB PTEs)
  uint64_t prefix = 0;
  uint64_t set_hash() const { return prefix * 8 + level; }
  bool operator==(const PdeKey&) const = default;
};

struct PdeEntry {
  uint64_t table = 0;
  pt::Perms perms;  ///< rights of the DTE and the PDEs above the table, ANDed
};

/// Address bits a table at `level` indexes below: it serves [prefix << reach, +2^reach).
constexpr unsigned pde_reach_lg2(unsigned level) {
  return 12 + 9 * (level + 1);
}
constexpr uint64_t pde_prefix(uint64_t va, unsigned level) {
  return pde_reach_lg2(level) >= 64 ? 0 : va >> pde_reach_lg2(level);
}

/// A v2 (guest) table found by a walk, per DomainID and PASID; `table` is a GPA when nested.
struct GuestPdeKey {
  uint16_t domain_id = 0;
  uint32_t pasid = 0;
  uint8_t level = 0;
  uint64_t prefix = 0;
  uint64_t set_hash() const { return (prefix * 8 + level) ^ (uint64_t{pasid} << 20); }
  bool operator==(const GuestPdeKey&) const = default;
};

struct Gcr3Key {
  uint16_t device_id = 0;
  uint32_t pasid = 0;
  uint64_t set_hash() const { return pasid; }
  bool operator==(const Gcr3Key&) const = default;
};

struct Gcr3Entry2 {
  uint64_t gcr3 = 0;
  uint16_t domain_id = 0;
};

using DteCache = SetAssocCache<DteKey, DeviceContext>;
using Iotlb = SetAssocCache<IotlbKey, IotlbEntry>;
using PdeCache = SetAssocCache<PdeKey, PdeEntry>;
using Gcr3Cache = SetAssocCache<Gcr3Key, Gcr3Entry2>;
using GuestPdeCache = SetAssocCache<GuestPdeKey, PdeEntry>;

/// 2.4.3 INVALIDATE_IOMMU_PAGES as a predicate on IOTLB entries (see the header comment).
inline bool iotlb_hit_by(const Command& c, const IotlbKey& k, const IotlbEntry& e) {
  if (k.tag.domain_id != c.domain_id) return false;
  const InvRange r = c.range();
  if (c.gn) return k.tag.gn && k.tag.pasid == c.pasid && r.overlaps(k.base(), k.page_lg2);
  if (!k.tag.gn) return r.overlaps(k.base(), k.page_lg2);
  return e.type == TranslationType::Nested && r.overlaps(e.gpa_page, k.page_lg2);
}

/// 2.4.3 PDE = 1 with GN = 0: page-directory entries of the domain reaching into the range.
inline bool pde_hit_by(const Command& c, const PdeKey& k) {
  if (k.domain_id != c.domain_id) return false;
  const unsigned reach = pde_reach_lg2(k.level);
  const uint64_t base = reach >= 64 ? 0 : k.prefix << reach;
  return c.range().overlaps(base, reach);
}

/// 2.4.3 PDE = 1 with GN = 1: guest page-directory entries of the domain and PASID reaching
/// into the range.
inline bool guest_pde_hit_by(const Command& c, const GuestPdeKey& k) {
  if (k.domain_id != c.domain_id || k.pasid != c.pasid) return false;
  const unsigned reach = pde_reach_lg2(k.level);
  const uint64_t base = reach >= 64 ? 0 : k.prefix << reach;
  return c.range().overlaps(base, reach);
}

}  // namespace isim::amdvi
