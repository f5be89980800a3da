// The TCE adapter (models/tce/host_adapter.h) on the `tce` model through the platform's host
// bus: the registry finds it for type `tce`, its hcalls and RTAS calls take the model's time,
// DMAs through its domains reach the mapped memory (default window, a 64 KiB-page DDW, the
// direct window), and the dma-api device runs every policy behind it; the example configs
// configs/workloads/nic8vf_dma_api_tce_{strict,deferred}.yaml run without errors.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include "host/driver_registry.h"
#include "models/devices/scenario_port.h"
#include "models/tce/host_adapter.h"
#include "sim/host_drivers.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

using host::DomainRequest;
using host::DomainType;
using host::PtFormat;
using host::Status;

constexpr uint16_t kRid = 0x0300;
constexpr uint64_t kDdwBase = uint64_t{1} << 59;

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

TEST(TceHostAdapter, DomainsOnTheModelThroughTheRegistry) {
  Platform pf(test::platform_config(R"(
sim: {seed: 1, duration: 10ms, quantum: 1us}
memory: {size: 2GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}
iommus:
  - {name: iommu0, type: tce, params: {table_pool_size: 256MiB}}
devices:
  - {name: port0, type: scenario-port, rid: 0x0300}
)"));
  register_host_drivers();
  ASSERT_EQ(host::dma_format("tce"), PtFormat::tce);
  const host::DriverFactory* make = host::find_driver("tce");
  ASSERT_NE(make, nullptr);
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_NE(bus->papr(), nullptr);
  host::DriverSetup setup;
  setup.pool_base = 0x3000'0000;
  setup.pool_limit = 0x3100'0000;
  auto drv = (*make)(*bus, setup);
  for (uint64_t k = 0; k < 4; ++k)
    ASSERT_TRUE(pf.memory().write_le64(0x2000'0000 + k * 0x10000, k + 1));
  Tick map_time = 0;
  ASSERT_TRUE(test::run_thread([&] {
    std::string why;
    ASSERT_EQ(drv->init(&why), Status::ok) << why;
    EXPECT_EQ(drv->hw_info().vendor, host::Vendor::ibm_tce);
    DomainRequest dr;
    dr.format = PtFormat::tce;
    const auto def = drv->alloc_domain(dr);
    ASSERT_EQ(def.status, Status::ok) << def.why;
    ASSERT_EQ(drv->attach(def.id, kRid), Status::ok);
    const Tick t0 = bus->now();
    ASSERT_EQ(drv->map(def.id, 0x5000, 0x2000'0000, 0x1000, {}), Status::ok);
    map_time = bus->now() - t0;
    EXPECT_EQ(read(*port, 0x5000), 1u);
    EXPECT_FALSE(read(*port, 0x6000));
    ASSERT_EQ(drv->unmap(def.id, 0x5000, 0x1000), Status::ok);
    EXPECT_FALSE(read(*port, 0x5000));  // the hcall killed the cached TCE

    // A DDW of 64 KiB pages replaces the default window's domain.
    dr.aperture = uint64_t{1} << 32;
    dr.page_lg2 = 16;
    const auto ddw = drv->alloc_domain(dr);
    ASSERT_EQ(ddw.status, Status::ok) << ddw.why;
    EXPECT_EQ(ddw.aperture_base, kDdwBase);
    ASSERT_EQ(drv->map(ddw.id, kDdwBase + 0x10000, 0x2000'0000, 0x40000, {}), Status::ok);
    ASSERT_EQ(drv->attach(ddw.id, kRid), Status::ok);
    for (uint64_t k = 0; k < 4; ++k)
      EXPECT_EQ(read(*port, kDdwBase + 0x10000 + k * 0x10000), k + 1);

    // Identity: the direct window, DMA address = physical + 2^59.
    DomainRequest ir;
    ir.type = DomainType::identity;
    const auto id = drv->alloc_domain(ir);
    ASSERT_EQ(id.status, Status::ok) << id.why;
    ASSERT_EQ(drv->attach(id.id, kRid), Status::ok);
    EXPECT_EQ(read(*port, id.dma_offset + 0x2003'0000), 4u);
    EXPECT_FALSE(read(*port, 0x5000));  // the default window holds nothing now

    DomainRequest nr;
    nr.type = DomainType::nested;
    nr.format = PtFormat::tce;
    nr.parent = def.id;
    EXPECT_EQ(drv->alloc_domain(nr).status, Status::not_supported);
    EXPECT_EQ(drv->attach(def.id, kRid, 7u), Status::not_supported);
  }));
  // One H_PUT_TCE: the model's hcall entry plus one TCE and one kill (defaults 600 + 30 + 250 ns).
  EXPECT_EQ(map_time, 880'000u);
  const stats::Group& io = pf.iommu("iommu0")->stats();
  EXPECT_EQ(test::counter(io, "hcalls.H_PUT_TCE"), 2u);
  EXPECT_GE(test::counter(io, "hcalls.H_PUT_TCE_INDIRECT"), 2u);
  EXPECT_EQ(test::counter(io, "rtas.create_pe_dma_window"), 2u);
  EXPECT_EQ(test::counter(io, "hcalls.errors"), 0u);
  EXPECT_EQ(test::counter(io, "rtas.errors"), 0u);
  EXPECT_EQ(drv->counts().refused, 2u);
}

std::string dma_api_config(const std::string& policy) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 5ms, quantum: 1us}}
memory: {{size: 2GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}}
iommus:
  - {{name: iommu0, type: tce}}
devices:
  - name: dev0
    type: dma-api
    iommu: iommu0
    rid: 0x0100
    params: {{policy: {}, late_every: 8}}
    workload: {{pattern: sequential, base: 0x10000000, footprint: 1MiB, size: 4KiB, op: write,
               count: 64, outstanding: 1}}
)",
                     policy);
}

class TceDmaApiDevice : public testing::TestWithParam<const char*> {};

TEST_P(TceDmaApiDevice, RunsWithoutErrorsAndLateAccessesAreBlockedWhenUnmapped) {
  const std::string policy = GetParam();
  Platform pf(test::platform_config(dma_api_config(policy)));
  pf.run();
  const stats::Group& d = *pf.stats().find_group("dev0");
  const stats::Group& io = pf.iommu("iommu0")->stats();
  EXPECT_EQ(test::counter(d, "buffers"), 64u);
  EXPECT_EQ(test::counter(d, "errors"), 0u);
  EXPECT_EQ(test::counter(d, "dma_api.map_errors"), 0u);
  EXPECT_EQ(test::counter(io, "hcalls.errors"), 0u);
  EXPECT_EQ(test::counter(io, "rtas.errors"), 0u);
  const uint64_t late = test::counter(d, "late_dmas");
  EXPECT_EQ(late, 8u);
  if (policy == "strict" || policy == "deferred") {
    // Per buffer one H_PUT_TCE to map and one to clear; the clear kills at once, so even the
    // deferred policy leaves no stale translation behind.
    EXPECT_EQ(test::counter(io, "hcalls.H_PUT_TCE"), 128u);
    EXPECT_EQ(test::counter(d, "late_blocked"), late);
    EXPECT_EQ(test::counter(d, "late_served"), 0u);
  } else {
    EXPECT_EQ(test::counter(io, "hcalls.H_PUT_TCE"), 0u);
    EXPECT_EQ(test::counter(d, "late_served"), late);  // static and direct mappings stay
  }
  if (policy == "static") {
    EXPECT_EQ(test::counter(io, "hcalls.H_PUT_TCE_INDIRECT"), 1u);
  }
  if (policy == "passthrough") {
    EXPECT_EQ(test::counter(io, "rtas.create_pe_dma_window"), 1u);
  }
  EXPECT_EQ(test::counter(pf.stats(), "iommu0_driver.invalidations"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Policies, TceDmaApiDevice,
                         testing::Values("passthrough", "static", "strict", "deferred"));

class TceNicWorkload : public testing::TestWithParam<const char*> {};

TEST_P(TceNicWorkload, ExampleRunsAndBlocksEveryLateAccess) {
  std::ifstream in(std::string(ISIM_SOURCE_DIR) + "/configs/workloads/nic8vf_dma_api_tce_" +
                   GetParam() + ".yaml");
  ASSERT_TRUE(in);
  const std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Platform pf(test::platform_config(yaml));
  pf.run();
  uint64_t buffers = 0, errors = 0, late = 0, blocked = 0;
  for (unsigned f = 0; f <= 8; ++f) {
    const stats::Group* g = pf.stats().find_group(f == 0 ? "nic" : fmt::format("nic_vf{}", f));
    ASSERT_NE(g, nullptr) << f;
    buffers += test::counter(*g, "buffers");
    errors += test::counter(*g, "errors");
    late += test::counter(*g, "late_dmas");
    blocked += test::counter(*g, "late_blocked");
  }
  EXPECT_GT(buffers, 500u);
  EXPECT_EQ(errors, 0u);
  EXPECT_GT(late, 0u);
  EXPECT_EQ(blocked, late);
}

INSTANTIATE_TEST_SUITE_P(Configs, TceNicWorkload, testing::Values("strict", "deferred"));

}  // namespace
}  // namespace isim
