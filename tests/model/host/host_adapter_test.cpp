// The domain API (src/host/iommu_driver.h) on the VT-d, AMD-Vi and SMMUv3 models through their
// adapters and the platform's host bus: hardware info, formats refused with "not supported",
// identity / blocking / paging domains replacing each other on a live requester, and a nested
// domain translating through a guest stage 1 over its parent.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>
#include <vector>

#include "host/iommu_driver.h"
#include "hw/phys_allocator.h"
#include "hw/sc_time_util.h"
#include "models/amdvi/host_adapter.h"
#include "models/devices/scenario_port.h"
#include "models/smmuv3/cd.h"
#include "models/smmuv3/host_adapter.h"
#include "models/vtd/host_adapter.h"
#include "pagetable/builder.h"
#include "pagetable/fmt/arm_lpae.h"
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

std::string config(const std::string& type, const std::string& params = "{}") {
  return fmt::format(R"(
sim: {{seed: 1, duration: 1ms, quantum: 1us}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}}
iommus:
  - {{name: iommu0, type: {}, params: {}}}
devices:
  - {{name: port0, type: scenario-port, rid: 0x0300}}
)",
                     type, params);
}

std::optional<uint64_t> read(ScenarioPort& port, uint64_t addr,
                             std::optional<uint32_t> pasid = std::nullopt) {
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

std::unique_ptr<host::IommuDriver> make(const std::string& type, host::HostBus& bus,
                                        bool scalable) {
  if (type == "vtd") {
    vtd::DriverOptions o;
    o.scalable = scalable;
    o.table_base = 0x1000'0000;
    o.table_limit = 0x2000'0000;
    return std::make_unique<vtd::VtdHostAdapter>(bus, o);
  }
  if (type == "smmuv3") {
    smmuv3::AdapterOptions o;
    o.driver.pool_base = 0x1000'0000;
    o.driver.pool_limit = 0x2000'0000;
    return std::make_unique<smmuv3::Smmuv3HostAdapter>(bus, o);
  }
  amdvi::AdapterOptions o;
  o.pool_base = 0x1000'0000;
  o.pool_limit = 0x2000'0000;
  return std::make_unique<amdvi::AmdviHostAdapter>(bus, o);
}

PtFormat own_format(const std::string& type) {
  return type == "vtd"     ? PtFormat::vtd_second_stage
         : type == "amdvi" ? PtFormat::amd_v1
                           : PtFormat::arm_lpae_s1;
}

host::Vendor vendor(const std::string& type) {
  return type == "vtd"     ? host::Vendor::intel_vtd
         : type == "amdvi" ? host::Vendor::amd_vi
                           : host::Vendor::arm_smmuv3;
}

DomainRequest nested(PtFormat f, host::DomainId parent, uint64_t root) {
  DomainRequest r;
  r.type = DomainType::nested;
  r.format = f;
  r.parent = parent;
  r.s1_root = root;
  return r;
}

DomainRequest paging(PtFormat f) {
  DomainRequest r;
  r.format = f;
  return r;
}

void domain_lifecycle(const std::string& type, bool scalable) {
  Platform pf(test::platform_config(config(type)));
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x5a5a));
  ScenarioPort* port = pf.scenario_port("iommu0");
  constexpr Tick kCpuCost = 100'000;  // per register access, on top of the bus
  auto bus = pf.host().open("iommu0", kCpuCost);
  const PtFormat own = own_format(type);
  const PtFormat other = type == "vtd" ? PtFormat::amd_v1 : PtFormat::vtd_second_stage;
  // A user stage 1 the hardware cannot nest (SMMUv3 nests arm-lpae-s1 only).
  const PtFormat foreign_s1 = type == "smmuv3" ? PtFormat::x86_64 : PtFormat::arm_lpae_s1;
  ASSERT_TRUE(test::run_thread([&] {
    auto drv = make(type, *bus, scalable);
    std::string why;
    ASSERT_EQ(drv->init(&why), Status::ok) << why;
    const host::HwInfo hw = drv->hw_info();
    EXPECT_EQ(hw.vendor, vendor(type));
    ASSERT_FALSE(hw.cap_regs.empty());
    EXPECT_NE(hw.cap_regs[0].second, 0u);
    EXPECT_TRUE(hw.can_page(own));

    // A format the hardware cannot walk: refused, never allocated.
    const auto wrong = drv->alloc_domain(paging(other));
    EXPECT_EQ(wrong.status, Status::not_supported);
    EXPECT_FALSE(wrong.why.empty());

    const auto pg = drv->alloc_domain(paging(own));
    ASSERT_EQ(pg.status, Status::ok) << pg.why;
    const auto bad_nest = drv->alloc_domain(nested(foreign_s1, pg.id, 0x1000));
    EXPECT_EQ(bad_nest.status, Status::not_supported) << bad_nest.why;

    DomainRequest id_req;
    id_req.type = DomainType::identity;
    const auto id = drv->alloc_domain(id_req);
    ASSERT_EQ(id.status, Status::ok) << id.why;
    DomainRequest blk_req;
    blk_req.type = DomainType::blocking;
    const auto blk = drv->alloc_domain(blk_req);
    ASSERT_EQ(blk.status, Status::ok);

    // identity -> blocking -> paging, replacing the attachment each time.
    ASSERT_EQ(drv->attach(id.id, kRid), Status::ok);
    EXPECT_EQ(read(*port, kData), 0x5a5au);
    ASSERT_EQ(drv->attach(blk.id, kRid), Status::ok);
    EXPECT_FALSE(read(*port, kData));
    ASSERT_EQ(drv->map(pg.id, 0x7000'0000, kData, 0x1000, {}), Status::ok);
    ASSERT_EQ(drv->attach(pg.id, kRid), Status::ok);
    EXPECT_EQ(read(*port, 0x7000'0000), 0x5a5au);
    // unmap alone leaves the cached translation; the invalidation removes it.
    ASSERT_EQ(drv->unmap(pg.id, 0x7000'0000, 0x1000), Status::ok);
    EXPECT_EQ(read(*port, 0x7000'0000), 0x5a5au);
    ASSERT_EQ(drv->invalidate(pg.id, {0x7000'0000, 0x1000, std::nullopt}), Status::ok);
    EXPECT_FALSE(read(*port, 0x7000'0000));
    EXPECT_EQ(drv->counts().invalidations, 1u);
    EXPECT_GE(drv->counts().refused, 2u);
  }));
  const uint64_t accesses = bus->counts().mmio_reads + bus->counts().mmio_writes;
  EXPECT_GT(accesses, 0u);
  EXPECT_GE(bus->counts().mmio_time, accesses * kCpuCost);  // every access waited
  EXPECT_EQ(bus->counts().mmio_errors, 0u);
}

TEST(HostAdapter, VtdLegacyDomains) {
  domain_lifecycle("vtd", false);
}
TEST(HostAdapter, VtdScalableDomains) {
  domain_lifecycle("vtd", true);
}
TEST(HostAdapter, AmdviDomains) {
  domain_lifecycle("amdvi", false);
}
TEST(HostAdapter, Smmuv3Domains) {
  domain_lifecycle("smmuv3", false);
}

TEST(HostAdapter, Smmuv3WithoutStage2RefusesNestingAndStage2Domains) {
  Platform pf(test::platform_config(config("smmuv3", "{ids: {s2p: false}}")));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    auto drv = make("smmuv3", *bus, false);
    ASSERT_EQ(drv->init(), Status::ok);
    const host::HwInfo hw = drv->hw_info();
    EXPECT_TRUE(hw.nest_formats.empty());
    EXPECT_FALSE(hw.can_page(PtFormat::arm_lpae_s2));
    ASSERT_EQ(hw.cap_regs.size(), 6u);
    EXPECT_EQ(hw.cap_regs[0].first, "IDR0");
    EXPECT_EQ(hw.cap_regs[0].second & 1u, 0u);  // IDR0.S2P
    EXPECT_TRUE(hw.pasid);
    const auto s2 = drv->alloc_domain(paging(PtFormat::arm_lpae_s2));
    EXPECT_EQ(s2.status, Status::not_supported);
    EXPECT_NE(s2.why.find("S2P"), std::string::npos) << s2.why;
    const auto pg = drv->alloc_domain(paging(PtFormat::arm_lpae_s1));
    ASSERT_EQ(pg.status, Status::ok) << pg.why;
    const auto n = drv->alloc_domain(nested(PtFormat::arm_lpae_s1, pg.id, 0x1000));
    EXPECT_EQ(n.status, Status::not_supported);
    EXPECT_NE(n.why.find("S2P"), std::string::npos) << n.why;
    // A stage-1 domain on a PASID: a CD at that SubstreamID.
    EXPECT_EQ(drv->attach(pg.id, kRid, 5u), Status::ok);
    EXPECT_EQ(drv->counts().refused, 2u);
  }));
}

TEST(HostAdapter, Smmuv3Stage2DomainsRefusePasids) {
  Platform pf(test::platform_config(config("smmuv3")));
  ScenarioPort* port = pf.scenario_port("iommu0");
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x3c3c));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    auto drv = make("smmuv3", *bus, false);
    ASSERT_EQ(drv->init(), Status::ok);
    const auto s2 = drv->alloc_domain(paging(PtFormat::arm_lpae_s2));
    ASSERT_EQ(s2.status, Status::ok) << s2.why;
    EXPECT_EQ(drv->attach(s2.id, kRid, 5u), Status::not_supported);
    ASSERT_EQ(drv->map(s2.id, 0x7000'0000, kData, 0x1000, {}), Status::ok);
    ASSERT_EQ(drv->attach(s2.id, kRid), Status::ok);
    EXPECT_EQ(read(*port, 0x7000'0000), 0x3c3cu);
    ASSERT_EQ(drv->unmap(s2.id, 0x7000'0000, 0x1000), Status::ok);
    EXPECT_EQ(read(*port, 0x7000'0000), 0x3c3cu);  // stale until TLBI_S2_IPA + CMD_SYNC
    ASSERT_EQ(drv->invalidate(s2.id, {0x7000'0000, 0x1000, std::nullopt}), Status::ok);
    EXPECT_FALSE(read(*port, 0x7000'0000));
  }));
}

TEST(HostAdapter, VtdLegacyModeRefusesNesting) {
  Platform pf(test::platform_config(config("vtd")));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    auto drv = make("vtd", *bus, false);
    ASSERT_EQ(drv->init(), Status::ok);
    EXPECT_TRUE(drv->hw_info().nest_formats.empty());
    const auto pg = drv->alloc_domain(paging(PtFormat::vtd_second_stage));
    ASSERT_EQ(pg.status, Status::ok);
    const auto n = drv->alloc_domain(nested(PtFormat::x86_64, pg.id, 0x1000));
    EXPECT_EQ(n.status, Status::not_supported);
    EXPECT_NE(n.why.find("scalable"), std::string::npos) << n.why;
    // A paging domain on a PASID needs scalable mode too.
    EXPECT_EQ(drv->attach(pg.id, 0x0300, 5u), Status::not_supported);
    EXPECT_EQ(drv->attach(pg.id, 0x0300, std::nullopt), Status::ok);
  }));
}

TEST(HostAdapter, VtdScalableAttachesPagingDomainsPerPasid) {
  Platform pf(test::platform_config(config("vtd")));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    auto drv = make("vtd", *bus, true);
    ASSERT_EQ(drv->init(), Status::ok);
    const auto pg = drv->alloc_domain(paging(PtFormat::vtd_second_stage));
    ASSERT_EQ(pg.status, Status::ok) << pg.why;
    EXPECT_EQ(drv->attach(pg.id, 0x0300, 5u), Status::ok);
    EXPECT_EQ(drv->attach(pg.id, 0x0300, 6u), Status::ok);
  }));
}

/// A guest's x86-64 stage 1 (VA 0x4000_0000 -> GPA 0x9000) over a parent that maps the guest's
/// table pages 1:1 and GPA 0x9000 to the data page.
void nested_translation(const std::string& type) {
  Platform pf(test::platform_config(config(type)));
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x7777));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  PhysAllocator guest_tables(0x81'0000, 0x82'0000);
  auto gpt = *pt::Builder<pt::X86Format>::create(
      pt::X86Format(type == "vtd" ? pt::vtd_first_stage_config(4, 46, true) : pt::amd_v2_config(4)),
      pf.memory(), guest_tables);
  ASSERT_EQ(gpt.map(0x4000'0000, 0x9000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  const PtFormat own = type == "vtd" ? PtFormat::vtd_second_stage : PtFormat::amd_v1;
  std::optional<uint64_t> got;
  ASSERT_TRUE(test::run_thread([&] {
    auto drv = make(type, *bus, true);
    ASSERT_EQ(drv->init(), Status::ok);
    const auto parent = drv->alloc_domain(paging(own));
    ASSERT_EQ(parent.status, Status::ok);
    ASSERT_EQ(drv->map(parent.id, 0x81'0000, 0x81'0000, 0x1'0000, {}), Status::ok);
    ASSERT_EQ(drv->map(parent.id, 0x9000, kData, 4096, {}), Status::ok);
    const auto n = drv->alloc_domain(nested(PtFormat::x86_64, parent.id, gpt.root()));
    ASSERT_EQ(n.status, Status::ok) << n.why;
    ASSERT_EQ(drv->attach(n.id, kRid, type == "vtd" ? std::optional<uint32_t>(0) : std::nullopt),
              Status::ok);
    got = read(*port, 0x4000'0000);
  }));
  EXPECT_EQ(got, 0x7777u);
}

TEST(HostAdapter, VtdNestedTranslates) {
  nested_translation("vtd");
}
TEST(HostAdapter, AmdviNestedTranslates) {
  nested_translation("amdvi");
}

TEST(HostAdapter, Smmuv3AtsMastersGetTheirAtcInvalidated) {
  Platform pf(test::platform_config(config("smmuv3")));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  std::optional<AtsInvalidation> inv;
  size_t pending_after_map = 1;
  ASSERT_TRUE(test::run_thread([&] {
    smmuv3::AdapterOptions o;
    o.driver.pool_base = 0x1000'0000;
    o.driver.pool_limit = 0x2000'0000;
    o.ats = true;
    smmuv3::Smmuv3HostAdapter drv(*bus, o);
    ASSERT_EQ(drv.init(), Status::ok);
    const auto pg = drv.alloc_domain(paging(PtFormat::arm_lpae_s1));
    ASSERT_EQ(pg.status, Status::ok);
    ASSERT_EQ(drv.attach(pg.id, kRid), Status::ok);
    ASSERT_EQ(drv.map(pg.id, 0x7000'0000, kData, 0x4000, {}), Status::ok);
    pending_after_map = port->pending_invalidations();
    ASSERT_EQ(drv.unmap(pg.id, 0x7000'0000, 0x4000), Status::ok);
    ASSERT_EQ(drv.invalidate(pg.id, {0x7000'0000, 0x4000, std::nullopt}), Status::ok);
    EXPECT_EQ(drv.driver().counts().atc_inv, 1u);
    inv = port->take_invalidation(to_ticks(sc_core::sc_time_stamp()));
  }));
  EXPECT_EQ(pending_after_map, 0u);
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->rid, kRid);
  EXPECT_EQ(inv->addr, 0x7000'0000u);
  EXPECT_EQ(inv->size_lg2, 14u);  // the 16 KiB range, naturally aligned
}

/// SMMUv3: the guest's linear CD table (IPA 0x81'f000, two CDs: S1CDMax = 1) and arm-lpae-s1
/// tables (CD 0: VA 0x4000_0000 -> IPA 0x9000; CD 1: the same VA -> IPA 0xa000) over an
/// arm-lpae-s2 parent mapping the tables 1:1 and IPAs 0x9000 / 0xa000 to two data pages.
TEST(HostAdapter, Smmuv3NestedTranslates) {
  Platform pf(test::platform_config(config("smmuv3")));
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x7777));
  ASSERT_TRUE(pf.memory().write_le64(kData + 0x1000, 0x8888));
  ASSERT_TRUE(pf.memory().write_le64(0x9000, 0x1111));  // what a stage-1-only walk would read
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  PhysAllocator guest_tables(0x81'0000, 0x81'f000);
  constexpr uint64_t kCdTable = 0x81'f000;
  pt::MapAttrs a = pt::MapAttrs::rw();
  a.extra = pt::ArmLpaeFormat::kNG;
  for (uint32_t ssid = 0; ssid < 2; ++ssid) {
    auto gpt = *pt::Builder<pt::ArmLpaeFormat>::create(
        pt::ArmLpaeFormat(pt::arm_s1_config(12, 16, 48)), pf.memory(), guest_tables);
    ASSERT_EQ(gpt.map(0x4000'0000, 0x9000 + ssid * 0x1000, 4096, a), pt::MapStatus::Ok);
    smmuv3::Cd cd;
    cd.v = true;
    cd.t0sz = 16;
    cd.epd1 = true;
    cd.ips = 5;
    cd.aa64 = cd.r = cd.a = true;
    cd.asid = static_cast<uint16_t>(3 + ssid);
    cd.ttb0 = gpt.root();
    const smmuv3::CdWords w = smmuv3::encode_cd(cd);
    ASSERT_TRUE(pf.memory().write(kCdTable + ssid * smmuv3::kCdBytes, w.data(), smmuv3::kCdBytes));
  }
  std::optional<uint64_t> rid_read, pasid_read, bad_pasid;
  ASSERT_TRUE(test::run_thread([&] {
    auto drv = make("smmuv3", *bus, false);
    ASSERT_EQ(drv->init(), Status::ok);
    const auto s1_parent = drv->alloc_domain(paging(PtFormat::arm_lpae_s1));
    ASSERT_EQ(s1_parent.status, Status::ok);
    EXPECT_EQ(drv->alloc_domain(nested(PtFormat::arm_lpae_s1, s1_parent.id, kCdTable)).status,
              Status::invalid);  // the parent must be a stage 2
    const auto parent = drv->alloc_domain(paging(PtFormat::arm_lpae_s2));
    ASSERT_EQ(parent.status, Status::ok) << parent.why;
    ASSERT_EQ(drv->map(parent.id, 0x81'0000, 0x81'0000, 0x1'0000, {}), Status::ok);
    ASSERT_EQ(drv->map(parent.id, 0x9000, kData, 0x2000, {}), Status::ok);
    DomainRequest req = nested(PtFormat::arm_lpae_s1, parent.id, kCdTable);
    req.s1_pasid_bits = 1;
    const auto n = drv->alloc_domain(req);
    ASSERT_EQ(n.status, Status::ok) << n.why;
    EXPECT_EQ(drv->attach(n.id, kRid, 2u), Status::invalid);  // beyond S1CDMax
    ASSERT_EQ(drv->attach(n.id, kRid), Status::ok);
    rid_read = read(*port, 0x4000'0000);        // S1DSS = SSID0: the guest's CD 0
    pasid_read = read(*port, 0x4000'0000, 1u);  // CD 1
    bad_pasid = read(*port, 0x4000'0000, 2u);   // C_BAD_SUBSTREAMID
  }));
  EXPECT_EQ(rid_read, 0x7777u);
  EXPECT_EQ(pasid_read, 0x8888u);
  EXPECT_FALSE(bad_pasid);
}

}  // namespace
}  // namespace isim
