// The domain API (src/host/iommu_driver.h) on the VT-d and AMD-Vi models through their
// adapters and the platform's host bus: hardware info, formats refused with "not supported",
// identity / blocking / paging domains replacing each other on a live requester, and a nested
// domain translating through a guest stage 1 over its parent.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>
#include <vector>

#include "host/iommu_driver.h"
#include "hw/phys_allocator.h"
#include "models/amdvi/host_adapter.h"
#include "models/devices/scenario_port.h"
#include "models/vtd/host_adapter.h"
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

std::string config(const std::string& type) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 1ms, quantum: 1us}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}}
iommus:
  - {{name: iommu0, type: {}}}
devices:
  - {{name: port0, type: scenario-port, rid: 0x0300}}
)",
                     type);
}

std::optional<uint64_t> read(ScenarioPort& port, uint64_t addr) {
  std::vector<uint8_t> buf(8);
  DmaRequest r;
  r.rid = kRid;
  r.addr = addr;
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
  amdvi::AdapterOptions o;
  o.pool_base = 0x1000'0000;
  o.pool_limit = 0x2000'0000;
  return std::make_unique<amdvi::AmdviHostAdapter>(bus, o);
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
  const PtFormat own = type == "vtd" ? PtFormat::vtd_second_stage : PtFormat::amd_v1;
  const PtFormat other = type == "vtd" ? PtFormat::amd_v1 : PtFormat::vtd_second_stage;
  ASSERT_TRUE(test::run_thread([&] {
    auto drv = make(type, *bus, scalable);
    std::string why;
    ASSERT_EQ(drv->init(&why), Status::ok) << why;
    const host::HwInfo hw = drv->hw_info();
    EXPECT_EQ(hw.vendor, type == "vtd" ? host::Vendor::intel_vtd : host::Vendor::amd_vi);
    ASSERT_FALSE(hw.cap_regs.empty());
    EXPECT_NE(hw.cap_regs[0].second, 0u);
    EXPECT_TRUE(hw.can_page(own));

    // A format the hardware cannot walk: refused, never allocated.
    const auto wrong = drv->alloc_domain(paging(other));
    EXPECT_EQ(wrong.status, Status::not_supported);
    EXPECT_FALSE(wrong.why.empty());

    const auto pg = drv->alloc_domain(paging(own));
    ASSERT_EQ(pg.status, Status::ok) << pg.why;
    const auto bad_nest = drv->alloc_domain(nested(PtFormat::arm_lpae_s1, pg.id, 0x1000));
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

}  // namespace
}  // namespace isim
