// The PasidTable views over the live SMMUv3 and AMD-Vi host drivers (pasid/smmu_driver_table.h,
// pasid/amd_driver_table.h) on the models: entries set, replaced and cleared through the
// interface are read back from the unit's own structures with the models' decoders (STE -> CD
// table -> CD; DTE -> GCR3 table), the refusals of out-of-range PASIDs and of clearing an
// absent entry, and DMA through the unit showing that each change was followed by the
// invalidation it needs (a translation cached before a replacement or a teardown is not used
// after it).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "hw/phys_allocator.h"
#include "models/amdvi/dte.h"
#include "models/amdvi/gcr3.h"
#include "models/amdvi/host_adapter.h"
#include "models/amdvi/regs.h"
#include "models/devices/scenario_port.h"
#include "models/smmuv3/cd_table.h"
#include "models/smmuv3/driver.h"
#include "models/smmuv3/regs.h"
#include "models/smmuv3/stream_table.h"
#include "pagetable/builder.h"
#include "pagetable/fmt/arm_lpae.h"
#include "pagetable/fmt/x86_64.h"
#include "pasid/amd_driver_table.h"
#include "pasid/smmu_driver_table.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

using pasid::PasidBinding;
using pasid::TableError;

constexpr uint16_t kRid = 0x0300;
constexpr uint64_t kPool = 0x1000'0000, kPoolEnd = 0x2000'0000;
constexpr uint64_t kPtPool = 0x2000'0000, kPtPoolEnd = 0x2100'0000;
constexpr uint64_t kVa = 0x7000'0000;
constexpr uint64_t kPageA = 0x50'0000, kPageB = 0x60'0000;
constexpr uint64_t kValueA = 0xaaaa'0000'0000'000a, kValueB = 0xbbbb'0000'0000'000b;

std::string config(const std::string& iommu) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 1ms, quantum: 1us}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}}
iommus:
  - {{name: iommu0, type: {}}}
devices:
  - {{name: port0, type: scenario-port, rid: 0x0300}}
)",
                     iommu);
}

std::optional<uint64_t> read(ScenarioPort& port, uint64_t addr, std::optional<uint32_t> pasid) {
  std::vector<uint8_t> buf(8);
  DmaRequest r;
  r.rid = kRid;
  r.addr = addr;
  r.has_pasid = pasid.has_value();
  r.pasid = pasid.value_or(0);
  if (!port.issue(r, buf).ok()) return std::nullopt;
  uint64_t v;
  std::memcpy(&v, buf.data(), 8);
  return v;
}

/// Two processes' tables, each mapping kVa to its own page (kPageA, kPageB).
struct Processes {
  uint64_t a = 0, b = 0;
};

/// AArch64 stage-1 tables as a process owns them: 48-bit VA, 4 KiB granule, nG user pages.
Processes arm_processes(PhysMem& mem, PhysAllocator& alloc) {
  Processes p;
  pt::MapAttrs user = pt::MapAttrs::rw();
  user.extra = pt::ArmLpaeFormat::kNG;
  for (auto [root, page] : {std::pair{&p.a, kPageA}, std::pair{&p.b, kPageB}}) {
    auto t = pt::Builder<pt::ArmLpaeFormat>::create(
        pt::ArmLpaeFormat(pt::arm_s1_config(12, 16, 48)), mem, alloc);
    EXPECT_TRUE(t);
    EXPECT_EQ(t->map(kVa, page, 0x1000, user), pt::MapStatus::Ok);
    *root = t->root();
  }
  return p;
}

/// x86-64 4-level tables as a process owns them (the AMD-Vi v2 format, 48882 2.2.6).
Processes x86_processes(PhysMem& mem, PhysAllocator& alloc) {
  Processes p;
  for (auto [root, page] : {std::pair{&p.a, kPageA}, std::pair{&p.b, kPageB}}) {
    auto t = pt::Builder<pt::X86Format>::create(pt::X86Format(pt::amd_v2_config(4)), mem, alloc);
    EXPECT_TRUE(t);
    EXPECT_EQ(t->map(kVa, page, 0x1000, pt::MapAttrs::rw()), pt::MapStatus::Ok);
    *root = t->root();
  }
  return p;
}

void fill_pages(Platform& pf) {
  ASSERT_TRUE(pf.memory().write_le64(kPageA, kValueA));
  ASSERT_TRUE(pf.memory().write_le64(kPageB, kValueB));
}

// --- SMMUv3
// ---------------------------------------------------------------------------------------

/// What the SMMU finds for SubstreamID `ssid` of kRid: its STE through STRTAB_BASE(_CFG), then
/// the CD through the STE's CD table. Nullopt when the CD is not valid.
std::optional<smmuv3::Cd> smmu_cd(Platform& pf, host::HostBus& bus, const smmuv3::IdParams& ids,
                                  uint32_t ssid) {
  using namespace smmuv3;
  const StrtabConfig st =
      decode_strtab(bus.mmio_read(reg::STRTAB_BASE, 8),
                    static_cast<uint32_t>(bus.mmio_read(reg::STRTAB_BASE_CFG, 4)), ids);
  const SteFetch sf = fetch_ste(pf.memory(), st, kRid, ids);
  EXPECT_EQ(sf.status, SteFetchStatus::kOk);
  const Ste ste = decode_ste(sf.words);
  EXPECT_TRUE(ste.v);
  EXPECT_TRUE(ste.s1_enabled());
  const CdFetch f = fetch_cd(pf.memory(), ste, ssid, ids, nullptr);
  if (f.status == CdFetchStatus::kBadSubstream) return std::nullopt;  // L1CD.V = 0
  EXPECT_EQ(f.status, CdFetchStatus::kOk);
  const Cd cd = decode_cd(f.words);
  if (!cd.v) return std::nullopt;
  EXPECT_EQ(check_cd(cd, ste, ids), CdError::kNone);  // legal for this stream (5.4.2)
  return cd;
}

smmuv3::DriverOptions smmu_options() {
  smmuv3::DriverOptions o;
  o.pool_base = kPool;
  o.pool_limit = kPoolEnd;
  return o;
}

TEST(SmmuDriverTable, SetReplaceClearThroughTheLiveSmmu) {
  Platform pf(test::platform_config(config("smmuv3")));
  fill_pages(pf);
  PhysAllocator pt_pool(kPtPool, kPtPoolEnd);
  const Processes proc = arm_processes(pf.memory(), pt_pool);
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    smmuv3::Smmuv3Driver drv(*bus, smmu_options());
    ASSERT_EQ(drv.init(), "");
    pasid::SmmuDriverTable t(drv, kRid);
    EXPECT_STREQ(t.arch(), "smmuv3");
    EXPECT_EQ(t.root(), 0u);  // no CD table before the first entry
    EXPECT_EQ(t.pasid_bits(), drv.ids().ssid_bits);
    const uint32_t p = 0x1001, q = 7;

    const uint64_t syncs = drv.counts().syncs;
    ASSERT_EQ(t.set(p, {proc.a, 3}), TableError::none);
    EXPECT_GT(drv.counts().syncs, syncs);  // each CD / STE write waited for its CMD_SYNC
    ASSERT_EQ(t.set(q, {proc.b, 3}), TableError::none);
    EXPECT_EQ(t.entries(), 2u);
    EXPECT_NE(t.root(), 0u);
    EXPECT_EQ(t.root(), drv.cd_table(kRid));
    // Each CD holds its process's table under an ASID of the driver's, not the source's tag.
    const auto cp = smmu_cd(pf, *bus, drv.ids(), p);
    const auto cq = smmu_cd(pf, *bus, drv.ids(), q);
    ASSERT_TRUE(cp && cq);
    EXPECT_EQ(cp->ttb0, proc.a);
    EXPECT_EQ(cq->ttb0, proc.b);
    ASSERT_TRUE(t.asid(p) && t.asid(q));
    EXPECT_EQ(cp->asid, *t.asid(p));
    EXPECT_EQ(cq->asid, *t.asid(q));
    EXPECT_NE(*t.asid(p), *t.asid(q));
    EXPECT_FALSE(cp->aset);  // a process's ASID, shared with the CPU
    EXPECT_EQ(read(*port, kVa, p), kValueA);
    EXPECT_EQ(read(*port, kVa, q), kValueB);
    // SubstreamID 5 was never set: no valid CD, and DMA with it is refused.
    EXPECT_FALSE(smmu_cd(pf, *bus, drv.ids(), 5));
    EXPECT_FALSE(read(*port, kVa, 5));

    // Replace: p now runs process B under a new ASID; the TLB entry cached above under the old
    // ASID is invalidated, and DMA reaches B's page.
    const uint16_t old_asid = *t.asid(p);
    const uint64_t tlbi = drv.counts().tlbi;
    ASSERT_EQ(t.set(p, {proc.b, 3}), TableError::none);
    EXPECT_EQ(t.entries(), 2u);
    EXPECT_EQ(drv.counts().tlbi, tlbi + 1);
    const auto cp2 = smmu_cd(pf, *bus, drv.ids(), p);
    ASSERT_TRUE(cp2);
    EXPECT_EQ(cp2->ttb0, proc.b);
    EXPECT_NE(cp2->asid, old_asid);
    EXPECT_EQ(read(*port, kVa, p), kValueB);

    // Clear: the CD goes and the translation cached for it is gone too.
    ASSERT_EQ(t.clear(q), TableError::none);
    EXPECT_EQ(t.entries(), 1u);
    EXPECT_FALSE(t.asid(q));
    EXPECT_FALSE(smmu_cd(pf, *bus, drv.ids(), q));
    EXPECT_FALSE(read(*port, kVa, q));
    EXPECT_EQ(read(*port, kVa, p), kValueB);  // the other entry is untouched

    // Refusals: an absent entry, SubstreamID 0 (CD 0 serves requests without one), and one
    // beyond the table's SubstreamID bits.
    EXPECT_EQ(t.clear(q), TableError::not_present);
    EXPECT_EQ(t.clear(0x55), TableError::not_present);
    EXPECT_EQ(t.set(0, {proc.a, 3}), TableError::out_of_range);
    EXPECT_EQ(t.set(1u << t.pasid_bits(), {proc.a, 3}), TableError::out_of_range);
    EXPECT_EQ(t.entries(), 1u);
    EXPECT_EQ(drv.counts().sync_timeouts, 0u);
  }));
}

// --- AMD-Vi -----------------------------------------------------------------------------------

/// kRid's DTE as the unit's device table (DevTabBase) holds it.
amdvi::Dte amd_dte(Platform& pf, host::HostBus& bus, uint16_t rid = kRid) {
  const uint64_t base = amdvi::devtab::base(bus.mmio_read(amdvi::reg::kDevTabBase, 8));
  amdvi::Qw4 q{};
  EXPECT_TRUE(pf.memory().read(base + uint64_t{rid} * amdvi::kDteBytes, q.data(), sizeof q));
  return amdvi::Dte::decode(q);
}

/// What the IOMMU finds for `pasid` of kRid: DTE -> GCR3 table -> guest CR3; nullopt when an
/// entry on the way is not valid.
std::optional<uint64_t> amd_gcr3(Platform& pf, host::HostBus& bus, uint32_t pasid) {
  const amdvi::Dte e = amd_dte(pf, bus);
  EXPECT_TRUE(e.v && e.tv && e.gv);
  pt::WalkLog log;
  const amdvi::Gcr3Lookup l = amdvi::lookup_gcr3(pf.memory(), e.gcr3_root, e.glx, pasid, log);
  if (l.fault == amdvi::Gcr3Fault::NotValid) return std::nullopt;
  EXPECT_TRUE(l.ok()) << static_cast<int>(l.fault);
  return l.gcr3;
}

amdvi::AdapterOptions amd_options() {
  amdvi::AdapterOptions o;
  o.pool_base = kPool;
  o.pool_limit = kPoolEnd;
  return o;
}

TEST(AmdDriverTable, SetReplaceClearThroughTheLiveUnit) {
  Platform pf(test::platform_config(config("amdvi")));
  fill_pages(pf);
  PhysAllocator pt_pool(kPtPool, kPtPoolEnd);
  const Processes proc = x86_processes(pf.memory(), pt_pool);
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    amdvi::AmdviHostAdapter drv(*bus, amd_options());
    ASSERT_EQ(drv.init(), host::Status::ok);
    // Linux leaves every DTE blocking until a domain is attached (V = TV = 1, IR = IW = 0).
    const amdvi::Dte idle = amd_dte(pf, *bus);
    EXPECT_TRUE(idle.v && idle.tv);
    EXPECT_FALSE(idle.ir || idle.iw || idle.gv);
    EXPECT_FALSE(read(*port, kVa, std::nullopt));

    pasid::AmdDriverTable t(drv, kRid);
    EXPECT_STREQ(t.arch(), "amdvi");
    EXPECT_EQ(t.root(), 0u);
    // The default EFR: 16-bit PASIDs, two GCR3 levels.
    EXPECT_EQ(t.pasid_bits(), 16u);
    const uint32_t p = 0x1001, q = 7;

    const uint64_t waits = drv.adapter_counts().completion_waits;
    ASSERT_EQ(t.set(p, {proc.a, 0}), TableError::none);
    // The DTE was pointed at the new GCR3 table (one wait), then the PASID flushed (another).
    EXPECT_EQ(drv.adapter_counts().completion_waits, waits + 2);
    ASSERT_EQ(t.set(q, {proc.b, 0}), TableError::none);
    EXPECT_EQ(drv.adapter_counts().completion_waits, waits + 3);
    EXPECT_EQ(t.entries(), 2u);
    const amdvi::Dte e = amd_dte(pf, *bus);
    EXPECT_NE(t.root(), 0u);
    EXPECT_EQ(e.gcr3_root, t.root());
    EXPECT_EQ(e.glx, 1u);
    EXPECT_EQ(e.mode, amdvi::kModeNone);  // no host table under the processes' tables
    EXPECT_EQ(amd_gcr3(pf, *bus, p), proc.a);
    EXPECT_EQ(amd_gcr3(pf, *bus, q), proc.b);
    EXPECT_EQ(read(*port, kVa, p), kValueA);
    EXPECT_EQ(read(*port, kVa, q), kValueB);
    // Requests without a PASID use the empty v2 domain the device was attached to: they fault.
    EXPECT_FALSE(read(*port, kVa, std::nullopt));
    EXPECT_FALSE(amd_gcr3(pf, *bus, 5));
    EXPECT_FALSE(read(*port, kVa, 5));

    // Replace: the translation cached for p above is flushed (GN = 1 for PASID p) and DMA
    // reaches process B's page.
    const uint64_t guest_invs =
        test::counter(pf.iommu("iommu0")->stats(), "invalidations.iommu_pages_guest");
    ASSERT_EQ(t.set(p, {proc.b, 0}), TableError::none);
    EXPECT_EQ(test::counter(pf.iommu("iommu0")->stats(), "invalidations.iommu_pages_guest"),
              guest_invs + 1);
    EXPECT_EQ(t.entries(), 2u);
    EXPECT_EQ(amd_gcr3(pf, *bus, p), proc.b);
    EXPECT_EQ(read(*port, kVa, p), kValueB);

    // Clear: the entry goes, and so does what was cached for it.
    ASSERT_EQ(t.clear(q), TableError::none);
    EXPECT_EQ(t.entries(), 1u);
    EXPECT_FALSE(amd_gcr3(pf, *bus, q));
    EXPECT_FALSE(read(*port, kVa, q));
    EXPECT_EQ(read(*port, kVa, p), kValueB);

    // Refusals: an absent entry, PASID 0 (the device's own requests, GIoV), beyond 16 bits.
    EXPECT_EQ(t.clear(q), TableError::not_present);
    EXPECT_EQ(t.clear(0x55), TableError::not_present);
    EXPECT_EQ(t.set(0, {proc.a, 0}), TableError::out_of_range);
    EXPECT_EQ(t.set(1u << 16, {proc.a, 0}), TableError::out_of_range);
    EXPECT_EQ(t.entries(), 1u);
    EXPECT_EQ(drv.adapter_counts().wait_timeouts, 0u);
  }));
}

TEST(AmdDriverTable, NativeGcr3CallsNeedAnAttachedDeviceWithoutAHostTable) {
  Platform pf(test::platform_config(config("amdvi")));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    amdvi::AmdviHostAdapter drv(*bus, amd_options());
    ASSERT_EQ(drv.init(), host::Status::ok);
    // Nothing attached yet: Linux binds a process only after the device has a domain.
    EXPECT_EQ(drv.set_gcr3(kRid, 3, 0x40'0000), host::Status::invalid);
    EXPECT_EQ(drv.clear_gcr3(kRid, 3), host::Status::invalid);
    // A v1 (host table) domain: the process's table would be walked as a nested guest table.
    host::DomainRequest v1;
    v1.format = host::PtFormat::amd_v1;
    const auto d = drv.alloc_domain(v1);
    ASSERT_EQ(d.status, host::Status::ok);
    ASSERT_EQ(drv.attach(d.id, kRid), host::Status::ok);
    EXPECT_EQ(drv.set_gcr3(kRid, 3, 0x40'0000), host::Status::not_supported);
    EXPECT_FALSE(amd_dte(pf, *bus).gv);
    // An identity domain leaves the host stage off: the entry is accepted, the DTE gains GV.
    host::DomainRequest id;
    id.type = host::DomainType::identity;
    const auto i = drv.alloc_domain(id);
    ASSERT_EQ(drv.attach(i.id, kRid), host::Status::ok);
    ASSERT_EQ(drv.set_gcr3(kRid, 3, 0x40'0000), host::Status::ok);
    EXPECT_TRUE(amd_dte(pf, *bus).gv);
    EXPECT_EQ(amd_gcr3(pf, *bus, 3), 0x40'0000u);
    // Back to the v1 domain is refused while the process's entry is there.
    EXPECT_EQ(drv.attach(d.id, kRid), host::Status::not_supported);
    ASSERT_EQ(drv.clear_gcr3(kRid, 3), host::Status::ok);
    EXPECT_FALSE(amd_gcr3(pf, *bus, 3));
    EXPECT_EQ(drv.attach(d.id, kRid), host::Status::ok);
  }));
}

}  // namespace
}  // namespace isim
