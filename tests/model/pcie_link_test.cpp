// The PCIe link (src/hw/pcie_link.h) with the IOMMU off: a device's achievable throughput
// matches the analytical bandwidth of its link for the same parameters — the line rate after
// encoding times the payload share of each TLP — for writes, reads (completions per RCB or per
// MPS), several generations and widths; a shared root port divides its bandwidth between
// devices; and a link adds its latency to every request.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>

#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

// Memory far faster than any link here, so the link is the bottleneck.
constexpr const char* kMemory =
    "{size: 4GiB, latency: 100ns, channels: 4, channel_bandwidth: 64GB/s}";

struct LinkCase {
  const char* name;
  unsigned gen, width;
  uint64_t mps, mrrs;
  const char* split;
  const char* op;
  double payload_share;  // payload / wire bytes of the direction that carries the data
  double lane_gbs;       // GB/s per lane after encoding
};

std::ostream& operator<<(std::ostream& os, const LinkCase& c) {
  return os << c.name;
}

constexpr double kGen3Lane = 8.0 * 128 / 130 / 8;  // 0.9846 GB/s
constexpr double kGen4Lane = 16.0 * 128 / 130 / 8;
constexpr double kGen2Lane = 5.0 * 8 / 10 / 8;  // 0.5 GB/s

// Overheads below 4 GiB: 3DW header 12 + framing 4 + LCRC 4 = 20 bytes per TLP.
const LinkCase kCases[] = {
    {"gen3x8_write_mps256", 3, 8, 256, 512, "rcb", "write", 256.0 / 276, kGen3Lane},
    {"gen3x8_write_mps128", 3, 8, 128, 512, "rcb", "write", 128.0 / 148, kGen3Lane},
    {"gen3x8_read_rcb64", 3, 8, 256, 512, "rcb", "read", 64.0 / 84, kGen3Lane},
    {"gen4x16_read_mps256", 4, 16, 256, 4096, "mps", "read", 256.0 / 276, kGen4Lane},
    {"gen2x4_write_mps512", 2, 4, 512, 512, "rcb", "write", 512.0 / 532, kGen2Lane},
};

class PcieLinkBandwidth : public testing::TestWithParam<LinkCase> {};

TEST_P(PcieLinkBandwidth, ThroughputMatchesTheAnalyticalLinkBandwidth) {
  const LinkCase& c = GetParam();
  const std::string yaml = fmt::format(R"(
sim: {{seed: 1, duration: 200us, quantum: 1us}}
memory: {}
iommus:
  - {{name: iommu0, type: none}}
devices:
  - name: dma0
    type: generator
    rid: 0x0100
    link: {{gen: {}, width: {}, mps: {}, mrrs: {}, completion_split: {}}}
    workload: {{pattern: sequential, base: 0x100000, footprint: 64MiB, size: 4KiB, op: {},
               outstanding: 64}}
)",
                                       kMemory, c.gen, c.width, c.mps, c.mrrs, c.split, c.op);
  Platform pf(test::platform_config(yaml));
  pf.run();
  const double expected = c.lane_gbs * c.width * c.payload_share;
  const double got = test::scalar(pf.stats(), "dma0.throughput");
  EXPECT_NEAR(got, expected, expected * 0.01) << "GB/s";
  EXPECT_EQ(test::counter(pf.stats(), "dma0.errors"), 0u);
  EXPECT_GT(
      test::scalar(pf.stats(), std::string("dma0.link.") +
                                   (std::string(c.op) == "write" ? "up" : "down") + "_utilisation"),
      0.98);
}

INSTANTIATE_TEST_SUITE_P(Links, PcieLinkBandwidth, testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PcieLink, SharedRootPortDividesItsBandwidth) {
  // Two Gen3 x8 devices behind a Gen3 x8 root port: together they get one link's bandwidth.
  const std::string yaml = fmt::format(R"(
sim: {{seed: 1, duration: 200us, quantum: 100ns}}
memory: {}
iommus:
  - name: iommu0
    type: none
    root_port: {{gen: 3, width: 8}}
devices:
  - name: a
    type: generator
    rid: 0x0100
    link: {{gen: 3, width: 8}}
    workload: {{pattern: sequential, base: 0x100000, footprint: 64MiB, size: 4KiB, op: write,
               outstanding: 64}}
  - name: b
    type: generator
    rid: 0x0200
    link: {{gen: 3, width: 8}}
    workload: {{pattern: sequential, base: 0x8000000, footprint: 64MiB, size: 4KiB, op: write,
               outstanding: 64}}
)",
                                       kMemory);
  Platform pf(test::platform_config(yaml));
  pf.run();
  const double one_link = kGen3Lane * 8 * 256.0 / 276;
  // Together, over the time until the last of them completes (each device's own throughput is
  // over its own active time, and those differ).
  const uint64_t a = test::counter(pf.stats(), "a.bytes");
  const uint64_t b = test::counter(pf.stats(), "b.bytes");
  const double end = std::max(test::scalar(pf.stats(), "a.active_time"),
                              test::scalar(pf.stats(), "b.active_time"));
  const double together = static_cast<double>(a + b) * 1e3 / end;  // bytes/ps * 1e3 = GB/s
  EXPECT_NEAR(together, one_link, one_link * 0.01);
  EXPECT_GT(a, (a + b) * 2 / 5) << "neither device starves";
  EXPECT_GT(b, (a + b) * 2 / 5) << "neither device starves";
  EXPECT_GT(test::scalar(pf.stats(), "iommu0.root_port.up_utilisation"), 0.97);
}

TEST(PcieLink, AddsLatencyBothWaysToAnIdleRead) {
  // One 64-byte read at a time: memory latency + the link's latency each way + wire time of a
  // 20-byte request and an 84-byte completion at 1 GB/s (Gen2 x2 = 1 GB/s).
  const std::string yaml = fmt::format(R"(
sim: {{seed: 1, duration: 20us, quantum: 1us}}
memory: {}
iommus:
  - {{name: iommu0, type: none}}
devices:
  - name: dma0
    type: generator
    rid: 0x0100
    link: {{gen: 2, width: 2, latency: 300ns, tlps_per_ack: 64}}
    workload: {{pattern: sequential, base: 0x100000, footprint: 64KiB, size: 64, op: read,
               outstanding: 1, count: 10}}
)",
                                       kMemory);
  Platform pf(test::platform_config(yaml));
  pf.run();
  const stats::Histogram& h = test::histogram(pf.stats(), "dma0.latency");
  const Tick memory = 100'000 + 1'000;  // latency + 64 B at 64 GB/s
  const Tick expected = memory + 2 * 300'000 + 20'000 + 84'000;
  EXPECT_EQ(h.count(), 10u);
  EXPECT_EQ(h.min(), expected);
  EXPECT_EQ(h.max(), expected);
}

}  // namespace
}  // namespace isim
