// The vIOMMU on the VT-d and AMD-Vi models through their domain-API adapters: a guest's x86-64
// tables nested over host VT-d and over host AMD-Vi, shadowed, and paravirtualised give the
// same DMA results; a guest SMMUv3 (Arm stage 1) on VT-d, and any guest on VT-d in legacy mode,
// fall back to shadowing; and the viommu-dma device in each mode.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <tuple>
#include <vector>

#include "host/driver_registry.h"
#include "host/viommu.h"
#include "models/devices/scenario_port.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

using host::GuestIommu;
using host::Status;
using host::ViommuMode;

constexpr uint16_t kRid = 0x0300;
constexpr uint64_t kRamHpa = uint64_t{1} << 30;
constexpr uint64_t kPage = 4096;
constexpr unsigned kInflightBuffers = 16;

std::string config(const std::string& type) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 1ms, quantum: 1us}}
memory: {{size: 2GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}}
iommus:
  - {{name: iommu0, type: {}}}
devices:
  - {{name: port0, type: scenario-port, rid: 0x0300}}
)",
                     type);
}

host::ViommuParams params(ViommuMode m, GuestIommu g) {
  host::ViommuParams p;
  p.mode = m;
  p.guest = g;
  p.ram_hpa = kRamHpa;
  p.ram_size = uint64_t{256} << 20;
  p.table_base = uint64_t{128} << 20;
  p.table_size = uint64_t{8} << 20;
  return p;
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

/// What the guest's device reads at each probe IOVA after a fixed guest mapping sequence.
struct Outcome {
  ViommuMode mode = ViommuMode::nested;
  std::string fallback;
  std::vector<std::optional<uint64_t>> reads;
  host::ViommuCounts counts;
};

constexpr uint64_t kIova = 0x4000'0000;

Outcome run_guest(const std::string& type, bool scalable, ViommuMode m, GuestIommu g) {
  Platform pf(test::platform_config(config(type)));
  // Guest pages 0..7 at GPA 0x10'0000 + i * 4 KiB hold a value naming them.
  for (uint64_t i = 0; i < 8; ++i)
    EXPECT_TRUE(pf.memory().write_le64(kRamHpa + 0x10'0000 + i * kPage, 0xa0 + i));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  Outcome out;
  EXPECT_TRUE(test::run_thread([&] {
    host::DriverSetup o;
    o.pool_base = 0x1000'0000;
    o.pool_limit = 0x2000'0000;
    o.scalable = scalable;
    const host::DriverFactory* make = host::find_driver(type);
    ASSERT_NE(make, nullptr);
    auto drv = (*make)(*bus, o);
    ASSERT_TRUE(drv);
    ASSERT_EQ(drv->init(), Status::ok);
    host::Viommu v(*drv, *bus, params(m, g));
    ASSERT_EQ(v.setup(kRid), "");
    out.mode = v.mode();
    out.fallback = v.fallback_reason();
    // Pages 0..3 mapped in reverse order, 4..5 mapped then unmapped, 6 read-only.
    for (uint64_t i = 0; i < 4; ++i)
      ASSERT_EQ(v.map(kIova + i * kPage, 0x10'0000 + (3 - i) * kPage, kPage), Status::ok);
    ASSERT_EQ(v.map(kIova + 4 * kPage, 0x10'4000, 2 * kPage), Status::ok);
    for (uint64_t i = 0; i < 8; ++i) out.reads.push_back(read(*port, kIova + i * kPage));
    ASSERT_EQ(v.unmap(kIova + 4 * kPage, 2 * kPage), Status::ok);
    ASSERT_EQ(v.map(kIova + 6 * kPage, 0x10'6000, kPage, {true, false}), Status::ok);
    for (uint64_t i = 0; i < 8; ++i) out.reads.push_back(read(*port, kIova + i * kPage));
    out.counts = v.counts();
  }));
  return out;
}

void expect_guest_view(const Outcome& o) {
  ASSERT_EQ(o.reads.size(), 16u);
  for (uint64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(o.reads[i], 0xa0 + 3 - i) << i;
    EXPECT_EQ(o.reads[8 + i], 0xa0 + 3 - i) << i;
  }
  EXPECT_EQ(o.reads[4], 0xa4u);
  EXPECT_EQ(o.reads[5], 0xa5u);
  EXPECT_FALSE(o.reads[6]);
  EXPECT_FALSE(o.reads[7]);
  EXPECT_FALSE(o.reads[12]);  // unmapped and invalidated
  EXPECT_FALSE(o.reads[13]);
  EXPECT_EQ(o.reads[14], 0xa6u);
  EXPECT_FALSE(o.reads[15]);
}

// Each platform is its own SystemC kernel, so each test runs one strategy; the expected view is
// the same for all of them.
TEST(ViommuModel, VtdNestedGuestVtd) {
  const Outcome o = run_guest("vtd", true, ViommuMode::nested, GuestIommu::vtd);
  EXPECT_EQ(o.mode, ViommuMode::nested) << o.fallback;
  EXPECT_EQ(o.counts.shadow_walks, 0u);
  EXPECT_EQ(o.counts.traps, 1u);  // the unmap's invalidation; maps exit nothing
  expect_guest_view(o);
}
TEST(ViommuModel, VtdShadowGuestVtd) {
  const Outcome o = run_guest("vtd", true, ViommuMode::shadow, GuestIommu::vtd);
  EXPECT_EQ(o.mode, ViommuMode::shadow);
  EXPECT_EQ(o.counts.traps, 7u);  // 6 maps and 1 unmap, each invalidated (caching mode)
  EXPECT_EQ(o.counts.shadow_maps, 7u);
  EXPECT_EQ(o.counts.shadow_unmaps, 2u);
  expect_guest_view(o);
}
TEST(ViommuModel, VtdParavirt) {
  const Outcome o = run_guest("vtd", true, ViommuMode::paravirt, GuestIommu::vtd);
  EXPECT_EQ(o.counts.hypercalls, 7u);
  EXPECT_EQ(o.counts.traps, 0u);
  expect_guest_view(o);
}
TEST(ViommuModel, AmdviNestedGuestVtd) {
  // A guest VT-d first stage is an IA-32e table: AMD-Vi walks it as a guest (v2) table.
  const Outcome o = run_guest("amdvi", false, ViommuMode::nested, GuestIommu::vtd);
  EXPECT_EQ(o.mode, ViommuMode::nested) << o.fallback;
  expect_guest_view(o);
}
TEST(ViommuModel, AmdviShadowGuestAmdvi) {
  const Outcome o = run_guest("amdvi", false, ViommuMode::shadow, GuestIommu::amdvi);
  EXPECT_EQ(o.mode, ViommuMode::shadow);
  expect_guest_view(o);
}
TEST(ViommuModel, VtdRefusesToNestAnArmGuestAndShadowsIt) {
  const Outcome o = run_guest("vtd", true, ViommuMode::nested, GuestIommu::smmuv3);
  EXPECT_EQ(o.mode, ViommuMode::shadow);
  EXPECT_EQ(o.counts.fallbacks, 1u);
  EXPECT_NE(o.fallback.find("x86-64"), std::string::npos) << o.fallback;
  expect_guest_view(o);
}
TEST(ViommuModel, VtdLegacyModeCannotNestAndShadows) {
  const Outcome o = run_guest("vtd", false, ViommuMode::nested, GuestIommu::vtd);
  EXPECT_EQ(o.mode, ViommuMode::shadow);
  EXPECT_NE(o.fallback.find("scalable"), std::string::npos) << o.fallback;
  expect_guest_view(o);
}
TEST(ViommuModel, AmdviRefusesToNestAnArmGuestAndShadowsIt) {
  const Outcome o = run_guest("amdvi", false, ViommuMode::nested, GuestIommu::smmuv3);
  EXPECT_EQ(o.mode, ViommuMode::shadow);
  EXPECT_EQ(o.counts.fallbacks, 1u);
  expect_guest_view(o);
}

/// Nested on real VT-d: a guest that clears a PTE without invalidating still reaches the page
/// through the IOTLB entry; its invalidation (one trap) ends that.
TEST(ViommuModel, VtdNestedStaleUntilTheGuestInvalidates) {
  Platform pf(test::platform_config(config("vtd")));
  ASSERT_TRUE(pf.memory().write_le64(kRamHpa + 0x20'0000, 0x1234));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  std::vector<std::optional<uint64_t>> r;
  uint64_t traps = 0;
  ASSERT_TRUE(test::run_thread([&] {
    host::DriverSetup o;
    o.pool_base = 0x1000'0000;
    o.pool_limit = 0x2000'0000;
    o.scalable = true;
    auto drv = (*host::find_driver("vtd"))(*bus, o);
    ASSERT_EQ(drv->init(), Status::ok);
    host::Viommu v(*drv, *bus, params(ViommuMode::nested, GuestIommu::vtd));
    ASSERT_EQ(v.setup(kRid), "");
    ASSERT_EQ(v.write_ptes(kIova, 0x20'0000, kPage), Status::ok);
    r.push_back(read(*port, kIova));
    ASSERT_EQ(v.clear_ptes(kIova, kPage), Status::ok);
    r.push_back(read(*port, kIova));
    ASSERT_EQ(v.invalidate(kIova, kPage), Status::ok);
    r.push_back(read(*port, kIova));
    traps = v.counts().traps;
  }));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], 0x1234u);
  EXPECT_EQ(r[1], 0x1234u);
  EXPECT_FALSE(r[2]);
  EXPECT_EQ(traps, 1u);
}

// --- The viommu-dma device ----------------------------------------------------------------

std::string device_config(const std::string& iommu, const std::string& mode,
                          const std::string& guest) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 5ms, quantum: 1us}}
memory: {{size: 2GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}}
iommus:
  - {{name: iommu0, type: {}}}
devices:
  - name: vf0
    type: viommu-dma
    iommu: iommu0
    rid: 0x0100
    params: {{mode: {}, guest: {}}}
    workload: {{pattern: sequential, base: 0x1000000, footprint: 1MiB, size: 4KiB, op: write,
               count: 64}}
)",
                     iommu, mode, guest);
}

struct DeviceRun {
  uint64_t buffers, errors, traps, hypercalls, fallbacks, shadow_maps, host_invals, map_time;
  double mode;
};

DeviceRun run_device(const std::string& iommu, const std::string& mode, const std::string& guest) {
  Platform pf(test::platform_config(device_config(iommu, mode, guest)));
  pf.run();
  const stats::Group& d = *pf.stats().find_group("vf0");
  return {test::counter(d, "buffers"),
          test::counter(d, "errors"),
          test::counter(d, "viommu.traps"),
          test::counter(d, "viommu.hypercalls"),
          test::counter(d, "viommu.fallbacks"),
          test::counter(d, "viommu.shadow_maps"),
          test::counter(d, "viommu.host_invalidations"),
          test::counter(d, "map_time"),
          test::scalar(d, "viommu.mode")};
}

TEST(ViommuDevice, NestedTrapsOncePerBuffer) {
  const DeviceRun r = run_device("vtd", "nested", "vtd");
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.traps, 64u);
  EXPECT_EQ(r.host_invals, 64u);
  EXPECT_EQ(r.mode, 0.0);
  EXPECT_EQ(r.fallbacks, 0u);
}
TEST(ViommuDevice, ShadowTrapsOnMapAndUnmap) {
  const DeviceRun r = run_device("vtd", "shadow", "vtd");
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.traps, 128u);
  EXPECT_EQ(r.shadow_maps, 64u);
  EXPECT_EQ(r.mode, 1.0);
  // Each guest map costs at least a trap here.
  EXPECT_GE(r.map_time, 64u * host::ViommuParams{}.trap_cost);
}
TEST(ViommuDevice, ParavirtSendsTwoRequestsPerBuffer) {
  const DeviceRun r = run_device("amdvi", "paravirt", "vtd");
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.hypercalls, 128u);
  EXPECT_EQ(r.traps, 0u);
  EXPECT_EQ(r.mode, 2.0);
}
TEST(ViommuDevice, ArmGuestOnAmdviFallsBackAndSaysSo) {
  const DeviceRun r = run_device("amdvi", "nested", "smmuv3");
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.fallbacks, 1u);
  EXPECT_EQ(r.mode, 1.0);
  EXPECT_EQ(r.traps, 128u);
}
TEST(ViommuDevice, NestedMapsCostLessThanShadowMaps) {
  const DeviceRun n = run_device("amdvi", "nested", "amdvi");
  EXPECT_EQ(n.errors, 0u);
  EXPECT_EQ(n.mode, 0.0);
  // The shadow run is another process; its map time is at least a trap per buffer, the nested
  // one charges guest PTE stores only.
  EXPECT_LT(n.map_time, 64u * host::ViommuParams{}.trap_cost);
}

// --- Several buffers in flight ------------------------------------------------------------

// Slow memory (every DMA and table walk waits 2 us) makes DMA time dominate the guest's
// per-buffer software work, so overlapping buffers pays. One simulation per process: the VM
// with `outstanding[0]` buffers in flight sits behind iommu0, the one with `outstanding[1]`
// behind iommu1 (a unit and host driver of its own, its pool above iommu0's), each in its own
// guest RAM.
constexpr uint64_t kVmRam = uint64_t{256} << 20;

std::string inflight_config(const std::string& iommu, const std::string& mode,
                            const std::string& guest, const unsigned (&outstanding)[2]) {
  std::string devs;
  for (unsigned i = 0; i < 2; ++i)
    devs += fmt::format(R"(
  - name: vf{0}
    type: viommu-dma
    iommu: iommu{0}
    rid: 0x0100
    params: {{mode: {1}, guest: {2}, ram_hpa: {3:#x}}}
    workload: {{pattern: sequential, base: 0x1000000, footprint: 64KiB, size: 4KiB, op: write,
               count: {4}, outstanding: {5}}})",
                        i, mode, guest, kRamHpa + i * kVmRam, kInflightBuffers, outstanding[i]);
  return fmt::format(R"(
sim: {{seed: 1, duration: 20ms, quantum: 1us}}
memory: {{size: 2GiB, latency: 2us, channels: 2, channel_bandwidth: 12.8GB/s}}
iommus:
  - {{name: iommu0, type: {0}}}
  - {{name: iommu1, type: {0}, host_driver: {{pool_base: 0x34000000}}}}
devices:{1}
)",
                     iommu, devs);
}

struct InflightRun {
  uint64_t buffers = 0, errors = 0, fallbacks = 0;
  double throughput = 0, mode = -1;
  bool data_ok = false;  ///< every written byte landed at the buffer's host-physical address
};

std::array<InflightRun, 2> run_inflight(const std::string& iommu, const std::string& mode,
                                        const std::string& guest,
                                        const unsigned (&outstanding)[2]) {
  Platform pf(test::platform_config(inflight_config(iommu, mode, guest, outstanding)));
  pf.run();
  std::array<InflightRun, 2> out;
  for (unsigned i = 0; i < 2; ++i) {
    const stats::Group& d = *pf.stats().find_group(fmt::format("vf{}", i));
    InflightRun& r = out[i];
    r.buffers = test::counter(d, "buffers");
    r.errors = test::counter(d, "errors");
    r.fallbacks = test::counter(d, "viommu.fallbacks");
    r.throughput = test::scalar(d, "throughput");
    r.mode = test::scalar(d, "viommu.mode");
    // GPA g is HPA ram_hpa + g: the buffers the device wrote (0x5a bytes) must be there,
    // through whichever translation the mode installed.
    std::vector<uint8_t> got(kInflightBuffers * kPage);
    pf.memory().read(kRamHpa + i * kVmRam + 0x100'0000, got.data(), got.size());
    r.data_ok = std::all_of(got.begin(), got.end(), [](uint8_t b) { return b == 0x5a; });
  }
  return out;
}

void expect_clean(const InflightRun& r, const std::string& what) {
  EXPECT_EQ(r.buffers, kInflightBuffers) << what;
  EXPECT_EQ(r.errors, 0u) << what;
  EXPECT_TRUE(r.data_ok) << what;
}

class ViommuInflight : public testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(ViommuInflight, FourBuffersInFlightMoveMoreThanOneWithTheSameResult) {
  const auto& [iommu, mode] = GetParam();
  const auto [one, four] = run_inflight(iommu, mode, "vtd", {1, 4});
  expect_clean(one, "outstanding 1");
  expect_clean(four, "outstanding 4");
  EXPECT_EQ(one.fallbacks, 0u);
  EXPECT_EQ(four.fallbacks, 0u);
  EXPECT_EQ(one.mode, four.mode);
  // The DMAs (and their walks) overlap while the guest's calls stay one at a time.
  EXPECT_GT(four.throughput, 1.5 * one.throughput)
      << "outstanding 1: " << one.throughput << " GB/s, 4: " << four.throughput << " GB/s";
}

INSTANTIATE_TEST_SUITE_P(Modes, ViommuInflight,
                         testing::Combine(testing::Values("vtd", "amdvi"),
                                          testing::Values("nested", "shadow", "paravirt")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

// --- A host SMMUv3 -------------------------------------------------------------------------

TEST(ViommuDevice, VtdGuestOnSmmuv3FallsBackToShadowing) {
  // An SMMUv3 walks no IA-32e stage 1: nesting is refused and the guest is shadowed.
  for (const InflightRun& r : run_inflight("smmuv3", "nested", "vtd", {1, 4})) {
    expect_clean(r, "guest vtd");
    EXPECT_EQ(r.fallbacks, 1u);
    EXPECT_EQ(r.mode, 1.0);
  }
}

TEST(ViommuDevice, Smmuv3GuestNestsOnSmmuv3) {
  // The guest's CD and stage-1 tables in guest memory, walked over the host's stage 2.
  for (const InflightRun& r : run_inflight("smmuv3", "nested", "smmuv3", {1, 4})) {
    expect_clean(r, "guest smmuv3");
    EXPECT_EQ(r.fallbacks, 0u);
    EXPECT_EQ(r.mode, 0.0);
  }
}

TEST(ViommuDevice, ShadowOnSmmuv3) {
  for (const InflightRun& r : run_inflight("smmuv3", "shadow", "smmuv3", {1, 4})) {
    expect_clean(r, "shadow");
    EXPECT_EQ(r.mode, 1.0);
  }
}

TEST(ViommuDevice, ParavirtOnSmmuv3) {
  for (const InflightRun& r : run_inflight("smmuv3", "paravirt", "smmuv3", {1, 4})) {
    expect_clean(r, "paravirt");
    EXPECT_EQ(r.mode, 2.0);
  }
}

}  // namespace
}  // namespace isim
