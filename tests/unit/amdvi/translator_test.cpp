// Functional translator against hand-built device tables, GCR3 tables and page tables.
#include <gtest/gtest.h>

#include "tests/unit/amdvi/amdvi_test_env.h"

namespace isim::amdvi::test {
namespace {

constexpr uint16_t kDev = 0x0310;
using pt::MapAttrs;
using pt::MapStatus;

// --- Host (v1) translation --------------------------------------------------------------------

class HostModes : public ::testing::TestWithParam<unsigned> {};

TEST_P(HostModes, TranslatesThroughV1) {
  Env env;
  const unsigned mode = GetParam();
  auto b = env.host_tables(mode);
  const uint64_t va = mode <= 2 ? 0x1'3000 : 0x4000'1000;
  ASSERT_EQ(b.map(va, 0x9'8765'4000, 4096, MapAttrs::rw()), MapStatus::Ok);
  env.set_dte(kDev, host_dte(b.root(), mode));
  const Result r = env.go(wr(kDev, va + 0x234));
  ASSERT_TRUE(r.ok()) << to_string(r.fault.event.code);
  EXPECT_EQ(r.tr.oa, 0x9'8765'4234u);
  EXPECT_EQ(r.tr.page_lg2, 12);
  EXPECT_EQ(r.tr.domain_id, 7);
  EXPECT_EQ(r.tr.type, TranslationType::Host);
  ASSERT_EQ(r.log.reads.size(), 1 + mode);  // DTE + one read per level
  EXPECT_EQ(r.log.reads[0].pa, env.dte_pa(kDev));
  EXPECT_EQ(r.log.reads[0].stage, kStructureStage);
  EXPECT_EQ(r.log.reads[1].stage, kHostStage);
}
INSTANTIATE_TEST_SUITE_P(Modes1To6, HostModes, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u));

TEST(AmdviHost, AddressBeyondModeIsAPageFault) {
  Env env;
  auto b = env.host_tables(3);  // 39-bit space
  env.set_dte(kDev, host_dte(b.root(), 3));
  const Result r = env.go(rd(kDev, uint64_t{1} << 39));
  EXPECT_EQ(r.fault.event.code, EventCode::IoPageFault);
  EXPECT_FALSE(r.fault.event.pr);
}

TEST(AmdviHost, LevelSkipping) {
  Env env;
  auto b = env.host_tables(4, /*level_skip=*/true);
  ASSERT_EQ(b.map(0x5000, 0x7'0000'0000, 4096, MapAttrs::rw()), MapStatus::Ok);
  env.set_dte(kDev, host_dte(b.root(), 4));
  Result r = env.go(rd(kDev, 0x5008));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x7'0000'0008u);
  EXPECT_EQ(r.log.reads.size(), 1u + 2u);  // DTE, root PDE skipping to the PTE table, PTE
  // VA bits of a skipped level non-zero: IO_PAGE_FAULT, not a translation.
  r = env.go(rd(kDev, 0x5008 | (uint64_t{1} << 30)));
  EXPECT_EQ(r.fault.event.code, EventCode::IoPageFault);
  EXPECT_EQ(r.fault.walk.kind, pt::FaultKind::SkippedBitsNonZero);
}

TEST(AmdviHost, NextLevel7PageSizes) {
  Env env;
  auto b = env.host_tables(4);
  ASSERT_EQ(b.map(0x10'0000, 0x2'0010'0000, 16 << 10, MapAttrs::rw()), MapStatus::Ok);
  ASSERT_EQ(b.map(0x80'0000, 0x3'0080'0000, 4 << 20, MapAttrs::ro()), MapStatus::Ok);
  env.set_dte(kDev, host_dte(b.root(), 4));
  Result r = env.go(wr(kDev, 0x10'3ff0));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x2'0010'3ff0u);
  EXPECT_EQ(r.tr.page_lg2, 14);
  r = env.go(rd(kDev, 0xbf'fff8));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x3'00bf'fff8u);
  EXPECT_EQ(r.tr.page_lg2, 22);
}

TEST(AmdviHost, PermissionFaultsCarryIoPageFaultFields) {
  Env env;
  auto b = env.host_tables(3);
  ASSERT_EQ(b.map(0x1000, 0x5000, 4096, MapAttrs::ro()), MapStatus::Ok);
  env.set_dte(kDev, host_dte(b.root(), 3, 0x99));
  Result r = env.go(wr(kDev, 0x1010));
  ASSERT_EQ(r.fault.event.code, EventCode::IoPageFault);
  const Event& e = r.fault.event;
  EXPECT_EQ(e.device_id, kDev);
  EXPECT_EQ(e.domain_id, 0x99);
  EXPECT_EQ(e.addr, 0x1010u);
  EXPECT_TRUE(e.pr && e.pe && e.rw);
  EXPECT_FALSE(e.gn || e.rz || e.tr || e.i);
  EXPECT_TRUE(r.fault.log);
  // Not present: PR = 0.
  r = env.go(rd(kDev, 0x9000));
  EXPECT_EQ(r.fault.event.code, EventCode::IoPageFault);
  EXPECT_FALSE(r.fault.event.pr || r.fault.event.pe || r.fault.event.rw);
  // DTE IW = 0 removes write even where the tables allow it; IR = 0 removes read.
  ASSERT_EQ(b.map(0x2000, 0x6000, 4096, MapAttrs::rw()), MapStatus::Ok);
  env.set_dte(kDev, host_dte(b.root(), 3, 0x99, true, false));
  EXPECT_TRUE(env.go(rd(kDev, 0x2000)).ok());
  EXPECT_TRUE(env.go(wr(kDev, 0x2000)).fault.event.pe);
  env.set_dte(kDev, host_dte(b.root(), 3, 0x99, false, true));
  EXPECT_TRUE(env.go(wr(kDev, 0x2000)).ok());
  EXPECT_TRUE(env.go(rd(kDev, 0x2000)).fault.event.pe);
  // SA suppresses the event (the access is still aborted).
  Dte sa = host_dte(b.root(), 3);
  sa.sa = true;
  env.set_dte(kDev, sa);
  r = env.go(rd(kDev, 0x9000));
  EXPECT_EQ(r.fault.event.code, EventCode::IoPageFault);
  EXPECT_FALSE(r.fault.log);
}

TEST(AmdviHost, ReservedBitAndTableHardwareError) {
  Env env;
  auto b = env.host_tables(2);
  ASSERT_EQ(b.map(0x1000, 0x5000, 4096, MapAttrs::rw()), MapStatus::Ok);
  env.set_dte(kDev, host_dte(b.root(), 2));
  const uint64_t pte = b.mappings()[0].entry;
  const uint64_t pte_pa = env.go(rd(kDev, 0x1000)).log.reads[2].pa;
  env.mem.write_le64(pte_pa, pte | (uint64_t{1} << 55));
  Result r = env.go(rd(kDev, 0x1000));
  EXPECT_EQ(r.fault.event.code, EventCode::IoPageFault);
  EXPECT_TRUE(r.fault.event.rz && r.fault.event.pr);
  // Root table outside memory: PAGE_TAB_HARDWARE_ERROR with the entry address.
  env.set_dte(kDev, host_dte(kMemSize, 2, 3));
  r = env.go(wr(kDev, 0x1000));
  ASSERT_EQ(r.fault.event.code, EventCode::PageTabHardwareError);
  EXPECT_EQ(r.fault.event.addr, kMemSize);
  EXPECT_EQ(r.fault.event.domain_id, 3);
  EXPECT_TRUE(r.fault.event.rw);
  EXPECT_EQ(r.fault.event.type, static_cast<uint8_t>(HwErrorType::MasterAbort));
}

// --- DTE cases ------------------------------------------------------------------------------

TEST(AmdviDteCases, ValidAndTranslationValid) {
  Env env;
  // V = 0: untranslated.
  Result r = env.go(wr(kDev, 0x1234'5678));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.type, TranslationType::Untranslated);
  EXPECT_EQ(r.tr.oa, 0x1234'5678u);
  EXPECT_EQ(r.log.reads.size(), 1u);
  // V = 1, TV = 0: blocked with an IO_PAGE_FAULT.
  Dte d;
  d.v = true;
  d.domain_id = 5;
  env.set_dte(kDev, d);
  r = env.go(rd(kDev, 0x1000));
  EXPECT_EQ(r.fault.event.code, EventCode::IoPageFault);
  EXPECT_EQ(r.fault.event.domain_id, 5);
  // Mode 0: untranslated, IR/IW apply.
  env.set_dte(kDev, host_dte(0, 0, 5, true, false));
  r = env.go(rd(kDev, 0xabc000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.type, TranslationType::ModeNone);
  EXPECT_EQ(r.tr.oa, 0xabc000u);
  r = env.go(wr(kDev, 0xabc000));
  EXPECT_TRUE(r.fault.event.pe);
  // IommuEn = 0: nothing read, nothing translated.
  env.control = 0;
  r = env.go(wr(kDev, 0x42));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.type, TranslationType::Disabled);
  EXPECT_TRUE(r.log.reads.empty());
}

TEST(AmdviDteCases, IllegalDteAndDeviceTableErrors) {
  Env env;
  Qw4 q = host_dte(0x5000, 3).encode();
  q[0] |= uint64_t{1} << 4;  // reserved 6:2
  env.set_raw_dte(kDev, q);
  Result r = env.go(with_pasid(wr(kDev, 0x1000), 0x33));
  ASSERT_EQ(r.fault.event.code, EventCode::IllegalDevTableEntry);
  EXPECT_TRUE(r.fault.event.rz && r.fault.event.rw && r.fault.event.gn);
  EXPECT_EQ(r.fault.event.pasid, 0x33u);
  EXPECT_EQ(r.fault.event.addr, 0x1000u);
  env.set_dte(kDev, host_dte(0x5000, 7));
  r = env.go(rd(kDev, 0x1000));
  ASSERT_EQ(r.fault.event.code, EventCode::IllegalDevTableEntry);
  EXPECT_FALSE(r.fault.event.rz);
  // Device table beyond memory: DEV_TAB_HARDWARE_ERROR at the DTE address.
  env.devtab = kMemSize - 0x1000;
  r = env.go(rd(0x0100, 0x1000));
  ASSERT_EQ(r.fault.event.code, EventCode::DevTabHardwareError);
  EXPECT_EQ(r.fault.event.addr, kMemSize - 0x1000 + 0x100 * 32);
}

TEST(AmdviDteCases, ExclusionRange) {
  Env env;
  auto b = env.host_tables(3);
  Dte d = host_dte(b.root(), 3);
  d.ex = true;
  env.set_dte(kDev, d);
  env.set_dte(kDev + 1, host_dte(b.root(), 3));
  env.excl_base = 0x8000'0000 | 1;  // ExEn
  env.excl_limit = 0x8fff'f000;
  Result r = env.go(wr(kDev, 0x8123'4567));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.type, TranslationType::Exclusion);
  EXPECT_EQ(r.tr.oa, 0x8123'4567u);
  EXPECT_EQ(env.go(wr(kDev + 1, 0x8123'4567)).fault.event.code, EventCode::IoPageFault);
  env.excl_base |= 2;  // Allow: every device
  EXPECT_TRUE(env.go(wr(kDev + 1, 0x8123'4567)).ok());
  EXPECT_FALSE(env.go(wr(kDev, 0x9000'0000)).ok());
}

TEST(AmdviDteCases, Ats) {
  Env env;
  auto b = env.host_tables(3);
  ASSERT_EQ(b.map(0x1000, 0x5000, 4096, MapAttrs::ro()), MapStatus::Ok);
  Dte d = host_dte(b.root(), 3);
  d.i = true;
  env.set_dte(kDev, d);
  env.set_dte(kDev + 1, host_dte(b.root(), 3));
  Request q = rd(kDev, 0x1000);
  q.at = AtsType::TranslationRequest;
  Result r = env.go(q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x5000u);
  EXPECT_TRUE(r.tr.perms.any(pt::Perms::kRead));
  EXPECT_FALSE(r.tr.perms.any(pt::Perms::kWrite));
  EXPECT_TRUE(r.tr.iotlb);
  q.addr = 0x7000;  // not mapped: zero-permission answer, no event
  r = env.go(q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.perms, pt::Perms::none());
  q.device_id = kDev + 1;  // I = 0
  r = env.go(q);
  ASSERT_EQ(r.fault.event.code, EventCode::InvalidDeviceRequest);
  EXPECT_TRUE(r.fault.event.tr);
  Request t = wr(kDev, 0x5000);
  t.at = AtsType::Translated;
  r = env.go(t);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.type, TranslationType::Translated);
  t.device_id = kDev + 1;
  EXPECT_EQ(env.go(t).fault.event.code, EventCode::InvalidDeviceRequest);
}

// --- Guest (v2) and nested ------------------------------------------------------------------

struct GuestCase {
  unsigned glx;
  unsigned levels;
};
class GuestTables : public ::testing::TestWithParam<GuestCase> {};

TEST_P(GuestTables, PasidThroughGcr3) {
  Env env;
  const GuestCase c = GetParam();
  auto g = env.guest_tables(c.levels);
  ASSERT_EQ(g.map(0x7fff'0000'1000, 0x4'5678'9000, 4096, MapAttrs::rw()), MapStatus::Ok);
  const uint64_t gcr3_root = env.page();
  const uint32_t pasid = c.glx == 1 ? 0x2'0345 : 0x123;
  env.set_gcr3(gcr3_root, c.glx, pasid, g.root());
  Dte d = host_dte(0, 0);
  d.gv = true;
  d.glx = c.glx;
  d.gcr3_root = gcr3_root;
  d.gpm = c.levels - 4;
  env.set_dte(kDev, d);
  env.f.pas_max = 19;
  Result r = env.go(with_pasid(wr(kDev, 0x7fff'0000'1abc), pasid));
  ASSERT_TRUE(r.ok()) << to_string(r.fault.event.code);
  EXPECT_EQ(r.tr.oa, 0x4'5678'9abcu);
  EXPECT_EQ(r.tr.type, TranslationType::Guest);
  EXPECT_TRUE(r.tr.pasid_valid);
  EXPECT_EQ(r.tr.pasid, pasid);
  ASSERT_EQ(r.log.reads.size(), 1 + (c.glx + 1) + c.levels);
  EXPECT_EQ(r.log.reads[1].level, kGcr3LogLevelBase + c.glx);
  // Another PASID has no valid GCR3 entry: guest IO_PAGE_FAULT with the PASID.
  r = env.go(with_pasid(rd(kDev, 0x1000), pasid + 1));
  ASSERT_EQ(r.fault.event.code, EventCode::IoPageFault);
  EXPECT_TRUE(r.fault.event.gn);
  EXPECT_EQ(r.fault.event.pasid, pasid + 1);
}
INSTANTIATE_TEST_SUITE_P(Gcr3Levels, GuestTables,
                         ::testing::Values(GuestCase{0, 4}, GuestCase{1, 4}, GuestCase{0, 5},
                                           GuestCase{1, 5}));

TEST(AmdviGuest, UserSupervisorExecuteAndGiov) {
  Env env;
  auto g = env.guest_tables(4);
  MapAttrs priv_only = MapAttrs::rw();
  priv_only.user = false;
  ASSERT_EQ(g.map(0x1000, 0x5000, 4096, priv_only), MapStatus::Ok);
  ASSERT_EQ(g.map(0x2000, 0x6000, 4096, MapAttrs::rw()), MapStatus::Ok);
  const uint64_t root = env.page();
  env.set_gcr3(root, 0, 0, g.root());
  env.set_gcr3(root, 0, 9, g.root());
  Dte d = host_dte(0, 0);
  d.gv = d.giov = true;
  d.gcr3_root = root;
  env.set_dte(kDev, d);
  Result r = env.go(with_pasid(rd(kDev, 0x1000), 9));  // user request to a supervisor page
  ASSERT_EQ(r.fault.event.code, EventCode::IoPageFault);
  EXPECT_TRUE(r.fault.event.us && r.fault.event.pe && r.fault.event.pr);
  EXPECT_FALSE(r.fault.event.nx);
  EXPECT_TRUE(env.go(with_pasid(rd(kDev, 0x1000), 9, /*priv=*/true)).ok());
  // The rw mapping has XD set (no exec asked): an execute request faults with NX.
  r = env.go(with_pasid(rd(kDev, 0x2000), 9, false, /*exec=*/true));
  ASSERT_EQ(r.fault.event.code, EventCode::IoPageFault);
  EXPECT_TRUE(r.fault.event.nx && r.fault.event.pe);
  EXPECT_TRUE(env.go(with_pasid(rd(kDev, 0x2000), 9)).ok());
  // GIoV: a request without PASID uses PASID 0's table.
  r = env.go(rd(kDev, 0x2010));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.tr.oa, 0x6010u);
  EXPECT_EQ(r.tr.pasid, 0u);
  // Without GTEn guest translation is off: the PASID request cannot be served.
  env.control &= ~(uint64_t{1} << control::kGTEn);
  EXPECT_EQ(env.go(with_pasid(rd(kDev, 0x2000), 9)).fault.event.code, EventCode::IoPageFault);
}

TEST(AmdviGuest, Gcr3Faults) {
  Env env;
  const uint64_t root = env.page();
  Dte d = host_dte(0, 0);
  d.gv = true;
  d.gcr3_root = root;
  env.set_dte(kDev, d);
  // GLX = 0 indexes PASID[8:0] only.
  Result r = env.go(with_pasid(rd(kDev, 0x1000), 0x200));
  EXPECT_EQ(r.fault.event.code, EventCode::IoPageFault);
  // Reserved bit in the GCR3 entry.
  env.mem.write_le64(root + 8, (Gcr3Entry{true, 0x3000}.encode()) | (uint64_t{1} << 60));
  r = env.go(with_pasid(rd(kDev, 0x1000), 1));
  EXPECT_TRUE(r.fault.event.rz);
  // GCR3 table outside memory: PAGE_TAB_HARDWARE_ERROR.
  d.gcr3_root = kMemSize;
  env.set_dte(kDev, d);
  r = env.go(with_pasid(rd(kDev, 0x1000), 1));
  ASSERT_EQ(r.fault.event.code, EventCode::PageTabHardwareError);
  EXPECT_TRUE(r.fault.event.gn);
  EXPECT_EQ(r.fault.event.addr, kMemSize + 8);
}

TEST(AmdviGuest, NestedOverHostTables) {
  Env env;
  // Host: identity-map the region the allocator hands out (guest tables live there as GPAs),
  // and map the guest's data GPA elsewhere.
  auto h = env.host_tables(4);
  ASSERT_EQ(h.map_range(0, 0, uint64_t{64} << 20, MapAttrs::rw()), MapStatus::Ok);
  ASSERT_EQ(h.map(0x1'0000'0000, 0x3'0000'0000, 1 << 21, MapAttrs::ro()), MapStatus::Ok);
  auto g = env.guest_tables(4);
  ASSERT_EQ(g.map(0x7000'0000, 0x1'0000'2000, 4096, MapAttrs::rw()), MapStatus::Ok);
  const uint64_t root = env.page();
  env.set_gcr3(root, 0, 4, g.root());
  Dte d = host_dte(h.root(), 4);
  d.gv = true;
  d.gcr3_root = root;
  env.set_dte(kDev, d);
  Result r = env.go(with_pasid(rd(kDev, 0x7000'0123), 4));
  ASSERT_TRUE(r.ok()) << to_string(r.fault.event.code);
  EXPECT_EQ(r.tr.type, TranslationType::Nested);
  EXPECT_EQ(r.tr.oa, 0x3'0000'2123u);
  EXPECT_EQ(r.tr.page_lg2, 12);
  // DTE + GCR3 + 4 x (host walk + guest entry) + host walk of the final GPA.
  EXPECT_GT(r.log.reads.size(), 2u + 4u);
  bool saw_guest = false, saw_host = false;
  for (const pt::MemAccess& a : r.log.reads) {
    saw_guest |= a.stage == kGuestStage;
    saw_host |= a.stage == kHostStage;
  }
  EXPECT_TRUE(saw_guest && saw_host);
  // The host maps the data page read-only: a write faults in the host stage.
  r = env.go(with_pasid(wr(kDev, 0x7000'0123), 4));
  ASSERT_EQ(r.fault.event.code, EventCode::IoPageFault);
  EXPECT_EQ(r.fault.walk.stage, kHostStage);
  EXPECT_TRUE(r.fault.event.pe && r.fault.event.gn);
  EXPECT_EQ(r.fault.event.addr, 0x7000'0123u);
}

}  // namespace
}  // namespace isim::amdvi::test
