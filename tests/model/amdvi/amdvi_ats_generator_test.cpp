// An ATS-capable generator behind the AMD-Vi model: the IOMMU answers its translation
// requests from the v1 table (DTE.I = 1), its translated DMA passes without a walk, and
// INVALIDATE_IOTLB_PAGES reaches its ATC, with the COMPLETION_WAIT behind it waiting for the
// device's completion.
#include <gtest/gtest.h>

#include "hw/sc_time_util.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

constexpr uint64_t kMmio = 0;

void write64(Platform& pf, uint64_t addr, uint64_t v) {
  ASSERT_TRUE(pf.memory().write(addr, &v, sizeof v));
}

TEST(AmdviAtsGenerator, TranslationRequestsTranslatedDmaAndAtcInvalidation) {
  // The generator (RID 0x200) reads 128 B at a time from IOVA 0x40000..0x4ffff once the driver
  // side (this test) has programmed the IOMMU; its ATC completes invalidations in 5 us.
  Platform pf(test::platform_config(R"(
sim: {seed: 1, duration: 1ms}
memory: {size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}
iommus:
  - {name: iommu0, type: amdvi}
devices:
  - name: dev0
    type: generator
    iommu: iommu0
    rid: 0x0200
    params: {ats: {enabled: true, invalidation: 5us}}
    workload: {pattern: sequential, base: 0x40000, footprint: 64KiB, size: 128, op: read,
               outstanding: 1, count: 512, start: 20us}
)"));
  // Mode 3 table of domain 7: IOVA 0x40000 + n * 4 KiB -> 0x1000000 + n * 4 KiB (n < 16).
  write64(pf, 0x300000, 0x6000000000301401);
  write64(pf, 0x301000, 0x6000000000302201);
  for (uint64_t n = 0; n < 16; ++n) write64(pf, 0x302200 + 8 * n, 0x6000000001000001 + n * 0x1000);
  // DTE 0x200 (device table of 5 pages: 640 entries): V, TV, Mode 3, IR, IW; DomainID 7, I.
  write64(pf, 0x100000 + 0x200 * 32, 0x6000000000300603);
  write64(pf, 0x100000 + 0x200 * 32 + 8, 0x100000007);
  // INVALIDATE_IOTLB_PAGES 0x200 (all pages: S = 1, all-pages address), COMPLETION_WAIT.
  write64(pf, 0x200000, 0x4000020000000200);
  write64(pf, 0x200008, 0x7ffffffffffff001);
  write64(pf, 0x200010, 0x1000000000230001);
  write64(pf, 0x200018, 0x1);
  Tick stored_after = 0;
  ASSERT_TRUE(test::run_thread([&] {
    const uint64_t base = pf.mmio_base("iommu0") + kMmio;
    CpuPort& cpu = pf.cpu();
    ASSERT_TRUE(cpu.write(base + 0x0, 8, 0x100004));
    ASSERT_TRUE(cpu.write(base + 0x8, 8, 0x0800000000200000));
    ASSERT_TRUE(cpu.write(base + 0x10, 8, 0x0800000000210000));
    ASSERT_TRUE(cpu.write(base + 0x18, 8, 0x1005));
    sc_core::wait(sc_core::sc_time(500, sc_core::SC_US));
    ASSERT_TRUE(cpu.write(base + 0x2008, 8, 0x20));
    const Tick start = to_ticks(sc_core::sc_time_stamp());
    for (int i = 0; i < 100; ++i) {
      uint64_t v = 0;
      ASSERT_TRUE(pf.memory().read(0x230000, &v, sizeof v));
      if (v == 1) break;
      sc_core::wait(sc_core::sc_time(1, sc_core::SC_US));
    }
    stored_after = to_ticks(sc_core::sc_time_stamp()) - start;
  }));
  const stats::Group& dev = *pf.stats().find_group("dev0");
  const stats::Group& io = pf.iommu("iommu0")->stats();
  EXPECT_EQ(test::counter(dev, "errors"), 0u);
  EXPECT_EQ(test::counter(dev, "reads"), 512u);
  // One translation request per 4 KiB page; every other read hits the ATC.
  EXPECT_EQ(test::counter(dev, "ats.translation_requests"), 16u);
  EXPECT_EQ(test::counter(io, "ats_translation_requests"), 16u);
  EXPECT_EQ(test::counter(dev, "ats.untranslated"), 0u);
  // Translated DMA needs no walk: the IOMMU walked once per page for the requests.
  EXPECT_EQ(test::counter(io, "walks"), 16u);
  // The invalidation reached the ATC and dropped its 16 entries; the store waited for it.
  EXPECT_EQ(test::counter(dev, "ats.atc_invalidated"), 16u);
  EXPECT_EQ(test::counter(io, "invalidations.iotlb_pages"), 1u);
  EXPECT_GE(stored_after, 5'000'000u);
}

}  // namespace
}  // namespace isim
