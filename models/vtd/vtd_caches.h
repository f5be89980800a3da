// Keys and entries of the VT-d model's translation caches, all instances of SetAssocCache
// (src/hw/cache/set_assoc_cache.h). What each is tagged with follows VT-d 6.2 "Caching
// Translation Information": context-cache entries by source ID, PASID-cache entries by PASID
// (here with the source ID, as the PASID table is reached through the device's context), IOTLB
// and paging-structure-cache entries by domain ID and PASID (requests-without-PASID in legacy
// mode carry no PASID tag).
#pragma once

#include <cstdint>
#include <optional>

#include "hw/cache/set_assoc_cache.h"
#include "models/vtd/translator.h"
#include "pagetable/pt_types.h"

namespace isim::vtd {

struct ContextKey {
  uint16_t sid = 0;
  uint64_t set_hash() const { return sid; }
  bool operator==(const ContextKey&) const = default;
};

struct PasidKey {
  uint16_t sid = 0;
  uint32_t pasid = 0;
  uint64_t set_hash() const { return pasid ^ (uint64_t{sid} << 7); }
  bool operator==(const PasidKey&) const = default;
};

/// The address-space tag of IOTLB and paging-structure-cache entries.
struct SpaceTag {
  uint16_t did = 0;
  bool pasid_valid = false;
  uint32_t pasid = 0;
  bool operator==(const SpaceTag&) const = default;
};

using IotlbKey = PageKey<SpaceTag>;

struct IotlbEntry {
  uint64_t page_oa = 0;  ///< output address of the page base
  pt::Perms perms;
  TranslationType type = TranslationType::SecondStage;
};

/// A paging-structure-cache key: the table at `level` that serves the input-address range of
/// one entry of the level above (PageKey's page_lg2 is that entry's span).
struct PscTag {
  SpaceTag space;
  uint8_t level = 0;
  bool operator==(const PscTag&) const = default;
};
using PscKey = PageKey<PscTag>;

struct PscEntry {
  uint64_t table = 0;  ///< the table's address
  pt::Perms perms;     ///< rights granted by the entries above it
};

/// A second-stage translation of a first-stage table pointer (nested walks), by DID and GPA page.
struct NestedS2Entry {
  uint64_t page_base = 0;  ///< host-physical base of the page
  pt::Perms perms;
};

/// The cache of second-stage translations of first-stage table pointers (6.2.5) that nested
/// walks consult through the translator's NestedStage2Cache interface.
class NestedPointerCache final : public NestedStage2Cache {
 public:
  using Key = PageKey<uint16_t>;
  explicit NestedPointerCache(const CacheParams& p) : cache_(p) {}

  std::optional<pt::Translation> lookup(uint16_t did, uint64_t gpa) override {
    static constexpr unsigned kSizes[] = {12, 21, 30};
    const auto hit =
        cache_.lookup_any(kSizes, [&](unsigned lg2) { return Key::of(did, gpa, lg2); });
    if (!hit) return std::nullopt;
    pt::Translation t;
    t.page_lg2 = static_cast<uint8_t>(kSizes[hit.probe]);
    t.oa = hit.value->page_base;
    t.perms = hit.value->perms;
    return t;
  }
  void fill(uint16_t did, uint64_t gpa, const pt::Translation& t) override {
    cache_.insert(Key::of(did, gpa, t.page_lg2), NestedS2Entry{t.page_base(), t.perms});
  }
  SetAssocCache<Key, NestedS2Entry>& cache() { return cache_; }

 private:
  SetAssocCache<Key, NestedS2Entry> cache_;
};

/// An IOTLB miss in flight (src/hw/inflight.h): the address space and the 4 KiB page.
struct MissKey {
  SpaceTag space;
  uint64_t page = 0;
  bool operator==(const MissKey&) const = default;
};
struct MissKeyHash {
  size_t operator()(const MissKey& k) const {
    uint64_t h = k.page * 0x9e3779b97f4a7c15ull;
    h ^= (uint64_t{k.space.did} << 32) ^ (uint64_t{k.space.pasid} << 1) ^ k.space.pasid_valid;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

}  // namespace isim::vtd
