// Replacement policies against small brute-force reference models.
#include "hw/cache/replacement.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <vector>

#include "base/rng.h"
#include "ref_models.h"

namespace isim {
namespace {

TEST(ReplacementPolicyNames, RoundTrip) {
  for (auto p : {ReplacementPolicy::lru, ReplacementPolicy::plru, ReplacementPolicy::fifo,
                 ReplacementPolicy::random}) {
    auto parsed = parse_replacement_policy(to_string(p));
    ASSERT_TRUE(parsed.has_value()) << to_string(p);
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(parse_replacement_policy("lru"), ReplacementPolicy::lru);
  EXPECT_EQ(parse_replacement_policy("plru"), ReplacementPolicy::plru);
  EXPECT_EQ(parse_replacement_policy("fifo"), ReplacementPolicy::fifo);
  EXPECT_EQ(parse_replacement_policy("random"), ReplacementPolicy::random);
}

TEST(ReplacementPolicyNames, ConfigTableListsEveryPolicy) {
  // The config layer reads enums through cfg::EnumNames<E>::table.
  const auto& table = cfg::EnumNames<ReplacementPolicy>::table;
  ASSERT_EQ(std::size(table), 4u);
  for (const auto& [policy, name] : table) EXPECT_EQ(to_string(policy), name);
}

TEST(ReplacementPolicyNames, RejectsUnknown) {
  EXPECT_FALSE(parse_replacement_policy(""));
  EXPECT_FALSE(parse_replacement_policy("LRU"));
  EXPECT_FALSE(parse_replacement_policy("mru"));
  EXPECT_FALSE(parse_replacement_policy("lru "));
}

using testref::RefList;
using testref::RefPlruTree;

TEST(ReplacementState, LruMatchesRecencyList) {
  constexpr uint32_t kWays = 8;
  ReplacementState st(ReplacementPolicy::lru, 1, kWays, 0);
  RefList ref(kWays);
  Rng rng(11);
  for (int step = 0; step < 5000; ++step) {
    const auto w = static_cast<uint32_t>(rng.below(kWays));
    if (rng.below(2)) {
      st.on_hit(0, w);
    } else {
      st.on_fill(0, w);
    }
    ref.use(w);
    ASSERT_EQ(st.victim(0), ref.victim()) << "step " << step;
  }
}

TEST(ReplacementState, FifoIgnoresHits) {
  constexpr uint32_t kWays = 4;
  ReplacementState st(ReplacementPolicy::fifo, 1, kWays, 0);
  RefList ref(kWays);
  Rng rng(12);
  for (int step = 0; step < 5000; ++step) {
    const auto w = static_cast<uint32_t>(rng.below(kWays));
    if (rng.below(2)) {
      st.on_hit(0, w);  // must not reorder
    } else {
      st.on_fill(0, w);
      ref.use(w);
    }
    ASSERT_EQ(st.victim(0), ref.victim()) << "step " << step;
  }
}

TEST(ReplacementState, FifoOrderAfterFills) {
  ReplacementState st(ReplacementPolicy::fifo, 1, 3, 0);
  st.on_fill(0, 2);
  st.on_fill(0, 0);
  st.on_fill(0, 1);
  st.on_hit(0, 2);
  EXPECT_EQ(st.victim(0), 2u);  // oldest fill, though just hit
  st.on_fill(0, 2);
  EXPECT_EQ(st.victim(0), 0u);
}

// Hand-written 4-way tree-PLRU: b0 chooses the half (0 = ways 0-1), b1 the way within 0-1,
// b2 the way within 2-3. A use points each bit on its path away from the used way.
struct RefPlru4 {
  int b0 = 0, b1 = 0, b2 = 0;
  void use(uint32_t w) {
    if (w < 2) {
      b0 = 1;
      b1 = (w == 0) ? 1 : 0;
    } else {
      b0 = 0;
      b2 = (w == 2) ? 1 : 0;
    }
  }
  uint32_t victim() const { return b0 == 0 ? (b1 == 0 ? 0u : 1u) : (b2 == 0 ? 2u : 3u); }
};

TEST(ReplacementState, Plru4KnownSequence) {
  ReplacementState st(ReplacementPolicy::plru, 1, 4, 0);
  EXPECT_EQ(st.victim(0), 0u);
  for (uint32_t w : {0u, 1u, 2u, 3u}) st.on_fill(0, w);
  EXPECT_EQ(st.victim(0), 0u);
  st.on_hit(0, 0);
  EXPECT_EQ(st.victim(0), 2u);
  st.on_hit(0, 2);
  EXPECT_EQ(st.victim(0), 1u);
  st.on_hit(0, 1);
  EXPECT_EQ(st.victim(0), 3u);
}

TEST(ReplacementState, Plru4MatchesHandWrittenBits) {
  ReplacementState st(ReplacementPolicy::plru, 1, 4, 0);
  RefPlru4 ref;
  Rng rng(13);
  for (int step = 0; step < 5000; ++step) {
    const auto w = static_cast<uint32_t>(rng.below(4));
    if (rng.below(2)) {
      st.on_hit(0, w);
    } else {
      st.on_fill(0, w);
    }
    ref.use(w);
    ASSERT_EQ(st.victim(0), ref.victim()) << "step " << step;
  }
}

class PlruWide : public ::testing::TestWithParam<uint32_t> {};

TEST_P(PlruWide, MatchesRecursiveTree) {
  const uint32_t ways = GetParam();
  ReplacementState st(ReplacementPolicy::plru, 2, ways, 0);
  RefPlruTree ref(ways);
  Rng rng(ways);
  for (int step = 0; step < 3000; ++step) {
    const auto w = static_cast<uint32_t>(rng.below(ways));
    st.on_hit(1, w);
    ref.use(w);
    ASSERT_EQ(st.victim(1), ref.victim()) << "step " << step;
    if (ways > 1) {
      ASSERT_NE(st.victim(1), w) << "PLRU must never pick the way just used";
    }
  }
  EXPECT_EQ(st.victim(0), 0u) << "set 0 was never touched";
}

INSTANTIATE_TEST_SUITE_P(Ways, PlruWide, ::testing::Values(1u, 2u, 8u, 16u, 64u));

TEST(ReplacementState, RandomFollowsSeededStream) {
  constexpr uint32_t kWays = 8;
  ReplacementState st(ReplacementPolicy::random, 4, kWays, 1234);
  Rng ref(1234);
  for (int i = 0; i < 200; ++i)
    ASSERT_EQ(st.victim(static_cast<uint32_t>(i % 4)), ref.below(kWays)) << "draw " << i;
}

TEST(ReplacementState, RandomIsDeterministicPerSeed) {
  ReplacementState a(ReplacementPolicy::random, 1, 16, 7);
  ReplacementState b(ReplacementPolicy::random, 1, 16, 7);
  ReplacementState c(ReplacementPolicy::random, 1, 16, 8);
  std::vector<uint32_t> va, vb, vc;
  for (int i = 0; i < 64; ++i) {
    va.push_back(a.victim(0));
    vb.push_back(b.victim(0));
    vc.push_back(c.victim(0));
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  for (uint32_t v : va) EXPECT_LT(v, 16u);
  a.reset();
  for (int i = 0; i < 64; ++i) ASSERT_EQ(a.victim(0), va[static_cast<size_t>(i)]);
}

TEST(ReplacementState, SetsAreIndependent) {
  ReplacementState st(ReplacementPolicy::lru, 2, 2, 0);
  st.on_fill(0, 0);
  st.on_fill(0, 1);
  st.on_fill(1, 1);
  st.on_fill(1, 0);
  st.on_hit(1, 1);
  EXPECT_EQ(st.victim(0), 0u);
  EXPECT_EQ(st.victim(1), 0u);
  st.on_hit(0, 0);
  EXPECT_EQ(st.victim(0), 1u);
  EXPECT_EQ(st.victim(1), 0u);
}

}  // namespace
}  // namespace isim
