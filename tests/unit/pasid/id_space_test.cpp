#include "pasid/id_space.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace isim::pasid {
namespace {

TEST(IdSpace, HandsOutLowestFirstAndReusesFreed) {
  IdSpace s(5, 9);
  EXPECT_EQ(s.free_count(), 5u);
  for (uint32_t want = 5; want <= 9; ++want) EXPECT_EQ(s.take_lowest(), want);
  EXPECT_FALSE(s.take_lowest());
  EXPECT_TRUE(s.give_back(7));
  EXPECT_TRUE(s.give_back(6));
  EXPECT_EQ(s.take_lowest(), 6u);
  EXPECT_EQ(s.take_lowest(), 7u);
}

TEST(IdSpace, RejectsOutsideAndDoubleOperations) {
  IdSpace s(1, 3);
  EXPECT_FALSE(s.take(0));
  EXPECT_FALSE(s.take(4));
  EXPECT_TRUE(s.take(2));
  EXPECT_FALSE(s.take(2));
  EXPECT_FALSE(s.give_back(1));  // never taken
  EXPECT_FALSE(s.give_back(9));
  EXPECT_TRUE(s.give_back(2));
  EXPECT_FALSE(s.give_back(2));
}

TEST(IdSpace, EmptyWhenLoAboveHi) {
  IdSpace s(4, 3);
  EXPECT_EQ(s.free_count(), 0u);
  EXPECT_FALSE(s.take_lowest());
}

TEST(IdSpace, FullWidthSpaceEndsAtTwoToTheTwentyMinusOne) {
  IdSpace s(1, (1u << 20) - 1);
  EXPECT_TRUE(s.take((1u << 20) - 1));
  EXPECT_FALSE(s.take(1u << 20));
  EXPECT_EQ(s.free_count(), (1u << 20) - 2);
}

// Against a brute-force oracle: random takes and frees keep the same free set.
TEST(IdSpace, MatchesOracleUnderRandomOperations) {
  constexpr uint32_t kLo = 3, kHi = 200;
  IdSpace s(kLo, kHi);
  std::set<uint32_t> taken;
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    const uint32_t id = kLo - 2 + rng() % (kHi - kLo + 5);
    switch (rng() % 3) {
      case 0: {
        auto got = s.take_lowest();
        uint32_t want = kLo;
        while (want <= kHi && taken.count(want)) ++want;
        if (want > kHi) {
          EXPECT_FALSE(got);
        } else {
          ASSERT_TRUE(got);
          EXPECT_EQ(*got, want);
          taken.insert(want);
        }
        break;
      }
      case 1: {
        const bool ok = id >= kLo && id <= kHi && !taken.count(id);
        EXPECT_EQ(s.take(id), ok) << id;
        if (ok) taken.insert(id);
        break;
      }
      default: {
        const bool ok = taken.count(id) != 0;
        EXPECT_EQ(s.give_back(id), ok) << id;
        taken.erase(id);
      }
    }
    ASSERT_EQ(s.free_count(), (kHi - kLo + 1) - taken.size());
  }
  for (uint32_t id = kLo; id <= kHi; ++id) EXPECT_EQ(s.is_free(id), !taken.count(id)) << id;
}

}  // namespace
}  // namespace isim::pasid
