// The `dma-api` device on VT-d, AMD-Vi and SMMUv3: every policy moves its buffers through the
// real drivers, strict invalidation blocks a use-after-unmap while deferred invalidation lets it
// through the stale IOTLB entry, and the invalidation counts follow the policy; the example
// NIC workloads (configs/workloads/nic8vf_dma_api_*.yaml) run and show the same difference.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

std::string config(const std::string& iommu, const std::string& policy, unsigned late,
                   unsigned devices = 1, bool scalable = false, const std::string& extra = "",
                   const std::string& workload = "count: 64, outstanding: 1") {
  std::string devs;
  for (unsigned i = 0; i < devices; ++i) {
    devs += fmt::format(R"(
  - name: dev{0}
    type: dma-api
    iommu: iommu0
    rid: {1}
    params: {{policy: {2}, late_every: {3}, scalable: {5}, {6}}}
    workload: {{pattern: sequential, base: {4}, footprint: 1MiB, size: 4KiB, op: write,
               {7}}})",
                        i, 0x100 + 8 * i, policy, late, 0x1000'0000 + i * 0x10'0000, scalable,
                        extra.empty() ? "fq_size: 16" : extra, workload);
  }
  return fmt::format(R"(
sim: {{seed: 1, duration: 5ms, quantum: 1us}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}}
iommus:
  - {{name: iommu0, type: {}}}
devices:{}
)",
                     iommu, devs);
}

struct Result {
  uint64_t buffers, errors, late, served, blocked, invalidations, fq_flushes, stale_accesses,
      stale_max, maps, iova_hits, drv_invalidations, drv_domains, mmio;
  uint64_t vtd_domain_invals = 0;  ///< VT-d: domain-selective IOTLB invalidations processed
};

Result run(const std::string& iommu, const std::string& policy, unsigned late, unsigned devices = 1,
           bool scalable = false) {
  Platform pf(test::platform_config(config(iommu, policy, late, devices, scalable)));
  pf.run();
  const stats::Group& d = *pf.stats().find_group("dev0");
  Result r{test::counter(d, "buffers"),
           test::counter(d, "errors"),
           test::counter(d, "late_dmas"),
           test::counter(d, "late_served"),
           test::counter(d, "late_blocked"),
           test::counter(d, "dma_api.invalidations"),
           test::counter(d, "dma_api.fq_flushes"),
           test::counter(d, "dma_api.stale_accesses"),
           test::counter(d, "dma_api.stale_window_max"),
           test::counter(d, "dma_api.maps"),
           test::counter(d, "dma_api.iova_rcache_hits"),
           test::counter(pf.stats(), "iommu0_driver.invalidations"),
           test::counter(pf.stats(), "iommu0_driver.domains"),
           test::counter(pf.stats(), "iommu0_driver.mmio_reads") +
               test::counter(pf.stats(), "iommu0_driver.mmio_writes")};
  if (iommu == "vtd")
    r.vtd_domain_invals = test::counter(pf.iommu("iommu0")->stats(), "invalidations.iotlb_domain");
  return r;
}

void expect_strict(const Result& r) {
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.invalidations, 64u);  // one per unmap
  EXPECT_EQ(r.late, 8u);
  EXPECT_EQ(r.blocked, 8u);  // the invalidation completed before unmap returned
  EXPECT_EQ(r.served, 0u);
  EXPECT_EQ(r.stale_accesses, 0u);
  EXPECT_GE(r.iova_hits, 60u);  // one IOVA, reused through the magazine
  EXPECT_EQ(r.drv_invalidations, 64u);
  EXPECT_EQ(r.drv_domains, 1u);
  EXPECT_GT(r.mmio, 64u);  // at least a register access per invalidation
}

void expect_deferred(const Result& r) {
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.fq_flushes, 4u);  // 64 unmaps, 16 per flush
  EXPECT_EQ(r.invalidations, 4u);
  EXPECT_EQ(r.late, 8u);
  // Late accesses follow buffers 8, 16, ..., 64; the unmaps of 16, 32, 48 and 64 filled the
  // queue and flushed it, so only the other four fall inside a stale window, and the stale
  // IOTLB entry lets each of them through.
  EXPECT_EQ(r.stale_accesses, 4u);
  EXPECT_EQ(r.served, 4u);
  EXPECT_EQ(r.blocked, 4u);
  EXPECT_GT(r.stale_max, 0u);
}

TEST(DmaApiDevice, VtdStrict) {
  expect_strict(run("vtd", "strict", 8));
}
TEST(DmaApiDevice, VtdDeferred) {
  expect_deferred(run("vtd", "deferred", 8));
}
// Scalable mode: the flush of a second-stage domain is a domain-selective IOTLB invalidation.
TEST(DmaApiDevice, VtdScalableStrict) {
  expect_strict(run("vtd", "strict", 8, 1, true));
}
TEST(DmaApiDevice, VtdScalableDeferred) {
  expect_deferred(run("vtd", "deferred", 8, 1, true));
}
TEST(DmaApiDevice, AmdviStrict) {
  expect_strict(run("amdvi", "strict", 8));
}
TEST(DmaApiDevice, AmdviDeferred) {
  expect_deferred(run("amdvi", "deferred", 8));
}
TEST(DmaApiDevice, Smmuv3Strict) {
  expect_strict(run("smmuv3", "strict", 8));
}
TEST(DmaApiDevice, Smmuv3Deferred) {
  expect_deferred(run("smmuv3", "deferred", 8));
}

TEST(DmaApiDevice, Smmuv3StrictIsOneTlbiAndSyncPerUnmap) {
  Platform pf(test::platform_config(config("smmuv3", "strict", 0)));
  pf.run();
  const stats::Group& io = pf.iommu("iommu0")->stats();
  // A 4 KiB buffer: one TLBI_NH_VA (IDR3.RIL: a range of two pages) per unmap, each waited
  // for with its CMD_SYNC; bring-up and the STE / CD writes add a few more CMD_SYNCs.
  EXPECT_EQ(test::counter(io, "commands.CMD_TLBI_NH_VA"), 64u);
  EXPECT_GE(test::counter(io, "commands.syncs"), 64u);
  EXPECT_LT(test::counter(io, "commands.syncs"), 64u + 10);
  EXPECT_EQ(test::counter(io, "commands.errors"), 0u);
}

TEST(DmaApiDevice, Smmuv3Static) {
  const Result r = run("smmuv3", "static", 8);
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.invalidations, 0u);
  EXPECT_EQ(r.served, 8u);
}

TEST(DmaApiDevice, Smmuv3Passthrough) {
  const Result r = run("smmuv3", "passthrough", 0);
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.invalidations, 0u);
}

TEST(DmaApiDevice, VtdStatic) {
  const Result r = run("vtd", "static", 8);
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.invalidations, 0u);
  EXPECT_EQ(r.served, 8u);  // still mapped: static mode never unmaps
}

TEST(DmaApiDevice, VtdPassthrough) {
  const Result r = run("vtd", "passthrough", 0);
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.invalidations, 0u);
}

TEST(DmaApiDevice, AmdviStatic) {
  const Result r = run("amdvi", "static", 8);
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.invalidations, 0u);
  EXPECT_EQ(r.served, 8u);  // still mapped: static mode never unmaps
}

TEST(DmaApiDevice, AmdviPassthrough) {
  const Result r = run("amdvi", "passthrough", 0);
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
}

TEST(DmaApiDevice, SeveralDevicesShareOneDriver) {
  const Result r = run("vtd", "strict", 0, 4);
  EXPECT_EQ(r.buffers, 64u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.drv_domains, 4u);             // one driver, a domain per device
  EXPECT_EQ(r.drv_invalidations, 4 * 64u);  // every device's unmaps
}

/// Two VT-d units with a dma-api device each (their own drivers, memory pools and buffers),
/// differing in device params and workload keys: a comparison in one simulation.
struct Pair {
  uint64_t buffers[2], invalidations[2], fq_flushes[2], fq_timeouts[2], stale_max[2];
  double active_time[2];
};

Pair run_pair(const std::string& policy, const std::string (&params)[2],
              const std::string (&workload)[2]) {
  std::string devs;
  for (unsigned i = 0; i < 2; ++i)
    devs += fmt::format(R"(
  - name: dev{0}
    type: dma-api
    iommu: iommu{0}
    rid: 0x100
    params: {{policy: {1}, pool_base: {2}, {3}}}
    workload: {{pattern: sequential, base: {4}, footprint: 1MiB, size: 4KiB, op: write, {5}}})",
                        i, policy, (768 + 64 * i) << 20, params[i], 0x1000'0000 + i * 0x10'0000,
                        workload[i]);
  Platform pf(test::platform_config(fmt::format(R"(
sim: {{seed: 1, duration: 5ms, quantum: 1us}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}}
iommus:
  - {{name: iommu0, type: vtd}}
  - {{name: iommu1, type: vtd}}
devices:{}
)",
                                                devs)));
  pf.run();
  Pair r{};
  for (unsigned i = 0; i < 2; ++i) {
    const stats::Group& d = *pf.stats().find_group(fmt::format("dev{}", i));
    r.buffers[i] = test::counter(d, "buffers");
    r.invalidations[i] = test::counter(d, "dma_api.invalidations");
    r.fq_flushes[i] = test::counter(d, "dma_api.fq_flushes");
    r.fq_timeouts[i] = test::counter(d, "dma_api.fq_timeouts");
    r.stale_max[i] = test::counter(d, "dma_api.stale_window_max");
    r.active_time[i] = test::scalar(d, "active_time");
  }
  return r;
}

TEST(DmaApiDevice, SeveralBuffersInFlightOverlapTheirDmas) {
  const Pair r = run_pair("strict", {"fq_size: 16", "fq_size: 16"},
                          {"count: 64, outstanding: 1", "count: 64, outstanding: 8"});
  EXPECT_EQ(r.buffers[0], 64u);
  EXPECT_EQ(r.buffers[1], 64u);
  // Strict: every unmap still invalidates, whatever else is in flight.
  EXPECT_EQ(r.invalidations[0], 64u);
  EXPECT_EQ(r.invalidations[1], 64u);
  // The driver's calls are serialised but the DMAs overlap them: the work ends sooner.
  EXPECT_LT(r.active_time[1], r.active_time[0]);
}

TEST(DmaApiDevice, FlushQueueTimerFlushesAnIdleDevice) {
  // Ten unmaps never fill the 256-entry queue; the device then goes idle. The timer flushes
  // 50 us after the oldest entry, so the stale window ends then, not at some later call; with
  // a 10 ms timeout nothing is flushed within the 5 ms run.
  const Pair r = run_pair("deferred", {"fq_size: 256, fq_timeout: 50us", "fq_timeout: 10ms"},
                          {"count: 10, outstanding: 1", "count: 10, outstanding: 1"});
  EXPECT_EQ(r.buffers[0], 10u);
  EXPECT_EQ(r.fq_flushes[0], 1u);
  EXPECT_EQ(r.fq_timeouts[0], 1u);
  EXPECT_EQ(r.invalidations[0], 1u);
  EXPECT_GE(r.stale_max[0], 50'000'000u);  // 50 us in ps, plus the invalidation
  EXPECT_LT(r.stale_max[0], 60'000'000u);
  EXPECT_EQ(r.buffers[1], 10u);
  EXPECT_EQ(r.fq_flushes[1], 0u);
}

struct WorkloadRun {
  uint64_t buffers = 0, errors = 0, late = 0, served = 0, blocked = 0;
};

WorkloadRun run_workload(const std::string& file) {
  std::ifstream in(std::string(ISIM_SOURCE_DIR) + "/configs/workloads/" + file);
  EXPECT_TRUE(in) << file;
  const std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Platform pf(test::platform_config(yaml));
  pf.run();
  WorkloadRun w;
  for (unsigned f = 0; f <= 8; ++f) {  // the PF and its 8 VFs
    const std::string name = f == 0 ? "nic" : fmt::format("nic_vf{}", f);
    const stats::Group* g = pf.stats().find_group(name);
    EXPECT_NE(g, nullptr) << name;
    if (g == nullptr) continue;
    w.buffers += test::counter(*g, "buffers");
    w.errors += test::counter(*g, "errors");
    w.late += test::counter(*g, "late_dmas");
    w.served += test::counter(*g, "late_served");
    w.blocked += test::counter(*g, "late_blocked");
  }
  return w;
}

/// One platform per process: each workload file runs in its own test.
class NicWorkload : public testing::TestWithParam<std::tuple<const char*, const char*>> {};

TEST_P(NicWorkload, StrictBlocksLateAccessesDeferredLetsThemThrough) {
  const auto [iommu, policy] = GetParam();
  const WorkloadRun w = run_workload(fmt::format("nic8vf_dma_api_{}_{}.yaml", iommu, policy));
  EXPECT_GT(w.buffers, 500u);
  EXPECT_EQ(w.errors, 0u);
  EXPECT_GT(w.late, 0u);
  if (std::string(policy) == "strict") {
    EXPECT_EQ(w.blocked, w.late);
    EXPECT_EQ(w.served, 0u);
  } else {
    // Late accesses fall inside a stale window and go through the stale TLB entry, unless
    // another buffer's unmap filled the flush queue in between (buffers are in flight together).
    EXPECT_GT(w.served, 0u);
    EXPECT_EQ(w.served + w.blocked, w.late);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Configs, NicWorkload,
    testing::Values(std::make_tuple("vtd", "strict"), std::make_tuple("vtd", "deferred"),
                    std::make_tuple("amdvi", "strict"), std::make_tuple("amdvi", "deferred"),
                    std::make_tuple("smmuv3", "strict"), std::make_tuple("smmuv3", "deferred")),
    [](const testing::TestParamInfo<NicWorkload::ParamType>& i) {
      return std::string(std::get<0>(i.param)) + "_" + std::get<1>(i.param);
    });

}  // namespace
}  // namespace isim
