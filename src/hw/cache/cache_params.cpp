#include "hw/cache/cache_params.h"

#include <fmt/format.h>

#include "base/bits.h"

namespace isim {

std::optional<CacheParamsError> check_cache_params(const CacheParams& p) {
  if (p.entries > kMaxCacheEntries)
    return CacheParamsError{"entries", fmt::format("{} entries is more than the maximum of {}",
                                                   p.entries, kMaxCacheEntries)};
  if (p.entries == 0) return std::nullopt;  // disabled: the other fields do not matter
  if (p.ways == 0) return CacheParamsError{"ways", "must be at least 1"};
  if (p.ways > p.entries)
    return CacheParamsError{
        "ways", fmt::format("{} ways is more than the {} entries of the cache (use ways == "
                            "entries for a fully associative cache)",
                            p.ways, p.entries)};
  if (p.entries % p.ways != 0)
    return CacheParamsError{"ways", fmt::format("{} ways does not divide {} entries into whole "
                                                "sets",
                                                p.ways, p.entries)};
  if (p.policy == ReplacementPolicy::plru && !is_pow2(p.ways))
    return CacheParamsError{"ways", fmt::format("policy plru needs a power-of-two number of "
                                                "ways, not {}",
                                                p.ways)};
  return std::nullopt;
}

}  // namespace isim
