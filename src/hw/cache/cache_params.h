// Geometry and policy of one set-associative cache (IOTLB, context cache, PASID cache,
// paging-structure cache...): every cache in every model is configured by this one struct.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hw/cache/replacement.h"

namespace isim {

/// The largest cache accepted: far above any real IOMMU structure, low enough that a typo in
/// a config cannot ask for gigabytes of host memory.
inline constexpr uint32_t kMaxCacheEntries = uint32_t{1} << 24;

struct CacheParams {
  uint32_t entries = 64;  ///< total entries (sets x ways); 0 disables the cache (always misses)
  uint32_t ways = 8;      ///< entries per set; ways == entries is fully associative
  ReplacementPolicy policy = ReplacementPolicy::lru;  ///< victim choice in a full set
  /// Seed of the random policy's stream. Not a config key: the owning model derives it from
  /// the global seed and its own name (base/rng.h) so each cache gets its own stream.
  uint64_t seed = 0;

  /// Number of sets this geometry has (1 when the cache is disabled); valid geometry only.
  uint32_t sets() const { return entries == 0 || ways == 0 ? 1 : entries / ways; }

  /// Fields for the config layer (src/sim/params.h), which supplies units and ranges.
  template <class V>
  void visit(V& v) {
    v.param("entries", entries, "total number of entries (0 disables the cache)");
    v.param("ways", ways, "entries per set (ways == entries: fully associative)");
    v.param("policy", policy, "replacement policy in a full set");
  }
  /// Cross-field checks for the config layer: reports through c.fail(key, message).
  template <class C>
  void validate(C& c) const;
};

/// What is wrong with a geometry: the offending key and a sentence a user can act on.
struct CacheParamsError {
  std::string_view key;
  std::string message;
};

/// nullopt when `p` describes a buildable cache, else the first problem found. Rules:
/// entries <= kMaxCacheEntries; when entries > 0: 1 <= ways <= entries, ways divides
/// entries, and plru needs a power-of-two number of ways.
std::optional<CacheParamsError> check_cache_params(const CacheParams& p);

template <class C>
void CacheParams::validate(C& c) const {
  if (auto e = check_cache_params(*this)) c.fail(e->key, e->message);
}

}  // namespace isim
