#include "base/rng.h"

#include <gtest/gtest.h>

#include <map>

namespace isim {
namespace {

TEST(Rng, SameSeedAndNameGiveSameStream) {
  Rng a(42, "system.nic0"), b(42, "system.nic0");
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next(), b.next());
}

TEST(Rng, NamesAndSeedsSeparateStreams) {
  Rng a(42, "nic0"), b(42, "nic1"), c(43, "nic0");
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next();
    same_ab += x == b.next();
    same_ac += x == c.next();
  }
  EXPECT_EQ(same_ab, 0);
  EXPECT_EQ(same_ac, 0);
}

TEST(Rng, BelowIsInRangeAndRoughlyUniform) {
  Rng r(7);
  std::map<uint64_t, int> hist;
  constexpr int kDraws = 60000;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t v = r.below(6);
    ASSERT_LT(v, 6u);
    ++hist[v];
  }
  ASSERT_EQ(hist.size(), 6u);
  for (const auto& [v, n] : hist) EXPECT_NEAR(n, kDraws / 6, kDraws / 60) << v;
  EXPECT_EQ(r.below(0), 0u);
  EXPECT_EQ(r.below(1), 0u);
}

TEST(Rng, UniformIsInUnitInterval) {
  Rng r(9);
  double sum = 0;
  for (int i = 0; i < 10000; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 10000, 0.5, 0.02);
}

TEST(Rng, NameHashIsStable) {
  // FNV-1a of "" and "a" are fixed by the algorithm's definition.
  EXPECT_EQ(name_hash(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(name_hash("a"), 0xaf63dc4c8601ec8cull);
}

}  // namespace
}  // namespace isim
