// Nested (two-stage) translation: x86 first stage over VT-d second stage, AMD v2 over AMD v1,
// the full read sequence, and stage-2 faults on stage-1 table fetches and on the final output.
#include <gtest/gtest.h>

#include <optional>

#include "base/bits.h"
#include "pt_test_env.h"

namespace isim::pt::test {
namespace {

constexpr uint64_t kGuestOffset = uint64_t{1} << 36;  // GPA g lives at HPA g + offset
constexpr uint64_t kGuestSize = uint64_t{1} << 34;
constexpr uint64_t kGuestTables = uint64_t{1} << 30;  // GPA range of stage-1 tables
constexpr uint64_t kDataGpa = 0x12345000;
constexpr uint64_t kVa = 0x00006789abcde468ull;

/// The guest's view of memory, for building stage-1 tables at guest-physical addresses.
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

template <class F1, class F2>
struct NestedSetup {
  Env host;
  GuestMem guest{host.mem};
  PhysAllocator galloc{kGuestTables, kGuestTables + (uint64_t{1} << 26)};
  std::optional<Builder<F1>> s1;
  std::optional<Builder<F2>> s2;

  NestedSetup(const F1& f1, const F2& f2, uint64_t va = kVa) {
    s1 = Builder<F1>::create(f1, guest, galloc);
    EXPECT_EQ(s1->map(align_down(va, 12), kDataGpa, 4096, MapAttrs::rw()), MapStatus::Ok);
    s2 = Builder<F2>::create(f2, host.mem, host.alloc);
    // Stage 2 maps every stage-1 table page and the data page with 4 KiB pages, so each
    // stage-2 walk is a full-depth walk.
    for (uint64_t g = kGuestTables; g < kGuestTables + galloc.bytes_in_use(); g += 4096) {
      EXPECT_EQ(s2->map(g, g + kGuestOffset, 4096, MapAttrs::rw()), MapStatus::Ok);
    }
    EXPECT_EQ(s2->map(kDataGpa, kDataGpa + kGuestOffset, 4096, MapAttrs::rw()), MapStatus::Ok);
  }

  WalkResult go(uint64_t va, AccessReq req, WalkOptions s1o = {}, WalkOptions s2o = {}) {
    return walk_nested(s1->format(), s2->format(), host.mem, s1->root(), s2->root(), va, req, s1o,
                       s2o);
  }
  /// Stage 1 alone over the guest view: its log holds the GPAs of the stage-1 entries.
  WalkResult s1_only(uint64_t va) {
    return walk(s1->format(), guest, s1->root(), va, AccessReq::r());
  }
  WalkResult s2_only(uint64_t gpa) {
    return walk(s2->format(), host.mem, s2->root(), gpa, AccessReq::r());
  }
};

/// Checks the exact read sequence of a nested walk of n1 x n2 levels.
template <class Setup>
void expect_nested_sequence(Setup& s, const WalkResult& r, unsigned n1, unsigned n2) {
  ASSERT_TRUE(r.ok()) << to_string(r.fault.kind) << " stage " << unsigned(r.fault.stage);
  ASSERT_EQ(r.log.reads.size(), n1 * (n2 + 1) + n2);
  EXPECT_FALSE(r.log.reads.overflowed());
  const WalkResult g = s.s1_only(kVa);
  ASSERT_EQ(g.log.reads.size(), n1);
  unsigned i = 0;
  for (unsigned k = 0; k < n1; ++k) {
    const uint64_t entry_gpa = g.log.reads[k].pa;
    const WalkResult t = s.s2_only(entry_gpa);
    for (unsigned j = 0; j < n2; ++j, ++i) {
      EXPECT_EQ(r.log.reads[i].stage, 2) << i;
      EXPECT_EQ(r.log.reads[i].pa, t.log.reads[j].pa) << i;
      EXPECT_EQ(r.log.reads[i].level, n2 - 1 - j) << i;
    }
    EXPECT_EQ(r.log.reads[i].stage, 1) << i;
    EXPECT_EQ(r.log.reads[i].level, n1 - 1 - k) << i;
    EXPECT_EQ(r.log.reads[i].pa, entry_gpa + kGuestOffset) << i;
    EXPECT_EQ(r.log.reads[i].value, g.log.reads[k].value) << i;
    ++i;
  }
  const WalkResult out = s.s2_only(kDataGpa);
  for (unsigned j = 0; j < n2; ++j, ++i) {
    EXPECT_EQ(r.log.reads[i].stage, 2);
    EXPECT_EQ(r.log.reads[i].pa, out.log.reads[j].pa);
  }
  EXPECT_EQ(r.tr.oa, kDataGpa + kGuestOffset + (kVa & 0xfff));
  EXPECT_EQ(r.s1.oa, kDataGpa + (kVa & 0xfff));
  EXPECT_EQ(r.s2.oa, r.tr.oa);
  EXPECT_EQ(r.tr.page_lg2, 12);
}

TEST(Nested, X86FirstStageOverVtdSecondStageIs24Reads) {
  NestedSetup<X86Format, VtdSsFormat> s{X86Format(), VtdSsFormat()};
  expect_nested_sequence(s, s.go(kVa, AccessReq::rw()), 4, 4);
}

TEST(Nested, AmdV2OverAmdV1Is24Reads) {
  AmdV1Config c;
  c.mode = 4;
  NestedSetup<X86Format, AmdV1Format> s(X86Format(amd_v2_config(4)), AmdV1Format(c));
  expect_nested_sequence(s, s.go(kVa, AccessReq::rw()), 4, 4);
}

TEST(Nested, FiveOverFiveLevels) {
  X86Config c1;
  c1.levels = 5;
  VtdSsConfig c2;
  c2.levels = 5;
  NestedSetup<X86Format, VtdSsFormat> s((X86Format(c1)), VtdSsFormat(c2));
  expect_nested_sequence(s, s.go(kVa, AccessReq::r()), 5, 5);
}

TEST(Nested, SixOverSixLevelsFitsTheLog) {
  AmdV1Config c;
  c.mode = 6;
  NestedSetup<AmdV1Format, AmdV1Format> s((AmdV1Format(c)), AmdV1Format(c));
  expect_nested_sequence(s, s.go(kVa, AccessReq::r()), 6, 6);
}

TEST(Nested, StageTwoFaultOnAStageOneTableFetch) {
  NestedSetup<X86Format, VtdSsFormat> s{X86Format(), VtdSsFormat()};
  const WalkResult g = s.s1_only(kVa);
  const uint64_t entry_gpa = g.log.reads[1].pa;  // the stage-1 level-2 entry
  ASSERT_TRUE(s.s2->unmap(align_down(entry_gpa, 12), 4096).ok());
  const WalkResult r = s.go(kVa, AccessReq::r());
  ASSERT_EQ(r.fault.kind, FaultKind::NotPresent);
  EXPECT_EQ(r.fault.stage, 2);
  EXPECT_TRUE(r.fault.on_s1_table);
  EXPECT_EQ(r.fault.s1_level, 2);
  EXPECT_EQ(r.fault.ipa, entry_gpa);
  EXPECT_EQ(r.fault.va, kVa);
  // Reads so far: stage-1 level 3 (4 + 1) and the failed stage-2 walk for level 2.
  EXPECT_GE(r.log.reads.size(), 6u);
  EXPECT_EQ(r.log.reads[4].stage, 1);
  EXPECT_EQ(r.log.reads[r.log.reads.size() - 1].stage, 2);
}

TEST(Nested, StageTwoFaultOnTheFinalOutput) {
  NestedSetup<X86Format, VtdSsFormat> s{X86Format(), VtdSsFormat()};
  ASSERT_EQ(s.s2->protect(kDataGpa, 4096, MapAttrs::ro()), MapStatus::Ok);
  WalkResult r = s.go(kVa, AccessReq::w());
  ASSERT_EQ(r.fault.kind, FaultKind::Permission);
  EXPECT_EQ(r.fault.stage, 2);
  EXPECT_FALSE(r.fault.on_s1_table);
  EXPECT_EQ(r.fault.ipa, kDataGpa + (kVa & 0xfff));
  EXPECT_EQ(r.log.reads.size(), 24u);
  EXPECT_TRUE(s.go(kVa, AccessReq::r()).ok());

  ASSERT_TRUE(s.s2->unmap(kDataGpa, 4096).ok());
  r = s.go(kVa, AccessReq::r());
  EXPECT_EQ(r.fault.kind, FaultKind::NotPresent);
  EXPECT_EQ(r.fault.stage, 2);
  EXPECT_FALSE(r.fault.on_s1_table);
  EXPECT_EQ(r.s1.oa, kDataGpa + (kVa & 0xfff));
}

TEST(Nested, StageOneFaultsAreStageOne) {
  NestedSetup<X86Format, VtdSsFormat> s{X86Format(), VtdSsFormat()};
  const WalkResult r = s.go(kVa ^ (1ull << 40), AccessReq::r());  // a hole in stage 1
  ASSERT_EQ(r.fault.kind, FaultKind::NotPresent);
  EXPECT_EQ(r.fault.stage, 1);
  EXPECT_EQ(r.fault.level, 3);
  EXPECT_EQ(r.fault.entry_pa, s.s1_only(kVa ^ (1ull << 40)).log.reads[0].pa + kGuestOffset);
}

TEST(Nested, AccessedDirtyUpdateNeedsStageTwoWrite) {
  NestedSetup<X86Format, VtdSsFormat> s{X86Format(), VtdSsFormat()};
  WalkOptions ad;
  ad.update_ad = true;
  WalkResult r = s.go(kVa, AccessReq::w(), ad);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.log.writes.size(), 4u);
  EXPECT_EQ(r.log.writes[0].pa, r.log.reads[4].pa);  // the stage-1 root entry, by host PA
  EXPECT_TRUE(s.s1_only(kVa).tr.leaf & X86Format::kD);

  NestedSetup<X86Format, VtdSsFormat> ro{X86Format(), VtdSsFormat()};
  ASSERT_EQ(ro.s2->protect(kGuestTables, ro.galloc.bytes_in_use(), MapAttrs::ro()), MapStatus::Ok);
  r = ro.go(kVa, AccessReq::r(), ad);
  ASSERT_EQ(r.fault.kind, FaultKind::Permission);
  EXPECT_EQ(r.fault.stage, 2);
  EXPECT_TRUE(r.fault.on_s1_table);
  EXPECT_EQ(r.fault.s1_level, 3);
  EXPECT_TRUE(r.log.writes.empty());
  EXPECT_TRUE(ro.go(kVa, AccessReq::r()).ok());  // without A/D updates read-only tables are fine
}

TEST(Nested, CustomStageTwoTranslatorSeesEveryTranslation) {
  NestedSetup<X86Format, VtdSsFormat> s{X86Format(), VtdSsFormat()};
  Stage2Walker<VtdSsFormat> inner(s.s2->format(), s.host.mem, s.s2->root());
  // A toy nested TLB: the first miss walks, later hits make no memory reads.
  std::vector<std::pair<uint64_t, StageResult>> tlb;
  unsigned calls = 0;
  auto cached = [&](uint64_t ipa, const AccessReq& req, WalkLog& log) -> StageResult {
    ++calls;
    for (const auto& [page, res] : tlb) {
      if (page == align_down(ipa, 12)) {
        StageResult hit = res;
        hit.tr.oa = res.tr.page_base() | (ipa & 0xfff);
        return hit;
      }
    }
    StageResult res = inner(ipa, req, log);
    if (res.ok()) tlb.emplace_back(align_down(ipa, 12), res);
    return res;
  };
  WalkStart start;
  start.table = s.s1->root();
  WalkResult r = walk_nested(s.s1->format(), s.host.mem, start, kVa, AccessReq::r(), cached);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(calls, 5u);
  EXPECT_EQ(r.log.reads.size(), 24u);
  r = walk_nested(s.s1->format(), s.host.mem, start, kVa, AccessReq::r(), cached);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(calls, 10u);
  EXPECT_EQ(r.log.reads.size(), 4u);  // stage-1 entries only
  EXPECT_EQ(r.tr.oa, kDataGpa + kGuestOffset + (kVa & 0xfff));
}

TEST(Nested, StartAtAnIntermediateStageOneTable) {
  NestedSetup<X86Format, VtdSsFormat> s{X86Format(), VtdSsFormat()};
  const WalkResult g = s.s1_only(kVa);
  WalkStart start;  // a paging-structure cache hit for the level-1 table (by GPA)
  start.table = g.log.reads[1].value & mask(51, 12);
  start.level = 1;
  WalkResult r = walk_nested(s.s1->format(), s.host.mem, start, kVa, AccessReq::r(),
                             Stage2Walker<VtdSsFormat>(s.s2->format(), s.host.mem, s.s2->root()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.log.reads.size(), 2u * 5 + 4);
  start.table += kGuestOffset;  // a cache holding the host address skips stage 2 for it
  start.table_is_pa = true;
  r = walk_nested(s.s1->format(), s.host.mem, start, kVa, AccessReq::r(),
                  Stage2Walker<VtdSsFormat>(s.s2->format(), s.host.mem, s.s2->root()));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.log.reads.size(), 1u + 5 + 4);
}

TEST(Nested, VariantEntryPointMatchesTheTemplate) {
  NestedSetup<X86Format, VtdSsFormat> s{X86Format(), VtdSsFormat()};
  const FormatVariant f1 = s.s1->format();
  const FormatVariant f2 = s.s2->format();
  WalkStart a, b;
  a.table = s.s1->root();
  b.table = s.s2->root();
  const WalkResult v = walk_nested(f1, f2, s.host.mem, a, b, kVa, AccessReq::r());
  const WalkResult t = s.go(kVa, AccessReq::r());
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.tr.oa, t.tr.oa);
  ASSERT_EQ(v.log.reads.size(), t.log.reads.size());
  for (unsigned i = 0; i < v.log.reads.size(); ++i) EXPECT_EQ(v.log.reads[i].pa, t.log.reads[i].pa);
}

}  // namespace
}  // namespace isim::pt::test
