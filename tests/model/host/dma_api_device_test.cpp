// The `dma-api` device on VT-d and AMD-Vi: every policy moves its buffers through the real
// drivers, strict invalidation blocks a use-after-unmap while deferred invalidation lets it
// through the stale IOTLB entry, and the invalidation counts follow the policy.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

std::string config(const std::string& iommu, const std::string& policy, unsigned late,
                   unsigned devices = 1, bool scalable = false) {
  std::string devs;
  for (unsigned i = 0; i < devices; ++i) {
    devs += fmt::format(R"(
  - name: dev{0}
    type: dma-api
    iommu: iommu0
    rid: {1}
    params: {{policy: {2}, late_every: {3}, fq_size: 16, scalable: {5}}}
    workload: {{pattern: sequential, base: {4}, footprint: 1MiB, size: 4KiB, op: write,
               count: 64}})",
                        i, 0x100 + 8 * i, policy, late, 0x1000'0000 + i * 0x10'0000, scalable);
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

}  // namespace
}  // namespace isim
