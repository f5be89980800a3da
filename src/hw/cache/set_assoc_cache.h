// One generic set-associative cache. Every translation cache in every model (IOTLBs, context
// and device-table caches, PASID caches, paging-structure caches, device TLBs) is an instance
// of this template with its own Key and Value; the architecture-specific part is only the key
// layout and the invalidation predicates, which are named after the architecture's commands
// in the model that owns the cache.
//
// Key contract (the CacheKey concept below):
//   - copyable, default-constructible, equality-comparable (==): two keys are equal exactly
//     when they name the same cached object;
//   - `uint64_t set_hash() const`: the cache takes it modulo the number of sets to pick the
//     set, and also keeps it next to each entry as a cheap filter before the full ==. Return
//     the bits hardware would index with: for an address-like key, the page number
//     (va >> page_lg2), so consecutive pages land in consecutive sets. Equal keys must return
//     equal hashes. Tags such as a domain ID or PASID may be left out (entries of different
//     domains then share sets, as in hardware) or mixed in to spread them.
// PageKey<Tag> below implements the contract for the usual (tag, page number, page size) key.
//
// Cost: a lookup scans the ways of one set (O(ways)); nothing is allocated after
// construction. Pointers returned by lookup/peek stay valid until the next insert or
// invalidation.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "base/bits.h"
#include "hw/cache/cache_params.h"
#include "hw/cache/replacement.h"

namespace isim {

/// Raw event counts of one cache. The stats tree registers these fields by address, so they
/// are plain integers updated in place.
struct CacheStats {
  uint64_t hits = 0;           ///< lookups that found their key (a multi-size probe counts once)
  uint64_t misses = 0;         ///< lookups that did not
  uint64_t insertions = 0;     ///< insert() calls, including refills of a present key
  uint64_t evictions = 0;      ///< valid entries displaced by an insertion
  uint64_t invalidations = 0;  ///< valid entries removed by invalidate*()
};

template <class K>
concept CacheKey = std::copyable<K> && std::default_initializable<K> &&
    std::equality_comparable<K> && requires(const K& k) {
  { k.set_hash() } -> std::convertible_to<uint64_t>;
};

/// A key for translations that may be cached at several page sizes: an architecture tag
/// (domain ID, VMID/ASID, PASID... anything with ==), the page number at that size and the
/// size itself. Two entries for the same address at different sizes are different keys.
template <class Tag>
requires std::equality_comparable<Tag> && std::copyable<Tag> && std::default_initializable<Tag>
struct PageKey {
  Tag tag{};
  uint64_t page = 0;     ///< address >> page_lg2
  uint8_t page_lg2 = 0;  ///< 12 for 4 KiB, 21 for 2 MiB, 30 for 1 GiB ...

  static PageKey of(const Tag& tag, uint64_t addr, unsigned page_lg2) {
    return PageKey{tag, addr >> page_lg2, static_cast<uint8_t>(page_lg2)};
  }
  uint64_t set_hash() const { return page; }
  uint64_t base() const { return page << page_lg2; }  ///< first address the page covers
  bool operator==(const PageKey&) const = default;
};

template <CacheKey Key, class Value>
requires std::copyable<Value> && std::default_initializable<Value>
class SetAssocCache {
 public:
  using key_type = Key;
  using value_type = Value;

  /// An entry handed back by insert() when it displaces another.
  struct Entry {
    Key key;
    Value value;
  };

  /// Result of a multi-probe lookup: the value found (nullptr on a miss) and the position in
  /// the probe list of the key that hit.
  struct ProbeResult {
    Value* value = nullptr;
    size_t probe = 0;
    explicit operator bool() const { return value != nullptr; }
  };

  /// Throws std::invalid_argument naming the problem when check_cache_params() rejects `p`.
  explicit SetAssocCache(const CacheParams& p)
      : params_(validated(p)),
        sets_(p.sets()),
        ways_(p.entries == 0 ? 0 : p.ways),
        set_mask_(is_pow2(sets_) ? sets_ - 1 : 0),
        sets_pow2_(is_pow2(sets_)),
        hash_(p.entries),
        valid_(p.entries, 0),
        keys_(p.entries),
        values_(p.entries),
        repl_(p.policy, sets_, ways_, p.seed) {}

  const CacheParams& params() const { return params_; }
  uint32_t sets() const { return sets_; }
  uint32_t ways() const { return ways_; }
  size_t capacity() const { return valid_.size(); }
  /// Number of valid entries.
  size_t occupancy() const { return occupancy_; }
  bool enabled() const { return ways_ != 0; }

  const CacheStats& stats() const { return stats_; }
  void reset_stats() { stats_ = CacheStats{}; }

  /// The value cached under `key`, or nullptr. Counts a hit or a miss; a hit updates the
  /// replacement history.
  Value* lookup(const Key& key) {
    Value* v = find_touch(key);
    ++(v ? stats_.hits : stats_.misses);
    return v;
  }

  /// Like lookup() but with no side effect at all (no stats, no replacement update): for
  /// debug dumps, assertions and invalidation logic.
  const Value* peek(const Key& key) const {
    const size_t i = find(key);
    return i == kNone ? nullptr : &values_[i];
  }

  /// Looks up make_key(p) for each p of `probes` in order and stops at the first hit, counting
  /// ONE hit or ONE miss for the whole lookup. This is how a cache holding several page sizes
  /// is searched when the size of a matching entry is unknown:
  ///     iotlb.lookup_any(page_lg2s, [&](unsigned lg2) { return PageKey<Tag>::of(tag, va, lg2); })
  /// If stale entries of two sizes both match, the first in probe order wins.
  template <std::ranges::input_range Probes, class MakeKey>
  requires std::invocable<MakeKey&, std::ranges::range_reference_t<Probes>> ProbeResult
  lookup_any(Probes&& probes, MakeKey&& make_key) {
    size_t n = 0;
    for (auto&& p : probes) {
      if (Value* v = find_touch(make_key(p))) {
        ++stats_.hits;
        return {v, n};
      }
      ++n;
    }
    ++stats_.misses;
    return {};
  }

  /// Side-effect-free counterpart of lookup_any().
  template <std::ranges::input_range Probes, class MakeKey>
  requires std::invocable<MakeKey&, std::ranges::range_reference_t<Probes>>
  const Value* peek_any(Probes&& probes, MakeKey&& make_key) const {
    for (auto&& p : probes)
      if (const Value* v = peek(make_key(p))) return v;
    return nullptr;
  }

  /// Caches `value` under `key`. An entry with an equal key is overwritten in place (and
  /// counts as the most recent fill); otherwise an invalid way of the set is used (lowest
  /// first) or the policy's victim is evicted and returned. A disabled cache stores nothing.
  std::optional<Entry> insert(Key key, Value value) {
    ++stats_.insertions;
    if (ways_ == 0) return std::nullopt;
    const uint64_t h = key.set_hash();
    const uint32_t set = set_of(h);
    const size_t base = size_t{set} * ways_;
    uint32_t free_way = ways_;
    for (uint32_t w = 0; w < ways_; ++w) {
      const size_t i = base + w;
      if (!valid_[i]) {
        if (free_way == ways_) free_way = w;
      } else if (hash_[i] == h && keys_[i] == key) {
        values_[i] = std::move(value);
        repl_.on_fill(set, w);
        return std::nullopt;
      }
    }
    if (free_way != ways_) {
      place(set, free_way, h, std::move(key), std::move(value));
      valid_[base + free_way] = 1;
      ++occupancy_;
      return std::nullopt;
    }
    const uint32_t w = repl_.victim(set);
    const size_t i = base + w;
    Entry evicted{std::move(keys_[i]), std::move(values_[i])};
    place(set, w, h, std::move(key), std::move(value));
    ++stats_.evictions;
    return evicted;
  }

  /// Removes the entry cached under exactly `key`; returns whether there was one.
  bool invalidate(const Key& key) {
    const size_t i = find(key);
    if (i == kNone) return false;
    drop(i);
    ++stats_.invalidations;
    return true;
  }

  /// Removes every entry for which pred(key, value) is true; returns how many. This is the
  /// building block of the architected invalidations (by domain, PASID, address range, ...).
  template <class Pred>
  requires std::predicate<Pred&, const Key&, const Value&> size_t invalidate_if(Pred&& pred) {
    size_t removed = 0;
    for (size_t i = 0; i < valid_.size(); ++i) {
      if (valid_[i] && pred(std::as_const(keys_[i]), std::as_const(values_[i]))) {
        drop(i);
        ++removed;
      }
    }
    stats_.invalidations += removed;
    return removed;
  }

  /// Removes every entry; returns how many there were. Replacement history is kept (it only
  /// matters for full sets, and a set is never full right after this).
  size_t invalidate_all() {
    const size_t removed = occupancy_;
    std::fill(valid_.begin(), valid_.end(), uint8_t{0});
    occupancy_ = 0;
    stats_.invalidations += removed;
    return removed;
  }

  /// Calls f(key, value) -- or f(set, way, key, value) -- for every valid entry, in set then
  /// way order (a stable order for dumps and golden outputs).
  template <class F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < valid_.size(); ++i) {
      if (!valid_[i]) continue;
      if constexpr (std::invocable<F&, uint32_t, uint32_t, const Key&, const Value&>) {
        f(static_cast<uint32_t>(i / ways_), static_cast<uint32_t>(i % ways_), keys_[i], values_[i]);
      } else {
        f(keys_[i], values_[i]);
      }
    }
  }

  /// The set `key` maps to (for tests and dumps).
  uint32_t set_index(const Key& key) const { return set_of(key.set_hash()); }

 private:
  static constexpr size_t kNone = ~size_t{0};

  static const CacheParams& validated(const CacheParams& p) {
    if (auto e = check_cache_params(p))
      throw std::invalid_argument("cache " + std::string(e->key) + ": " + e->message);
    return p;
  }

  uint32_t set_of(uint64_t h) const {
    return static_cast<uint32_t>(sets_pow2_ ? (h & set_mask_) : (h % sets_));
  }

  size_t find(const Key& key) const {
    const uint64_t h = key.set_hash();
    const size_t base = size_t{set_of(h)} * ways_;
    for (size_t i = base; i < base + ways_; ++i)
      if (hash_[i] == h && valid_[i] && keys_[i] == key) return i;
    return kNone;
  }

  Value* find_touch(const Key& key) {
    const size_t i = find(key);
    if (i == kNone) return nullptr;
    repl_.on_hit(static_cast<uint32_t>(i / ways_), static_cast<uint32_t>(i % ways_));
    return &values_[i];
  }

  void place(uint32_t set, uint32_t way, uint64_t h, Key&& key, Value&& value) {
    const size_t i = size_t{set} * ways_ + way;
    hash_[i] = h;
    keys_[i] = std::move(key);
    values_[i] = std::move(value);
    repl_.on_fill(set, way);
  }

  void drop(size_t i) {
    valid_[i] = 0;
    --occupancy_;
  }

  CacheParams params_;
  uint32_t sets_;
  uint32_t ways_;
  uint64_t set_mask_;
  bool sets_pow2_;
  // Entries in flat arrays indexed set * ways + way; hashes and valid flags apart from keys
  // and values so the scan of a set touches as few cache lines as possible.
  std::vector<uint64_t> hash_;
  std::vector<uint8_t> valid_;
  std::vector<Key> keys_;
  std::vector<Value> values_;
  size_t occupancy_ = 0;
  ReplacementState repl_;
  CacheStats stats_;
};

}  // namespace isim
