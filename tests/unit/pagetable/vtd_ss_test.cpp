// VT-d second-stage paging decode, from hand-written entries (VT-d 9.8).
#include <gtest/gtest.h>

#include <stdexcept>

#include "base/bits.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

constexpr uint64_t R = 1, W = 2, X = 4, PS = 0x80, A = 0x100, D = 0x200, SNP = 0x800;
constexpr uint64_t TM = 1ull << 62;

class VtdSsTest : public ::testing::Test {
 protected:
  void build(const VtdSsFormat& f, uint64_t va, uint64_t oa, uint64_t leaf_flags,
             unsigned leaf_level = 0, uint64_t table_flags = R | W) {
    fmt_ = f;
    for (unsigned l = 0; l <= f.top_level(); ++l) tbl_[l] = env_.page();
    for (unsigned l = f.top_level(); l > leaf_level; --l) {
      env_.set(tbl_[l], idx9(va, l), tbl_[l - 1] | table_flags);
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
  VtdSsFormat fmt_;
  uint64_t tbl_[5] = {};
};

constexpr uint64_t kVa = 0x0000345678abc123ull;

VtdSsFormat levels(unsigned n) {
  VtdSsConfig c;
  c.levels = n;
  return VtdSsFormat(c);
}

TEST_F(VtdSsTest, WalksAt3To5Levels) {
  for (unsigned n : {3u, 4u, 5u}) {
    const uint64_t va = kVa & mask(12 + 9 * n - 1, 0);
    build(levels(n), va, 0x77000, R | W);
    const WalkResult r = go(va, AccessReq::rw());
    ASSERT_TRUE(r.ok()) << n;
    EXPECT_EQ(r.tr.oa, 0x77000 | (va & 0xfff));
    ASSERT_EQ(r.log.reads.size(), n);
    for (unsigned i = 0; i < n; ++i) EXPECT_EQ(r.log.reads[i].pa, slot(n - 1 - i, va));
  }
}

TEST_F(VtdSsTest, InputAboveAgawOrMgawIsAddressSize) {
  for (unsigned n : {3u, 4u, 5u}) {
    build(levels(n), 0x1000, 0x2000, R);
    const unsigned w = 30 + 9 * (n - 2);
    EXPECT_EQ(go(lg2_size(w), AccessReq::r()).fault.kind, FaultKind::AddressSize) << n;
    EXPECT_EQ(go(lg2_size(w) - 4096, AccessReq::r()).fault.kind, FaultKind::NotPresent) << n;
  }
  VtdSsConfig c;
  c.mgaw = 40;  // CAP.MGAW+1 below the 48-bit AGAW
  build(VtdSsFormat(c), 0x1000, 0x2000, R);
  EXPECT_EQ(go(lg2_size(40), AccessReq::r()).fault.kind, FaultKind::AddressSize);
  EXPECT_EQ(go(lg2_size(40) - 4096, AccessReq::r()).fault.kind, FaultKind::NotPresent);
}

TEST_F(VtdSsTest, PresentMeansReadOrWrite) {
  build(levels(4), kVa, 0x5000, W);
  EXPECT_TRUE(go(kVa, AccessReq::w()).ok());
  EXPECT_EQ(go(kVa, AccessReq::r()).fault.kind, FaultKind::Permission);
  for (unsigned level = 0; level < 4; ++level) {
    build(levels(4), kVa, 0x5000, R | W);
    set_at(level, kVa, (get_at(level, kVa) & ~(R | W)) | X);  // X alone is not present
    const WalkResult r = go(kVa, AccessReq::r());
    EXPECT_EQ(r.fault.kind, FaultKind::NotPresent) << level;
    EXPECT_EQ(r.fault.level, level);
    EXPECT_EQ(r.fault.entry_pa, slot(level, kVa));
  }
}

TEST_F(VtdSsTest, RightsAreAndedAcrossLevels) {
  for (unsigned level = 1; level < 4; ++level) {
    build(levels(4), kVa, 0x5000, R | W);
    set_at(level, kVa, get_at(level, kVa) & ~W);
    EXPECT_EQ(go(kVa, AccessReq::w()).fault.kind, FaultKind::Permission) << level;
    EXPECT_TRUE(go(kVa, AccessReq::r()).ok());
    build(levels(4), kVa, 0x5000, R | W);
    set_at(level, kVa, get_at(level, kVa) & ~R);
    const WalkResult r = go(kVa, AccessReq::r());
    EXPECT_EQ(r.fault.kind, FaultKind::Permission) << level;
    EXPECT_EQ(r.fault.missing, Perms(Perms::kUserRead));
    EXPECT_TRUE(go(kVa, AccessReq::w()).ok());
  }
}

TEST_F(VtdSsTest, ExecuteControl) {
  // Without execute control an execute request needs read.
  build(levels(4), kVa, 0x5000, R | W);
  EXPECT_TRUE(go(kVa, AccessReq::x()).ok());
  build(levels(4), kVa, 0x5000, W);
  EXPECT_EQ(go(kVa, AccessReq::x()).fault.kind, FaultKind::Permission);

  VtdSsConfig c;
  c.exec = true;
  for (unsigned level = 0; level < 4; ++level) {
    build(VtdSsFormat(c), kVa, 0x5000, R | W | X, 0, R | W | X);
    EXPECT_TRUE(go(kVa, AccessReq::x()).ok());
    set_at(level, kVa, get_at(level, kVa) & ~X);
    EXPECT_EQ(go(kVa, AccessReq::x()).fault.kind, FaultKind::Permission) << level;
    EXPECT_TRUE(go(kVa, AccessReq::r()).ok());
  }
}

TEST_F(VtdSsTest, LargePagesFollowSllps) {
  for (unsigned sp = 0; sp < 4; ++sp) {
    VtdSsConfig c;
    c.sp_2m = sp & 1;
    c.sp_1g = sp & 2;
    build(VtdSsFormat(c), kVa, 0x200000ull * 9, R | W, 1);
    WalkResult r = go(kVa, AccessReq::r());
    if (c.sp_2m) {
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r.tr.page_lg2, 21);
      EXPECT_EQ(r.tr.oa, 0x200000ull * 9 + (kVa & mask(20, 0)));
    } else {
      EXPECT_EQ(r.fault.kind, FaultKind::ReservedBit);
      EXPECT_EQ(r.fault.level, 1);
    }
    build(VtdSsFormat(c), kVa, 0x40000000ull * 5, R | W, 2);
    r = go(kVa, AccessReq::r());
    if (c.sp_1g) {
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r.tr.page_lg2, 30);
    } else {
      EXPECT_EQ(r.fault.kind, FaultKind::ReservedBit);
      EXPECT_EQ(r.fault.level, 2);
    }
  }
}

TEST_F(VtdSsTest, ReservedFields) {
  struct Case {
    unsigned level;
    unsigned leaf_level;
    uint64_t bit;
  };
  std::vector<Case> cases;
  for (unsigned level = 1; level < 5; ++level) cases.push_back({level, 0, SNP});  // tables
  for (unsigned level = 1; level < 5; ++level) cases.push_back({level, 0, TM});
  cases.push_back({0, 0, SNP});  // leaf without ECAP.SC
  cases.push_back({0, 0, TM});   // leaf without ECAP.DT
  cases.push_back({3, 0, PS});   // PS in SS-PML4E
  cases.push_back({4, 0, PS});   // PS in SS-PML5E
  for (unsigned b = 12; b <= 20; ++b) cases.push_back({1, 1, 1ull << b});
  for (unsigned b = 12; b <= 29; ++b) cases.push_back({2, 2, 1ull << b});
  VtdSsConfig c;
  c.levels = 5;
  c.haw = 39;
  for (unsigned level = 0; level < 5; ++level) {
    cases.push_back({level, 0, 1ull << 39});
    cases.push_back({level, 0, 1ull << 51});
  }
  for (const Case& k : cases) {
    build(VtdSsFormat(c), kVa, k.leaf_level == 1 ? 0x200000 : 0x40000000, R | W, k.leaf_level);
    set_at(k.level, kVa, get_at(k.level, kVa) | k.bit);
    const WalkResult r = go(kVa, AccessReq::r());
    EXPECT_EQ(r.fault.kind, FaultKind::ReservedBit)
        << "level " << k.level << " bit " << std::hex << k.bit;
    EXPECT_EQ(r.fault.level, k.level);
  }
}

TEST_F(VtdSsTest, OptionalLeafBitsAndIgnoredBits) {
  VtdSsConfig c;
  c.snp = true;
  c.tm = true;
  build(VtdSsFormat(c), kVa, 0x5000, R | W | SNP | TM | mask(61, 52) | (1ull << 63) | 0x478);
  ASSERT_TRUE(go(kVa, AccessReq::rw()).ok());
  // PS in an SS-PTE is ignored.
  build(levels(4), kVa, 0x5000, R | PS);
  EXPECT_TRUE(go(kVa, AccessReq::r()).ok());
  // Even with SC, SNP stays reserved in a non-leaf entry.
  build(VtdSsFormat(c), kVa, 0x5000, R | W);
  set_at(1, kVa, get_at(1, kVa) | SNP);
  EXPECT_EQ(go(kVa, AccessReq::r()).fault.kind, FaultKind::ReservedBit);
}

TEST_F(VtdSsTest, AccessedDirtyWithSlade) {
  VtdSsConfig c;
  c.ad = true;
  build(VtdSsFormat(c), kVa, 0x5000, R | W);
  WalkOptions o;
  o.update_ad = true;
  const WalkResult r = go(kVa, AccessReq::w(), o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.log.writes.size(), 4u);
  for (unsigned level = 0; level < 4; ++level) EXPECT_TRUE(get_at(level, kVa) & A);
  EXPECT_TRUE(get_at(0, kVa) & D);
  EXPECT_FALSE(get_at(1, kVa) & D);
  // Without SLADE the entries stay untouched even when asked.
  build(levels(4), kVa, 0x5000, R | W);
  EXPECT_TRUE(go(kVa, AccessReq::w(), o).log.writes.empty());
}

TEST(VtdSsFormat, ConfigValidationAndEncoding) {
  VtdSsConfig c;
  c.levels = 2;
  EXPECT_FALSE(VtdSsFormat::create(c));
  EXPECT_THROW(VtdSsFormat{c}, std::invalid_argument);
  c.levels = 4;
  c.haw = 60;
  EXPECT_FALSE(VtdSsFormat::create(c));
  c.haw = 46;
  const VtdSsFormat f(c);
  MapAttrs a;
  a.read = false;
  a.write = false;
  EXPECT_FALSE(f.encode_leaf(0x1000, 0, 12, a));  // would be not present
  a.write = true;
  EXPECT_EQ(*f.encode_leaf(0x1000, 0, 12, a), 0x1000u | W);
  a.read = true;
  EXPECT_EQ(*f.encode_leaf(0x200000, 1, 21, a), 0x200000u | R | W | PS);
  EXPECT_FALSE(f.encode_leaf(1ull << 46, 0, 12, a));  // above HAW
  a.extra = SNP;                                      // needs ECAP.SC
  EXPECT_FALSE(f.encode_leaf(0x1000, 0, 12, a));
}

}  // namespace
}  // namespace isim::pt::test
