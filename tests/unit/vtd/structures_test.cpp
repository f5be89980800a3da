#include <gtest/gtest.h>

#include "models/vtd/context_entry.h"
#include "models/vtd/pasid_entry.h"
#include "models/vtd/root_entry.h"

namespace isim::vtd {
namespace {

TEST(VtdStructures, LegacyEntriesByBit) {
  const LegacyRootEntry re{true, 0xabcd'e000};
  EXPECT_EQ(re.encode()[0], 0xabcd'e001u);
  LegacyContextEntry ce;
  ce.present = true;
  ce.fpd = true;
  ce.tt = LegacyTt::PassThrough;
  ce.slptptr = 0x5000;
  ce.aw = 3;
  ce.did = 0xbeef;
  const Qw2 q = ce.encode();
  EXPECT_EQ(q[0], 0x5000u | 0b1011);
  EXPECT_EQ(q[1], (uint64_t{0xbeef} << 8) | 3);
  const LegacyContextEntry d = LegacyContextEntry::decode(q);
  EXPECT_EQ(d.did, 0xbeef);
  EXPECT_EQ(d.tt, LegacyTt::PassThrough);
  EXPECT_EQ(d.aw, 3u);
  // ND=4 (4096 domains): DID bits 15:12 reserved = abs bits 87:84.
  EXPECT_EQ(LegacyContextEntry::reserved(46, 4)[1] & mask(23, 8), mask(23, 20));
  EXPECT_EQ(LegacyContextEntry::reserved(46, 6)[0], mask(11, 4) | mask(63, 46));
}

TEST(VtdStructures, ScalableRootAndContext) {
  ScalableRootEntry re{true, 0x1000, true, 0x2000};
  const Qw2 q = re.encode();
  EXPECT_EQ(q[0], 0x1001u);
  EXPECT_EQ(q[1], 0x2001u);
  EXPECT_EQ(re.ctp_for(0x7f), 0x1000u);
  EXPECT_EQ(re.ctp_for(0x80), 0x2000u);
  ScalableContextEntry ce;
  ce.present = ce.dte = ce.paside = ce.pre = true;
  ce.pdts = 5;
  ce.pasid_dir = 0x7000;
  ce.rid_pasid = 0x12345;
  ce.rid_priv = true;
  const Qw4 c = ce.encode();
  EXPECT_EQ(c[0], 0x7000u | (5u << 9) | 0b11101);
  EXPECT_EQ(c[1], 0x12345u | (1u << 20));
  const ScalableContextEntry d = ScalableContextEntry::decode(c);
  EXPECT_EQ(d.rid_pasid, 0x12345u);
  EXPECT_EQ(d.dir_entries(), 4096u);
  EXPECT_EQ(ScalableContextEntry::reserved(46, false, false)[1], mask(63, 0));
}

TEST(VtdStructures, PasidEntryFieldsAtSpecBits) {
  PasidEntry pe;
  pe.present = true;
  pe.aw = 3;
  pe.pgtt = 3;
  pe.slptptr = 0x4000;
  pe.did = 0x1234;
  pe.pgsnp = true;
  pe.pwsnp = true;
  pe.sre = true;
  pe.flpm = 1;
  pe.wpe = true;
  pe.eafe = true;
  pe.flptptr = 0x9000;
  const Qw8 q = pe.encode();
  EXPECT_EQ(q[0], 0x4000u | (3u << 6) | (3u << 2) | 1);
  EXPECT_EQ(q[1], 0x1234u | (1u << 23) | (1u << 24));
  EXPECT_EQ(q[2], 0x9000u | 1 | (1u << 2) | (1u << 4) | (1u << 7));
  const PasidEntry d = PasidEntry::decode(q);
  EXPECT_EQ(d.encode(), q);
  EXPECT_EQ(PasidEntry::dir_index(0xabcde), 0xabcdeu >> 6);
  EXPECT_EQ(PasidEntry::table_index(0xabcde), 0x1eu);
  EXPECT_EQ((PasidDirEntry{true, true, 0x3000}.encode()), 0x3003u);
}

}  // namespace
}  // namespace isim::vtd
