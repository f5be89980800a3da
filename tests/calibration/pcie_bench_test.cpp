// The PCIe link (src/hw/pcie_link.h) against the analytical model of pcie-bench
// (Neugebauer et al., "Understanding PCIe performance for end host networking", SIGCOMM 2018;
// github.com/pcie-bench/pcie-model, model/pcie.py and model/mem_bw.py). Published figures for
// MPS 256, MRRS 512, RCB 64, 64-bit addresses, no ECRC:
//   TLP-layer bandwidth: Gen3 x8 57.9 Gb/s, Gen4 x16 227.4 Gb/s, Gen5 x16 454.8 Gb/s;
//   effective bandwidth of 64-byte DMA on Gen3 x8: writes 42.1 Gb/s, reads 44.1 Gb/s.
// Each is reproduced within 1 % by a simulation whose only inputs are link params
// (docs/calibration.md says which come from the spec and which follow pcie-bench).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

// Memory far faster than any link here and mapped above 4 GiB, so the link is the bottleneck
// and every request carries a 4DW (64-bit address) header, as in the published figures.
constexpr const char* kMemory =
    "{size: 16GiB, latency: 100ns, channels: 8, channel_bandwidth: 128GB/s}";
constexpr uint64_t kBase = uint64_t{1} << 32;

// SKP Ordered Sets, PCIe Base 4.2.7.3 (Gen3 and later): one 16-symbol set every 370 to 375
// blocks of 16 symbols; the shortest interval, 370 blocks.
constexpr const char* kSkp = "skp_interval: 5920, skp_length: 16";

struct Figure {
  const char* name;
  unsigned gen, width;
  uint64_t dllp_interval;  // Ack latency limit, PCIe Base 5.0 Tables 3-7..3-9, for MPS 256
  uint64_t size;
  const char* op;
  bool tlp_layer;    // the TLP-layer bandwidth (wire bytes) rather than payload throughput
  double published;  // Gb/s
};

std::ostream& operator<<(std::ostream& os, const Figure& f) {
  return os << f.name;
}

const Figure kFigures[] = {
    {"tlp_gen3x8", 3, 8, 203, 4096, "write", true, 57.9},
    {"tlp_gen4x16", 4, 16, 168, 4096, "write", true, 227.4},
    {"tlp_gen5x16", 5, 16, 168, 4096, "write", true, 454.8},
    {"write64_gen3x8", 3, 8, 203, 64, "write", false, 42.1},
    {"read64_gen3x8", 3, 8, 203, 64, "read", false, 44.1},
};

class PcieBench : public testing::TestWithParam<Figure> {};

TEST_P(PcieBench, SimulatedBandwidthMatchesThePublishedFigure) {
  const Figure& f = GetParam();
  const std::string yaml =
      fmt::format(R"(
sim: {{seed: 1, duration: 100us, quantum: 1us}}
memory: {}
iommus:
  - {{name: iommu0, type: none}}
devices:
  - name: dma0
    type: generator
    rid: 0x0100
    link: {{gen: {}, width: {}, mps: 256, mrrs: 512, rcb: 64, completion_split: mps,
           dllp_interval: {}, {}}}
    workload: {{pattern: sequential, base: {:#x}, footprint: 64MiB, size: {}, op: {},
               outstanding: 256}}
)",
                  kMemory, f.gen, f.width, f.dllp_interval, kSkp, kBase, f.size, f.op);
  Platform pf(test::platform_config(yaml));
  pf.run();
  EXPECT_EQ(test::counter(pf.stats(), "dma0.errors"), 0u);
  const double active_ps = test::scalar(pf.stats(), "dma0.active_time");
  ASSERT_GT(active_ps, 0.0);
  double gbps;
  if (f.tlp_layer) {
    // Bytes/ps * 8e3 = Gb/s.
    gbps = static_cast<double>(test::counter(pf.stats(), "dma0.link.wire_up")) * 8e3 / active_ps;
  } else {
    gbps = test::scalar(pf.stats(), "dma0.throughput") * 8;  // GB/s -> Gb/s
  }
  // Printed for docs/calibration.md's table.
  fmt::print("{}: published {} Gb/s, simulated {:.2f} Gb/s ({:+.2f} %)\n", f.name, f.published,
             gbps, (gbps / f.published - 1) * 100);
  EXPECT_NEAR(gbps, f.published, f.published * 0.01) << "Gb/s";
}

INSTANTIATE_TEST_SUITE_P(Figures, PcieBench, testing::ValuesIn(kFigures),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace isim
