#include "hw/inflight.h"

#include <gtest/gtest.h>

namespace isim {
namespace {

TEST(InflightTable, MissWhileInFlightJoinsTheFill) {
  InflightTable<uint64_t> t;
  EXPECT_FALSE(t.join(0x1000, 100).has_value());
  t.start(0x1000, 500, 100);
  const auto done = t.join(0x1000, 200);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(*done, 500u);
  EXPECT_EQ(t.stats().merged, 1u);
  EXPECT_EQ(t.stats().merged_wait, 300u);
}

TEST(InflightTable, OtherKeysAndCompletedFillsDoNotJoin) {
  InflightTable<uint64_t> t;
  t.start(0x1000, 500, 100);
  EXPECT_FALSE(t.join(0x2000, 200).has_value());
  EXPECT_FALSE(t.join(0x1000, 500).has_value()) << "a fill done at `now` is in the cache";
  EXPECT_FALSE(t.join(0x1000, 900).has_value());
  EXPECT_EQ(t.stats().merged, 0u);
  EXPECT_EQ(t.stats().started, 1u);
}

TEST(InflightTable, NewerFillReplacesOlderRecord) {
  InflightTable<uint64_t> t;
  t.start(7, 500, 0);
  t.start(7, 900, 600);
  EXPECT_EQ(t.join(7, 700).value(), 900u);
}

TEST(InflightTable, CompletedRecordsAreSweptAsTheTableGrows) {
  InflightTable<uint64_t> t;
  for (uint64_t k = 0; k < 10000; ++k) t.start(k, k + 10, k);
  // Everything but the most recent fills had completed by the last insert.
  EXPECT_LT(t.size(), 300u);
  EXPECT_EQ(t.join(9999, 9999).value(), 10009u);
}

TEST(InflightTable, ClearForgetsFills) {
  InflightTable<uint64_t> t;
  t.start(1, 100, 0);
  t.clear();
  EXPECT_FALSE(t.join(1, 50).has_value());
  EXPECT_EQ(t.size(), 0u);
}

struct PairKey {
  uint16_t did;
  uint64_t page;
  bool operator==(const PairKey&) const = default;
};
struct PairHash {
  size_t operator()(const PairKey& k) const {
    return std::hash<uint64_t>{}(k.page ^ (uint64_t{k.did} << 48));
  }
};

TEST(InflightTable, StructKeysWithCustomHash) {
  InflightTable<PairKey, PairHash> t;
  t.start({1, 0x5000}, 100, 0);
  EXPECT_TRUE(t.join({1, 0x5000}, 10).has_value());
  EXPECT_FALSE(t.join({2, 0x5000}, 10).has_value());
}

}  // namespace
}  // namespace isim
