// x86-64 long-mode paging decode, from hand-written entries (SDM vol. 3A 4.5, VT-d 9.7).
#include <gtest/gtest.h>

#include <stdexcept>

#include "base/bits.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

constexpr uint64_t P = 1, RW = 2, US = 4, PS = 0x80, A = 0x20, D = 0x40, EA = 0x400;
constexpr uint64_t XD = 1ull << 63;
constexpr uint64_t kTbl = P | RW | US;

class X86Test : public ::testing::Test {
 protected:
  /// Hand-built chain mapping va to the page at oa with a leaf at `leaf_level`.
  void build(const X86Format& f, uint64_t va, uint64_t oa, uint64_t leaf_flags,
             unsigned leaf_level = 0) {
    fmt_ = f;
    for (unsigned l = 0; l <= f.top_level(); ++l) tbl_[l] = env_.page();
    for (unsigned l = f.top_level(); l > leaf_level; --l) {
      env_.set(tbl_[l], idx9(va, l), tbl_[l - 1] | kTbl);
    }
    env_.set(tbl_[leaf_level], idx9(va, leaf_level), oa | leaf_flags | (leaf_level ? PS : 0));
  }
  uint64_t slot(unsigned level, uint64_t va) const { return tbl_[level] + idx9(va, level) * 8; }
  void set_at(unsigned level, uint64_t va, uint64_t v) { env_.mem.write_le64(slot(level, va), v); }
  uint64_t get_at(unsigned level, uint64_t va) { return *env_.mem.read_le64(slot(level, va)); }
  WalkResult go(uint64_t va, AccessReq req, WalkOptions o = {}) {
    return walk(fmt_, env_.mem, tbl_[fmt_.top_level()], va, req, o);
  }

  Env env_;
  X86Format fmt_;
  uint64_t tbl_[5] = {};
};

constexpr uint64_t kVa = 0x00007abcdef12345ull;

TEST_F(X86Test, Walk4KReportsResultAndReadLog) {
  build(X86Format(), kVa, 0x12345000, P | RW | US);
  const WalkResult r = go(kVa, AccessReq::rw());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x12345345u);
  EXPECT_EQ(r.tr.page_lg2, 12);
  EXPECT_EQ(r.tr.level, 0);
  EXPECT_EQ(r.tr.leaf, 0x12345000u | P | RW | US);
  EXPECT_EQ(r.tr.leaf_pa, slot(0, kVa));
  ASSERT_EQ(r.log.reads.size(), 4u);
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned level = 3 - i;
    EXPECT_EQ(r.log.reads[i].pa, slot(level, kVa)) << i;
    EXPECT_EQ(r.log.reads[i].level, level);
    EXPECT_EQ(r.log.reads[i].stage, 1);
    EXPECT_TRUE(r.log.reads[i].ok);
    EXPECT_EQ(r.log.reads[i].value, get_at(level, kVa));
  }
  EXPECT_TRUE(r.log.writes.empty());
}

TEST_F(X86Test, LargePages) {
  build(X86Format(), kVa, 0x40000000ull * 3, P | RW, 2);
  WalkResult r = go(kVa, AccessReq::r(true));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.page_lg2, 30);
  EXPECT_EQ(r.tr.oa, 0x40000000ull * 3 + (kVa & mask(29, 0)));
  EXPECT_EQ(r.log.reads.size(), 2u);

  build(X86Format(), kVa, 0x200000ull * 7, P | RW, 1);
  r = go(kVa, AccessReq::r(true));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.page_lg2, 21);
  EXPECT_EQ(r.tr.oa, 0x200000ull * 7 + (kVa & mask(20, 0)));
  EXPECT_EQ(r.log.reads.size(), 3u);
}

TEST_F(X86Test, OneGigPageReservedWithoutFs1gp) {
  X86Config c;
  c.page_1g = false;
  build(X86Format(c), kVa, 0x40000000ull, P | RW, 2);
  const WalkResult r = go(kVa, AccessReq::r(true));
  ASSERT_EQ(r.fault.kind, FaultKind::ReservedBit);
  EXPECT_EQ(r.fault.level, 2);
  EXPECT_EQ(r.fault.entry_pa, slot(2, kVa));
  EXPECT_EQ(r.fault.entry, get_at(2, kVa));
}

TEST_F(X86Test, FiveLevelWalk) {
  X86Config c;
  c.levels = 5;
  const uint64_t va = 0x00f0123456789000ull;  // bit 56 clear, bits 55:48 used
  build(X86Format(c), va, 0x5000, P | RW | US);
  const WalkResult r = go(va + 0x10, AccessReq::r());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x5010u);
  EXPECT_EQ(r.log.reads.size(), 5u);
  EXPECT_EQ(r.log.reads[0].pa, slot(4, va));
}

TEST_F(X86Test, NonCanonicalInputIsAddressSize) {
  build(X86Format(), kVa, 0x5000, P | RW | US);
  for (uint64_t va :
       {1ull << 47, 0x0000800000000000ull | 0x1000, 0xfff0000000000000ull, 0x8000000000000000ull}) {
    const WalkResult r = go(va, AccessReq::r());
    EXPECT_EQ(r.fault.kind, FaultKind::AddressSize) << std::hex << va;
    EXPECT_EQ(r.log.reads.size(), 0u);
    EXPECT_EQ(r.fault.va, va);
  }
  // The canonical upper half is translated (here: not present).
  EXPECT_EQ(go(0xffff800000000000ull, AccessReq::r()).fault.kind, FaultKind::NotPresent);

  X86Config c5;
  c5.levels = 5;
  build(X86Format(c5), 0x1000, 0x5000, P);
  EXPECT_EQ(go(1ull << 56, AccessReq::r()).fault.kind, FaultKind::AddressSize);
  EXPECT_EQ(go(1ull << 47, AccessReq::r()).fault.kind, FaultKind::NotPresent);
  EXPECT_EQ(go(0xff00000000000000ull, AccessReq::r()).fault.kind, FaultKind::NotPresent);
}

TEST_F(X86Test, NotPresentAtEachLevel) {
  for (unsigned level = 0; level < 4; ++level) {
    build(X86Format(), kVa, 0x5000, P | RW | US);
    const uint64_t e = get_at(level, kVa) & ~P;
    set_at(level, kVa, e);
    const WalkResult r = go(kVa, AccessReq::r());
    ASSERT_EQ(r.fault.kind, FaultKind::NotPresent) << level;
    EXPECT_EQ(r.fault.level, level);
    EXPECT_EQ(r.fault.stage, 1);
    EXPECT_EQ(r.fault.entry_pa, slot(level, kVa));
    EXPECT_EQ(r.fault.entry, e);
    EXPECT_EQ(r.log.reads.size(), 4 - level);
  }
}

TEST_F(X86Test, WriteNeedsRwAtEveryLevel) {
  for (bool wp : {true, false}) {
    for (unsigned level = 0; level < 4; ++level) {
      X86Config c;
      c.wp = wp;
      build(X86Format(c), kVa, 0x5000, P | RW | US);
      set_at(level, kVa, get_at(level, kVa) & ~RW);
      const WalkResult user_w = go(kVa, AccessReq::w());
      ASSERT_EQ(user_w.fault.kind, FaultKind::Permission) << level;
      EXPECT_EQ(user_w.fault.missing, Perms(Perms::kUserWrite));
      EXPECT_EQ(user_w.fault.level, 0);  // reported at the leaf
      EXPECT_EQ(user_w.fault.entry_pa, slot(0, kVa));
      EXPECT_EQ(go(kVa, AccessReq::w(true)).ok(), !wp) << level;
      EXPECT_TRUE(go(kVa, AccessReq::r()).ok());
    }
  }
}

TEST_F(X86Test, UserNeedsUsAtEveryLevel) {
  for (unsigned level = 0; level < 4; ++level) {
    build(X86Format(), kVa, 0x5000, P | RW | US);
    set_at(level, kVa, get_at(level, kVa) & ~US);
    const WalkResult r = go(kVa, AccessReq::r());
    ASSERT_EQ(r.fault.kind, FaultKind::Permission) << level;
    EXPECT_EQ(r.fault.missing, Perms(Perms::kUserRead));
    EXPECT_TRUE(go(kVa, AccessReq::rw(true)).ok());
  }
}

TEST_F(X86Test, ExecuteNeedsXdClearAtEveryLevel) {
  for (unsigned level = 0; level < 4; ++level) {
    build(X86Format(), kVa, 0x5000, P | RW | US);
    EXPECT_TRUE(go(kVa, AccessReq::x()).ok());
    set_at(level, kVa, get_at(level, kVa) | XD);
    EXPECT_EQ(go(kVa, AccessReq::x()).fault.kind, FaultKind::Permission) << level;
    EXPECT_EQ(go(kVa, AccessReq::x(true)).fault.kind, FaultKind::Permission) << level;
    EXPECT_TRUE(go(kVa, AccessReq::r()).ok());

    // Without NXE, XD is a reserved bit.
    X86Config c;
    c.nx = false;
    build(X86Format(c), kVa, 0x5000, P | RW | US);
    set_at(level, kVa, get_at(level, kVa) | XD);
    const WalkResult r = go(kVa, AccessReq::r());
    EXPECT_EQ(r.fault.kind, FaultKind::ReservedBit) << level;
    EXPECT_EQ(r.fault.level, level);
  }
}

TEST_F(X86Test, SmepForbidsSupervisorExecuteOfUserPages) {
  X86Config c;
  c.smep = true;
  build(X86Format(c), kVa, 0x5000, P | RW | US);
  EXPECT_EQ(go(kVa, AccessReq::x(true)).fault.kind, FaultKind::Permission);
  EXPECT_TRUE(go(kVa, AccessReq::x(false)).ok());
  set_at(0, kVa, get_at(0, kVa) & ~US);  // supervisor page
  EXPECT_TRUE(go(kVa, AccessReq::x(true)).ok());
}

TEST_F(X86Test, AddressBitsAboveMaxPhysAreReserved) {
  X86Config c;
  c.oa_bits = 46;
  for (unsigned level = 0; level < 4; ++level) {
    for (unsigned b : {46u, 51u}) {
      build(X86Format(c), kVa, 0x5000, P | RW | US);
      set_at(level, kVa, get_at(level, kVa) | (1ull << b));
      const WalkResult r = go(kVa, AccessReq::r());
      EXPECT_EQ(r.fault.kind, FaultKind::ReservedBit) << level << " bit " << b;
      EXPECT_EQ(r.fault.level, level);
    }
  }
  build(X86Format(c), kVa, 0x5000, P | RW | US);
  set_at(1, kVa, get_at(1, kVa) | (1ull << 45));  // a valid (if odd) table address
  EXPECT_NE(go(kVa, AccessReq::r()).fault.kind, FaultKind::ReservedBit);
}

TEST_F(X86Test, PsIsReservedInPml4eAndPml5e) {
  build(X86Format(), kVa, 0x5000, P | RW | US);
  set_at(3, kVa, get_at(3, kVa) | PS);
  EXPECT_EQ(go(kVa, AccessReq::r()).fault.kind, FaultKind::ReservedBit);

  X86Config c;
  c.levels = 5;
  build(X86Format(c), kVa, 0x5000, P | RW | US);
  set_at(4, kVa, get_at(4, kVa) | PS);
  WalkResult r = go(kVa, AccessReq::r());
  EXPECT_EQ(r.fault.kind, FaultKind::ReservedBit);
  EXPECT_EQ(r.fault.level, 4);
}

TEST_F(X86Test, LargeLeafLowAddressBitsAreReservedExceptPat) {
  for (unsigned b = 13; b <= 20; ++b) {
    build(X86Format(), kVa, 0x200000, P | RW, 1);
    set_at(1, kVa, get_at(1, kVa) | (1ull << b));
    EXPECT_EQ(go(kVa, AccessReq::r(true)).fault.kind, FaultKind::ReservedBit) << b;
  }
  for (unsigned b = 13; b <= 29; ++b) {
    build(X86Format(), kVa, 0x40000000, P | RW, 2);
    set_at(2, kVa, get_at(2, kVa) | (1ull << b));
    EXPECT_EQ(go(kVa, AccessReq::r(true)).fault.kind, FaultKind::ReservedBit) << b;
  }
  for (unsigned level : {1u, 2u}) {
    build(X86Format(), kVa, 0x40000000, P | RW, level);
    set_at(level, kVa, get_at(level, kVa) | X86Format::kPatLarge);
    const WalkResult r = go(kVa, AccessReq::r(true));
    ASSERT_TRUE(r.ok()) << level;
    EXPECT_EQ(r.tr.page_base(), 0x40000000u);  // PAT is not an address bit
  }
}

TEST_F(X86Test, IgnoredHighBitsAreIgnored) {
  build(X86Format(), kVa, 0x5000, P | RW | US);
  for (unsigned level = 0; level < 4; ++level)
    set_at(level, kVa, get_at(level, kVa) | mask(62, 52));
  const WalkResult r = go(kVa, AccessReq::rw());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x5000u | (kVa & 0xfff));
}

TEST_F(X86Test, HardwareAccessedDirtyUpdate) {
  X86Config c;
  c.eafe = true;
  build(X86Format(c), kVa, 0x5000, P | RW | US);
  WalkOptions o;
  o.update_ad = true;

  WalkResult r = go(kVa, AccessReq::r(), o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.log.writes.size(), 4u);
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned level = 3 - i;
    EXPECT_EQ(r.log.writes[i].pa, slot(level, kVa));
    EXPECT_EQ(r.log.writes[i].value, get_at(level, kVa));
    EXPECT_TRUE(get_at(level, kVa) & A);
    EXPECT_TRUE(get_at(level, kVa) & EA);
    EXPECT_FALSE(get_at(level, kVa) & D) << "no dirty on a read";
  }
  EXPECT_EQ(r.log.reads.size(), 4u);

  r = go(kVa, AccessReq::w(), o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.log.writes.size(), 1u);  // only the leaf gains D
  EXPECT_EQ(r.log.writes[0].pa, slot(0, kVa));
  EXPECT_TRUE(get_at(0, kVa) & D);
  EXPECT_FALSE(get_at(1, kVa) & D);

  r = go(kVa, AccessReq::w(), o);
  EXPECT_TRUE(r.log.writes.empty());

  // Off by default, and nothing is written when the access faults.
  build(X86Format(c), kVa, 0x5000, P | US);
  EXPECT_TRUE(go(kVa, AccessReq::r()).log.writes.empty());
  r = go(kVa, AccessReq::w(), o);
  EXPECT_EQ(r.fault.kind, FaultKind::Permission);
  EXPECT_TRUE(r.log.writes.empty());
  EXPECT_FALSE(get_at(3, kVa) & A);
}

TEST_F(X86Test, TablePointerOutsideMemoryIsBusError) {
  build(X86Format(), kVa, 0x5000, P | RW | US);
  const uint64_t outside = kMemSize + 0x3000;
  set_at(3, kVa, outside | kTbl);
  const WalkResult r = go(kVa, AccessReq::r());
  ASSERT_EQ(r.fault.kind, FaultKind::BusError);
  EXPECT_EQ(r.fault.level, 2);
  EXPECT_EQ(r.fault.entry_pa, outside + idx9(kVa, 2) * 8);
  ASSERT_EQ(r.log.reads.size(), 2u);
  EXPECT_FALSE(r.log.reads[1].ok);
  EXPECT_EQ(r.log.reads[1].pa, outside + idx9(kVa, 2) * 8);
}

TEST(X86Format, ConfigValidation) {
  X86Config c;
  c.levels = 3;
  std::string why;
  EXPECT_FALSE(X86Format::create(c, &why));
  EXPECT_FALSE(why.empty());
  EXPECT_THROW(X86Format{c}, std::invalid_argument);
  c.levels = 4;
  c.oa_bits = 53;
  EXPECT_FALSE(X86Format::create(c));
  c.oa_bits = 52;
  EXPECT_TRUE(X86Format::create(c));
}

TEST(X86Format, NamedConfigs) {
  const X86Config v2 = amd_v2_config(5);
  EXPECT_EQ(v2.levels, 5u);
  EXPECT_TRUE(v2.nx);
  EXPECT_TRUE(v2.page_1g);
  static_assert(std::is_same_v<AmdV2Format, X86Format>);
  const X86Config fs = vtd_first_stage_config(4, 46, false, true, false, true, true);
  EXPECT_EQ(fs.oa_bits, 46u);
  EXPECT_FALSE(fs.page_1g);
  EXPECT_FALSE(fs.wp);
  EXPECT_TRUE(fs.smep);
  EXPECT_TRUE(fs.eafe);
}

TEST(X86Format, LeafEncodingFollowsTheSpec) {
  const X86Format f;
  MapAttrs a;
  a.write = false;
  a.user = false;
  a.exec = false;
  EXPECT_EQ(*f.encode_leaf(0x7000, 0, 12, a), 0x7000u | P | XD);
  a.write = true;
  a.user = true;
  a.exec = true;
  a.extra = X86Format::kG | X86Format::kPCD;
  EXPECT_EQ(*f.encode_leaf(0x200000, 1, 21, a), 0x200000u | P | RW | US | PS | 0x100 | 0x10);
  a.extra = RW;  // rights go through the MapAttrs fields, not extra
  EXPECT_FALSE(f.encode_leaf(0x200000, 1, 21, a));
  a.extra = X86Format::kPat4K;  // bit 7 is PS, not PAT, in a large leaf
  EXPECT_FALSE(f.encode_leaf(0x200000, 1, 21, a));
  EXPECT_TRUE(f.encode_leaf(0x1000, 0, 12, a));
}

}  // namespace
}  // namespace isim::pt::test
