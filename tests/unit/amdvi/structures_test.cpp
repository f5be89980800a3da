#include <gtest/gtest.h>

#include "models/amdvi/dte.h"
#include "models/amdvi/events.h"
#include "models/amdvi/gcr3.h"

namespace isim::amdvi {
namespace {

TEST(AmdviDte, FieldsAtSpecBits) {
  Dte d;
  d.v = d.tv = true;
  d.mode = 4;
  d.pt_root = 0xa'bcde'f000;
  d.gv = true;
  d.glx = 1;
  d.gcr3_root = 0xf'edcb'a000 | (uint64_t{0x5} << 12);
  d.ir = true;
  d.domain_id = 0x1234;
  d.i = true;
  d.sa = true;
  d.ex = true;
  d.gpm = 1;
  const Qw4 q = d.encode();
  EXPECT_EQ(bits(q[0], 11, 9), 4u);
  EXPECT_EQ(q[0] & mask(51, 12), 0xa'bcde'f000u);
  EXPECT_TRUE(bit(q[0], 0) && bit(q[0], 1) && bit(q[0], 55) && bit(q[0], 61));
  EXPECT_FALSE(bit(q[0], 62));
  EXPECT_EQ(bits(q[0], 57, 56), 1u);
  // GCR3 root split: [14:12] in 60:58, [30:15] in 95:80, [51:31] in 127:107.
  EXPECT_EQ(bits(q[0], 60, 58), bits(d.gcr3_root, 14, 12));
  EXPECT_EQ(bits(q[1], 31, 16), bits(d.gcr3_root, 30, 15));
  EXPECT_EQ(bits(q[1], 63, 43), bits(d.gcr3_root, 51, 31));
  EXPECT_EQ(bits(q[1], 15, 0), 0x1234u);
  EXPECT_TRUE(bit(q[1], 32) && bit(q[1], 34) && bit(q[1], 39));
  EXPECT_EQ(bits(q[2], 55, 54), 1u);
  const Dte back = Dte::decode(q);
  EXPECT_EQ(back.gcr3_root, d.gcr3_root);
  EXPECT_EQ(back.encode(), q);
}

TEST(AmdviDte, IllegalConditions) {
  const Features f;
  Dte d;
  d.v = d.tv = true;
  d.mode = 3;
  EXPECT_EQ(check_dte(d.encode(), f), DteProblem::None);
  Qw4 q = d.encode();
  q[0] |= uint64_t{1} << 63;
  EXPECT_EQ(check_dte(q, f), DteProblem::ReservedBit);
  q = d.encode();
  q[1] |= uint64_t{1} << 42;  // bit 106
  EXPECT_EQ(check_dte(q, f), DteProblem::ReservedBit);
  q = d.encode();
  q[3] |= 1;  // bit 192
  EXPECT_EQ(check_dte(q, f), DteProblem::ReservedBit);
  d.mode = 7;
  EXPECT_EQ(check_dte(d.encode(), f), DteProblem::ModeReserved);
  d.tv = false;  // translation fields unused: Mode not checked
  EXPECT_EQ(check_dte(d.encode(), f), DteProblem::None);
  Features four = f;
  four.hats = 0;
  d = Dte{};
  d.v = d.tv = true;
  d.mode = 5;
  EXPECT_EQ(check_dte(d.encode(), four), DteProblem::ModeReserved);
  Features nogt = f;
  nogt.gt_sup = false;
  d.mode = 3;
  d.gv = true;
  EXPECT_EQ(check_dte(d.encode(), nogt), DteProblem::ReservedBit);
  d.glx = 2;
  EXPECT_EQ(check_dte(d.encode(), f), DteProblem::GlxUnsupported);
  d.glx = 0;
  d.gpm = 2;
  EXPECT_EQ(check_dte(d.encode(), f), DteProblem::GpmUnsupported);
}

TEST(AmdviGcr3, EntryAndIndex) {
  EXPECT_EQ((Gcr3Entry{true, 0x12345000}.encode()), 0x12345001u);
  EXPECT_EQ(gcr3_index(0x2'3456, 0), 0x2'3456u & 0x1ff);
  EXPECT_EQ(gcr3_index(0x2'3456, 1), (0x2'3456u >> 9) & 0x1ff);
  EXPECT_FALSE(Gcr3Entry::decode(0x12345000).valid);
}

TEST(AmdviEvents, IoPageFaultLayout) {
  Event e = Event::io_page_fault(0x0310, 0xdead'b000);
  e.gn = true;
  e.pasid = 0xa'bcde;
  e.nx = e.us = e.pr = e.rw = e.pe = e.tr = true;
  const Qw2 q = e.encode();
  EXPECT_EQ(bits(q[0], 63, 60), 0x2u);
  EXPECT_EQ(bits(q[0], 15, 0), 0x0310u);
  EXPECT_EQ(bits(q[0], 19, 16), 0xau);
  EXPECT_EQ(bits(q[0], 47, 32), 0xbcdeu);
  // GN 48, NX 49, US 50, I 51, PR 52, RW 53, PE 54, RZ 55, TR 56.
  EXPECT_EQ(bits(q[0], 56, 48), 0b1'0111'0111u);
  EXPECT_EQ(q[1], 0xdead'b000u);
  EXPECT_EQ(Event::decode(q), e);
  // Without GN the DomainID takes 47:32 and 19:16 stays clear.
  Event h = Event::io_page_fault(1, 0x1000);
  h.domain_id = 0x77;
  h.pasid = 0xf'0000;  // ignored without GN
  const Qw2 hq = h.encode();
  EXPECT_EQ(bits(hq[0], 47, 32), 0x77u);
  EXPECT_EQ(bits(hq[0], 19, 16), 0u);
}

TEST(AmdviEvents, OtherLayouts) {
  Qw2 q = Event::illegal_dte(5, 0x4000, true, true, false).encode();
  EXPECT_EQ(bits(q[0], 63, 60), 0x1u);
  EXPECT_TRUE(bit(q[0], 55) && bit(q[0], 53));
  q = Event::dev_tab_hw_error(6, 0x8000, HwErrorType::TargetAbort, false, true).encode();
  EXPECT_EQ(bits(q[0], 63, 60), 0x3u);
  EXPECT_EQ(bits(q[0], 58, 57), 2u);
  EXPECT_TRUE(bit(q[0], 56));
  q = Event::page_tab_hw_error(6, 0x9008, HwErrorType::MasterAbort, true, false).encode();
  EXPECT_EQ(bits(q[0], 63, 60), 0x4u);
  EXPECT_EQ(q[1], 0x9008u);
  q = Event::illegal_command(0x7'0010).encode();
  EXPECT_EQ(q[0], uint64_t{5} << 60);
  EXPECT_EQ(q[1], 0x7'0010u);
  q = Event::command_hw_error(0x20, HwErrorType::DataError).encode();
  EXPECT_EQ(q[0], (uint64_t{6} << 60) | (uint64_t{3} << 57));
  q = Event::iotlb_inv_timeout(9, 0x7'001f).encode();
  EXPECT_EQ(q[0], (uint64_t{7} << 60) | 9);
  EXPECT_EQ(q[1], 0x7'0010u);
  Event idr =
      Event::invalid_device_request(3, 0x5000, InvalidRequestType::TranslationWithoutIotlb, true);
  idr.us = true;
  q = idr.encode();
  EXPECT_EQ(bits(q[0], 63, 60), 0x8u);
  EXPECT_EQ(bits(q[0], 59, 57), 1u);
  EXPECT_TRUE(bit(q[0], 49) && bit(q[0], 56));
  EXPECT_EQ(Event::decode(q), idr);
}

}  // namespace
}  // namespace isim::amdvi
