#include <gtest/gtest.h>

#include "models/amdvi/commands.h"

namespace isim::amdvi {
namespace {

DecodedCommand roundtrip(const Command& c, const Features& f = {}) {
  return decode_command(c.encode(), f);
}

TEST(AmdviCommands, OpcodeInBits63To60) {
  EXPECT_EQ(Command::completion_wait(true, false, false, 0x1000, 1).encode()[0] >> 60, 1u);
  EXPECT_EQ(Command::invalidate_devtab_entry(1).encode()[0] >> 60, 2u);
  EXPECT_EQ(Command::invalidate_iommu_pages(1, 0, 4096, true).encode()[0] >> 60, 3u);
  EXPECT_EQ(Command::invalidate_iotlb_pages(1, 32, 0, 4096).encode()[0] >> 60, 4u);
  EXPECT_EQ(Command::invalidate_interrupt_table(1).encode()[0] >> 60, 5u);
  EXPECT_EQ(Command::prefetch_iommu_pages(1, 0, 1, false, false).encode()[0] >> 60, 6u);
  EXPECT_EQ(Command::complete_ppr_request(1, 2, 0).encode()[0] >> 60, 7u);
  EXPECT_EQ(Command::invalidate_iommu_all().encode()[0] >> 60, 8u);
}

TEST(AmdviCommands, EveryBuilderRoundTrips) {
  const Command cmds[] = {
      Command::completion_wait(true, true, true, 0xf'ffff'fff8, 0x1122'3344'5566'7788),
      Command::invalidate_devtab_entry(0xbeef),
      Command::invalidate_iommu_pages(0x42, 0x7000'0000, 0x20'0000, true, true, 0xa'bcde),
      Command::invalidate_iotlb_pages(0x0310, 31, 0x5000, 4096, true, 0xb'cdef),
      Command::invalidate_interrupt_table(0x0101),
      Command::prefetch_iommu_pages(0x0102, 0x8000, 4, true, true, true, 0x1'2345),
      Command::complete_ppr_request(0x0103, 0x1ff, 0xf, true, 0x5'4321),
      Command::invalidate_iommu_all(),
  };
  for (const Command& c : cmds) {
    const DecodedCommand d = roundtrip(c);
    ASSERT_TRUE(d.ok()) << to_string(c.op) << ": " << to_string(d.error);
    EXPECT_EQ(d.cmd, c) << to_string(c.op);
  }
}

TEST(AmdviCommands, FieldPositions) {
  Qw2 q = Command::completion_wait(true, true, false, 0x12'3456'7898, 0xabc).encode();
  EXPECT_EQ(q[0] & 7, 3u);
  EXPECT_EQ(q[0] & mask(51, 3), 0x12'3456'7898u);
  EXPECT_EQ(q[1], 0xabcu);
  q = Command::invalidate_iommu_pages(0x1234, 0x4000, 4096, true, true, 0x5'6789).encode();
  EXPECT_EQ(bits(q[0], 19, 0), 0x5'6789u);
  EXPECT_EQ(bits(q[0], 47, 32), 0x1234u);
  EXPECT_EQ(q[1], 0x4000u | 0b110);  // PDE bit 65, GN bit 66, S clear
  // Current-Linux PASID placement in INVALIDATE_IOTLB_PAGES.
  q = Command::invalidate_iotlb_pages(0x0310, 0x20, 0, 4096, true, 0xabcd).encode();
  EXPECT_EQ(bits(q[0], 23, 16), 0xabu);
  EXPECT_EQ(bits(q[0], 55, 48), 0xcdu);
  EXPECT_EQ(bits(q[0], 31, 24), 0x20u);
  q = Command::complete_ppr_request(7, 0x155, 0x1).encode();
  EXPECT_EQ(bits(q[1], 40, 32), 0x155u);
  EXPECT_EQ(bits(q[1], 47, 44), 1u);
}

TEST(AmdviCommands, IllegalCommands) {
  const Features f;
  EXPECT_EQ(decode_command({0, 0}, f).error, CommandError::BadOpcode);
  EXPECT_EQ(decode_command({uint64_t{9} << 60, 0}, f).error, CommandError::BadOpcode);
  Qw2 q = Command::invalidate_devtab_entry(1).encode();
  q[0] |= uint64_t{1} << 16;
  EXPECT_EQ(decode_command(q, f).error, CommandError::ReservedBit);
  q = Command::invalidate_iommu_pages(1, 0, 4096, false).encode();
  q[1] |= uint64_t{1} << 3;
  EXPECT_EQ(decode_command(q, f).error, CommandError::ReservedBit);
  q = Command::completion_wait(true, false, false, 0x1000, 0).encode();
  q[0] |= uint64_t{1} << 52;
  EXPECT_EQ(decode_command(q, f).error, CommandError::ReservedBit);
  q = Command::invalidate_iommu_all().encode();
  q[1] = 1;
  EXPECT_EQ(decode_command(q, f).error, CommandError::ReservedBit);
  Features none = f;
  none.ia_sup = none.pref_sup = none.ppr_sup = none.gt_sup = false;
  EXPECT_EQ(roundtrip(Command::invalidate_iommu_all(), none).error, CommandError::Unsupported);
  EXPECT_EQ(roundtrip(Command::prefetch_iommu_pages(1, 0, 1, false, false), none).error,
            CommandError::Unsupported);
  EXPECT_EQ(roundtrip(Command::complete_ppr_request(1, 1, 0), none).error,
            CommandError::Unsupported);
  EXPECT_EQ(roundtrip(Command::invalidate_iommu_pages(1, 0, 4096, true, true, 3), none).error,
            CommandError::Unsupported);
  EXPECT_TRUE(roundtrip(Command::invalidate_iommu_pages(1, 0, 4096, true), none).ok());
}

TEST(AmdviInvRange, SizeEncoding) {
  // S = 0: one 4 KiB page.
  InvRange r = decode_inv_range(0x1234'5000, false);
  EXPECT_EQ(r.base, 0x1234'5000u);
  EXPECT_EQ(r.size_lg2, 12u);
  // S = 1, bit 12 clear: 8 KiB.
  r = decode_inv_range(0x1234'4000, true);
  EXPECT_EQ(r.base, 0x1234'4000u);
  EXPECT_EQ(r.size_lg2, 13u);
  // Bits 19:12 set, bit 20 clear: 2 MiB at the aligned base.
  r = decode_inv_range(0x4000'0000 | mask(19, 12), true);
  EXPECT_EQ(r.base, 0x4000'0000u);
  EXPECT_EQ(r.size_lg2, 21u);
  EXPECT_TRUE(r.contains(0x401f'ffff));
  EXPECT_FALSE(r.contains(0x4020'0000));
  r = decode_inv_range(kInvAllPagesAddress, true);
  EXPECT_TRUE(r.all());
  EXPECT_TRUE(r.contains(~uint64_t{0}));
  EXPECT_TRUE(r.overlaps(0xffff'ffff'ffff'f000, 12));
}

TEST(AmdviInvRange, EncodeCoversTheSmallestAlignedBlock) {
  // Brute-force oracle: for many (start, len), the encoded range contains the whole request
  // and no smaller naturally aligned power of two would.
  for (uint64_t start = 0; start < (uint64_t{1} << 22); start += 0x3000 + (start >> 6)) {
    for (uint64_t len : {uint64_t{1}, uint64_t{4096}, uint64_t{0x5000}, uint64_t{1} << 21}) {
      const InvAddress a = encode_inv_range(start, len);
      const InvRange r = decode_inv_range(a.address, a.s);
      const uint64_t last = start + len - 1;
      ASSERT_TRUE(r.contains(start) && r.contains(last)) << std::hex << start << " " << len;
      if (r.size_lg2 > 12) {
        const unsigned half = r.size_lg2 - 1;
        EXPECT_NE(start >> half, last >> half) << std::hex << start << " " << len;
      }
      EXPECT_EQ(a.s, r.size_lg2 > 12);
    }
  }
  const InvAddress all = encode_inv_range(0, ~uint64_t{0});
  EXPECT_EQ(all.address, kInvAllPagesAddress);
  EXPECT_TRUE(all.s);
}

}  // namespace
}  // namespace isim::amdvi
