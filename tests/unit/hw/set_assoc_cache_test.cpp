// The generic set-associative cache: geometry, every policy against a brute-force reference
// cache, page-size probing, invalidation, fully associative and disabled caches.
#include "hw/cache/set_assoc_cache.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <optional>
#include <ostream>
#include <set>
#include <vector>

#include "base/rng.h"
#include "ref_models.h"

// Counts global allocations so the test below can check the hot path allocates nothing.
// (GCC's -Wmismatched-new-delete cannot see that this new and delete are a matching pair.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<uint64_t> g_allocations{0};
}
void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace isim {
namespace {

struct K {
  uint64_t v = 0;
  uint64_t set_hash() const { return v; }
  bool operator==(const K&) const = default;
};
static_assert(CacheKey<K>);
static_assert(CacheKey<PageKey<uint16_t>>);

using Cache = SetAssocCache<K, int>;

CacheParams geom(uint32_t entries, uint32_t ways, ReplacementPolicy policy = ReplacementPolicy::lru,
                 uint64_t seed = 0) {
  CacheParams p;
  p.entries = entries;
  p.ways = ways;
  p.policy = policy;
  p.seed = seed;
  return p;
}

// ---------------------------------------------------------------- geometry

struct GeometryCase {
  uint32_t entries, ways;
  ReplacementPolicy policy;
  const char* bad_key;  // nullptr = valid
  uint32_t sets;        // expected when valid
};

void PrintTo(const GeometryCase& c, std::ostream* os) {
  *os << c.entries << " entries, " << c.ways << " ways, " << to_string(c.policy);
}

class Geometry : public ::testing::TestWithParam<GeometryCase> {};

TEST_P(Geometry, ValidatesAndBuilds) {
  const GeometryCase& c = GetParam();
  const CacheParams p = geom(c.entries, c.ways, c.policy);
  const auto err = check_cache_params(p);
  if (c.bad_key) {
    ASSERT_TRUE(err.has_value());
    EXPECT_EQ(err->key, c.bad_key);
    EXPECT_FALSE(err->message.empty());
    EXPECT_THROW(Cache{p}, std::invalid_argument);
  } else {
    ASSERT_FALSE(err.has_value()) << err->message;
    Cache cache(p);
    EXPECT_EQ(cache.sets(), c.sets);
    EXPECT_EQ(cache.capacity(), c.entries);
    EXPECT_EQ(size_t{cache.sets()} * cache.ways(), c.entries);
  }
}

using RP = ReplacementPolicy;
INSTANTIATE_TEST_SUITE_P(
    Cases, Geometry,
    ::testing::Values(GeometryCase{64, 8, RP::lru, nullptr, 8},
                      GeometryCase{64, 64, RP::plru, nullptr, 1},  // fully associative
                      GeometryCase{64, 1, RP::fifo, nullptr, 64},  // direct mapped
                      GeometryCase{48, 12, RP::lru, nullptr, 4},
                      GeometryCase{48, 16, RP::random, nullptr, 3},  // non-power-of-two sets
                      GeometryCase{48, 12, RP::plru, "ways", 0},     // plru needs pow2 ways
                      GeometryCase{64, 0, RP::lru, "ways", 0},
                      GeometryCase{64, 65, RP::lru, "ways", 0},
                      GeometryCase{64, 7, RP::lru, "ways", 0},
                      GeometryCase{kMaxCacheEntries + 1, 1, RP::lru, "entries", 0}));

TEST(GeometryErrors, ExceptionNamesTheKey) {
  try {
    Cache c(geom(64, 7));
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ways"), std::string::npos) << e.what();
  }
}

TEST(GeometryErrors, ValidateReportsThroughChecker) {
  struct Checker {
    std::vector<std::pair<std::string, std::string>> fails;
    void fail(std::string_view k, std::string_view m) { fails.emplace_back(k, m); }
  } c;
  geom(64, 8).validate(c);
  EXPECT_TRUE(c.fails.empty());
  geom(12, 8).validate(c);
  ASSERT_EQ(c.fails.size(), 1u);
  EXPECT_EQ(c.fails[0].first, "ways");
}

TEST(SetIndex, TakesHashModuloSets) {
  Cache pow2(geom(64, 4));  // 16 sets
  Cache odd(geom(48, 16));  // 3 sets
  for (uint64_t v : {0ull, 1ull, 15ull, 16ull, 17ull, 0x123456789ull, ~0ull}) {
    EXPECT_EQ(pow2.set_index(K{v}), v % 16);
    EXPECT_EQ(odd.set_index(K{v}), v % 3);
  }
}

TEST(SetIndex, DirectMappedConflicts) {
  Cache c(geom(16, 1));
  for (uint64_t v = 0; v < 16; ++v) EXPECT_FALSE(c.insert(K{v}, static_cast<int>(v)));
  EXPECT_EQ(c.occupancy(), 16u);
  for (uint64_t v = 0; v < 16; ++v) ASSERT_NE(c.peek(K{v}), nullptr);
  auto ev = c.insert(K{16 + 5}, 99);  // same set as key 5
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->key, K{5});
  EXPECT_EQ(ev->value, 5);
  EXPECT_EQ(c.peek(K{5}), nullptr);
  EXPECT_EQ(*c.peek(K{21}), 99);
}

// ---------------------------------------------------------------- basic behaviour

TEST(Cache, LookupCountsHitsAndMisses) {
  Cache c(geom(8, 2));
  EXPECT_EQ(c.lookup(K{1}), nullptr);
  c.insert(K{1}, 10);
  int* v = c.lookup(K{1});
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(*v, 10);
  *v = 11;  // values are mutable in place
  EXPECT_EQ(*c.lookup(K{1}), 11);
  EXPECT_EQ(c.stats().hits, 2u);
  EXPECT_EQ(c.stats().misses, 1u);
  EXPECT_EQ(c.stats().insertions, 1u);
  c.reset_stats();
  EXPECT_EQ(c.stats().hits, 0u);
}

TEST(Cache, PeekHasNoSideEffects) {
  Cache c(geom(2, 2));  // one set, LRU
  c.insert(K{1}, 1);
  c.insert(K{2}, 2);
  ASSERT_NE(c.peek(K{1}), nullptr);  // would make 2 the LRU if it counted as a use
  EXPECT_EQ(c.peek(K{3}), nullptr);
  EXPECT_EQ(c.stats().hits + c.stats().misses, 0u);
  auto ev = c.insert(K{3}, 3);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->key, K{1});
  ASSERT_NE(c.lookup(K{2}), nullptr);  // now 3 is the LRU
  ev = c.insert(K{4}, 4);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->key, K{3});
}

TEST(Cache, InsertOfPresentKeyOverwrites) {
  Cache c(geom(4, 4));
  c.insert(K{7}, 1);
  EXPECT_FALSE(c.insert(K{7}, 2));
  EXPECT_EQ(c.occupancy(), 1u);
  EXPECT_EQ(*c.peek(K{7}), 2);
  EXPECT_EQ(c.stats().insertions, 2u);
  EXPECT_EQ(c.stats().evictions, 0u);
}

TEST(Cache, FullyAssociativeUsesEveryEntry) {
  Cache c(geom(8, 8));
  const uint64_t keys[] = {100, 3, 7777, 8, 16, 24, 0, 1ull << 40};  // same set mod 8 for some
  for (uint64_t k : keys) EXPECT_FALSE(c.insert(K{k}, 1));
  EXPECT_EQ(c.occupancy(), 8u);
  for (uint64_t k : keys) EXPECT_NE(c.lookup(K{k}), nullptr);
  c.lookup(K{100});
  auto ev = c.insert(K{5}, 5);
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->key, K{3});  // least recently used after the lookups above
  EXPECT_EQ(c.stats().evictions, 1u);
}

TEST(Cache, DisabledCacheStoresNothing) {
  Cache c(geom(0, 0));
  EXPECT_FALSE(c.enabled());
  EXPECT_FALSE(c.insert(K{1}, 1));
  EXPECT_EQ(c.lookup(K{1}), nullptr);
  EXPECT_EQ(c.occupancy(), 0u);
  EXPECT_EQ(c.stats().misses, 1u);
  EXPECT_EQ(c.stats().insertions, 1u);
  EXPECT_EQ(c.invalidate_all(), 0u);
}

TEST(Cache, InvalidateIfRemovesExactlyMatches) {
  Cache c(geom(64, 4));
  for (uint64_t v = 0; v < 40; ++v) c.insert(K{v}, static_cast<int>(v % 3));
  ASSERT_EQ(c.occupancy(), 40u);
  const size_t removed = c.invalidate_if([](const K&, const int& val) { return val == 1; });
  size_t expect = 0;
  for (uint64_t v = 0; v < 40; ++v) expect += (v % 3 == 1);
  EXPECT_EQ(removed, expect);
  EXPECT_EQ(c.occupancy(), 40u - expect);
  EXPECT_EQ(c.stats().invalidations, expect);
  for (uint64_t v = 0; v < 40; ++v) EXPECT_EQ(c.peek(K{v}) != nullptr, v % 3 != 1) << v;
  // Freed ways are reused before anything is evicted: refill each with a new key of the
  // same set (16 sets).
  for (uint64_t v = 0; v < 40; ++v)
    if (v % 3 == 1) {
      EXPECT_FALSE(c.insert(K{v + 16 * 100}, 0)) << v;
    }
  EXPECT_EQ(c.stats().evictions, 0u);
}

TEST(Cache, InvalidateOneAndAll) {
  Cache c(geom(16, 4));
  for (uint64_t v = 0; v < 10; ++v) c.insert(K{v}, 0);
  EXPECT_TRUE(c.invalidate(K{3}));
  EXPECT_FALSE(c.invalidate(K{3}));
  EXPECT_EQ(c.peek(K{3}), nullptr);
  EXPECT_EQ(c.invalidate_all(), 9u);
  EXPECT_EQ(c.occupancy(), 0u);
  EXPECT_EQ(c.stats().invalidations, 10u);
  for (uint64_t v = 0; v < 10; ++v) EXPECT_EQ(c.peek(K{v}), nullptr);
}

TEST(Cache, ForEachVisitsValidEntriesWithTheirSlot) {
  Cache c(geom(16, 4));
  std::map<uint64_t, int> expect;
  for (uint64_t v = 0; v < 12; ++v) {
    c.insert(K{v * 5}, static_cast<int>(v));
    expect[v * 5] = static_cast<int>(v);
  }
  c.invalidate(K{10});
  expect.erase(10);
  std::map<uint64_t, int> seen;
  c.for_each([&](const K& k, const int& v) { seen[k.v] = v; });
  EXPECT_EQ(seen, expect);
  std::set<std::pair<uint32_t, uint32_t>> slots;
  c.for_each([&](uint32_t set, uint32_t way, const K& k, const int&) {
    EXPECT_EQ(set, c.set_index(k));
    EXPECT_LT(way, c.ways());
    EXPECT_TRUE(slots.insert({set, way}).second);
  });
  EXPECT_EQ(slots.size(), expect.size());
}

// ---------------------------------------------------------------- page sizes

using Tag = uint16_t;  // e.g. a domain ID
using PKey = PageKey<Tag>;
using Iotlb = SetAssocCache<PKey, uint64_t>;  // value: output page address
constexpr std::array<unsigned, 3> kSizes = {12, 21, 30};

auto key_for(Tag tag, uint64_t va) {
  return [tag, va](unsigned lg2) { return PKey::of(tag, va, lg2); };
}

TEST(PageProbe, OneHitOrOneMissPerLookup) {
  Iotlb c(geom(64, 4));
  const uint64_t va2m = 0x4020'0000;
  c.insert(PKey::of(1, va2m, 21), 0x8000'0000);
  auto r = c.lookup_any(kSizes, key_for(1, va2m + 0x12345));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r.value, 0x8000'0000u);
  EXPECT_EQ(r.probe, 1u);  // the 2 MiB probe
  EXPECT_EQ(c.stats().hits, 1u);
  EXPECT_EQ(c.stats().misses, 0u);

  EXPECT_FALSE(c.lookup_any(kSizes, key_for(2, va2m)));               // other domain
  EXPECT_FALSE(c.lookup_any(kSizes, key_for(1, va2m + (2u << 20))));  // next 2 MiB page
  EXPECT_EQ(c.stats().hits, 1u);
  EXPECT_EQ(c.stats().misses, 2u);  // not one per probe

  EXPECT_EQ(c.peek_any(kSizes, key_for(1, va2m + 5)), c.peek(PKey::of(1, va2m, 21)));
  EXPECT_EQ(c.stats().hits + c.stats().misses, 3u);
}

TEST(PageProbe, FirstProbeWinsWhenSizesOverlap) {
  Iotlb c(geom(64, 64));
  const uint64_t va = 0x4000'3000;
  c.insert(PKey::of(1, va, 12), 0x1000);       // stale 4 KiB entry
  c.insert(PKey::of(1, va, 30), 0x4000'0000);  // newer 1 GiB entry
  auto small_first = c.lookup_any(kSizes, key_for(1, va));
  ASSERT_TRUE(small_first);
  EXPECT_EQ(*small_first.value, 0x1000u);
  const std::array<unsigned, 3> big_first = {30, 21, 12};
  auto r = c.lookup_any(big_first, key_for(1, va));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r.value, 0x4000'0000u);
  EXPECT_EQ(r.probe, 0u);
  EXPECT_EQ(c.stats().hits, 2u);
}

TEST(PageProbe, PageKeyFields) {
  const PKey k = PKey::of(7, 0x1234'5678, 21);
  EXPECT_EQ(k.page, 0x1234'5678u >> 21);
  EXPECT_EQ(k.base(), 0x1220'0000u);
  EXPECT_EQ(k.set_hash(), k.page);
  EXPECT_NE(k, PKey::of(7, 0x1234'5678, 12));
  EXPECT_NE(k, PKey::of(8, 0x1234'5678, 21));
  EXPECT_EQ(k, PKey::of(7, 0x1220'0000, 21));
}

TEST(PageProbe, RangeInvalidationByPredicate) {
  Iotlb c(geom(256, 8));
  for (uint64_t p = 0; p < 64; ++p) c.insert(PKey::of(1, p << 12, 12), p);
  c.insert(PKey::of(2, 0x10000, 12), 0);
  // Invalidate [0x10000, 0x20000) of domain 1: pages 16..31.
  const uint64_t lo = 0x10000, hi = 0x20000;
  const size_t n = c.invalidate_if([&](const PKey& k, const uint64_t&) {
    const uint64_t start = k.base(), end = start + (uint64_t{1} << k.page_lg2);
    return k.tag == 1 && start < hi && end > lo;
  });
  EXPECT_EQ(n, 16u);
  for (uint64_t p = 0; p < 64; ++p)
    EXPECT_EQ(c.peek(PKey::of(1, p << 12, 12)) == nullptr, p >= 16 && p < 32) << p;
  EXPECT_NE(c.peek(PKey::of(2, 0x10000, 12)), nullptr);
}

// ---------------------------------------------------------------- reference model

// A cache written the obvious way: a vector of sets of slots, victims chosen by the reference
// policies. The production cache must agree on every lookup, insert and eviction.
class RefCache {
 public:
  RefCache(uint32_t sets, uint32_t ways, ReplacementPolicy p, uint64_t seed)
      : sets_(sets), ways_(ways), policy_(p), rng_(seed) {
    slots_.assign(sets, std::vector<Slot>(ways));
    for (uint32_t s = 0; s < sets; ++s) plru_.emplace_back(ways);
  }
  std::optional<int> lookup(uint64_t key) {
    auto& set = slots_[key % sets_];
    for (uint32_t w = 0; w < ways_; ++w) {
      if (set[w].valid && set[w].key == key) {
        set[w].used = ++time_;
        plru_[key % sets_].use(w);
        return set[w].value;
      }
    }
    return std::nullopt;
  }
  std::optional<std::pair<uint64_t, int>> insert(uint64_t key, int value) {
    const uint64_t s = key % sets_;
    auto& set = slots_[s];
    std::optional<uint32_t> way;
    for (uint32_t w = 0; w < ways_ && !way; ++w)
      if (set[w].valid && set[w].key == key) way = w;
    for (uint32_t w = 0; w < ways_ && !way; ++w)
      if (!set[w].valid) way = w;
    std::optional<std::pair<uint64_t, int>> evicted;
    if (!way) {
      way = victim(s);
      evicted = std::make_pair(set[*way].key, set[*way].value);
    }
    Slot& slot = set[*way];
    slot = Slot{true, key, value, ++time_, time_};
    plru_[s].use(*way);
    return evicted;
  }
  size_t invalidate_if(uint64_t mod, uint64_t rem) {
    size_t n = 0;
    for (auto& set : slots_)
      for (auto& slot : set)
        if (slot.valid && slot.key % mod == rem) {
          slot.valid = false;
          ++n;
        }
    return n;
  }
  size_t occupancy() const {
    size_t n = 0;
    for (auto& set : slots_)
      for (auto& slot : set) n += slot.valid;
    return n;
  }

 private:
  struct Slot {
    bool valid = false;
    uint64_t key = 0;
    int value = 0;
    uint64_t used = 0;
    uint64_t filled = 0;
  };
  uint32_t victim(uint64_t s) {
    auto& set = slots_[s];
    switch (policy_) {
      case ReplacementPolicy::lru:
        return static_cast<uint32_t>(
            std::min_element(set.begin(), set.end(),
                             [](const Slot& a, const Slot& b) { return a.used < b.used; }) -
            set.begin());
      case ReplacementPolicy::fifo:
        return static_cast<uint32_t>(
            std::min_element(set.begin(), set.end(),
                             [](const Slot& a, const Slot& b) { return a.filled < b.filled; }) -
            set.begin());
      case ReplacementPolicy::plru:
        return plru_[s].victim();
      case ReplacementPolicy::random:
        return static_cast<uint32_t>(rng_.below(ways_));
    }
    return 0;
  }
  uint32_t sets_, ways_;
  ReplacementPolicy policy_;
  Rng rng_;
  uint64_t time_ = 0;
  std::vector<std::vector<Slot>> slots_;
  std::vector<testref::RefPlruTree> plru_;
};

struct RefCase {
  uint32_t entries, ways;
  ReplacementPolicy policy;
};

void PrintTo(const RefCase& c, std::ostream* os) {
  *os << c.entries << " entries, " << c.ways << " ways, " << to_string(c.policy);
}

class AgainstReference : public ::testing::TestWithParam<RefCase> {};

TEST_P(AgainstReference, RandomOperations) {
  const RefCase rc = GetParam();
  constexpr uint64_t kSeed = 99;
  Cache c(geom(rc.entries, rc.ways, rc.policy, kSeed));
  RefCache ref(rc.entries / rc.ways, rc.ways, rc.policy, kSeed);
  Rng rng(rc.entries * 131 + rc.ways);
  uint64_t hits = 0, misses = 0, evictions = 0, invalidations = 0;
  for (int step = 0; step < 20000; ++step) {
    const uint64_t key = rng.below(uint64_t{rc.entries} * 3);
    const uint64_t op = rng.below(100);
    if (op < 50) {
      const int* got = c.lookup(K{key});
      const auto want = ref.lookup(key);
      ASSERT_EQ(got != nullptr, want.has_value()) << "step " << step << " key " << key;
      if (got) {
        ASSERT_EQ(*got, *want);
        ++hits;
      } else {
        ++misses;
      }
    } else if (op < 97) {
      const int value = static_cast<int>(rng.below(1000));
      const auto got = c.insert(K{key}, value);
      const auto want = ref.insert(key, value);
      ASSERT_EQ(got.has_value(), want.has_value()) << "step " << step << " key " << key;
      if (got) {
        ASSERT_EQ(got->key.v, want->first) << "step " << step;
        ASSERT_EQ(got->value, want->second);
        ++evictions;
      }
    } else {
      const uint64_t mod = 2 + rng.below(5), rem = rng.below(mod);
      const size_t n = c.invalidate_if([&](const K& k, const int&) { return k.v % mod == rem; });
      ASSERT_EQ(n, ref.invalidate_if(mod, rem));
      invalidations += n;
    }
    ASSERT_EQ(c.occupancy(), ref.occupancy()) << "step " << step;
  }
  EXPECT_EQ(c.stats().hits, hits);
  EXPECT_EQ(c.stats().misses, misses);
  EXPECT_EQ(c.stats().evictions, evictions);
  EXPECT_EQ(c.stats().invalidations, invalidations);
  EXPECT_GT(hits, 0u);
  EXPECT_GT(evictions, 0u);
}

INSTANTIATE_TEST_SUITE_P(Policies, AgainstReference,
                         ::testing::Values(RefCase{16, 4, RP::lru}, RefCase{16, 4, RP::fifo},
                                           RefCase{16, 4, RP::plru}, RefCase{16, 4, RP::random},
                                           RefCase{32, 32, RP::lru}, RefCase{32, 32, RP::plru},
                                           RefCase{24, 8, RP::fifo}, RefCase{12, 4, RP::random},
                                           RefCase{8, 1, RP::lru}));

// ---------------------------------------------------------------- hot path

TEST(HotPath, LookupAndInsertDoNotAllocate) {
  for (auto policy : {RP::lru, RP::plru, RP::fifo, RP::random}) {
    Iotlb c(geom(128, 8, policy, 5));
    Rng rng(3);
    // Warm up so evictions happen in the measured loop too.
    for (int i = 0; i < 1000; ++i) c.insert(PKey::of(1, rng.below(1 << 20) << 12, 12), 0);
    const uint64_t before = g_allocations.load();
    for (int i = 0; i < 10000; ++i) {
      const uint64_t va = rng.below(1 << 20) << 12;
      if (!c.lookup_any(kSizes, key_for(1, va))) c.insert(PKey::of(1, va, 12), va);
    }
    EXPECT_EQ(g_allocations.load(), before) << to_string(policy);
    EXPECT_GT(c.stats().evictions, 0u);
  }
}

}  // namespace
}  // namespace isim
