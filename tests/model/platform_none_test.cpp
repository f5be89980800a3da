// A platform built from a config with the `none` IOMMU: DMA from a scenario port reaches memory
// at the untranslated address, its latency is the memory's plus none's fixed hop latency, and
// the stats count what passed.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <numeric>
#include <optional>
#include <ostream>
#include <vector>

#include "hw/sc_time_util.h"
#include "models/devices/scenario_port.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

// Memory timing of every config below: 90 ns idle latency, 64 bytes in 4 ns at 16 GB/s.
constexpr Tick kMemLatency = 90'000;
constexpr Tick kLineTime = 4'000;
constexpr uint64_t kLine = 64;
constexpr uint64_t kMemSize = uint64_t{1} << 30;

std::string config_yaml(const std::string& none_params, bool with_port = true) {
  return fmt::format(
      R"(
sim: {{seed: 1, duration: 100us, quantum: 1us}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s, interleave: 4KiB}}
iommus:
  - name: iommu0
    type: none
    params: {}
{})",
      none_params,
      with_port ? "devices:\n  - {name: port0, type: scenario-port, rid: 0x0100}\n" : "");
}

std::vector<uint8_t> pattern(size_t n, uint8_t first) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}

DmaRequest dma(uint64_t addr, bool write) {
  DmaRequest r;
  r.rid = 0x0100;
  r.addr = addr;
  r.write = write;
  return r;
}

TEST(PlatformNone, DmaReachesMemoryAtTheUntranslatedAddress) {
  Platform pf(test::platform_config(config_yaml("{}")));
  ScenarioPort* port = pf.scenario_port("iommu0");
  ASSERT_NE(port, nullptr);
  const uint64_t wr_addr = 0x1234'5040;
  const uint64_t rd_addr = 0x0abc'0000;
  const auto written = pattern(kLine, 1);
  const auto stored = pattern(kLine, 100);
  ASSERT_TRUE(pf.memory().write(rd_addr, stored.data(), stored.size()));
  std::vector<uint8_t> got(kLine);
  ASSERT_TRUE(test::run_thread([&] {
    auto w = written;
    EXPECT_TRUE(port->issue(dma(wr_addr, true), w).ok());
    EXPECT_TRUE(port->issue(dma(rd_addr, false), got).ok());
  }));
  EXPECT_EQ(got, stored);
  std::vector<uint8_t> mem(kLine + 2);
  ASSERT_TRUE(pf.memory().read(wr_addr - 1, mem.data(), mem.size()));
  EXPECT_EQ(mem.front(), 0u);  // nothing outside the request was touched
  EXPECT_EQ(mem.back(), 0u);
  EXPECT_EQ(std::vector<uint8_t>(mem.begin() + 1, mem.end() - 1), written);
  EXPECT_EQ(pf.memory_module().device_accesses(), 2u);
}

struct HopCase {
  const char* params;  // none's params
  Tick hop_ps;         // the latency they configure, worked out by hand
};

void PrintTo(const HopCase& c, std::ostream* os) {
  *os << "none params " << c.params;
}

class PlatformNoneLatency : public testing::TestWithParam<HopCase> {};

TEST_P(PlatformNoneLatency, DmaLatencyIsMemoryLatencyPlusTheHop) {
  const HopCase c = GetParam();
  Platform pf(test::platform_config(config_yaml(c.params)));
  ScenarioPort* port = pf.scenario_port("iommu0");
  ASSERT_NE(port, nullptr);
  ASSERT_TRUE(test::run_thread([&] {
    const Tick expected = c.hop_ps + kLineTime + kMemLatency;
    std::vector<uint8_t> buf(kLine);
    for (bool write : {false, true}) {
      const Tick start = to_ticks(sc_core::sc_time_stamp());
      const DmaResult r = port->issue(dma(0x10'0000, write), buf);
      EXPECT_TRUE(r.ok());
      EXPECT_EQ(to_ticks(r.latency), expected) << (write ? "write" : "read");
      // The port waits for completion: simulated time moved by exactly the latency.
      EXPECT_EQ(to_ticks(sc_core::sc_time_stamp()) - start, expected);
    }
  }));
}

INSTANTIATE_TEST_SUITE_P(
    Hops, PlatformNoneLatency,
    testing::Values(HopCase{"{}", 0},                                      // default: no hop
                    HopCase{"{latency: 7ns}", 7'000},                      //
                    HopCase{"{latency: 3cycles}", 3'000},                  // default 1 GHz clock
                    HopCase{"{latency: 10cycles, clock: 500MHz}", 20'000}  // 10 x 2 ns
                    ));

TEST(PlatformNone, StatsCountRequestsAndBytes) {
  Platform pf(test::platform_config(config_yaml("{latency: 5ns}")));
  ScenarioPort* port = pf.scenario_port("iommu0");
  ASSERT_NE(port, nullptr);
  const std::vector<size_t> sizes = {4, 64, 128, 256};
  ASSERT_TRUE(test::run_thread([&] {
    uint64_t addr = 0x20'0000;
    for (size_t n : sizes) {
      std::vector<uint8_t> buf(n);
      EXPECT_TRUE(port->issue(dma(addr, true), buf).ok());
      EXPECT_TRUE(port->issue(dma(addr, false), buf).ok());
      addr += 0x1000;
    }
    std::vector<uint8_t> buf(kLine);
    const DmaResult bad = port->issue(dma(kMemSize, false), buf);
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(bad.status, tlm::TLM_ADDRESS_ERROR_RESPONSE);
  }));
  const uint64_t total = std::accumulate(sizes.begin(), sizes.end(), uint64_t{0});
  const stats::Group& s = pf.stats();
  EXPECT_EQ(test::counter(s, "iommu0.requests"), 2 * sizes.size() + 1);
  EXPECT_EQ(test::counter(s, "iommu0.bytes"), 2 * total + kLine);
  EXPECT_EQ(test::counter(s, "iommu0.errors"), 1u);
  EXPECT_EQ(test::counter(s, "port0.requests"), 2 * sizes.size() + 1);
  EXPECT_EQ(test::counter(s, "port0.faults"), 1u);
  EXPECT_EQ(test::counter(s, "memory.reads"), sizes.size());
  EXPECT_EQ(test::counter(s, "memory.writes"), sizes.size());
  EXPECT_EQ(test::counter(s, "memory.bytes_read"), total);
  EXPECT_EQ(test::counter(s, "memory.bytes_written"), total);
  // The bus maps exactly the configured memory, so it (not the memory) refuses the access.
  EXPECT_EQ(test::counter(s, "bus.decode_errors"), 1u);
  EXPECT_EQ(test::counter(s, "memory.errors"), 0u);
  EXPECT_EQ(pf.memory_module().device_accesses(), 2 * sizes.size());
}

TEST(PlatformNone, ScenarioPortsOptionAddsAPortPerIommu) {
  Platform pf(test::platform_config(config_yaml("{}", false)), PlatformOptions{true});
  ScenarioPort* port = pf.scenario_port("iommu0");
  ASSERT_NE(port, nullptr);
  const auto data = pattern(16, 9);
  ASSERT_TRUE(test::run_thread([&] {
    auto w = data;
    EXPECT_TRUE(port->issue(dma(0x3000, true), w).ok());
  }));
  std::vector<uint8_t> mem(data.size());
  ASSERT_TRUE(pf.memory().read(0x3000, mem.data(), mem.size()));
  EXPECT_EQ(mem, data);
  EXPECT_EQ(test::counter(pf.stats(), "iommu0_port.requests"), 1u);
  EXPECT_EQ(pf.iommu("iommu0")->mmio_size(), 0u);  // `none` has no register block
}

// A config may list no devices (load_platform accepts it), e.g. a CPU-only register test: an
// IOMMU's upstream socket must elaborate with no device bound.
TEST(PlatformNone, ElaboratesWithoutDevices) {
  Platform pf(test::platform_config(config_yaml("{}", false)));
  std::optional<uint64_t> got;
  ASSERT_TRUE(test::run_thread([&] { got = pf.cpu().read(0x1000, 8); }));
  EXPECT_EQ(got, std::optional<uint64_t>(0));
}

}  // namespace
}  // namespace isim
