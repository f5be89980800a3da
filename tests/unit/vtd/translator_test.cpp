// Functional translator against hand-built tables: successful translations for every mode and
// one test per fault reason the translator produces.
#include <gtest/gtest.h>

#include "tests/unit/vtd/vtd_test_env.h"

namespace isim::vtd::test {
namespace {

constexpr uint16_t kSid = 0x0310;  // 03:02.0
using FR = FaultReason;

LegacyContextEntry legacy_ctx(uint64_t slpt, unsigned aw = 2,
                              LegacyTt tt = LegacyTt::UntranslatedOnly) {
  LegacyContextEntry c;
  c.present = true;
  c.tt = tt;
  c.slptptr = slpt;
  c.aw = aw;
  c.did = 42;
  return c;
}

// --- Legacy mode ------------------------------------------------------------------------------

class LegacyLevels : public ::testing::TestWithParam<unsigned> {};

TEST_P(LegacyLevels, TranslatesThroughSecondStage) {
  Env env;
  const unsigned levels = GetParam();
  auto b = env.ss_tables(levels);
  ASSERT_EQ(b.map(0x4000'1000, 0x9'8765'4000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  env.set_legacy_context(kSid, legacy_ctx(b.root(), levels - 2));
  const Result r = env.translator().translate(env.legacy(), wr(kSid, 0x4000'1234));
  ASSERT_TRUE(r.ok()) << spec_name(r.fault.reason);
  EXPECT_EQ(r.tr.oa, 0x9'8765'4234u);
  EXPECT_EQ(r.tr.page_lg2, 12);
  EXPECT_EQ(r.tr.did, 42);
  EXPECT_EQ(r.tr.type, TranslationType::SecondStage);
  // root + context + one read per level
  ASSERT_EQ(r.log.reads.size(), 2 + levels);
  EXPECT_EQ(r.log.reads[0].pa, env.root + 3 * 16);
  EXPECT_EQ(r.log.reads[0].stage, kStructureStage);
  EXPECT_EQ(r.log.reads[1].pa, env.legacy_ctx_table(3) + 0x10 * 16);
}
INSTANTIATE_TEST_SUITE_P(AllLevels, LegacyLevels, ::testing::Values(3u, 4u, 5u));

TEST(VtdLegacy, WalkStartsWhereAPagingStructureCacheSays) {
  // The model's paging-structure caches hand the translator the table of the last level and
  // the rights above it: the walk then reads only the PTE, with the same result.
  Env env;
  auto b = env.ss_tables(4);
  ASSERT_EQ(b.map(0x4000'1000, 0x9'8765'4000, 4096, pt::MapAttrs::ro()), pt::MapStatus::Ok);
  env.set_legacy_context(kSid, legacy_ctx(b.root()));
  const Translator t = env.translator();
  const Result full = t.translate(env.legacy(), rd(kSid, 0x4000'1234));
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full.log.reads.size(), 6u);
  const uint64_t pte_table = full.log.reads[5].pa & ~uint64_t{0xfff};
  const Step<DeviceContext> ctx = [&] {
    pt::WalkLog log;
    return t.fetch_context(env.legacy(), kSid, log);
  }();
  ASSERT_TRUE(ctx.ok());
  pt::WalkStart start;
  start.table = pte_table;
  start.level = 0;
  const Result mid = t.translate_legacy(ctx.value, rd(kSid, 0x4000'1234), &start);
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid.tr.oa, full.tr.oa);
  ASSERT_EQ(mid.log.reads.size(), 1u);
  EXPECT_EQ(mid.log.reads[0].pa, full.log.reads[5].pa);
  // Rights taken away by the skipped levels stay away: a start with no rights denies the read.
  start.perms = pt::Perms::none();
  const Result denied = t.translate_legacy(ctx.value, rd(kSid, 0x4000'1234), &start);
  EXPECT_EQ(denied.fault.reason, FaultReason::LGN_3);
}

TEST(VtdLegacy, SuperPages) {
  Env env;
  auto b = env.ss_tables(4);
  ASSERT_EQ(b.map(0x20'0000, 0x1'4000'0000, 1u << 21, pt::MapAttrs::ro()), pt::MapStatus::Ok);
  ASSERT_EQ(b.map(0x8000'0000, 0x2'c000'0000, 1u << 30, pt::MapAttrs::ro()), pt::MapStatus::Ok);
  env.set_legacy_context(kSid, legacy_ctx(b.root()));
  const Translator t = env.translator();
  Result r = t.translate(env.legacy(), rd(kSid, 0x2f'f123));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x1'400f'f123u);
  EXPECT_EQ(r.tr.page_lg2, 21);
  r = t.translate(env.legacy(), rd(kSid, 0xbfff'fff0));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x2'ffff'fff0u);
  EXPECT_EQ(r.tr.page_lg2, 30);
}

TEST(VtdLegacy, PassThroughAndTranslationDisabled) {
  Env env;
  env.set_legacy_context(kSid, legacy_ctx(0, 2, LegacyTt::PassThrough));
  const Translator t = env.translator();
  Result r = t.translate(env.legacy(), wr(kSid, 0x1234'5678));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.type, TranslationType::PassThrough);
  EXPECT_EQ(r.tr.oa, 0x1234'5678u);
  r = t.translate(env.legacy(), wr(kSid, uint64_t{1} << 46));  // beyond HAW
  EXPECT_EQ(r.fault.reason, FR::LGN_1);
  UnitState off = env.legacy();
  off.te = false;
  r = t.translate(off, rd(0x9999, 0xabc));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.type, TranslationType::Identity);
  EXPECT_TRUE(r.log.reads.empty());
}

TEST(VtdLegacy, AtsTranslationRequestNeedsTtAll) {
  Env env;
  auto b = env.ss_tables(4);
  ASSERT_EQ(b.map(0x1000, 0x5000, 4096, pt::MapAttrs::ro()), pt::MapStatus::Ok);
  env.set_legacy_context(kSid, legacy_ctx(b.root(), 2, LegacyTt::All));
  env.set_legacy_context(kSid + 1, legacy_ctx(b.root()));
  const Translator t = env.translator();
  Request q = rd(kSid, 0x1000);
  q.at = AtsType::TranslationRequest;
  Result r = t.translate(env.legacy(), q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x5000u);
  EXPECT_TRUE(r.tr.perms.any(pt::Perms::kRead));
  EXPECT_FALSE(r.tr.perms.any(pt::Perms::kWrite));
  q.addr = 0x7000;  // not mapped: zero-permission answer, no fault
  r = t.translate(env.legacy(), q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.perms, pt::Perms::none());
  q.sid = kSid + 1;
  EXPECT_EQ(t.translate(env.legacy(), q).fault.reason, FR::LCT_5);
}

struct LegacyFaultEnv : ::testing::Test {
  Env env;
  pt::Builder<pt::VtdSsFormat> b = env.ss_tables(4);
  uint64_t ctx_pa = 0;
  void SetUp() override {
    ASSERT_EQ(b.map(0x1000, 0x5000, 4096, pt::MapAttrs::ro()), pt::MapStatus::Ok);
    ctx_pa = env.set_legacy_context(kSid, legacy_ctx(b.root()));
  }
  Result go(const Request& q) { return env.translator().translate(env.legacy(), q); }
  Result go(const UnitState& st, const Request& q) { return env.translator().translate(st, q); }
};

TEST_F(LegacyFaultEnv, RootAndContextFaults) {
  EXPECT_EQ(go(rd(0x0500, 0x1000)).fault.reason, FR::LRT_2);  // bus 5: no root entry
  EXPECT_EQ(go(rd(kSid + 8, 0x1000)).fault.reason, FR::LCT_2);
  UnitState far = env.legacy();
  far.rtaddr = rtaddr::make(kMemSize, Ttm::Legacy);  // below HAW, beyond memory
  EXPECT_EQ(go(far, rd(kSid, 0x1000)).fault.reason, FR::LRT_1);
  // Root entry reserved bit.
  env.mem.write_le64(env.root + 3 * 16 + 8, 1);
  EXPECT_EQ(go(rd(kSid, 0x1000)).fault.reason, FR::LRT_3);
  env.mem.write_le64(env.root + 3 * 16 + 8, 0);
  // Context table beyond memory.
  const LegacyRootEntry bad{true, kMemSize + 0x1000};
  env.write_qws(env.root + 7 * 16, bad.encode().data(), 2);
  EXPECT_EQ(go(rd(0x0700, 0x1000)).fault.reason, FR::LCT_1);
}

TEST_F(LegacyFaultEnv, ContextProgrammingFaults) {
  LegacyContextEntry ce = legacy_ctx(b.root());
  Qw2 raw = ce.encode();
  raw[1] |= uint64_t{1} << 7;  // reserved
  env.write_qws(ctx_pa, raw.data(), 2);
  EXPECT_EQ(go(rd(kSid, 0x1000)).fault.reason, FR::LCT_3);
  ce.tt = LegacyTt::Reserved;
  env.write_qws(ctx_pa, ce.encode().data(), 2);
  EXPECT_EQ(go(rd(kSid, 0x1000)).fault.reason, FR::LCT_4);
  env.caps.sagaw = 0b0100;  // 48-bit only; AW=1 unsupported
  env.set_legacy_context(kSid, legacy_ctx(b.root(), 1));
  EXPECT_EQ(go(rd(kSid, 0x1000)).fault.reason, FR::LCT_4);
}

TEST_F(LegacyFaultEnv, WalkFaults) {
  Result r = go(wr(kSid, 0x1000));
  EXPECT_EQ(r.fault.reason, FR::LGN_2);
  EXPECT_EQ(r.fault.sid, kSid);
  EXPECT_EQ(r.fault.addr, 0x1000u);
  EXPECT_TRUE(r.fault.write);
  EXPECT_EQ(go(rd(kSid, 0x3000)).fault.reason, FR::LGN_3);  // not mapped
  EXPECT_EQ(go(rd(kSid, uint64_t{1} << 48)).fault.reason, FR::LGN_1);
  // A leaf with a reserved bit (bit 51 above HAW 46).
  const uint64_t leaf_pa = r.fault.walk.entry_pa;
  env.mem.write_le64(leaf_pa, env.read_qw(leaf_pa) | (uint64_t{1} << 51));
  EXPECT_EQ(go(rd(kSid, 0x1000)).fault.reason, FR::LSL_2);
  // Second-stage root beyond memory.
  env.set_legacy_context(kSid, legacy_ctx(kMemSize + 0x2000));
  EXPECT_EQ(go(rd(kSid, 0x1000)).fault.reason, FR::LSL_1);
}

TEST_F(LegacyFaultEnv, InterruptRangeAndPasidRequests) {
  ASSERT_EQ(b.map(0x9000, 0xfee0'0000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  EXPECT_EQ(go(wr(kSid, 0x9000)).fault.reason, FR::LGN_4);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x1000), 5)).fault.reason, FR::RTA_2);
  UnitState st = env.legacy();
  st.rtaddr = rtaddr::make(env.root, Ttm::Reserved);
  EXPECT_EQ(go(st, rd(kSid, 0x1000)).fault.reason, FR::RTA_1);
}

TEST_F(LegacyFaultEnv, FpdIsReportedNotRecorded) {
  LegacyContextEntry ce = legacy_ctx(b.root());
  ce.fpd = true;
  env.write_qws(ctx_pa, ce.encode().data(), 2);
  Result r = go(wr(kSid, 0x1000));
  EXPECT_EQ(r.fault.reason, FR::LGN_2);
  EXPECT_TRUE(r.fault.fpd);
  ce.present = false;  // FPD also covers a not-present context entry (qualified fault)
  env.write_qws(ctx_pa, ce.encode().data(), 2);
  r = go(rd(kSid, 0x1000));
  EXPECT_EQ(r.fault.reason, FR::LCT_2);
  EXPECT_TRUE(r.fault.fpd);
  EXPECT_FALSE(go(rd(0x0500, 0)).fault.fpd);  // root faults are never suppressed
}

// --- Scalable mode ----------------------------------------------------------------------------

struct Sm : ::testing::Test {
  Env env;
  ScalableContextEntry ce;
  void SetUp() override {
    ce.present = true;
    ce.paside = true;
    ce.dte = true;
    ce.rid_pasid = 7;
    env.set_sm_context(kSid, ce);
    ce = env.sm_context(kSid);
  }
  PasidEntry ss_entry(uint64_t slpt, unsigned aw = 2) {
    PasidEntry pe;
    pe.present = true;
    pe.pgtt = static_cast<unsigned>(Pgtt::SecondStage);
    pe.aw = aw;
    pe.slptptr = slpt;
    pe.did = 9;
    return pe;
  }
  PasidEntry fs_entry(uint64_t flpt, unsigned flpm = 0) {
    PasidEntry pe;
    pe.present = true;
    pe.pgtt = static_cast<unsigned>(Pgtt::FirstStage);
    pe.flptptr = flpt;
    pe.flpm = flpm;
    pe.did = 11;
    pe.wpe = true;
    pe.nxe = true;
    return pe;
  }
  Result go(const Request& q) { return env.translator().translate(env.scalable(), q); }
};

TEST_F(Sm, SecondStageOnlyWithPasid) {
  auto b = env.ss_tables(4, false);
  ASSERT_EQ(b.map(0x10'0000, 0x77'0000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  env.set_pasid_entry(kSid, 100, ss_entry(b.root()));
  const Result r = go(with_pasid(wr(kSid, 0x10'0040), 100));
  ASSERT_TRUE(r.ok()) << spec_name(r.fault.reason);
  EXPECT_EQ(r.tr.oa, 0x77'0040u);
  EXPECT_EQ(r.tr.did, 9);
  EXPECT_EQ(r.tr.pasid, 100u);
  EXPECT_EQ(r.tr.type, TranslationType::SecondStage);
  ASSERT_EQ(r.log.reads.size(), 4u + 4u);  // root, context, dir, PASID entry + 4 levels
  EXPECT_EQ(r.log.reads[2].level, static_cast<uint8_t>(LogLevel::PasidDirEntry));
  EXPECT_EQ(r.log.reads[4].stage, 2);
}

TEST_F(Sm, RidPasidForRequestsWithoutPasid) {
  auto b = env.ss_tables(4, false);
  ASSERT_EQ(b.map(0x1000, 0x3000, 4096, pt::MapAttrs::ro()), pt::MapStatus::Ok);
  env.set_pasid_entry(kSid, 7, ss_entry(b.root()));
  const Result r = go(rd(kSid, 0x1008));
  ASSERT_TRUE(r.ok()) << spec_name(r.fault.reason);
  EXPECT_EQ(r.tr.oa, 0x3008u);
  EXPECT_EQ(r.tr.pasid, 7u);
  EXPECT_FALSE(r.fault.pasid_present);
}

class SmFirstStage : public Sm, public ::testing::WithParamInterface<unsigned> {};

TEST_P(SmFirstStage, FourAndFiveLevel) {
  const unsigned levels = GetParam();
  auto f = env.fs_tables(levels);
  pt::MapAttrs a = pt::MapAttrs::rw();
  ASSERT_EQ(f.map(0x7f00'0000'0000, 0x12'3456'7000, 4096, a), pt::MapStatus::Ok);
  env.set_pasid_entry(kSid, 1, fs_entry(f.root(), levels - 4));
  const Result r = go(with_pasid(wr(kSid, 0x7f00'0000'0abc), 1));
  ASSERT_TRUE(r.ok()) << spec_name(r.fault.reason);
  EXPECT_EQ(r.tr.oa, 0x12'3456'7abcu);
  EXPECT_EQ(r.tr.type, TranslationType::FirstStage);
  EXPECT_EQ(r.log.reads.size(), 4u + levels);
}
INSTANTIATE_TEST_SUITE_P(Levels, SmFirstStage, ::testing::Values(4u, 5u));

TEST_F(Sm, SupervisorRequestsNeedSre) {
  auto f = env.fs_tables(4);
  pt::MapAttrs a = pt::MapAttrs::rw();
  a.user = false;  // supervisor page
  ASSERT_EQ(f.map(0x4000, 0x8000, 4096, a), pt::MapStatus::Ok);
  PasidEntry pe = fs_entry(f.root());
  env.set_pasid_entry(kSid, 2, pe);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x4000), 2, true)).fault.reason, FR::SPT_6);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x4000), 2)).fault.reason, FR::SGN_2);  // user to sup page
  pe.sre = true;
  env.set_pasid_entry(kSid, 2, pe);
  const Result r = go(with_pasid(wr(kSid, 0x4010), 2, true));
  ASSERT_TRUE(r.ok()) << spec_name(r.fault.reason);
  EXPECT_EQ(r.tr.oa, 0x8010u);
}

TEST_F(Sm, WriteProtectEnableGovernsSupervisorWritesToReadOnlyPages) {
  // VT-d 3.6.2: with WPE clear, supervisor (privileged) requests may write read-only
  // first-stage pages (like CR0.WP = 0); with WPE set they fault. User writes always fault.
  auto f = env.fs_tables(4);
  ASSERT_EQ(f.map(0x4000, 0x8000, 4096, pt::MapAttrs::ro()), pt::MapStatus::Ok);
  PasidEntry pe = fs_entry(f.root());
  pe.sre = true;
  pe.wpe = false;
  env.set_pasid_entry(kSid, 6, pe);
  const Result sup = go(with_pasid(wr(kSid, 0x4008), 6, true));
  ASSERT_TRUE(sup.ok()) << spec_name(sup.fault.reason);
  EXPECT_EQ(sup.tr.oa, 0x8008u);
  EXPECT_EQ(go(with_pasid(wr(kSid, 0x4008), 6)).fault.reason, FR::SGN_6) << "user write";
  pe.wpe = true;
  env.set_pasid_entry(kSid, 7, pe);
  EXPECT_EQ(go(with_pasid(wr(kSid, 0x4008), 7, true)).fault.reason, FR::SGN_6);
  EXPECT_TRUE(go(with_pasid(rd(kSid, 0x4008), 7, true)).ok());
}

TEST_F(Sm, FirstStageFaults) {
  auto f = env.fs_tables(4);
  ASSERT_EQ(f.map(0x4000, 0x8000, 4096, pt::MapAttrs::ro()), pt::MapStatus::Ok);
  PasidEntry pe = fs_entry(f.root());
  env.set_pasid_entry(kSid, 3, pe);
  EXPECT_EQ(go(with_pasid(wr(kSid, 0x4000), 3)).fault.reason, FR::SGN_6);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x9000), 3)).fault.reason, FR::SFL_2);
  EXPECT_EQ(go(with_pasid(rd(kSid, uint64_t{1} << 50), 3)).fault.reason, FR::SGN_1);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x4000), 3, false, true)).fault.reason, FR::SPT_5);
  pe.ere = true;
  env.set_pasid_entry(kSid, 3, pe);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x4000), 3, false, true)).fault.reason, FR::SGN_3);
  // Reserved bit in the leaf (bit 51, above HAW).
  const Result w = go(with_pasid(wr(kSid, 0x4000), 3));
  env.mem.write_le64(w.fault.walk.entry_pa,
                     env.read_qw(w.fault.walk.entry_pa) | (uint64_t{1} << 51));
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x4000), 3)).fault.reason, FR::SFL_3);
  // First-stage pointer beyond memory: the top-level access fails.
  env.set_pasid_entry(kSid, 4, fs_entry(kMemSize + 0x1000));
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x4000), 4)).fault.reason, FR::SFL_4);
  // Intermediate table beyond memory.
  auto g = env.fs_tables(4);
  env.mem.write_le64(
      g.root(), (kMemSize + 0x3000) | pt::X86Format::kP | pt::X86Format::kRW | pt::X86Format::kUS);
  env.set_pasid_entry(kSid, 5, fs_entry(g.root()));
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x4000), 5)).fault.reason, FR::SFL_1);
}

TEST_F(Sm, SecondStageFaults) {
  auto b = env.ss_tables(4, false);
  ASSERT_EQ(b.map(0x1000, 0x3000, 4096, pt::MapAttrs::ro()), pt::MapStatus::Ok);
  ASSERT_EQ(b.map(0x2000, 0xfee0'1000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  env.set_pasid_entry(kSid, 20, ss_entry(b.root()));
  EXPECT_EQ(go(with_pasid(wr(kSid, 0x1000), 20)).fault.reason, FR::SGN_6);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x5000), 20)).fault.reason, FR::SSL_2);
  EXPECT_EQ(go(with_pasid(rd(kSid, uint64_t{1} << 48), 20)).fault.reason, FR::SGN_4);
  EXPECT_EQ(go(with_pasid(wr(kSid, 0x2000), 20)).fault.reason, FR::SGN_8);
  const Result w = go(with_pasid(wr(kSid, 0x1000), 20));
  env.mem.write_le64(w.fault.walk.entry_pa,
                     env.read_qw(w.fault.walk.entry_pa) | (uint64_t{1} << 62));
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x1000), 20)).fault.reason, FR::SSL_3);  // TM reserved in SM
  env.set_pasid_entry(kSid, 21, ss_entry(kMemSize + 0x1000));
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x1000), 21)).fault.reason, FR::SSL_4);
  auto g = env.ss_tables(4, false);
  env.mem.write_le64(g.root(), (kMemSize + 0x3000) | 3);
  env.set_pasid_entry(kSid, 22, ss_entry(g.root()));
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x1000), 22)).fault.reason, FR::SSL_1);
  // A write-only leaf (W = 1, R = 0 is present in the second-stage format): a read is SGN.7.
  ASSERT_EQ(b.map(0x6000, 0x7000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  const Result ok = go(with_pasid(rd(kSid, 0x6000), 20));
  ASSERT_TRUE(ok.ok());
  const uint64_t leaf_pa = ok.log.reads[ok.log.reads.size() - 1].pa;
  env.mem.write_le64(leaf_pa, (env.read_qw(leaf_pa) & ~uint64_t{3}) | 2);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x6000), 20)).fault.reason, FR::SGN_7);
  EXPECT_TRUE(go(with_pasid(wr(kSid, 0x6000), 20)).ok());
}

TEST_F(Sm, NestedTranslation) {
  // Stage 2: identity over the first 4 GiB (where every table lives) plus GPA 0x1_0000_0000
  // -> HPA 0x30_0000_0000.
  auto s2 = env.ss_tables(4, false);
  for (uint64_t g = 0; g < (uint64_t{4} << 30); g += uint64_t{1} << 30) {
    ASSERT_EQ(s2.map(g, g, uint64_t{1} << 30, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  }
  ASSERT_EQ(s2.map(0x1'0000'0000, 0x30'0000'0000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  auto s1 = env.fs_tables(4);
  ASSERT_EQ(s1.map(0x7000'1000, 0x1'0000'0000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  ASSERT_EQ(s1.map(0x7000'2000, 0x2'0000'0000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  PasidEntry pe = fs_entry(s1.root());
  pe.pgtt = static_cast<unsigned>(Pgtt::Nested);
  pe.slptptr = s2.root();
  pe.aw = 2;
  env.set_pasid_entry(kSid, 30, pe);
  Result r = go(with_pasid(wr(kSid, 0x7000'1abc), 30));
  ASSERT_TRUE(r.ok()) << spec_name(r.fault.reason);
  EXPECT_EQ(r.tr.oa, 0x30'0000'0abcu);
  EXPECT_EQ(r.tr.type, TranslationType::Nested);
  // Structures, then per FS level 2 stage-2 reads (PML4E + 1 GiB PDPE leaf) + the FS entry,
  // then the 4-level stage-2 walk of the final GPA.
  EXPECT_EQ(r.log.reads.size(), 4u + 4u * (2 + 1) + 4u);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x7000'2000), 30)).fault.reason, FR::SSL_2);
  // A first-stage table outside the stage-2 mapping: the table fetch faults in stage 2.
  auto s1b = env.fs_tables(4);
  env.mem.write_le64(s1b.root(),
                     0x8'0000'0000 | pt::X86Format::kP | pt::X86Format::kRW | pt::X86Format::kUS);
  pe.flptptr = s1b.root();
  env.set_pasid_entry(kSid, 31, pe);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x1000), 31)).fault.reason, FR::SFL_7);
  pe.flptptr = 0x8'0000'0000;  // FS root itself not mapped in stage 2
  env.set_pasid_entry(kSid, 32, pe);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x1000), 32)).fault.reason, FR::SFL_6);
  pe.flptptr = uint64_t{1} << 50;  // beyond stage-2 input width
  env.set_pasid_entry(kSid, 33, pe);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0x1000), 33)).fault.reason, FR::SPT_3);  // above HAW
}

TEST_F(Sm, NestedFirstStageTableAboveTheSecondStageWidthIsSfl5) {
  // Stage 2 with AW=1 (39-bit, 3-level) maps the low 4 GiB; the first-stage root sits there but
  // its PML4E points at GPA 2^40, which a 39-bit second stage cannot translate: the stage-2
  // walk of a first-stage table pointer fails with an address-size fault (SFL.5).
  auto s2 = env.ss_tables(3, false);
  for (uint64_t g = 0; g < (uint64_t{4} << 30); g += uint64_t{1} << 30)
    ASSERT_EQ(s2.map(g, g, uint64_t{1} << 30, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  auto s1 = env.fs_tables(4);
  env.mem.write_le64(
      s1.root(), (uint64_t{1} << 40) | pt::X86Format::kP | pt::X86Format::kRW | pt::X86Format::kUS);
  PasidEntry pe = fs_entry(s1.root());
  pe.pgtt = static_cast<unsigned>(Pgtt::Nested);
  pe.slptptr = s2.root();
  pe.aw = 1;
  env.set_pasid_entry(kSid, 40, pe);
  const Result r = go(with_pasid(rd(kSid, 0x1000), 40));
  EXPECT_EQ(r.fault.reason, FR::SFL_5) << spec_name(r.fault.reason);
}

TEST_F(Sm, PassThroughAndDeviceTlb) {
  PasidEntry pe;
  pe.present = true;
  pe.pgtt = static_cast<unsigned>(Pgtt::PassThrough);
  pe.did = 3;
  env.set_pasid_entry(kSid, 7, pe);
  Result r = go(wr(kSid, 0xdead'b000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.type, TranslationType::PassThrough);
  EXPECT_EQ(r.tr.oa, 0xdead'b000u);
  EXPECT_EQ(r.tr.did, 3);
  Request q = rd(kSid, 0x1234'5000);
  q.at = AtsType::Translated;
  r = go(q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.type, TranslationType::DeviceTlb);
}

TEST_F(Sm, StructureFaults) {
  const uint16_t other = 0x0400;
  EXPECT_EQ(go(rd(other, 0)).fault.reason, FR::SRT_2);
  EXPECT_EQ(go(rd(kSid + 1, 0)).fault.reason, FR::SCT_2);
  EXPECT_EQ(go(rd(kSid, 0)).fault.reason, FR::SPD_2);  // RID_PASID 7: no directory entry
  Request q = rd(kSid, 0);
  q.at = AtsType::TranslationRequest;
  ScalableContextEntry c2 = ce;
  c2.dte = false;
  c2.paside = false;
  env.set_sm_context(kSid + 2, c2);
  q.sid = kSid + 2;
  EXPECT_EQ(go(q).fault.reason, FR::SCT_5);
  EXPECT_EQ(go(with_pasid(rd(kSid + 2, 0), 1)).fault.reason, FR::SCT_6);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0), 0xfffff)).fault.reason, FR::SCT_7);
  c2 = ce;
  c2.rid_pasid = 0xfffff;
  env.set_sm_context(kSid + 3, c2);
  EXPECT_EQ(go(rd(kSid + 3, 0)).fault.reason, FR::SCT_9);
  // Reserved bits: root entry, context entry, PASID directory entry, PASID entry.
  Qw4 raw = ce.encode();
  raw[0] |= uint64_t{1} << 5;
  env.write_qws(env.sm_ctx_table(3, 0x14) + 0x14 * 32, raw.data(), 4);
  EXPECT_EQ(go(rd(kSid + 4, 0)).fault.reason, FR::SCT_3);
  c2 = ce;
  c2.pre = true;
  env.caps.prs = false;
  env.set_sm_context(kSid + 5, c2);
  EXPECT_EQ(go(rd(kSid + 5, 0)).fault.reason, FR::SCT_4);
  env.caps.prs = true;
  env.mem.write_le64(env.root + 3 * 16, env.read_qw(env.root + 3 * 16) | 2);
  EXPECT_EQ(go(rd(kSid, 0)).fault.reason, FR::SRT_3);
}

TEST_F(Sm, PasidTableFaults) {
  // Directory entry not present for PASID 64 (directory index 1).
  EXPECT_EQ(go(with_pasid(rd(kSid, 0), 64)).fault.reason, FR::SPD_2);
  env.mem.write_le64(ce.pasid_dir + 8, env.page() | 1 | 4);  // reserved bit 2
  EXPECT_EQ(go(with_pasid(rd(kSid, 0), 64)).fault.reason, FR::SPD_3);
  env.mem.write_le64(ce.pasid_dir + 8, (kMemSize + 0x1000) | 1);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0), 64)).fault.reason, FR::SPT_1);
  PasidEntry pe = ss_entry(env.page());
  const uint64_t pe_pa = env.set_pasid_entry(kSid, 8, pe);
  env.mem.write_le64(pe_pa, env.read_qw(pe_pa) | (uint64_t{1} << 10));
  EXPECT_EQ(go(with_pasid(rd(kSid, 0), 8)).fault.reason, FR::SPT_3);
  pe.pgtt = 0;
  env.set_pasid_entry(kSid, 8, pe);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0), 8)).fault.reason, FR::SPT_4);
  pe = fs_entry(env.page(), 2);  // FSPM 10b reserved
  env.set_pasid_entry(kSid, 8, pe);
  EXPECT_EQ(go(with_pasid(rd(kSid, 0), 8)).fault.reason, FR::SPT_4);
  // PASID directory beyond memory.
  ScalableContextEntry c2 = ce;
  c2.pasid_dir = kMemSize + 0x4000;
  env.set_sm_context(kSid + 6, c2);
  EXPECT_EQ(go(rd(kSid + 6, 0)).fault.reason, FR::SPD_1);
  // Context table beyond memory, root table beyond memory.
  ScalableRootEntry re;
  re.lower_present = true;
  re.lower_ctp = kMemSize + 0x8000;
  env.write_qws(env.root + 9 * 16, re.encode().data(), 2);
  EXPECT_EQ(go(rd(0x0900, 0)).fault.reason, FR::SCT_1);
  UnitState st = env.scalable();
  st.rtaddr = rtaddr::make(kMemSize, Ttm::Scalable);
  EXPECT_EQ(env.translator().translate(st, rd(kSid, 0)).fault.reason, FR::SRT_1);
}

TEST_F(Sm, FpdAccumulatesAlongTheLookup) {
  PasidEntry pe = ss_entry(env.page());
  pe.fpd = true;
  env.set_pasid_entry(kSid, 7, pe);
  const Result r = go(rd(kSid, 0x1000));  // not mapped
  EXPECT_EQ(r.fault.reason, FR::SSL_2);
  EXPECT_TRUE(r.fault.fpd);
}

}  // namespace
}  // namespace isim::vtd::test
