// The AMD-Vi domain-API adapter on the `amdvi` model: v2 (x86-64) paging domains through GCR3
// entry 0, PASID attachments in 1- or 2-level GCR3 tables as EFR.GLXSup / PASmax and the
// device's PASID width allow, nested guest tables at a PASID over a v1 parent, and the
// refusals when EFR lacks guest translation.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>
#include <vector>

#include "models/amdvi/dte.h"
#include "models/amdvi/host_adapter.h"
#include "models/amdvi/regs.h"
#include "models/devices/scenario_port.h"
#include "pagetable/builder.h"
#include "pagetable/fmt/x86_64.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

using host::DomainRequest;
using host::DomainType;
using host::PtFormat;
using host::Status;

constexpr uint16_t kRid = 0x0300;
constexpr uint64_t kData = 0x50'0000;
constexpr uint64_t kValue = 0x1234'5678'9abc'def0;

std::string config(const std::string& features = "{}") {
  return fmt::format(R"(
sim: {{seed: 1, duration: 1ms, quantum: 1us}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}}
iommus:
  - {{name: iommu0, type: amdvi, params: {{features: {}}}}}
devices:
  - {{name: port0, type: scenario-port, rid: 0x0300}}
)",
                     features);
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

amdvi::AdapterOptions options(unsigned device_pasid_bits = 0) {
  amdvi::AdapterOptions o;
  o.pool_base = 0x1000'0000;
  o.pool_limit = 0x2000'0000;
  o.device_pasid_bits = device_pasid_bits;
  return o;
}

DomainRequest paging(PtFormat f) {
  DomainRequest r;
  r.format = f;
  return r;
}

DomainRequest of_type(DomainType t) {
  DomainRequest r;
  r.type = t;
  return r;
}

/// The DTE of kRid as the device table in memory holds it.
amdvi::Dte dte(Platform& pf, host::HostBus& bus) {
  const uint64_t base = amdvi::devtab::base(bus.mmio_read(amdvi::reg::kDevTabBase, 8));
  amdvi::Qw4 q{};
  EXPECT_TRUE(pf.memory().read(base + uint64_t{kRid} * amdvi::kDteBytes, q.data(), sizeof q));
  return amdvi::Dte::decode(q);
}

TEST(AmdviHostAdapter, V2PagingDomainTranslatesUntilInvalidated) {
  Platform pf(test::platform_config(config()));
  ASSERT_TRUE(pf.memory().write_le64(kData, kValue));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    amdvi::AmdviHostAdapter drv(*bus, options());
    ASSERT_EQ(drv.init(), Status::ok);
    EXPECT_TRUE(drv.hw_info().can_page(PtFormat::x86_64));
    const auto v2 = drv.alloc_domain(paging(PtFormat::x86_64));
    ASSERT_EQ(v2.status, Status::ok) << v2.why;
    ASSERT_EQ(drv.map(v2.id, 0x7000'0000, kData, 0x1000, {}), Status::ok);
    ASSERT_EQ(drv.attach(v2.id, kRid), Status::ok);
    // Linux v2 mode: Mode 0 (no host table), GV and GIoV, the table's root in GCR3 entry 0;
    // 16-bit PASIDs need two GCR3 levels (GLX = 1).
    const amdvi::Dte e = dte(pf, *bus);
    EXPECT_TRUE(e.v && e.tv && e.ir && e.iw && e.gv && e.giov);
    EXPECT_EQ(e.mode, amdvi::kModeNone);
    EXPECT_EQ(e.glx, 1u);
    EXPECT_EQ(drv.gcr3_levels(kRid), 2u);
    EXPECT_EQ(read(*port, 0x7000'0000, std::nullopt), kValue);
    // An address the table does not map faults.
    EXPECT_FALSE(read(*port, 0x7000'1000, std::nullopt));
    // Unmap alone leaves the IOTLB entry; the GN = 1 invalidation of PASID 0 removes it.
    ASSERT_EQ(drv.unmap(v2.id, 0x7000'0000, 0x1000), Status::ok);
    EXPECT_EQ(read(*port, 0x7000'0000, std::nullopt), kValue);
    ASSERT_EQ(drv.invalidate(v2.id, {0x7000'0000, 0x1000, std::nullopt}), Status::ok);
    EXPECT_FALSE(read(*port, 0x7000'0000, std::nullopt));
  }));
  const stats::Group& io = pf.iommu("iommu0")->stats();
  EXPECT_EQ(test::counter(io, "invalidations.iommu_pages_guest"), 1u);
  EXPECT_EQ(test::counter(io, "invalidations.iommu_pages_host"), 0u);
}

/// PASID `pasid` of kRid translated by a v2 domain; returns what a read through it gave and
/// the attach status.
struct PasidRun {
  Status attach = Status::invalid;
  std::optional<uint64_t> got;
  unsigned levels = 0;
  unsigned glx = 0;
};

PasidRun run_pasid(const std::string& features, unsigned device_pasid_bits, uint32_t pasid) {
  Platform pf(test::platform_config(config(features)));
  EXPECT_TRUE(pf.memory().write_le64(kData, kValue));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  PasidRun out;
  EXPECT_TRUE(test::run_thread([&] {
    amdvi::AmdviHostAdapter drv(*bus, options(device_pasid_bits));
    ASSERT_EQ(drv.init(), Status::ok);
    const auto id = drv.alloc_domain(of_type(DomainType::identity));
    const auto sva = drv.alloc_domain(paging(PtFormat::x86_64));
    ASSERT_EQ(sva.status, Status::ok);
    ASSERT_EQ(drv.map(sva.id, 0x4000'0000, kData, 0x1000, {}), Status::ok);
    ASSERT_EQ(drv.attach(id.id, kRid), Status::ok);
    out.attach = drv.attach(sva.id, kRid, pasid);
    out.levels = drv.gcr3_levels(kRid);
    out.glx = dte(pf, *bus).glx;
    if (out.attach == Status::ok) {
      out.got = read(*port, 0x4000'0000, pasid);
      // The requester's own DMA stays on the identity domain.
      EXPECT_EQ(read(*port, kData, std::nullopt), kValue);
    }
  }));
  return out;
}

TEST(AmdviHostAdapter, PasidAboveOneLevelCapacityUsesATwoLevelGcr3Table) {
  // Default EFR: PASmax 15 (16-bit PASIDs), GLXSup 1: Linux's get_gcr3_levels picks 2 levels.
  const PasidRun r = run_pasid("{}", 0, 600);
  ASSERT_EQ(r.attach, Status::ok);
  EXPECT_EQ(r.levels, 2u);
  EXPECT_EQ(r.glx, 1u);
  EXPECT_EQ(r.got, kValue);
}

// Each simulation runs in its own process: one run_pasid() per test.
TEST(AmdviHostAdapter, NinePasidBitsFitOneLevel) {
  const PasidRun r = run_pasid("{}", 9, 5);
  ASSERT_EQ(r.attach, Status::ok);
  EXPECT_EQ(r.levels, 1u);
  EXPECT_EQ(r.glx, 0u);
  EXPECT_EQ(r.got, kValue);
}

TEST(AmdviHostAdapter, APasidBeyondTheDevicesNineBitsIsRefused) {
  const PasidRun r = run_pasid("{}", 9, 600);
  EXPECT_EQ(r.attach, Status::not_supported);
  EXPECT_EQ(r.levels, 1u);
}

TEST(AmdviHostAdapter, WithoutGlxSupPasidsAbove511AreRefused) {
  // EFR.GLXSup = 0: one GCR3 level whatever the PASID width.
  const PasidRun r = run_pasid("{glx_sup: 0}", 0, 600);
  EXPECT_EQ(r.attach, Status::not_supported);
  EXPECT_EQ(r.levels, 1u);
}

TEST(AmdviHostAdapter, WithoutGlxSupPasid511StillFits) {
  const PasidRun r = run_pasid("{glx_sup: 0}", 0, 511);
  ASSERT_EQ(r.attach, Status::ok);
  EXPECT_EQ(r.levels, 1u);
  EXPECT_EQ(r.got, kValue);
}

TEST(AmdviHostAdapter, NestedGuestTableAtAPasidOverTheV1Parent) {
  Platform pf(test::platform_config(config()));
  ASSERT_TRUE(pf.memory().write_le64(kData, kValue));
  ASSERT_TRUE(pf.memory().write_le64(kData + 0x1000, kValue + 1));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  // Guest stage 1 (GPAs): VA 0x4000_0000 -> GPA 0x9000; its tables at GPA = SPA 0x81_0000.
  PhysAllocator guest_tables(0x81'0000, 0x82'0000);
  auto gpt = *pt::Builder<pt::X86Format>::create(pt::X86Format(pt::amd_v2_config(4)), pf.memory(),
                                                 guest_tables);
  ASSERT_EQ(gpt.map(0x4000'0000, 0x9000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  ASSERT_TRUE(test::run_thread([&] {
    amdvi::AmdviHostAdapter drv(*bus, options());
    ASSERT_EQ(drv.init(), Status::ok);
    const auto parent = drv.alloc_domain(paging(PtFormat::amd_v1));
    ASSERT_EQ(drv.map(parent.id, 0x81'0000, 0x81'0000, 0x1'0000, {}), Status::ok);
    ASSERT_EQ(drv.map(parent.id, 0x9000, kData, 4096, {}), Status::ok);
    ASSERT_EQ(drv.map(parent.id, 0x6000'0000, kData + 0x1000, 4096, {}), Status::ok);
    DomainRequest n;
    n.type = DomainType::nested;
    n.format = PtFormat::x86_64;
    n.parent = parent.id;
    n.s1_root = gpt.root();
    const auto nest = drv.alloc_domain(n);
    ASSERT_EQ(nest.status, Status::ok) << nest.why;
    // The requester on the parent (host table), the guest's process at PASID 7.
    ASSERT_EQ(drv.attach(parent.id, kRid), Status::ok);
    ASSERT_EQ(drv.attach(nest.id, kRid, 7u), Status::ok);
    const amdvi::Dte e = dte(pf, *bus);
    EXPECT_EQ(e.mode, 3u);
    EXPECT_TRUE(e.gv);
    EXPECT_FALSE(e.giov);  // requests without a PASID keep the host table
    EXPECT_EQ(read(*port, 0x4000'0000, 7u), kValue);
    EXPECT_EQ(read(*port, 0x6000'0000, std::nullopt), kValue + 1);
    // A v2 paging domain cannot sit at a PASID under a host table (it would be walked nested).
    const auto v2 = drv.alloc_domain(paging(PtFormat::x86_64));
    EXPECT_EQ(drv.attach(v2.id, kRid, 8u), Status::not_supported);
    // The guest's invalidation of its PASID: GN = 1 under the parent's DomainID.
    ASSERT_EQ(drv.invalidate(nest.id, {0x4000'0000, 0x1000, 7u}), Status::ok);
  }));
  EXPECT_EQ(test::counter(pf.iommu("iommu0")->stats(), "invalidations.iommu_pages_guest"), 1u);
}

void guest_tables_refused(const char* features) {
  Platform pf(test::platform_config(config(features)));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    amdvi::AmdviHostAdapter drv(*bus, options());
    ASSERT_EQ(drv.init(), Status::ok);
    const host::HwInfo hw = drv.hw_info();
    EXPECT_TRUE(hw.nest_formats.empty());
    EXPECT_FALSE(hw.can_page(PtFormat::x86_64));
    EXPECT_TRUE(hw.can_page(PtFormat::amd_v1));
    const auto v2 = drv.alloc_domain(paging(PtFormat::x86_64));
    EXPECT_EQ(v2.status, Status::not_supported);
    EXPECT_NE(v2.why.find("GIoSup"), std::string::npos) << v2.why;
    const auto parent = drv.alloc_domain(paging(PtFormat::amd_v1));
    ASSERT_EQ(parent.status, Status::ok);
    DomainRequest n;
    n.type = DomainType::nested;
    n.format = PtFormat::x86_64;
    n.parent = parent.id;
    n.s1_root = 0x81'0000;
    const auto nest = drv.alloc_domain(n);
    EXPECT_EQ(nest.status, Status::not_supported);
    EXPECT_NE(nest.why.find("GTSup"), std::string::npos) << nest.why;
    EXPECT_EQ(drv.counts().refused, 2u);
  }));
}

TEST(AmdviHostAdapter, GuestTablesRefusedWithoutGtSup) {
  guest_tables_refused("{gt_sup: false}");
}
TEST(AmdviHostAdapter, GuestTablesRefusedWithoutGioSup) {
  guest_tables_refused("{gio_sup: false}");
}

// Linux __iommu_queue_command_sync keeps the command-buffer head it last read: a driver that
// issues far fewer commands than the ring holds reads CmdHead no more than once, and an event
// log with nothing new is not looked at through its tail register.
TEST(AmdviHostAdapter, CommandsReuseTheHeadLastReadUntilTheRingLooksFull) {
  Platform pf(test::platform_config(config()));
  auto bus = pf.host().open("iommu0", 0);
  uint64_t reads_before = 0, reads_after = 0, commands = 0;
  ASSERT_TRUE(test::run_thread([&] {
    amdvi::AmdviHostAdapter drv(*bus, options());
    ASSERT_EQ(drv.init(), Status::ok);
    const auto d = drv.alloc_domain(paging(PtFormat::amd_v1));
    ASSERT_EQ(d.status, Status::ok) << d.why;
    ASSERT_EQ(drv.attach(d.id, kRid), Status::ok);
    reads_before = bus->counts().mmio_reads;
    const uint64_t cmds_before = drv.adapter_counts().commands;
    for (int i = 0; i < 20; ++i) {
      ASSERT_EQ(drv.map(d.id, 0x10'0000, kData, 0x1000, {}), Status::ok);
      ASSERT_EQ(drv.unmap(d.id, 0x10'0000, 0x1000), Status::ok);
      ASSERT_EQ(drv.invalidate(d.id, {0x10'0000, 0x1000, std::nullopt}), Status::ok);
    }
    reads_after = bus->counts().mmio_reads;
    commands = drv.adapter_counts().commands - cmds_before;
  }));
  EXPECT_EQ(commands, 40u);  // INVALIDATE_IOMMU_PAGES + COMPLETION_WAIT each time
  EXPECT_LE(reads_after - reads_before, 1u);
}

}  // namespace
}  // namespace isim
