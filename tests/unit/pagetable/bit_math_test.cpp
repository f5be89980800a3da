// Brute-force oracles for the geometry every format reports: index extraction, the level a page
// size lands on, the page sizes a configuration can map, and the input range.
#include <gtest/gtest.h>

#include "base/bits.h"
#include "base/rng.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

template <class F>
std::vector<F> configs();

template <>
std::vector<X86Format> configs<X86Format>() {
  std::vector<X86Format> v;
  for (unsigned l : {4u, 5u}) {
    for (bool g : {false, true}) {
      X86Config c;
      c.levels = l;
      c.page_1g = g;
      v.emplace_back(c);
    }
  }
  return v;
}

template <>
std::vector<VtdSsFormat> configs<VtdSsFormat>() {
  std::vector<VtdSsFormat> v;
  for (unsigned l : {3u, 4u, 5u}) {
    for (unsigned sp = 0; sp < 4; ++sp) {
      VtdSsConfig c;
      c.levels = l;
      c.sp_2m = sp & 1;
      c.sp_1g = sp & 2;
      v.emplace_back(c);
    }
  }
  return v;
}

template <>
std::vector<AmdV1Format> configs<AmdV1Format>() {
  std::vector<AmdV1Format> v;
  for (unsigned m = 1; m <= 6; ++m) {
    AmdV1Config c;
    c.mode = m;
    v.emplace_back(c);
  }
  return v;
}

/// Input-address width each configuration should have (from the specifications).
unsigned expected_va_bits(const X86Format& f) {
  return f.config().levels == 4 ? 48 : 57;
}
unsigned expected_va_bits(const VtdSsFormat& f) {
  return 30 + 9 * (f.config().levels - 2);
}
unsigned expected_va_bits(const AmdV1Format& f) {
  const unsigned w = 12 + 9 * f.config().mode;
  return w > 64 ? 64 : w;
}

/// Page sizes each configuration should map (from the specifications).
uint64_t expected_sizes(const X86Format& f) {
  return (1ull << 12) | (1ull << 21) | (f.config().page_1g ? 1ull << 30 : 0);
}
uint64_t expected_sizes(const VtdSsFormat& f) {
  uint64_t m = 1ull << 12;
  if (f.config().sp_2m) m |= 1ull << 21;
  if (f.config().sp_1g && f.config().levels >= 3) m |= 1ull << 30;
  return m;
}
uint64_t expected_sizes(const AmdV1Format& f) {
  // Every power of two from 4 KiB up to what Mode levels can hold, at most 2^51, never in the
  // Mode-6 root (48882 2.2.3 page-size encodings).
  uint64_t m = 0;
  for (unsigned k = 12; k <= 51; ++k) {
    const unsigned leaf_level = (k - 12) / 9;
    if (leaf_level < f.config().mode && leaf_level < 5) m |= 1ull << k;
  }
  return m;
}

template <class F>
class BitMath : public ::testing::Test {};

using Formats = ::testing::Types<X86Format, VtdSsFormat, AmdV1Format>;
TYPED_TEST_SUITE(BitMath, Formats);

TYPED_TEST(BitMath, IndexMatchesBitByBitExtraction) {
  Rng rng(11, TypeParam::kName);
  for (const TypeParam& f : configs<TypeParam>()) {
    for (int i = 0; i < 2000; ++i) {
      const uint64_t va = rng.next();
      for (unsigned l = 0; l <= f.top_level(); ++l) {
        uint64_t want = idx9(va, l);
        if (l == f.top_level() && f.num_items_lg2(l) < 9) want &= lg2_size(f.num_items_lg2(l)) - 1;
        ASSERT_EQ(table_index(f, va, l), want) << std::hex << va << " level " << l;
      }
    }
  }
}

TYPED_TEST(BitMath, InputRangeMatchesSpecWidth) {
  for (const TypeParam& f : configs<TypeParam>()) {
    const unsigned w = expected_va_bits(f);
    EXPECT_EQ(va_lg2(f), w);
    if (w < 64) {
      EXPECT_EQ(check_input(f, lg2_size(w) - 1 -
                                   (std::is_same_v<TypeParam, X86Format> ? lg2_size(w - 1) : 0)),
                FaultKind::None);
      if (!std::is_same_v<TypeParam, X86Format>) {
        EXPECT_EQ(check_input(f, lg2_size(w)), FaultKind::AddressSize);
      }
    }
  }
}

TYPED_TEST(BitMath, PageSizesMatchSpec) {
  for (const TypeParam& f : configs<TypeParam>()) {
    EXPECT_EQ(f.page_size_bitmap(), expected_sizes(f)) << std::hex << f.page_size_bitmap();
  }
}

TYPED_TEST(BitMath, LeafLevelCoversThePageExactly) {
  for (const TypeParam& f : configs<TypeParam>()) {
    for (unsigned k = 12; k < 64; ++k) {
      if (!bit(f.page_size_bitmap(), k)) continue;
      const std::optional<unsigned> l = leaf_level_for(f, k);
      ASSERT_TRUE(l) << k;
      // Brute force: the level is the highest whose single entry span does not exceed the page.
      unsigned want = 0;
      for (unsigned c = 0; c <= f.top_level(); ++c) {
        if (12 + 9 * c <= k) want = c;
      }
      EXPECT_EQ(*l, want) << k;
      EXPECT_TRUE(f.encode_leaf(lg2_size(k), *l, k, MapAttrs::rw())) << k;
    }
  }
}

TEST(AmdV1BitMath, SizeOverrideEncodingRoundTrips) {
  for (const AmdV1Format& f : configs<AmdV1Format>()) {
    for (unsigned k = 13; k <= 51; ++k) {
      if (!bit(f.page_size_bitmap(), k)) continue;
      const unsigned l = *leaf_level_for(f, k);
      if (k == f.item_lg2sz(l)) continue;  // natural size: NextLevel 0, no override
      const uint64_t oa = lg2_size(k) * 5 & mask(51, 0);
      const uint64_t e = *f.encode_leaf(oa, l, k, MapAttrs::rw());
      EXPECT_EQ(bits(e, 11, 9), 7u);
      // Count the run of ones from bit 12 by hand.
      unsigned run = 0;
      while (run < 40 && ((e >> (12 + run)) & 1)) ++run;
      EXPECT_EQ(13 + run, k);
      EXPECT_EQ(AmdV1Format::size_override_lg2(e), k);
      const Decoded d = f.decode(e, l);
      ASSERT_EQ(d.type, EntryType::Leaf);
      EXPECT_EQ(d.page_lg2, k);
      EXPECT_EQ(d.addr, oa & mask(51, k));
    }
  }
}

}  // namespace
}  // namespace isim::pt::test
