#include "hw/pcie_link_params.h"

#include <gtest/gtest.h>

namespace isim {
namespace {

PcieLinkParams link(unsigned gen, unsigned width) {
  PcieLinkParams p;
  p.gen = gen;
  p.width = width;
  return p;
}

TEST(PcieTlpMath, LineRatesAfterEncoding) {
  // 2.5 GT/s 8b/10b: 250 MB/s per lane; 8 GT/s 128b/130b: 984.6 MB/s per lane.
  EXPECT_NEAR(PcieTlpMath(link(1, 1)).rate().bytes_per_second(), 250e6, 1);
  EXPECT_NEAR(PcieTlpMath(link(2, 4)).rate().bytes_per_second(), 2e9, 1);
  EXPECT_NEAR(PcieTlpMath(link(3, 8)).rate().bytes_per_second(), 8e9 * 8 * 128 / 130 / 8, 1);
  EXPECT_NEAR(PcieTlpMath(link(5, 16)).rate().bytes_per_second(), 32e9 * 16 * 128 / 130 / 8, 1);
}

TEST(PcieTlpMath, TlpOverheadsFollowHeaderFormat) {
  PcieTlpMath m(link(3, 8));
  // Framing 4 + 3DW header 12 + LCRC 4 below 4 GiB; 4DW (16) above; completions always 3DW.
  EXPECT_EQ(m.tlp_bytes(0x1000, 64, false, false), 4u + 12 + 64 + 4);
  EXPECT_EQ(m.tlp_bytes(uint64_t{1} << 32, 64, false, false), 4u + 16 + 64 + 4);
  EXPECT_EQ(m.tlp_bytes(uint64_t{1} << 40, 64, false, true), 4u + 12 + 64 + 4);
  EXPECT_EQ(m.tlp_bytes(0x1000, 0, true, false), 4u + 4 + 12 + 4) << "PASID prefix";
  PcieLinkParams e = link(3, 8);
  e.ecrc = true;
  EXPECT_EQ(PcieTlpMath(e).tlp_bytes(0x1000, 0, false, false), 4u + 12 + 4 + 4);
}

TEST(PcieTlpMath, WritesSplitAtMpsAndFourKiB) {
  PcieLinkParams p = link(3, 8);
  p.mps = 256;
  PcieTlpMath m(p);
  const TlpTraffic aligned = m.write(uint64_t{1} << 33, 4096, false);
  EXPECT_EQ(aligned.up_tlps, 16u);
  EXPECT_EQ(aligned.up_bytes, 16u * (256 + 24));
  EXPECT_EQ(aligned.down_bytes, 0u);
  // 300 bytes starting 100 bytes before an MPS boundary: 100 + 200.
  const TlpTraffic split = m.write((uint64_t{1} << 33) + 156, 300, false);
  EXPECT_EQ(split.up_tlps, 2u);
  EXPECT_EQ(split.up_bytes, 300u + 2 * 24);
}

TEST(PcieTlpMath, ReadsSplitRequestsAtMrrsAndCompletionsAtRcb) {
  PcieLinkParams p = link(3, 8);
  p.mrrs = 512;
  p.rcb = 64;
  p.completion_split = CompletionSplit::rcb;
  const TlpTraffic r = PcieTlpMath(p).read(0x10000, 1024, false);
  EXPECT_EQ(r.up_tlps, 2u);
  EXPECT_EQ(r.up_bytes, 2u * 20);
  EXPECT_EQ(r.down_tlps, 16u);
  EXPECT_EQ(r.down_bytes, 16u * (64 + 20));
  // Unaligned start: the first completion ends at the next RCB boundary.
  const TlpTraffic u = PcieTlpMath(p).read(0x10020, 128, false);
  EXPECT_EQ(u.down_tlps, 3u);  // 32 + 64 + 32
  EXPECT_EQ(u.down_bytes, 128u + 3 * 20);
}

TEST(PcieTlpMath, MpsSizedCompletionsSplitOnlyAtRcbAlignedAddresses) {
  PcieLinkParams p = link(3, 8);
  p.mps = 256;
  p.mrrs = 4096;
  p.rcb = 64;
  p.completion_split = CompletionSplit::mps;
  PcieTlpMath m(p);
  EXPECT_EQ(m.read(0x10000, 1024, false).down_tlps, 4u);
  // From 0x10020: the first completion carries 224 bytes to end at 0x10100 (RCB-aligned and
  // within MPS), then 256-byte ones, then the rest.
  const TlpTraffic u = m.read(0x10020, 1024, false);
  EXPECT_EQ(u.down_tlps, 5u);
  EXPECT_EQ(u.down_bytes, 1024u + 5 * 20);
}

TEST(PcieTlpMath, AcksCoverTlpsAcrossTransactions) {
  PcieLinkParams p = link(3, 8);
  p.tlps_per_ack = 4;
  PcieTlpMath m(p);
  uint64_t unacked = 0;
  EXPECT_EQ(m.ack_bytes(unacked, 3), 0u);
  EXPECT_EQ(m.ack_bytes(unacked, 3), 16u) << "one Ack + UpdateFC pair of 8-byte DLLPs";
  EXPECT_EQ(unacked, 2u);
}

TEST(PcieTlpMath, TranslationIsAReadOfOneTranslation) {
  const TlpTraffic t = PcieTlpMath(link(4, 16)).translation(uint64_t{1} << 40, true);
  EXPECT_EQ(t.up_bytes, 4u + 4 + 16 + 4);
  EXPECT_EQ(t.down_bytes, 4u + 12 + 8 + 4);
}

TEST(PcieTlpMath, ReservedDllpsAndSkpOrderedSetsTakeTheirShareOfTheLine) {
  PcieLinkParams p = link(3, 8);
  const double line = PcieTlpMath(p).line_rate().bytes_per_second();
  EXPECT_DOUBLE_EQ(PcieTlpMath(p).rate().bytes_per_second(), line) << "off by default";
  p.dllp_interval = 200;  // an Ack and an UpdateFC (8 bytes each) per 200 bytes: 8 %
  EXPECT_NEAR(PcieTlpMath(p).rate().bytes_per_second(), line * (1 - 16.0 / 200), 1);
  p.skp_interval = 1000;  // plus 4 symbols per 1000: 0.4 %
  p.skp_length = 4;
  EXPECT_NEAR(PcieTlpMath(p).rate().bytes_per_second(), line * (1 - 16.0 / 200 - 4.0 / 1000), 1);
  p.dllp_interval = 0;
  EXPECT_NEAR(PcieTlpMath(p).rate().bytes_per_second(), line * (1 - 4.0 / 1000), 1);
}

TEST(PcieTlpMath, ReservedDllpsReplaceThePerTlpAcks) {
  PcieLinkParams p = link(3, 8);
  p.tlps_per_ack = 1;
  p.dllp_interval = 200;
  uint64_t unacked = 0;
  EXPECT_EQ(PcieTlpMath(p).ack_bytes(unacked, 10), 0u);
  p.dllp_interval = 0;
  EXPECT_EQ(PcieTlpMath(p).ack_bytes(unacked, 10), 10u * 2 * 8);
}

}  // namespace
}  // namespace isim
