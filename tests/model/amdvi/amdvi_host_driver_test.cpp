// The `amdvi-host` driver against the `amdvi` model: bring-up through registers and memory,
// every buffer translated, and the invalidation traffic of strict vs batched flushing.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

std::string config(unsigned flush_batch, int pasid = -1, bool ats = false, unsigned late = 0,
                   const std::string& extra = "") {
  return fmt::format(R"(
sim: {{seed: 1, duration: 2ms}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}}
iommus:
  - {{name: iommu0, type: amdvi}}
devices:
  - name: nic0
    type: amdvi-host
    iommu: iommu0
    rid: 0x0100
    params: {{domain_id: 3, flush_batch: {}, pasid: {}, ats: {}{}}}
    workload: {{base: 0x10000000, footprint: 1MiB, size: 6KiB, op: write, count: 40,
               late_every: {}}}
)",
                     flush_batch, pasid, ats, extra, late);
}

struct Counts {
  uint64_t buffers, errors, waits, invals, blocked, walks, stores, dev_accesses, guest_invals,
      gcr3_misses, atc_invals, device_atc_invals, late, late_blocked, iopf_consumed, interrupts,
      msis_sent, page_requests, ppr_entries, ppr_completions, prg_failures, page_responses,
      ppr_logged, ppr_responses;
};

Counts run(unsigned flush_batch, int pasid = -1, bool ats = false, unsigned late = 0,
           const std::string& extra = "") {
  Platform pf(test::platform_config(config(flush_batch, pasid, ats, late, extra)));
  EXPECT_TRUE(test::run_thread([] { sc_core::wait(sc_core::sc_time(2, sc_core::SC_MS)); },
                               sc_core::sc_time(3, sc_core::SC_MS)));
  const stats::Group& dev = *pf.stats().find_group("nic0");
  const stats::Group& io = pf.iommu("iommu0")->stats();
  return {test::counter(dev, "buffers"),
          test::counter(dev, "errors"),
          test::counter(dev, "completion_waits"),
          test::counter(dev, "invalidations"),
          test::counter(io, "blocked"),
          test::counter(io, "walks"),
          test::counter(io, "commands.completion_stores"),
          pf.memory_module().device_accesses(),
          test::counter(io, "invalidations.iommu_pages_guest"),
          test::counter(io, "gcr3_cache.misses"),
          test::counter(io, "invalidations.iotlb_pages"),
          test::counter(dev, "ats_invalidations"),
          test::counter(dev, "late_dmas"),
          test::counter(dev, "late_blocked"),
          test::counter(dev, "io_page_faults"),
          test::counter(dev, "interrupts"),
          test::counter(io, "interrupts"),
          test::counter(dev, "page_requests"),
          test::counter(dev, "ppr_entries"),
          test::counter(dev, "ppr_completions"),
          test::counter(dev, "prg_failures"),
          test::counter(dev, "page_responses"),
          test::counter(io, "ppr.logged"),
          test::counter(io, "ppr.responses")};
}

TEST(AmdviHostDriver, StrictFlushWaitsForEveryUnmap) {
  const Counts c = run(1);
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.blocked, 0u);
  EXPECT_EQ(c.invals, 40u);
  // One COMPLETION_WAIT after the DTE flush, then one per unmap; the IOMMU stored each.
  EXPECT_EQ(c.waits, 41u);
  EXPECT_EQ(c.stores, 41u);
  // A 6 KiB buffer spans two 4 KiB pages; where IOVA and address are both 8 KiB aligned the
  // driver maps one 8 KiB (NextLevel = 7) page instead. Strict flushing leaves nothing for a
  // later buffer to hit: every page of every buffer is walked once.
  EXPECT_GT(c.walks, 40u);
  EXPECT_LT(c.walks, 80u);
  // Each translated piece reaches memory once, at its page.
  EXPECT_EQ(c.dev_accesses, c.walks);
}

TEST(AmdviHostDriver, BatchedFlushWaitsOncePerBatch) {
  const Counts c = run(16);
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.invals, 40u);
  // 1 (DTE) + 40 / 16 rounded up.
  EXPECT_EQ(c.waits, 4u);
  EXPECT_EQ(c.stores, 4u);
  EXPECT_EQ(c.atc_invals, 0u);
}

TEST(AmdviHostDriver, AtsDeviceGetsAnAtcFlushPerUnmap) {
  const Counts c = run(4, -1, true);
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.invals, 40u);
  EXPECT_EQ(c.atc_invals, 40u);
  // The invalidation requests reached the function itself.
  EXPECT_EQ(c.device_atc_invals, 40u);
  EXPECT_EQ(c.waits, 11u);
}

TEST(AmdviHostDriver, SvaMapsThroughGcr3WithPasidInvalidations) {
  const Counts c = run(1, 5);
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.blocked, 0u);
  // Every unmap is a GN = 1 invalidation of PASID 5, which also drops the cached GCR3 entry.
  EXPECT_EQ(c.guest_invals, 40u);
  EXPECT_EQ(c.gcr3_misses, 40u);
  EXPECT_EQ(c.dev_accesses, c.walks);
}

TEST(AmdviHostDriver, NestedGuestSvaOverTheHostTable) {
  // Guest RAM at 512 MiB; buffers at system 512 MiB + 1 MiB (guest-physical 1 MiB).
  Platform pf(test::platform_config(R"(
sim: {seed: 1, duration: 2ms}
memory: {size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}
iommus:
  - {name: iommu0, type: amdvi}
devices:
  - name: nic0
    type: amdvi-host
    iommu: iommu0
    rid: 0x0100
    params: {domain_id: 3, pasid: 9, nested: true, guest_ram_spa: 0x20000000,
             guest_ram_size: 64MiB}
    workload: {base: 0x20100000, footprint: 1MiB, size: 4KiB, op: write, count: 20}
)"));
  ASSERT_TRUE(test::run_thread([] { sc_core::wait(sc_core::sc_time(2, sc_core::SC_MS)); },
                               sc_core::sc_time(3, sc_core::SC_MS)));
  const stats::Group& dev = *pf.stats().find_group("nic0");
  const stats::Group& io = pf.iommu("iommu0")->stats();
  EXPECT_EQ(test::counter(dev, "buffers"), 20u);
  EXPECT_EQ(test::counter(dev, "errors"), 0u);
  EXPECT_EQ(test::counter(io, "blocked"), 0u);
  EXPECT_EQ(test::counter(io, "invalidations.iommu_pages_guest"), 20u);
  // Every buffer's IOVA is new (and flushed after use), so IOTLB hits can only be the nested
  // walks' GPA -> SPA steps served by host entries: the walks really were nested.
  EXPECT_GT(test::counter(io, "iotlb.hits"), 0u);
  // The engine's writes landed in guest RAM at the buffers' system addresses.
  uint8_t b = 0;
  ASSERT_TRUE(pf.memory().read(0x20100000 + 19 * 4096, &b, 1));
  EXPECT_EQ(b, 0x5a);
}

TEST(AmdviHostDriver, StrictFlushBlocksEveryLateDmaAndTheDriverSeesTheFaults) {
  const Counts c = run(1, -1, false, 4);
  EXPECT_EQ(c.late, 10u);
  EXPECT_EQ(c.late_blocked, 10u);
  EXPECT_EQ(c.blocked, 10u);
  // Each blocked DMA logged an IO_PAGE_FAULT that the driver consumed from the event log, in
  // its interrupt handler: the IOMMU signalled the entries by MSI.
  EXPECT_EQ(c.iopf_consumed, 10u);
  EXPECT_GE(c.interrupts, 1u);
  EXPECT_LE(c.interrupts, c.msis_sent);
}

TEST(AmdviHostDriver, WithoutMsiTheEventLogIsReadAfterEachWait) {
  const Counts c = run(1, -1, false, 4, ", msi: false");
  EXPECT_EQ(c.late_blocked, 10u);
  EXPECT_EQ(c.iopf_consumed, 10u);
  EXPECT_EQ(c.interrupts, 0u);
  EXPECT_EQ(c.msis_sent, 0u);
}

TEST(AmdviHostDriver, CompletionWaitsSignalledByInterrupt) {
  const Counts c = run(1, -1, false, 0, ", completion_irq: true");
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.waits, 41u);
  // No store: each COMPLETION_WAIT (I = 1) raised ComWaitInt and one MSI, which the driver
  // waited for before queueing more.
  EXPECT_EQ(c.stores, 0u);
  EXPECT_EQ(c.msis_sent, 41u);
  EXPECT_EQ(c.interrupts, 41u);
}

TEST(AmdviHostDriver, PriPageRequestsRoundTripThroughThePprLog) {
  const Counts c = run(1, 5, false, 0, ", pri: true");
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.blocked, 0u);
  // A 6 KiB buffer spans two or three pages: one request each, one group per buffer.
  EXPECT_GE(c.page_requests, 80u);
  EXPECT_LE(c.page_requests, 120u);
  // Every request became a PPR log entry the driver consumed; every group was answered with
  // COMPLETE_PPR_REQUEST, which reached the device as a successful PRG response.
  EXPECT_EQ(c.ppr_logged, c.page_requests);
  EXPECT_EQ(c.ppr_entries, c.page_requests);
  EXPECT_EQ(c.ppr_completions, 40u);
  EXPECT_EQ(c.ppr_responses, 40u);
  EXPECT_EQ(c.page_responses, 40u);
  EXPECT_EQ(c.prg_failures, 0u);
  EXPECT_GE(c.interrupts, 40u);
}

TEST(AmdviHostDriver, PriPollsThePprLogWithoutMsi) {
  const Counts c = run(1, 5, false, 0, ", pri: true, msi: false");
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.ppr_entries, c.page_requests);
  EXPECT_EQ(c.page_responses, 40u);
  EXPECT_EQ(c.interrupts, 0u);
}

TEST(AmdviHostDriver, PriNeedsEfrPprSup) {
  Platform pf(test::platform_config(R"(
sim: {seed: 1, duration: 1ms}
memory: {size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}
iommus:
  - {name: iommu0, type: amdvi, params: {features: {ppr_sup: false}}}
devices:
  - name: nic0
    type: amdvi-host
    iommu: iommu0
    rid: 0x0100
    params: {pasid: 5, pri: true}
    workload: {base: 0x10000000, footprint: 1MiB, size: 4KiB, op: write, count: 4}
)"));
  ASSERT_TRUE(test::run_thread([] { sc_core::wait(sc_core::sc_time(1, sc_core::SC_MS)); },
                               sc_core::sc_time(2, sc_core::SC_MS)));
  const stats::Group& dev = *pf.stats().find_group("nic0");
  EXPECT_EQ(test::counter(dev, "errors"), 1u);  // bring-up refused
  EXPECT_EQ(test::counter(dev, "buffers"), 0u);
  EXPECT_EQ(test::counter(dev, "page_requests"), 0u);
}

TEST(AmdviHostDriver, BatchedFlushLetsLateDmasThroughStaleEntries) {
  // Flushing every 16 unmaps: a late DMA before the flush still finds its IOTLB entry.
  const Counts c = run(16, -1, false, 4);
  EXPECT_EQ(c.late, 10u);
  EXPECT_LT(c.late_blocked, 10u);
  EXPECT_EQ(c.iopf_consumed, c.late_blocked);
}

}  // namespace
}  // namespace isim
