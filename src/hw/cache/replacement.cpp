#include "hw/cache/replacement.h"

#include <algorithm>

#include "base/bits.h"

namespace isim {

std::optional<ReplacementPolicy> parse_replacement_policy(std::string_view name) {
  for (const auto& [policy, spelling] : kReplacementPolicyNames)
    if (spelling == name) return policy;
  return std::nullopt;
}

std::string_view to_string(ReplacementPolicy p) {
  for (const auto& [policy, spelling] : kReplacementPolicyNames)
    if (policy == p) return spelling;
  return "?";
}

ReplacementState::ReplacementState(ReplacementPolicy policy, uint32_t sets, uint32_t ways,
                                   uint64_t seed)
    : policy_(policy), sets_(sets), ways_(ways), seed_(seed), rng_(seed) {
  switch (policy_) {
    case ReplacementPolicy::lru:
    case ReplacementPolicy::fifo:
      stamp_.assign(size_t{sets_} * ways_, 0);
      break;
    case ReplacementPolicy::plru:
      ways_lg2_ = log2_floor(ways_);
      tree_.assign(ways_ ? size_t{sets_} * (ways_ - 1) : 0, 0);
      break;
    case ReplacementPolicy::random:
      break;
  }
}

uint32_t ReplacementState::victim(uint32_t set) {
  switch (policy_) {
    case ReplacementPolicy::lru:
    case ReplacementPolicy::fifo: {
      // Stamps are unique once a way has been filled, so the minimum is the exact LRU / oldest
      // fill; ties only among never-filled ways, broken towards the lowest way.
      const uint64_t* s = &stamp_[slot(set, 0)];
      uint32_t best = 0;
      for (uint32_t w = 1; w < ways_; ++w)
        if (s[w] < s[best]) best = w;
      return best;
    }
    case ReplacementPolicy::plru: {
      const uint8_t* tree = tree_.data() + size_t{set} * (ways_ - 1);
      size_t node = 0;
      uint32_t way = 0;
      for (unsigned level = 0; level < ways_lg2_; ++level) {
        const unsigned dir = tree[node];
        way = (way << 1) | dir;
        node = 2 * node + 1 + dir;
      }
      return way;
    }
    case ReplacementPolicy::random:
      return static_cast<uint32_t>(rng_.below(ways_));
  }
  return 0;
}

void ReplacementState::reset() {
  clock_ = 0;
  std::fill(stamp_.begin(), stamp_.end(), 0);
  std::fill(tree_.begin(), tree_.end(), 0);
  rng_ = Rng(seed_);
}

}  // namespace isim
