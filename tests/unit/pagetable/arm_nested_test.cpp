// Nested translation with Arm VMSAv8-64 stage 1 over Arm stage 2 (Arm ARM D8.2.1: every stage-1
// table lookup is an IPA translated by stage 2): the full read sequence for 4+4 levels (24 reads,
// (S1+1)*(S2+1)-1) and for mixed granules with concatenated stage-2 tables, stage-2 faults on a
// stage-1 table fetch (reporting the IPA) and on the final output, hardware AF updates through
// stage 2, and the runtime-variant entry point.
#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "base/bits.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

using F = ArmLpaeFormat;

constexpr uint64_t kGuestOffset = uint64_t{1} << 36;  // IPA g lives at PA g + offset
constexpr uint64_t kGuestSize = uint64_t{1} << 34;
constexpr uint64_t kGuestTables = uint64_t{1} << 30;  // IPA range of stage-1 tables
constexpr uint64_t kDataIpa = 0x12340000;             // 64 KiB aligned
constexpr uint64_t kVa = 0x00006789abcde468ull;

/// The guest's view of memory (IPA space), for building stage-1 tables at IPAs.
class GuestMem final : public PhysMem {
 public:
  explicit GuestMem(PhysMem& host) : host_(host) {}
  bool read(uint64_t pa, void* dst, size_t len) override {
    return pa + len <= kGuestSize && host_.read(pa + kGuestOffset, dst, len);
  }
  bool write(uint64_t pa, const void* src, size_t len) override {
    return pa + len <= kGuestSize && host_.write(pa + kGuestOffset, src, len);
  }
  uint64_t size() const override { return kGuestSize; }

 private:
  PhysMem& host_;
};

struct ArmNested {
  Env host;
  GuestMem guest{host.mem};
  PhysAllocator galloc{kGuestTables, kGuestTables + (uint64_t{1} << 28)};
  std::optional<Builder<F>> s1;
  std::optional<Builder<F>> s2;

  ArmNested(const F& f1, const F& f2, MapAttrs s1_attrs = MapAttrs::rw()) {
    const unsigned g1 = f1.config().granule_lg2;
    s1 = Builder<F>::create(f1, guest, galloc);
    EXPECT_EQ(s1->map(align_down(kVa, g1), kDataIpa, lg2_size(g1), s1_attrs), MapStatus::Ok);
    s2 = Builder<F>::create(f2, host.mem, host.alloc);
    // Stage 2 maps every page holding a stage-1 table entry on the path, and the data, with
    // its smallest page, so each stage-2 walk is a full-depth walk.
    for (const MemAccess& a : s1_only(kVa).log.reads) map_s2(a.pa, 1);
    map_s2(kDataIpa, lg2_size(g1));
  }
  unsigned g2() const { return s2->format().config().granule_lg2; }
  void map_s2(uint64_t ipa, uint64_t len) {
    for (uint64_t p = align_down(ipa, g2()); p < ipa + len; p += lg2_size(g2())) {
      if (mapped_.insert(p).second) {
        EXPECT_EQ(s2->map(p, p + kGuestOffset, lg2_size(g2()), MapAttrs::rw()), MapStatus::Ok);
      }
    }
  }

  WalkResult go(uint64_t va, AccessReq req, WalkOptions s1o = {}, WalkOptions s2o = {}) {
    return walk_nested(s1->format(), s2->format(), host.mem, s1->root(), s2->root(), va, req, s1o,
                       s2o);
  }
  /// Stage 1 alone over the guest view: its log holds the IPAs of the stage-1 entries.
  WalkResult s1_only(uint64_t va) { return walk(s1->format(), guest, s1->root(), va, AccessReq{}); }
  WalkResult s2_only(uint64_t ipa) {
    return walk(s2->format(), host.mem, s2->root(), ipa, AccessReq::r());
  }

  std::set<uint64_t> mapped_;
};

/// The exact read sequence of a nested walk: for each stage-1 lookup, the stage-2 walk of its
/// IPA then the lookup itself at the PA; then the stage-2 walk of the output.
void expect_sequence(ArmNested& s, const WalkResult& r, unsigned n1, unsigned n2) {
  ASSERT_TRUE(r.ok()) << to_string(r.fault.kind) << " stage " << unsigned(r.fault.stage);
  ASSERT_EQ(r.log.reads.size(), (n1 + 1) * (n2 + 1) - 1);  // D8.2.1
  const WalkResult g = s.s1_only(kVa);
  ASSERT_EQ(g.log.reads.size(), n1);
  unsigned i = 0;
  for (unsigned k = 0; k < n1; ++k) {
    const uint64_t entry_ipa = g.log.reads[k].pa;
    const WalkResult t = s.s2_only(entry_ipa);
    ASSERT_EQ(t.log.reads.size(), n2);
    for (unsigned j = 0; j < n2; ++j, ++i) {
      EXPECT_EQ(r.log.reads[i].stage, 2) << i;
      EXPECT_EQ(r.log.reads[i].pa, t.log.reads[j].pa) << i;
      EXPECT_EQ(r.log.reads[i].level, n2 - 1 - j) << i;
    }
    EXPECT_EQ(r.log.reads[i].stage, 1) << i;
    EXPECT_EQ(r.log.reads[i].level, n1 - 1 - k) << i;
    EXPECT_EQ(r.log.reads[i].pa, entry_ipa + kGuestOffset) << i;
    EXPECT_EQ(r.log.reads[i].value, g.log.reads[k].value) << i;
    ++i;
  }
  const unsigned g1 = s.s1->format().config().granule_lg2;
  const uint64_t out_ipa = kDataIpa + (kVa & mask(g1 - 1, 0));
  const WalkResult out = s.s2_only(out_ipa);
  for (unsigned j = 0; j < n2; ++j, ++i) {
    EXPECT_EQ(r.log.reads[i].stage, 2);
    EXPECT_EQ(r.log.reads[i].pa, out.log.reads[j].pa);
  }
  EXPECT_EQ(r.s1.oa, out_ipa);
  EXPECT_EQ(r.tr.oa, out_ipa + kGuestOffset);
  EXPECT_EQ(r.s2.oa, r.tr.oa);
  const unsigned g2 = s.g2();
  EXPECT_EQ(r.tr.page_lg2, g1 < g2 ? g1 : g2);
}

F s1_4k() {
  return F(arm_s1_config(12, 16));
}  // 4 levels
F s2_4k() {
  return F(arm_s2_config(12, 16, 2));
}  // 4 levels from level 0

TEST(ArmNested, FourOverFourLevelsIs24Reads) {
  ArmNested s(s1_4k(), s2_4k());
  EXPECT_EQ(s.s1->format().top_level(), 3u);
  EXPECT_EQ(s.s2->format().top_level(), 3u);
  expect_sequence(s, s.go(kVa, AccessReq::rw()), 4, 4);
}

TEST(ArmNested, MixedGranulesAndConcatenatedStageTwo) {
  {
    // 64 KiB stage 1 (3 levels) over 16 KiB stage 2 starting at level 1 with 2 tables.
    ArmNested s(F(arm_s1_config(16, 16)), F(arm_s2_config(14, 16, 2)));
    EXPECT_EQ(s.s2->format().concatenated_tables(), 2u);
    expect_sequence(s, s.go(kVa, AccessReq::r()), 3, 3);
  }
  {
    // 16 KiB stage 1 (4 levels, a 2-entry level 0) over 4 KiB stage 2 from level 1, 16 tables.
    ArmNested s(F(arm_s1_config(14, 16)), F(arm_s2_config(12, 21, 1)));
    EXPECT_EQ(s.s2->format().concatenated_tables(), 16u);
    expect_sequence(s, s.go(kVa, AccessReq::r()), 4, 3);
  }
  {
    // 4 KiB stage 1 over 64 KiB stage 2 from level 2 with 16 tables.
    ArmNested s(s1_4k(), F(arm_s2_config(16, 18, 1)));
    expect_sequence(s, s.go(kVa, AccessReq::r()), 4, 2);
  }
}

TEST(ArmNested, StageTwoFaultOnAStageOneTableFetchReportsTheIpa) {
  for (unsigned k = 0; k < 4; ++k) {  // the stage-1 lookup whose IPA stage 2 cannot translate
    ArmNested s(s1_4k(), s2_4k());
    const WalkResult g = s.s1_only(kVa);
    const uint64_t entry_ipa = g.log.reads[k].pa;
    ASSERT_TRUE(s.s2->unmap(align_down(entry_ipa, 12), 4096).ok());
    const WalkResult r = s.go(kVa, AccessReq::r());
    ASSERT_EQ(r.fault.kind, FaultKind::NotPresent) << k;
    EXPECT_EQ(r.fault.stage, 2);
    EXPECT_TRUE(r.fault.on_s1_table);
    EXPECT_EQ(r.fault.s1_level, 3 - k);
    EXPECT_EQ(r.fault.ipa, entry_ipa);
    EXPECT_EQ(r.fault.va, kVa);
    // Reads so far: k complete stage-1 lookups (5 reads each), then the failing stage-2 walk.
    ASSERT_GE(r.log.reads.size(), 5 * k + 1);
    EXPECT_EQ(r.log.reads[r.log.reads.size() - 1].stage, 2);
  }
}

TEST(ArmNested, StageTwoPermissionAndAccessFlagOnATableFetch) {
  {
    // A write-only stage-2 mapping of the stage-1 tables: table walks need read.
    ArmNested s(s1_4k(), s2_4k());
    const uint64_t root_ipa = s.s1->root();
    MapAttrs wo;
    wo.read = false;
    wo.write = true;
    ASSERT_EQ(s.s2->protect(root_ipa, 4096, wo), MapStatus::Ok);
    const WalkResult r = s.go(kVa, AccessReq::r());
    ASSERT_EQ(r.fault.kind, FaultKind::Permission);
    EXPECT_EQ(r.fault.stage, 2);
    EXPECT_TRUE(r.fault.on_s1_table);
    EXPECT_EQ(r.fault.s1_level, 3);
    EXPECT_EQ(r.fault.ipa, s.s1_only(kVa).log.reads[0].pa);
    EXPECT_EQ(r.log.reads.size(), 4u);
  }
  {
    // Stage-2 AF = 0 on the page holding a stage-1 table.
    ArmNested s(s1_4k(), s2_4k());
    const uint64_t ipa = s.s1_only(kVa).log.reads[2].pa;
    const WalkResult t = s.s2_only(ipa);
    ASSERT_TRUE(t.ok());
    s.host.mem.write_le64(t.tr.leaf_pa, t.tr.leaf & ~F::kAF);
    const WalkResult r = s.go(kVa, AccessReq::r());
    ASSERT_EQ(r.fault.kind, FaultKind::AccessFlag);
    EXPECT_EQ(r.fault.stage, 2);
    EXPECT_TRUE(r.fault.on_s1_table);
    EXPECT_EQ(r.fault.s1_level, 1);
    EXPECT_EQ(r.fault.ipa, ipa);
    EXPECT_EQ(r.fault.level, 0);
  }
}

TEST(ArmNested, StageTwoFaultOnTheFinalOutput) {
  ArmNested s(s1_4k(), s2_4k());
  ASSERT_EQ(s.s2->protect(kDataIpa, 4096, MapAttrs::ro()), MapStatus::Ok);
  WalkResult r = s.go(kVa, AccessReq::w());
  ASSERT_EQ(r.fault.kind, FaultKind::Permission);
  EXPECT_EQ(r.fault.stage, 2);
  EXPECT_FALSE(r.fault.on_s1_table);
  EXPECT_EQ(r.fault.ipa, kDataIpa + (kVa & 0xfff));
  EXPECT_EQ(r.log.reads.size(), 24u);
  EXPECT_TRUE(s.go(kVa, AccessReq::r()).ok());
  ASSERT_TRUE(s.s2->unmap(kDataIpa, 4096).ok());
  r = s.go(kVa, AccessReq::r());
  EXPECT_EQ(r.fault.kind, FaultKind::NotPresent);
  EXPECT_EQ(r.fault.stage, 2);
  EXPECT_FALSE(r.fault.on_s1_table);
  EXPECT_EQ(r.s1.oa, kDataIpa + (kVa & 0xfff));
}

TEST(ArmNested, StageOneFaultsAreStageOneAndRightsCombine) {
  MapAttrs user_ro;  // stage 1: EL0 read-only
  ArmNested s(s1_4k(), s2_4k(), user_ro);
  const WalkResult hole = s.go(kVa ^ (1ull << 40), AccessReq::r());
  ASSERT_EQ(hole.fault.kind, FaultKind::NotPresent);
  EXPECT_EQ(hole.fault.stage, 1);
  EXPECT_EQ(hole.fault.level, 3);
  // Stage 1 denies the write before stage 2 translates the output.
  const WalkResult w = s.go(kVa, AccessReq::w());
  ASSERT_EQ(w.fault.kind, FaultKind::Permission);
  EXPECT_EQ(w.fault.stage, 1);
  EXPECT_EQ(w.log.reads.size(), 20u);
  const WalkResult r = s.go(kVa, AccessReq::r());
  ASSERT_TRUE(r.ok());
  // Stage 1 grants PR UR (UXN and PXN set: no exec), stage 2 grants RW: the AND.
  EXPECT_EQ(r.tr.perms, Perms(Perms::kRead));
}

TEST(ArmNested, HardwareAccessFlagUpdateIsAStageTwoWrite) {
  ArmLpaeConfig c1 = arm_s1_config(12, 16);
  c1.hw_af = true;
  WalkOptions upd;
  upd.update_ad = true;
  {
    ArmNested s((F(c1)), s2_4k());
    // Clear the stage-1 leaf's AF by hand (the builder sets it).
    const WalkResult g = s.s1_only(kVa);
    const uint64_t cleared = g.tr.leaf & ~F::kAF;
    s.guest.write(g.tr.leaf_pa, &cleared, sizeof cleared);
    const WalkResult r = s.go(kVa, AccessReq::r(), upd);
    ASSERT_TRUE(r.ok()) << to_string(r.fault.kind);
    ASSERT_EQ(r.log.writes.size(), 1u);
    EXPECT_EQ(r.log.writes[0].pa, g.tr.leaf_pa + kGuestOffset);
    EXPECT_TRUE(s.s1_only(kVa).tr.leaf & F::kAF);
  }
  {
    ArmNested s((F(c1)), s2_4k());
    const WalkResult g = s.s1_only(kVa);
    const uint64_t cleared = g.tr.leaf & ~F::kAF;
    s.guest.write(g.tr.leaf_pa, &cleared, sizeof cleared);
    ASSERT_EQ(s.s2->protect(align_down(g.tr.leaf_pa, 12), 4096, MapAttrs::ro()), MapStatus::Ok);
    const WalkResult r = s.go(kVa, AccessReq::r(), upd);
    ASSERT_EQ(r.fault.kind, FaultKind::Permission);
    EXPECT_EQ(r.fault.stage, 2);
    EXPECT_TRUE(r.fault.on_s1_table);
    EXPECT_EQ(r.fault.s1_level, 0);
    EXPECT_TRUE(r.log.writes.empty());
    EXPECT_FALSE(s.s1_only(kVa).tr.leaf & F::kAF);
  }
}

TEST(ArmNested, VariantEntryPointMatchesTheTemplate) {
  ArmNested s(F(arm_s1_config(16, 16)), F(arm_s2_config(12, 24, 1)));
  const FormatVariant f1 = s.s1->format();
  const FormatVariant f2 = s.s2->format();
  WalkStart a, b;
  a.table = s.s1->root();
  b.table = s.s2->root();
  const WalkResult v = walk_nested(f1, f2, s.host.mem, a, b, kVa, AccessReq::r());
  const WalkResult t = s.go(kVa, AccessReq::r());
  EXPECT_EQ(v.ok(), t.ok());
  EXPECT_EQ(v.fault.kind, t.fault.kind);
  EXPECT_EQ(v.tr.oa, t.tr.oa);
  ASSERT_EQ(v.log.reads.size(), t.log.reads.size());
  for (unsigned i = 0; i < v.log.reads.size(); ++i) {
    EXPECT_EQ(v.log.reads[i].pa, t.log.reads[i].pa);
  }
}

}  // namespace
}  // namespace isim::pt::test
