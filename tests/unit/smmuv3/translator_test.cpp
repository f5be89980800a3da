// The functional translator end to end: tables written to memory with the encoders, requests
// translated, results and event records checked field by field (IHI 0070 3.2, 5.2-5.5, 7.3).
#include <gtest/gtest.h>

#include "smmu_env.h"

namespace isim::smmuv3::test {
namespace {

constexpr uint32_t kSid = 5;
constexpr uint64_t kVa = 0x0000'1234'5678'9000ull;

Request rd(uint64_t addr, std::optional<uint32_t> ssid = std::nullopt) {
  Request r;
  r.sid = kSid;
  r.addr = addr;
  r.ssid = ssid;
  return r;
}
Request wr(uint64_t addr) {
  Request r = rd(addr);
  r.rnw = false;
  return r;
}

/// Stage 1 only, linear stream table, one CD, one stage-1 table.
struct S1Fixture {
  SmmuEnv env;
  uint64_t cd_pa = 0;
  Cd cd;
  Ste ste;
  std::optional<Builder<ArmLpaeFormat>> pt;

  explicit S1Fixture(unsigned granule = 12, unsigned cdmax = 0, S1Fmt fmt = S1Fmt::kLinear) {
    env.linear_strtab(4);
    cd_pa = env.take(kCdBytes << cdmax, kCdBytes << cdmax);
    ste = s1_ste(cd_pa, cdmax, fmt);
    env.write_ste(kSid, ste);
    auto f = cd_s1_format(s1_cd(0, granule), 0, env.caps);
    pt = Builder<ArmLpaeFormat>::create(*f, env.mem, env.alloc);
    cd = s1_cd(pt->root(), granule);
    env.write_cd(cd_pa, cd);
  }
  void map(uint64_t va, uint64_t pa, uint64_t size, MapAttrs a = MapAttrs::rw()) {
    ASSERT_EQ(pt->map(va, pa, size, a), MapStatus::Ok);
  }
};

void expect_event(const TranslateResult& r, EventType t) {
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.record) << to_string(t);
  EXPECT_EQ(r.event.type, t) << to_string(r.event.type);
  // What software reads from the queue round-trips.
  EXPECT_EQ(decode_event(encode_event(r.event)).type, t);
}

// ---------------------------------------------------------------- global bypass / abort

TEST(SmmuTranslate, GbpaBypassAndAbortWhileDisabled) {
  SmmuEnv env;
  env.cr0 = 0;
  TranslateResult r = env.go(rd(0xabc000));
  EXPECT_EQ(r.outcome, Outcome::kBypass);
  EXPECT_EQ(r.oa, 0xabc000u);
  EXPECT_EQ(r.reads.size(), 0u);
  env.gbpa = 1u << gbpa::ABORT;
  r = env.go(rd(0xabc000));
  EXPECT_EQ(r.outcome, Outcome::kAbort);
  EXPECT_FALSE(r.record);
}

TEST(SmmuTranslate, ConfigBypassAndAbort) {
  SmmuEnv env;
  env.linear_strtab(4);
  Ste s;
  s.v = true;
  s.config = static_cast<uint8_t>(SteConfig::kBypass);
  env.write_ste(kSid, s);
  TranslateResult r = env.go(rd(0x5000));
  EXPECT_EQ(r.outcome, Outcome::kBypass);
  EXPECT_EQ(r.oa, 0x5000u);
  ASSERT_EQ(r.reads.size(), 1u);
  EXPECT_EQ(r.reads[0].kind, ReadKind::kSte);
  EXPECT_EQ(r.reads[0].pa, env.strtab_base + kSid * kSteBytes);
  // 5.2 S1Fmt: a SubstreamID on a stream whose stage 1 is disabled (full bypass included)
  // terminates with C_BAD_SUBSTREAMID.
  Request with_ssid = rd(0x5000);
  with_ssid.ssid = 1;
  r = env.go(with_ssid);
  EXPECT_EQ(r.outcome, Outcome::kAbort);
  EXPECT_TRUE(r.record);
  EXPECT_EQ(r.event.type, EventType::kC_BAD_SUBSTREAMID);
  s.config = 0b010;  // 0b0xx: abort without an event
  env.write_ste(kSid, s);
  r = env.go(rd(0x5000));
  EXPECT_EQ(r.outcome, Outcome::kAbort);
  EXPECT_FALSE(r.record);
}

// ---------------------------------------------------------------- stage 1, each granule

class SmmuS1Granule : public ::testing::TestWithParam<unsigned> {};

TEST_P(SmmuS1Granule, TranslatesThroughCdTtb0) {
  const unsigned g = GetParam();
  S1Fixture fx(g);
  const uint64_t va = align_down(kVa, g), pa = uint64_t{0x40} << g;
  fx.map(va, pa, lg2_size(g), MapAttrs::ro());
  const TranslateResult r = fx.env.go(rd(va + 0x18));
  ASSERT_EQ(r.outcome, Outcome::kTranslated) << to_string(r.event.type);
  EXPECT_EQ(r.oa, pa + 0x18);
  EXPECT_EQ(r.page_lg2, g);
  EXPECT_TRUE(r.s1);
  EXPECT_FALSE(r.s2);
  EXPECT_EQ(r.asid, 0x42);
  EXPECT_EQ(r.vmid, 7);
  EXPECT_TRUE(r.global);  // the builder writes nG = 0
  ASSERT_GE(r.reads.size(), 3u);
  EXPECT_EQ(r.reads[0].kind, ReadKind::kSte);
  EXPECT_EQ(r.reads[1].kind, ReadKind::kCd);
  EXPECT_EQ(r.reads[1].pa, fx.cd_pa);
  EXPECT_EQ(r.reads[2].kind, ReadKind::kS1Table);
  EXPECT_GE(r.reads[2].pa, fx.pt->root());  // an entry of the root table
  EXPECT_LT(r.reads[2].pa, fx.pt->root() + lg2_size(g));
  // A write to the read-only page is a stage-1 permission fault, recorded (CD.R = 1).
  const TranslateResult w = fx.env.go(wr(va));
  expect_event(w, EventType::kF_PERMISSION);
  EXPECT_FALSE(w.event.s2);
  EXPECT_EQ(w.event.cls, EventClass::kIn);
  EXPECT_EQ(w.event.input_addr, va);
  EXPECT_FALSE(w.event.rnw);
}

INSTANTIATE_TEST_SUITE_P(Granules, SmmuS1Granule, ::testing::Values(12u, 14u, 16u));

// ---------------------------------------------------------------- stage 2 only, concatenated

TEST(SmmuTranslate, Stage2ConcatenatedStartTables) {
  SmmuEnv env;
  env.linear_strtab(4);
  // 4 KiB granule, 40-bit IPA (S2T0SZ = 24) starting at level 1 (SL0 = 01): the level-1 lookup
  // resolves 10 bits, two concatenated tables (Arm ARM D8.2.2).
  Ste s;
  s.v = true;
  s.config = static_cast<uint8_t>(SteConfig::kS2);
  add_s2(s, 0, 12, 24, 1);
  auto f = ste_s2_format(s, env.caps);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->concatenated_tables(), 2u);
  auto b = Builder<ArmLpaeFormat>::create(*f, env.mem, env.alloc);
  const uint64_t ipa = (uint64_t{1} << 39) + 0x3000;  // in the second concatenated table
  ASSERT_EQ(b->map(ipa, 0x7777000, 4096, MapAttrs::rw()), MapStatus::Ok);
  s.s2ttb = b->root();
  env.write_ste(kSid, s);
  TranslateResult r = env.go(wr(ipa + 4));
  ASSERT_EQ(r.outcome, Outcome::kTranslated) << to_string(r.event.type);
  EXPECT_EQ(r.oa, 0x7777004u);
  EXPECT_TRUE(r.s2);
  EXPECT_EQ(r.vmid, 9);
  EXPECT_EQ(r.reads[1].kind, ReadKind::kS2Table);
  // IPA beyond 40 bits: stage-2 F_TRANSLATION, CLASS = IN, IPA = input.
  r = env.go(rd(uint64_t{1} << 40));
  expect_event(r, EventType::kF_TRANSLATION);
  EXPECT_TRUE(r.event.s2);
  EXPECT_EQ(r.event.cls, EventClass::kIn);
  EXPECT_EQ(r.event.ipa, uint64_t{1} << 40);
  // An unmapped IPA in range.
  r = env.go(rd(0x1000));
  expect_event(r, EventType::kF_TRANSLATION);
  EXPECT_TRUE(r.event.s2);
  // A SubstreamID without stage 1 is C_BAD_SUBSTREAMID (7.3.9).
  r = env.go(rd(ipa, 3u));
  expect_event(r, EventType::kC_BAD_SUBSTREAMID);
  EXPECT_EQ(r.event.ssid, 3u);
}

// ---------------------------------------------------------------- nested

struct NestedFixture {
  SmmuEnv env;
  Ste ste;
  std::optional<Builder<ArmLpaeFormat>> s2;
  static constexpr uint64_t kIpaBase = 0x8000'0000;  // guest IPA g lives at PA g + offset
  static constexpr uint64_t kOffset = uint64_t{1} << 33;
  uint64_t cd_ipa = kIpaBase + 0x10000;
  uint64_t s1_root_ipa = kIpaBase + 0x20000;

  NestedFixture() {
    env.linear_strtab(4);
    ste = s1_ste(cd_ipa);
    ste.config = static_cast<uint8_t>(SteConfig::kNested);
    add_s2(ste, 0, 12, 16, 2);  // 48-bit IPA, start level 0
    s2 = Builder<ArmLpaeFormat>::create(*ste_s2_format(ste, env.caps), env.mem, env.alloc);
    ste.s2ttb = s2->root();
    env.write_ste(kSid, ste);
    env.write_cd(cd_ipa + kOffset, s1_cd(s1_root_ipa, 12));
  }
  void s2_map(uint64_t ipa) {
    ASSERT_EQ(s2->map(align_down(ipa, 12), align_down(ipa, 12) + kOffset, 4096, MapAttrs::rw()),
              MapStatus::Ok);
  }
  /// A stage-1 table at IPA `t` (level `lvl`, our numbering) pointing to `next` for kVa.
  void s1_table(uint64_t t, unsigned lvl, uint64_t next_or_leaf) {
    const uint64_t idx = bits(kVa, 12 + 9 * lvl + 8, 12 + 9 * lvl);
    env.mem.write_le64(t + kOffset + idx * 8, next_or_leaf);
  }
};

TEST(SmmuTranslate, NestedWalkThroughStage2) {
  NestedFixture fx;
  const uint64_t t[4] = {fx.s1_root_ipa, fx.kIpaBase + 0x21000, fx.kIpaBase + 0x22000,
                         fx.kIpaBase + 0x23000};
  for (unsigned i = 0; i < 3; ++i) fx.s1_table(t[i], 3 - i, t[i + 1] | 3);
  const uint64_t data_ipa = fx.kIpaBase + 0x30000;
  fx.s1_table(t[3], 0, data_ipa | ArmLpaeFormat::kAF | ArmLpaeFormat::kAP1 | 3);
  fx.s2_map(fx.cd_ipa);
  for (uint64_t x : t) fx.s2_map(x);
  fx.s2_map(data_ipa);

  TranslateResult r = fx.env.go(rd(kVa + 0x10));
  ASSERT_EQ(r.outcome, Outcome::kTranslated) << to_string(r.event.type);
  EXPECT_EQ(r.oa, data_ipa + fx.kOffset + 0x10);
  EXPECT_EQ(r.ipa, data_ipa + 0x10);
  EXPECT_TRUE(r.s1 && r.s2);
  EXPECT_EQ(r.vmid, 9);
  // STE, CD behind a 4-level stage-2 walk, then 4 x (4 + 1) + 4 nested reads.
  ASSERT_EQ(r.reads.size(), 1u + 5u + 24u);
  EXPECT_EQ(r.reads[0].kind, ReadKind::kSte);
  for (unsigned i = 1; i < 5; ++i) EXPECT_EQ(r.reads[i].kind, ReadKind::kS2Table);
  EXPECT_EQ(r.reads[5].kind, ReadKind::kCd);
  EXPECT_EQ(r.reads[5].pa, fx.cd_ipa + fx.kOffset);
  EXPECT_EQ(r.reads[10].kind, ReadKind::kS1Table);
}

TEST(SmmuTranslate, NestedStage2FaultsReportClass) {
  NestedFixture fx;
  // CD IPA not mapped at stage 2: F_TRANSLATION, S2 = 1, CLASS = CD, IPA = CD address.
  TranslateResult r = fx.env.go(rd(kVa));
  expect_event(r, EventType::kF_TRANSLATION);
  EXPECT_TRUE(r.event.s2);
  EXPECT_EQ(r.event.cls, EventClass::kCd);
  EXPECT_EQ(r.event.ipa, fx.cd_ipa);
  // CD mapped, stage-1 root table not: CLASS = TT, IPA = the descriptor's IPA.
  fx.s2_map(fx.cd_ipa);
  r = fx.env.go(rd(kVa));
  expect_event(r, EventType::kF_TRANSLATION);
  EXPECT_TRUE(r.event.s2);
  EXPECT_EQ(r.event.cls, EventClass::kTt);
  EXPECT_EQ(r.event.ipa, fx.s1_root_ipa + bits(kVa, 47, 39) * 8);
  const EventRecord back = decode_event(encode_event(r.event));
  EXPECT_EQ(back.ipa, align_down(r.event.ipa, 12));  // the record holds IPA[55:12]
  // With S2R = 0 the stage-2 fault is not recorded (5.5), still aborts.
  fx.ste.s2r = false;
  fx.env.write_ste(kSid, fx.ste);
  r = fx.env.go(rd(kVa));
  EXPECT_EQ(r.outcome, Outcome::kAbort);
  EXPECT_FALSE(r.record);
}

// ---------------------------------------------------------------- 2-level stream table

TEST(SmmuTranslate, TwoLevelStreamTable) {
  SmmuEnv env;
  env.two_level_strtab(16, 8);
  const uint32_t sid = 0x0305;
  const uint64_t l2 = env.set_l1(sid, 4);  // 8 STEs: StreamID[7:0] < 8
  Ste s;
  s.v = true;
  s.config = static_cast<uint8_t>(SteConfig::kBypass);
  env.write_ste(sid, s);
  Request q = rd(0x1000);
  q.sid = sid;
  TranslateResult r = env.go(q);
  ASSERT_EQ(r.outcome, Outcome::kBypass) << to_string(r.event.type);
  ASSERT_EQ(r.reads.size(), 2u);
  EXPECT_EQ(r.reads[0].kind, ReadKind::kL1Std);
  EXPECT_EQ(r.reads[0].pa, env.strtab_base + 3 * 8);
  EXPECT_EQ(r.reads[1].pa, l2 + 5 * kSteBytes);
  // Beyond the span: C_BAD_STREAMID.
  q.sid = 0x0308;
  r = env.go(q);
  expect_event(r, EventType::kC_BAD_STREAMID);
  EXPECT_EQ(r.event.sid, 0x0308u);
  // Span 0 (no L1 descriptor), and without CR2.RECINVSID nothing is recorded.
  q.sid = 0x0405;
  expect_event(env.go(q), EventType::kC_BAD_STREAMID);
  env.cr2 = 0;
  r = env.go(q);
  EXPECT_EQ(r.outcome, Outcome::kAbort);
  EXPECT_FALSE(r.record);
}

// ---------------------------------------------------------------- CD tables and S1DSS

class SmmuCdTable : public ::testing::TestWithParam<S1Fmt> {};

TEST_P(SmmuCdTable, TwoLevelCdTable) {
  const S1Fmt fmt = GetParam();
  const unsigned split = fmt == S1Fmt::k2Level4K ? 6 : 10;
  SmmuEnv env;
  env.linear_strtab(4);
  const uint64_t l1 = env.take(4096, 4096);
  env.write_ste(kSid, s1_ste(l1, 16, fmt));
  const uint32_t ssid = (5u << split) | 3u;
  const uint64_t leaf = env.take(kCdBytes << split, kCdBytes << split);
  env.mem.write_le64(l1 + 5 * 8, leaf | 1);  // L1CD: V, L2Ptr
  auto f = cd_s1_format(s1_cd(0, 12), 0, env.caps);
  auto b = Builder<ArmLpaeFormat>::create(*f, env.mem, env.alloc);
  ASSERT_EQ(b->map(kVa, 0x99000, 4096, MapAttrs::rw()), MapStatus::Ok);
  env.write_cd(leaf + 3 * kCdBytes, s1_cd(b->root(), 12, 16, 0x77));
  TranslateResult r = env.go(rd(kVa, ssid));
  ASSERT_EQ(r.outcome, Outcome::kTranslated) << to_string(r.event.type);
  EXPECT_EQ(r.oa, 0x99000u);
  EXPECT_EQ(r.asid, 0x77);
  EXPECT_EQ(r.reads[1].kind, ReadKind::kL1Cd);
  EXPECT_EQ(r.reads[1].pa, l1 + 5 * 8);
  EXPECT_EQ(r.reads[2].pa, leaf + 3 * kCdBytes);
  // An L1CD with V = 0: C_BAD_SUBSTREAMID naming the SubstreamID.
  r = env.go(rd(kVa, ssid + (1u << split)));
  expect_event(r, EventType::kC_BAD_SUBSTREAMID);
  EXPECT_EQ(r.event.ssid, ssid + (1u << split));
  // SubstreamID >= 2^S1CDMax.
  expect_event(env.go(rd(kVa, 1u << 16)), EventType::kC_BAD_SUBSTREAMID);
}

INSTANTIATE_TEST_SUITE_P(Fmts, SmmuCdTable, ::testing::Values(S1Fmt::k2Level4K, S1Fmt::k2Level64K));

TEST(SmmuTranslate, S1dssCases) {
  S1Fixture fx(12, 4);  // 16 CDs, linear
  fx.map(kVa, 0x5000, 4096);
  // CD 0 maps kVa elsewhere, so the test sees which CD was used.
  auto b0 = Builder<ArmLpaeFormat>::create(fx.pt->format(), fx.env.mem, fx.env.alloc);
  ASSERT_EQ(b0->map(kVa, 0x6000, 4096, MapAttrs::rw()), MapStatus::Ok);
  fx.env.write_cd(fx.cd_pa, s1_cd(b0->root(), 12, 16, 0x10));
  fx.env.write_cd(fx.cd_pa + 2 * kCdBytes, fx.cd);

  EXPECT_EQ(fx.env.go(rd(kVa, 2u)).oa, 0x5000u);  // SubstreamID 2 -> CD 2
  // No SubstreamID, S1DSS = terminate: F_STREAM_DISABLED.
  TranslateResult r = fx.env.go(rd(kVa));
  expect_event(r, EventType::kF_STREAM_DISABLED);
  EXPECT_EQ(decode_event(encode_event(r.event)).sid, kSid);
  // S1DSS = bypass: stage 1 bypassed.
  fx.ste.s1dss = static_cast<uint8_t>(S1Dss::kBypass);
  fx.env.write_ste(kSid, fx.ste);
  r = fx.env.go(rd(kVa));
  EXPECT_EQ(r.outcome, Outcome::kBypass);
  EXPECT_EQ(r.oa, kVa);
  // S1DSS = substream 0: CD 0; SubstreamID 0 itself is then F_STREAM_DISABLED (7.3.7).
  fx.ste.s1dss = static_cast<uint8_t>(S1Dss::kSubstream0);
  fx.env.write_ste(kSid, fx.ste);
  r = fx.env.go(rd(kVa));
  ASSERT_EQ(r.outcome, Outcome::kTranslated);
  EXPECT_EQ(r.oa, 0x6000u);
  EXPECT_EQ(r.asid, 0x10);
  expect_event(fx.env.go(rd(kVa, 0u)), EventType::kF_STREAM_DISABLED);
}

// ---------------------------------------------------------------- one test per event

TEST(SmmuEvents, BadStreamIdOutOfRange) {
  SmmuEnv env;
  env.linear_strtab(4);
  Request q = rd(0);
  q.sid = 16;
  expect_event(env.go(q), EventType::kC_BAD_STREAMID);
}

TEST(SmmuEvents, SteFetchAbort) {
  SmmuEnv env;
  env.strtab_base = kMemBytes;  // beyond memory, inside OAS
  env.strtab_cfg = 4;
  const TranslateResult r = env.go(rd(0));
  expect_event(r, EventType::kF_STE_FETCH);
  EXPECT_EQ(r.event.fetch_addr, kMemBytes + kSid * kSteBytes);
  EXPECT_EQ(decode_event(encode_event(r.event)).fetch_addr, kMemBytes + kSid * kSteBytes);
}

TEST(SmmuEvents, BadSte) {
  SmmuEnv env;
  env.linear_strtab(4);
  expect_event(env.go(rd(0)), EventType::kC_BAD_STE);  // V = 0
  Ste s = s1_ste(0x10000);
  s.s1cdmax = 21;  // > SSIDSIZE
  env.write_ste(kSid, s);
  expect_event(env.go(rd(0)), EventType::kC_BAD_STE);
}

TEST(SmmuEvents, AtsRequestsAndTranslatedTraffic) {
  S1Fixture fx;
  fx.map(kVa, 0x5000, 4096);
  Request tr = rd(kVa);
  tr.ats = AtsType::kTranslationRequest;
  expect_event(fx.env.go(tr), EventType::kF_BAD_ATS_TREQ);  // EATS = 00
  // 7.3.6: the record keeps the requested Priv/eXec, not the STE's PRIVCFG/INSTCFG overrides.
  fx.ste.privcfg = 0b11;
  fx.ste.instcfg = 0b11;
  fx.env.write_ste(kSid, fx.ste);
  {
    const TranslateResult bad = fx.env.go(tr);
    expect_event(bad, EventType::kF_BAD_ATS_TREQ);
    EXPECT_FALSE(bad.event.pnu);
    EXPECT_FALSE(bad.event.ind);
    EXPECT_TRUE(bad.event.rnw);
  }
  fx.ste.privcfg = fx.ste.instcfg = 0;
  fx.ste.eats = static_cast<uint8_t>(Eats::kTrans);
  fx.env.write_ste(kSid, fx.ste);
  TranslateResult r = fx.env.go(tr);
  ASSERT_EQ(r.outcome, Outcome::kTranslated);
  EXPECT_EQ(r.oa, 0x5000u);
  EXPECT_TRUE(r.perms.has(pt::Perms(pt::Perms::kUserWrite)));
  // A failing Translation Request records nothing (only F_BAD_ATS_TREQ is recorded).
  tr.addr = kVa + 0x100000;
  r = fx.env.go(tr);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.record);

  Request t = rd(0x123000);
  t.ats = AtsType::kTranslated;
  EXPECT_EQ(fx.env.go(t).outcome, Outcome::kBypass);  // EATS = 01, no ATSCHK
  fx.ste.eats = 0;
  fx.env.write_ste(kSid, fx.ste);
  fx.env.cr0 |= 1u << cr0::ATSCHK;
  r = fx.env.go(t);
  expect_event(r, EventType::kF_TRANSL_FORBIDDEN);
  EXPECT_EQ(decode_event(encode_event(r.event)).input_addr, 0x123000u);
}

TEST(SmmuEvents, CdFetchAbortAndBadCd) {
  S1Fixture fx;
  fx.ste.s1_context_ptr = kMemBytes;
  fx.env.write_ste(kSid, fx.ste);
  TranslateResult r = fx.env.go(rd(kVa));
  expect_event(r, EventType::kF_CD_FETCH);
  EXPECT_EQ(r.event.fetch_addr, kMemBytes);
  fx.ste.s1_context_ptr = fx.cd_pa;
  fx.env.write_ste(kSid, fx.ste);
  Cd bad = fx.cd;
  bad.v = false;
  fx.env.write_cd(fx.cd_pa, bad);
  expect_event(fx.env.go(rd(kVa)), EventType::kC_BAD_CD);
  bad = fx.cd;
  bad.tg0 = 3;  // reserved granule
  fx.env.write_cd(fx.cd_pa, bad);
  expect_event(fx.env.go(rd(kVa)), EventType::kC_BAD_CD);
}

TEST(SmmuEvents, WalkExternalAbort) {
  S1Fixture fx;
  fx.cd.ttb0 = kMemBytes;  // inside IPS, outside memory
  fx.env.write_cd(fx.cd_pa, fx.cd);
  const TranslateResult r = fx.env.go(rd(kVa));
  expect_event(r, EventType::kF_WALK_EABT);
  EXPECT_FALSE(r.event.s2);
  EXPECT_EQ(r.event.cls, EventClass::kTt);
  EXPECT_EQ(r.event.fetch_addr, kMemBytes + bits(kVa, 47, 39) * 8);
}

TEST(SmmuEvents, TranslationAddrSizeAccessPermission) {
  S1Fixture fx;
  fx.map(kVa, uint64_t{1} << 33, 4096, MapAttrs::ro());
  // Unmapped VA: F_TRANSLATION, stage 1, CLASS = IN.
  TranslateResult r = fx.env.go(rd(kVa + 0x200000));
  expect_event(r, EventType::kF_TRANSLATION);
  EXPECT_EQ(r.event.cls, EventClass::kIn);
  // EPD1 region (VA[55] = 1): F_TRANSLATION.
  expect_event(fx.env.go(rd(~uint64_t{0} << 48)), EventType::kF_TRANSLATION);
  // Output beyond IPS = 32 bits: F_ADDR_SIZE.
  Cd small = fx.cd;
  small.ips = 0;
  fx.env.write_cd(fx.cd_pa, small);
  expect_event(fx.env.go(rd(kVa)), EventType::kF_ADDR_SIZE);
  fx.env.write_cd(fx.cd_pa, fx.cd);
  // AF = 0 in the leaf: F_ACCESS.
  r = fx.env.go(rd(kVa));
  ASSERT_TRUE(r.ok());
  const ReadRec leaf = r.reads[r.reads.size() - 1];
  fx.env.mem.write_le64(leaf.pa, leaf.value & ~ArmLpaeFormat::kAF);
  expect_event(fx.env.go(rd(kVa)), EventType::kF_ACCESS);
  // With CD.HA the SMMU sets AF instead.
  Cd ha = fx.cd;
  ha.ha = true;
  fx.env.write_cd(fx.cd_pa, ha);
  EXPECT_TRUE(fx.env.go(rd(kVa)).ok());
  EXPECT_EQ(*fx.env.mem.read_le64(leaf.pa) & ArmLpaeFormat::kAF, ArmLpaeFormat::kAF);
  // Read-only page written: F_PERMISSION with the access attributes.
  Request w = wr(kVa);
  w.pnu = true;
  r = fx.env.go(w);
  expect_event(r, EventType::kF_PERMISSION);
  const EventRecord e = decode_event(encode_event(r.event));
  EXPECT_TRUE(e.pnu);
  EXPECT_FALSE(e.rnw);
  EXPECT_EQ(e.input_addr, kVa);
}

TEST(SmmuEvents, FaultConfigurationARS) {
  S1Fixture fx;
  Cd c = fx.cd;
  c.r = false;  // {A,R,S} = 100: abort silently
  fx.env.write_cd(fx.cd_pa, c);
  TranslateResult r = fx.env.go(rd(kVa));
  EXPECT_EQ(r.outcome, Outcome::kAbort);
  EXPECT_FALSE(r.record);
  c.a = false;  // 000: RAZ/WI silently
  fx.env.write_cd(fx.cd_pa, c);
  EXPECT_EQ(fx.env.go(rd(kVa)).outcome, Outcome::kRazWi);
  c.s = true;  // xx1: stall and record
  fx.env.write_cd(fx.cd_pa, c);
  r = fx.env.go(rd(kVa));
  EXPECT_EQ(r.outcome, Outcome::kStall);
  EXPECT_TRUE(r.record);
  EXPECT_TRUE(r.event.stall);
}

TEST(SmmuTranslate, PrivCfgOverride) {
  S1Fixture fx;
  MapAttrs priv_only = MapAttrs::rw();
  priv_only.user = false;
  fx.map(kVa, 0x5000, 4096, priv_only);
  expect_event(fx.env.go(rd(kVa)), EventType::kF_PERMISSION);  // unprivileged request
  fx.ste.privcfg = 0b11;                                       // force privileged
  fx.env.write_ste(kSid, fx.ste);
  EXPECT_TRUE(fx.env.go(rd(kVa)).ok());
}

}  // namespace
}  // namespace isim::smmuv3::test
