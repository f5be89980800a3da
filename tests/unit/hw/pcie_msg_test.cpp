#include "hw/pcie_msg.h"

#include <gtest/gtest.h>

namespace isim {
namespace {

TEST(AtsInvalidationWire, SinglePageHasNoSBit) {
  AtsInvalidation inv;
  inv.addr = 0x12345000;
  inv.size_lg2 = 12;
  EXPECT_EQ(inv.wire_address(), 0x12345000u);
  const AtsInvalidation back = AtsInvalidation::from_wire(0x12345000);
  EXPECT_EQ(back.addr, 0x12345000u);
  EXPECT_EQ(back.size_lg2, 12u);
}

TEST(AtsInvalidationWire, RangesFollowTheLowestClearBit) {
  // PCIe 10.3.1 examples: S=1 with bit 12 clear is 8 KiB; bits 12..14 set, 15 clear is 64 KiB.
  EXPECT_EQ(AtsInvalidation::from_wire(0x10000800).size_lg2, 13u);
  EXPECT_EQ(AtsInvalidation::from_wire(0x10000800).addr, 0x10000000u);
  const AtsInvalidation r64k = AtsInvalidation::from_wire(0x10007800);
  EXPECT_EQ(r64k.size_lg2, 16u);
  EXPECT_EQ(r64k.addr, 0x10000000u);
  // 2 MiB at 0x40200000: ones in bits 12..19, zero at bit 20.
  const AtsInvalidation r2m = AtsInvalidation::from_wire(0x402ff800);
  EXPECT_EQ(r2m.size_lg2, 21u);
  EXPECT_EQ(r2m.addr, 0x40200000u);
}

TEST(AtsInvalidationWire, WholeSpaceIsBits62To12Set) {
  const uint64_t all = 0x7ffffffffffff800ull;
  const AtsInvalidation inv = AtsInvalidation::from_wire(all);
  EXPECT_EQ(inv.size_lg2, 64u);
  EXPECT_EQ(inv.addr, 0u);
  EXPECT_EQ(inv.wire_address(), all);
  EXPECT_TRUE(inv.covers(0xfffffffffffff000ull, 12));
}

TEST(AtsInvalidationWire, RoundTripsEverySize) {
  for (unsigned lg2 = 12; lg2 <= 64; ++lg2) {
    AtsInvalidation inv;
    inv.size_lg2 = lg2;
    inv.addr = lg2 >= 64 ? 0 : (0xabcdef0123456000ull >> lg2) << lg2;
    const AtsInvalidation back = AtsInvalidation::from_wire(inv.wire_address());
    EXPECT_EQ(back.size_lg2, lg2);
    EXPECT_EQ(back.addr, inv.addr) << "size 2^" << lg2;
  }
}

TEST(AtsInvalidationRange, CoversAndOverlaps) {
  AtsInvalidation inv;
  inv.addr = 0x200000;
  inv.size_lg2 = 21;  // [2 MiB, 4 MiB)
  EXPECT_TRUE(inv.covers(0x3ff000, 12));
  EXPECT_FALSE(inv.covers(0x400000, 12));
  EXPECT_FALSE(inv.covers(0x0, 30)) << "a 1 GiB entry is larger than the range";
  EXPECT_TRUE(inv.overlaps(0x0, 30)) << "but it overlaps it";
  EXPECT_FALSE(inv.overlaps(0x400000, 21));
}

TEST(PageRequest, StopMarkerNeedsAPasid) {
  PageRequest pr;
  pr.last = true;
  EXPECT_FALSE(pr.stop_marker());
  pr.has_pasid = true;
  EXPECT_TRUE(pr.stop_marker());
  pr.read = true;
  EXPECT_FALSE(pr.stop_marker());
}

}  // namespace
}  // namespace isim
