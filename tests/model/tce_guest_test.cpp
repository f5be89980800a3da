// The `tce-guest` driver model (models/tce/guest_driver.h) on a `tce` platform: the hypercalls
// each mapping mode issues (counted on both sides of the PAPR interface), where the DMA data
// lands in physical memory, and the fallback from direct to dynamic mapping.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstdint>
#include <vector>

#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

// Physical buffers, away from the bus addresses the default window hands out (from 0) and
// from the TCE list page.
constexpr uint64_t kBufBase = 0x100'0000;
constexpr unsigned kFill = 0x5a;
constexpr uint64_t kCount = 8;

std::string config_yaml(const std::string& iommu_params, const std::string& guest_params,
                        const std::string& workload) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 20ms, quantum: 1us}}
memory: {{size: 4GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}}
iommus:
  - name: iommu0
    type: tce
    params: {{table_pool_size: 256MiB, {}}}
devices:
  - name: g0
    type: tce-guest
    rid: 0x0100
    iommu: iommu0
    params: {{fill: {}, tce_list_addr: 0x200000, {}}}
    workload: {{{}}}
)",
                     iommu_params, kFill, guest_params, workload);
}

std::string workload(uint64_t size, const char* op = "write") {
  return fmt::format(
      "pattern: sequential, base: {:#x}, footprint: {}, size: {}, op: {}, outstanding: 2, "
      "count: {}",
      kBufBase, size * kCount, size, op, kCount);
}

uint64_t stat(Platform& pf, std::string_view path) {
  return test::counter(pf.stats(), path);
}

/// Bytes in [pa, pa + len) equal to `v`.
uint64_t bytes_equal(Platform& pf, uint64_t pa, uint64_t len, uint8_t v) {
  std::vector<uint8_t> buf(len);
  EXPECT_TRUE(pf.memory().read(pa, buf.data(), len));
  uint64_t n = 0;
  for (uint8_t b : buf) n += b == v;
  return n;
}

// Every DMA byte reached its physical buffer, and nothing reached the physical page equal to
// the bus address (which a DMA bypassing translation would hit).
void expect_data_landed(Platform& pf, uint64_t size, uint64_t bus_lo) {
  EXPECT_EQ(bytes_equal(pf, kBufBase, size * kCount, kFill), size * kCount);
  EXPECT_EQ(bytes_equal(pf, bus_lo, size * kCount, kFill), 0u);
  EXPECT_EQ(stat(pf, "g0.errors"), 0u);
  EXPECT_EQ(stat(pf, "g0.dmas"), kCount);
  EXPECT_EQ(stat(pf, "g0.bytes"), size * kCount);
  EXPECT_EQ(stat(pf, "iommu0.blocked"), 0u) << "no DMA may be blocked";
}

TEST(TceGuest, DynamicSinglePageIsTwoHcallsPerDma) {
  Platform pf(
      test::platform_config(config_yaml("ddw_page_mask: 0x1c7", "mode: dynamic", workload(4096))));
  pf.run();
  // One H_PUT_TCE to map, one (TCE 0) to unmap, per single-page buffer.
  EXPECT_EQ(stat(pf, "g0.hcalls.H_PUT_TCE"), 2 * kCount);
  EXPECT_EQ(stat(pf, "g0.hcalls.H_PUT_TCE_INDIRECT"), 0u);
  EXPECT_EQ(stat(pf, "g0.hcalls.H_STUFF_TCE"), 0u);
  EXPECT_EQ(stat(pf, "g0.hcalls.rtas"), 0u);
  EXPECT_EQ(stat(pf, "g0.hcalls.errors"), 0u);
  EXPECT_EQ(stat(pf, "iommu0.hcalls.H_PUT_TCE"), 2 * kCount);
  EXPECT_GT(test::scalar(pf.stats(), "g0.hcalls.hcall_time"), 0.0);
  EXPECT_EQ(test::scalar(pf.stats(), "g0.direct_mode"), 0.0);
  expect_data_landed(pf, 4096, 0);
}

TEST(TceGuest, DynamicMultiPageUsesIndirectAndStuff) {
  constexpr uint64_t kSize = 4 * 4096;
  Platform pf(
      test::platform_config(config_yaml("ddw_page_mask: 0x1c7", "mode: dynamic", workload(kSize))));
  pf.run();
  EXPECT_EQ(stat(pf, "g0.hcalls.H_PUT_TCE_INDIRECT"), kCount);
  EXPECT_EQ(stat(pf, "g0.hcalls.H_STUFF_TCE"), kCount);
  EXPECT_EQ(stat(pf, "g0.hcalls.H_PUT_TCE"), 0u);
  EXPECT_EQ(stat(pf, "iommu0.hcalls.H_PUT_TCE_INDIRECT"), kCount);
  EXPECT_EQ(stat(pf, "g0.hcalls.errors"), 0u);
  expect_data_landed(pf, kSize, 0);
}

TEST(TceGuest, DynamicReadsSucceedWithReadOnlyTces) {
  Platform pf(test::platform_config(
      config_yaml("ddw_page_mask: 0x1c7", "mode: dynamic", workload(4096, "read"))));
  pf.run();
  EXPECT_EQ(stat(pf, "g0.errors"), 0u);
  EXPECT_EQ(stat(pf, "g0.dmas"), kCount);
  EXPECT_EQ(stat(pf, "g0.hcalls.H_PUT_TCE"), 2 * kCount);
  EXPECT_EQ(bytes_equal(pf, kBufBase, 4096 * kCount, kFill), 0u) << "reads write nothing";
}

struct DirectCase {
  unsigned max_page_shift;   // the driver's limit
  unsigned expect_page_lg2;  // the largest page of mask 0x1c7 dividing 1 GiB within the limit
};

class TceGuestDirect : public testing::TestWithParam<DirectCase> {};

TEST_P(TceGuestDirect, HcallsOnlyAtStartAndDmaLandsAtWindowPlusPhysical) {
  const DirectCase c = GetParam();
  constexpr uint64_t kMem = uint64_t{1} << 30;
  Platform pf(test::platform_config(config_yaml(
      "ddw_page_mask: 0x1c7",
      fmt::format("mode: direct, memory_size: {}, ddw_max_page_shift: {}", kMem, c.max_page_shift),
      workload(4096))));
  pf.run();
  const uint64_t tces = kMem >> c.expect_page_lg2;
  const uint64_t lists = (tces + 511) / 512;  // H_PUT_TCE_INDIRECT takes 512 TCEs at most
  EXPECT_EQ(stat(pf, "g0.ddw_fallbacks"), 0u);
  EXPECT_EQ(test::scalar(pf.stats(), "g0.direct_mode"), 1.0);
  EXPECT_EQ(stat(pf, "g0.hcalls.rtas"), 2u) << "query + create";
  EXPECT_EQ(stat(pf, "iommu0.rtas.create_pe_dma_window"), 1u);
  EXPECT_EQ(stat(pf, "g0.hcalls.H_PUT_TCE_INDIRECT"), lists);
  EXPECT_EQ(stat(pf, "iommu0.hcalls.H_PUT_TCE_INDIRECT"), lists);
  EXPECT_EQ(stat(pf, "g0.hcalls.H_PUT_TCE"), 0u);
  EXPECT_EQ(stat(pf, "g0.hcalls.H_STUFF_TCE"), 0u);
  EXPECT_EQ(stat(pf, "g0.hcalls.errors"), 0u);
  // The DDW is at 1 << 59: the low bus range of the same offset stays untouched.
  expect_data_landed(pf, 4096, 0);
}

INSTANTIATE_TEST_SUITE_P(PageSizes, TceGuestDirect,
                         testing::Values(DirectCase{34, 28}, DirectCase{16, 16},
                                         DirectCase{12, 12}),
                         [](const testing::TestParamInfo<DirectCase>& i) {
                           return fmt::format("MaxPageShift{}", i.param.max_page_shift);
                         });

TEST(TceGuest, FallsBackToDynamicWhenTheWindowCannotCoverMemory) {
  // 16 TCEs of 4 KiB at most: 64 KiB, far below 1 GiB of partition memory.
  Platform pf(test::platform_config(config_yaml(
      "ddw_page_mask: 0x1, ddw_max_tces: 16", "mode: direct, memory_size: 1GiB", workload(4096))));
  pf.run();
  EXPECT_EQ(stat(pf, "g0.ddw_fallbacks"), 1u);
  EXPECT_EQ(test::scalar(pf.stats(), "g0.direct_mode"), 0.0);
  EXPECT_EQ(stat(pf, "iommu0.rtas.create_pe_dma_window"), 0u);
  EXPECT_EQ(stat(pf, "g0.hcalls.H_PUT_TCE"), 2 * kCount);
  expect_data_landed(pf, 4096, 0);
}

TEST(TceGuest, RejectsAnIommuWithoutPapr) {
  EXPECT_ANY_THROW({
    Platform pf(test::platform_config(R"(
sim: {seed: 1, duration: 1us}
memory: {size: 1GiB, latency: 90ns, channels: 1, channel_bandwidth: 12.8GB/s}
iommus: [{name: iommu0, type: none}]
devices: [{name: g0, type: tce-guest, rid: 1, iommu: iommu0}]
)"));
  });
}

}  // namespace
}  // namespace isim
