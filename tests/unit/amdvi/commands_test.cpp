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

// Every command against its 128-bit image written out by hand from the 2.4 layouts (the
// comment table in commands.h): the expected words are literals, not built with the codec.
TEST(AmdviCommands, LiteralWords) {
  struct Case {
    const char* what;
    Command cmd;
    Qw2 want;
  };
  const Case cases[] = {
      // S (bit 0) and I (bit 1), store address 51:3, data in the second quadword.
      {"COMPLETION_WAIT",
       Command::completion_wait(true, true, false, 0x12'3456'7898, 0xabc),
       {0x1000'0012'3456'789Bull, 0xabcull}},
      {"INVALIDATE_DEVTAB_ENTRY",
       Command::invalidate_devtab_entry(0xbeef),
       {0x2000'0000'0000'BEEFull, 0}},
      // 2 MiB at 1 GiB: S = 1, address bits 19:12 set; PDE 65, GN 66; PASID 19:0, DomainID
      // 47:32.
      {"INVALIDATE_IOMMU_PAGES",
       Command::invalidate_iommu_pages(0x1234, 0x4000'0000, 0x20'0000, true, true, 0xa'bcde),
       {0x3000'1234'000A'BCDEull, 0x400F'F007ull}},
      // PASID 0xBCDEF: [15:8] = CD in 23:16, [7:0] = EF in 55:48, [19:16] = B in 59:56;
      // Maxpend 31:24, QueueID (= DeviceID) 47:32; GN 66.
      {"INVALIDATE_IOTLB_PAGES",
       Command::invalidate_iotlb_pages(0x0310, 0x1f, 0x5000, 4096, true, 0xb'cdef),
       {0x4BEF'0310'1FCD'0310ull, 0x5004ull}},
      {"INVALIDATE_INTERRUPT_TABLE",
       Command::invalidate_interrupt_table(0x0101),
       {0x5000'0000'0000'0101ull, 0}},
      // PFCount 31:24, PASID 51:32; S 64, GN 66, Inval 68.
      {"PREFETCH_IOMMU_PAGES",
       Command::prefetch_iommu_pages(0x0102, 0x8000, 4, true, true, true, 0x1'2345),
       {0x6001'2345'0400'0102ull, 0x8015ull}},
      // CompletionTag 111:96 = group 1FFh | response code Fh << 12; GN 66; PASID 51:32.
      {"COMPLETE_PPR_REQUEST",
       Command::complete_ppr_request(0x0103, 0x1ff, 0xf, true, 0x5'4321),
       {0x7005'4321'0000'0103ull, 0x0000'F1FF'0000'0004ull}},
      {"INVALIDATE_IOMMU_ALL", Command::invalidate_iommu_all(), {0x8000'0000'0000'0000ull, 0}},
  };
  for (const Case& c : cases) {
    const Qw2 got = c.cmd.encode();
    EXPECT_EQ(got[0], c.want[0]) << c.what << std::hex << " q0 " << got[0];
    EXPECT_EQ(got[1], c.want[1]) << c.what << std::hex << " q1 " << got[1];
    // And the literal decodes to the same command.
    const DecodedCommand d = decode_command(c.want, Features{});
    ASSERT_TRUE(d.ok()) << c.what << ": " << to_string(d.error);
    EXPECT_EQ(d.cmd, c.cmd) << c.what;
  }
}

TEST(AmdviCommands, CompletePprTagIsOneSixteenBitField) {
  // Tag bits 11:9 lie inside CompletionTag[15:0]: legal, and kept.
  const Qw2 raw{0x7000'0000'0000'0007ull, 0x0000'0E05'0000'0000ull};
  const DecodedCommand d = decode_command(raw, Features{});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d.cmd.completion_tag, 0x0E05u);
  EXPECT_EQ(ppr_tag_group(d.cmd.completion_tag), 0x005u);
  EXPECT_EQ(ppr_tag_code(d.cmd.completion_tag), 0u);
  // Bits 127:112 are reserved.
  EXPECT_EQ(decode_command({raw[0], raw[1] | (uint64_t{1} << 48)}, Features{}).error,
            CommandError::ReservedBit);
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
