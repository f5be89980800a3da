// Replacement policies for the generic set-associative cache (set_assoc_cache.h).
//
// The policy is a runtime choice (a config key), not a template parameter: one cache type
// serves every configuration, and the per-access cost is one switch on a constant value.
// Victims are only needed once every way of a set is valid; the cache fills invalid ways
// first (lowest way index first) without asking the policy.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/rng.h"

namespace isim {

/// How a full set picks the way to evict.
enum class ReplacementPolicy : uint8_t {
  lru,     ///< exact least-recently-used: hits and fills both count as a use
  plru,    ///< tree pseudo-LRU, ways-1 bits per set; needs a power-of-two number of ways
  fifo,    ///< oldest fill first; hits leave the order alone
  random,  ///< uniform over the ways, from a seeded deterministic stream
};

/// The spelling of each policy in configs ("lru", "plru", "fifo", "random").
inline constexpr std::pair<ReplacementPolicy, std::string_view> kReplacementPolicyNames[] = {
    {ReplacementPolicy::lru, "lru"},
    {ReplacementPolicy::plru, "plru"},
    {ReplacementPolicy::fifo, "fifo"},
    {ReplacementPolicy::random, "random"},
};

/// The policy spelled `name`, or nullopt for an unknown name (the caller reports it).
std::optional<ReplacementPolicy> parse_replacement_policy(std::string_view name);
/// The config spelling of `p`.
std::string_view to_string(ReplacementPolicy p);

/// Per-set replacement history for `sets` sets of `ways` ways. Pure bookkeeping: it knows
/// nothing of keys or validity. Geometry is validated by the cache (cache_params.h); the
/// constructor trusts it.
class ReplacementState {
 public:
  ReplacementState(ReplacementPolicy policy, uint32_t sets, uint32_t ways, uint64_t seed);

  ReplacementPolicy policy() const { return policy_; }

  /// A lookup hit way `way` of set `set`.
  void on_hit(uint32_t set, uint32_t way) {
    switch (policy_) {
      case ReplacementPolicy::lru:
        stamp_[slot(set, way)] = ++clock_;
        break;
      case ReplacementPolicy::plru:
        plru_touch(set, way);
        break;
      case ReplacementPolicy::fifo:
      case ReplacementPolicy::random:
        break;
    }
  }

  /// Way `way` of set `set` was (re)filled.
  void on_fill(uint32_t set, uint32_t way) {
    switch (policy_) {
      case ReplacementPolicy::lru:
      case ReplacementPolicy::fifo:
        stamp_[slot(set, way)] = ++clock_;
        break;
      case ReplacementPolicy::plru:
        plru_touch(set, way);
        break;
      case ReplacementPolicy::random:
        break;
    }
  }

  /// The way to evict from a full set. Only the random policy changes state here (it draws
  /// exactly one number per call: Rng(seed).below(ways)).
  uint32_t victim(uint32_t set);

  /// Forget all history (as after power-on); the random stream restarts from its seed.
  void reset();

 private:
  size_t slot(uint32_t set, uint32_t way) const { return size_t{set} * ways_ + way; }

  // Tree-PLRU: a complete binary tree over the ways, stored heap-style (node n has children
  // 2n+1 and 2n+2). A node's bit names the half holding the next victim: 0 = lower ways,
  // 1 = upper ways. A use points every node on the way's path at the other half.
  void plru_touch(uint32_t set, uint32_t way) {
    uint8_t* tree = tree_.data() + size_t{set} * (ways_ - 1);
    size_t node = 0;
    for (unsigned level = ways_lg2_; level-- > 0;) {
      const unsigned dir = (way >> level) & 1u;
      tree[node] = static_cast<uint8_t>(dir ^ 1u);
      node = 2 * node + 1 + dir;
    }
  }

  ReplacementPolicy policy_;
  uint32_t sets_;
  uint32_t ways_;
  unsigned ways_lg2_ = 0;  // plru only
  uint64_t seed_;
  uint64_t clock_ = 0;           // lru/fifo: last stamp handed out
  std::vector<uint64_t> stamp_;  // lru/fifo: per way, larger = more recent
  std::vector<uint8_t> tree_;    // plru: ways-1 node bits per set
  Rng rng_;                      // random
};

namespace cfg {
template <class E>
struct EnumNames;
}  // namespace cfg

/// Lets the config layer (src/sim/param_types.h) read and print the policy by name without
/// this header depending on it.
template <>
struct cfg::EnumNames<ReplacementPolicy> {
  static constexpr const auto& table = kReplacementPolicyNames;
};

}  // namespace isim
