// The `smmuv3-host` device against the `smmuv3` model: bring-up through registers and memory,
// every buffer translated, and the invalidation traffic of strict vs batched flushing, SVA,
// nested and ATS masters.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

std::string config(const std::string& params, const std::string& workload) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 2ms}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}}
iommus:
  - {{name: iommu0, type: smmuv3}}
devices:
  - name: nic0
    type: smmuv3-host
    iommu: iommu0
    rid: 0x0100
    params: {{{}}}
    workload: {{{}}}
)",
                     params, workload);
}

const char* const kWorkload = "base: 0x10000000, footprint: 1MiB, size: 6KiB, op: write, count: 40";

struct Counts {
  uint64_t buffers, errors, late, late_blocked, faults, syncs, nh_va, nh_asid, nh_vaa, atc_inv,
      cfgi_cd, cfgi_ste, aborted, cmd_errors;
};

Counts run(const std::string& params, const std::string& workload = kWorkload) {
  Platform pf(test::platform_config(config(params, workload)));
  EXPECT_TRUE(test::run_thread([] { sc_core::wait(sc_core::sc_time(2, sc_core::SC_MS)); },
                               sc_core::sc_time(3, sc_core::SC_MS)));
  const stats::Group& dev = *pf.stats().find_group("nic0");
  const stats::Group& io = pf.iommu("iommu0")->stats();
  return {test::counter(dev, "buffers"),
          test::counter(dev, "errors"),
          test::counter(dev, "late_dmas"),
          test::counter(dev, "late_blocked"),
          test::counter(dev, "translation_faults"),
          test::counter(dev, "driver.syncs"),
          test::counter(io, "commands.CMD_TLBI_NH_VA"),
          test::counter(io, "commands.CMD_TLBI_NH_ASID"),
          test::counter(io, "commands.CMD_TLBI_NH_VAA"),
          test::counter(io, "commands.CMD_ATC_INV"),
          test::counter(io, "commands.CMD_CFGI_CD"),
          test::counter(io, "commands.CMD_CFGI_STE"),
          test::counter(io, "translation.aborted"),
          test::counter(io, "commands.errors")};
}

TEST(Smmuv3HostDriver, StrictInvalidatesEveryUnmap) {
  const Counts c = run("flush_batch: 1");
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.aborted, 0u);
  EXPECT_EQ(c.cmd_errors, 0u);
  // One range TLBI_NH_VA per unmap (IDR3.RIL), none for whole ASIDs.
  EXPECT_EQ(c.nh_va, 40u);
  EXPECT_EQ(c.nh_asid, 0u);
  // Bring-up (CFGI_ALL, TLBI_NSNH_ALL), the CD and STE writes, then one per unmap.
  EXPECT_GE(c.syncs, 42u);
  EXPECT_LE(c.syncs, 50u);
  EXPECT_GE(c.cfgi_cd, 2u);
  EXPECT_GE(c.cfgi_ste, 2u);
}

TEST(Smmuv3HostDriver, StrictBlocksEveryLateDmaAndTheDriverSeesTheFaults) {
  const Counts c = run("flush_batch: 1", std::string(kWorkload) + ", late_every: 4");
  EXPECT_EQ(c.late, 10u);
  EXPECT_EQ(c.late_blocked, 10u);
  EXPECT_EQ(c.aborted, 10u);
  // Each blocked DMA wrote an F_TRANSLATION record that the driver consumed.
  EXPECT_EQ(c.faults, 10u);
}

TEST(Smmuv3HostDriver, BatchedFlushInvalidatesTheAsidOncePerBatch) {
  const Counts c = run("flush_batch: 16", std::string(kWorkload) + ", late_every: 4");
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.nh_va, 0u);
  // 40 unmaps: flushes after 16 and 32, and the rest at the end.
  EXPECT_EQ(c.nh_asid, 3u);
  // Late DMAs after buffers 16 and 32 follow a flush; the other eight find the stale entry.
  EXPECT_EQ(c.late, 10u);
  EXPECT_EQ(c.late_blocked, 2u);
}

TEST(Smmuv3HostDriver, SvaMapsThroughAProcessTableOnItsSubstream) {
  const Counts c = run("pasid: 5");
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.aborted, 0u);
  EXPECT_EQ(c.nh_va, 40u);  // under the bind's ASID
  EXPECT_GE(c.cfgi_cd, 2u);
}

TEST(Smmuv3HostDriver, NestedGuestStage1OverTheHostStage2) {
  // Guest RAM at 512 MiB; buffers at system 512 MiB + 1 MiB (guest-physical 1 MiB).
  Platform pf(test::platform_config(
      config("nested: true, guest_ram_spa: 0x20000000, guest_ram_size: 64MiB",
             "base: 0x20100000, footprint: 1MiB, size: 4KiB, op: write, count: 20")));
  ASSERT_TRUE(test::run_thread([] { sc_core::wait(sc_core::sc_time(2, sc_core::SC_MS)); },
                               sc_core::sc_time(3, sc_core::SC_MS)));
  const stats::Group& dev = *pf.stats().find_group("nic0");
  const stats::Group& io = pf.iommu("iommu0")->stats();
  EXPECT_EQ(test::counter(dev, "buffers"), 20u);
  EXPECT_EQ(test::counter(dev, "errors"), 0u);
  EXPECT_EQ(test::counter(io, "translation.aborted"), 0u);
  EXPECT_EQ(test::counter(io, "commands.CMD_TLBI_NH_VAA"), 20u);
  // Stage-2 walks for the guest's table addresses went through the IPA cache.
  EXPECT_GT(test::counter(io, "caches.ipa.hits") + test::counter(io, "caches.ipa.misses"), 0u);
  // The engine's writes landed in guest RAM at the buffers' system addresses.
  uint8_t b = 0;
  ASSERT_TRUE(pf.memory().read(0x20100000 + 19 * 4096, &b, 1));
  EXPECT_EQ(b, 0x5a);
}

TEST(Smmuv3HostDriver, AtsMastersGetAnAtcInvalidationPerUnmap) {
  const Counts c = run("ats: true, flush_batch: 1");
  EXPECT_EQ(c.buffers, 40u);
  EXPECT_EQ(c.errors, 0u);
  EXPECT_EQ(c.atc_inv, 40u);
  EXPECT_EQ(c.cmd_errors, 0u);
}

TEST(Smmuv3HostDriver, RefusesAnIommuOfAnotherType) {
  EXPECT_THROW(Platform(test::platform_config(R"(
sim: {seed: 1, duration: 1ms}
memory: {size: 1GiB}
iommus:
  - {name: iommu0, type: amdvi}
devices:
  - {name: nic0, type: smmuv3-host, iommu: iommu0, rid: 0x100}
)")),
               std::exception);
}

}  // namespace
}  // namespace isim
