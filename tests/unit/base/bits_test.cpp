#include "base/bits.h"

#include <gtest/gtest.h>

namespace isim {
namespace {

TEST(Bits, MaskAndFields) {
  EXPECT_EQ(mask(11, 9), 0xe00u);
  EXPECT_EQ(mask(63, 0), ~uint64_t{0});
  EXPECT_EQ(mask(63, 63), uint64_t{1} << 63);
  EXPECT_EQ(mask(0, 0), 1u);
  EXPECT_EQ(bits(0xabcd, 11, 8), 0xbu);
  EXPECT_EQ(set_bits(0xffff, 11, 8, 0x3), 0xf3ffu);
  EXPECT_EQ(set_bits(0, 3, 0, 0x1f), 0xfu);  // truncated to the field
  EXPECT_TRUE(bit(0x80, 7));
  EXPECT_FALSE(bit(0x80, 6));
  EXPECT_EQ(set_bit(0, 5, true), 0x20u);
  EXPECT_EQ(set_bit(0xff, 0, false), 0xfeu);
}

TEST(Bits, BruteForceMaskOracle) {
  for (unsigned hi = 0; hi < 64; ++hi)
    for (unsigned lo = 0; lo <= hi; ++lo) {
      uint64_t want = 0;
      for (unsigned b = lo; b <= hi; ++b) want |= uint64_t{1} << b;
      ASSERT_EQ(mask(hi, lo), want) << hi << ":" << lo;
    }
}

TEST(Bits, AlignmentAndLogs) {
  EXPECT_EQ(align_down(0x12345, 12), 0x12000u);
  EXPECT_EQ(align_up(0x12345, 12), 0x13000u);
  EXPECT_EQ(align_up(0x12000, 12), 0x12000u);
  EXPECT_TRUE(is_aligned(0x200000, 21));
  EXPECT_FALSE(is_aligned(0x201000, 21));
  EXPECT_EQ(log2_floor(1), 0u);
  EXPECT_EQ(log2_floor(4096), 12u);
  EXPECT_EQ(log2_floor(4097), 12u);
  EXPECT_TRUE(is_pow2(64));
  EXPECT_FALSE(is_pow2(0));
  EXPECT_FALSE(is_pow2(96));
}

TEST(Bits, SignExtend) {
  EXPECT_EQ(sign_extend(0x0000800000000000ull, 47), 0xffff800000000000ull);
  EXPECT_EQ(sign_extend(0x00007fffffffffffull, 47), 0x00007fffffffffffull);
}

}  // namespace
}  // namespace isim
