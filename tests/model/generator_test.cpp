// The closed-loop DMA generator (models/devices/generator.h) on a `none` platform: request
// counts against the closed-loop analysis, the addresses each pattern touches, `count`, the
// op mix, `start`, and errors.
//
// The memory has one channel, so every request's timing follows from three figures: the idle
// latency L, the line transfer time T and the number of requests in flight N.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <ostream>
#include <set>
#include <vector>

#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

constexpr uint64_t kLine = 64;
constexpr uint64_t kBase = 0x10'0000;

struct MemTiming {
  Tick latency;      // L
  Tick line_time;    // T: kLine bytes at the channel bandwidth
  const char* yaml;  // the same figures as a memory section
};
// L = 100 ns; T = 64 B / 64 GB/s = 1 ns, or 64 B / 16 GB/s = 4 ns.
constexpr MemTiming kFastChannel{100'000, 1'000,
                                 "{size: 1GiB, latency: 100ns, channels: 1, "
                                 "channel_bandwidth: 64GB/s}"};
constexpr MemTiming kSlowChannel{100'000, 4'000,
                                 "{size: 1GiB, latency: 100ns, channels: 1, "
                                 "channel_bandwidth: 16GB/s}"};

std::string config_yaml(const MemTiming& mem, const std::string& duration,
                        const std::string& workload) {
  return fmt::format(R"(
sim: {{seed: 1, duration: {}, quantum: 1us}}
memory: {}
iommus:
  - {{name: iommu0, type: none}}
devices:
  - name: dma0
    type: generator
    rid: 0x0100
    workload: {{{}}}
)",
                     duration, mem.yaml, workload);
}

uint64_t stat(Platform& pf, std::string_view path) {
  return test::counter(pf.stats(), path);
}

class GeneratorLatencyBound : public testing::TestWithParam<unsigned> {};

// With (N-1)T <= L the channel never queues a steady-state request, so each of the N slots of
// the closed loop runs with period P = L + T: it issues at 0, then (slot k) at rP + kT for round
// r >= 1, and every request whose issue time is before the end of the run counts. When the
// offsets kT stay clear of the end of the run, every slot issues ceil(D / P) requests; compare
// the open-ended estimate N * D / P, which is within N / 2 here.
TEST_P(GeneratorLatencyBound, RequestCountMatchesTheClosedLoop) {
  const unsigned n = GetParam();
  const MemTiming m = kFastChannel;
  const Tick duration = 20'250'000;  // 20.25 us
  const Tick period = m.latency + m.line_time;
  const uint64_t rounds = (duration + period - 1) / period;
  ASSERT_LE((n - 1) * m.line_time, m.latency) << "the analysis assumes no steady-state queueing";
  ASSERT_LT((n - 1) * m.line_time, duration - (rounds - 1) * period)
      << "the analysis assumes every slot's last issue is before the end";

  Platform pf(test::platform_config(config_yaml(
      m, fmt::format("{}ps", duration),
      fmt::format("pattern: sequential, base: {:#x}, footprint: 1MiB, size: 64B, op: read, "
                  "outstanding: {}",
                  kBase, n))));
  pf.run();

  const uint64_t expected = n * rounds;
  EXPECT_EQ(stat(pf, "dma0.reads"), expected);
  EXPECT_NEAR(static_cast<double>(stat(pf, "dma0.reads")),
              static_cast<double>(n) * static_cast<double>(duration) / static_cast<double>(period),
              n / 2.0 + 1);
  EXPECT_EQ(stat(pf, "dma0.writes"), 0u);
  EXPECT_EQ(stat(pf, "dma0.bytes"), expected * kLine);
  EXPECT_EQ(stat(pf, "iommu0.requests"), expected);
  EXPECT_EQ(stat(pf, "memory.reads"), expected);
  // Latencies: the first round queues behind itself ((k+1)T + L for slot k), later rounds don't.
  const auto& lat = test::histogram(pf.stats(), "dma0.latency");
  EXPECT_EQ(lat.count(), expected);
  EXPECT_EQ(lat.min(), period);
  EXPECT_EQ(lat.max(), n * m.line_time + m.latency);
  // The last request (slot N-1, round rounds-1) completes at rounds * P + (N-1)T.
  EXPECT_EQ(test::scalar(pf.stats(), "dma0.active_time"),
            static_cast<double>(rounds * period + (n - 1) * m.line_time));
}

INSTANTIATE_TEST_SUITE_P(Outstanding, GeneratorLatencyBound, testing::Values(1u, 4u, 16u));

// With (N-1)T > L the channel is the bottleneck: it is busy from time 0 and request j finishes
// its transfer at (j+1)T and completes at (j+1)T + L, when request j+N issues. The run issues the
// first N at 0 and request N-1+i at iT + L for every i >= 1 with iT + L < D.
TEST(Generator, BandwidthBoundLoopIssuesOneRequestPerTransferTime) {
  const MemTiming m = kSlowChannel;
  const unsigned n = 64;
  const Tick duration = 20'002'000;  // 20.002 us
  ASSERT_GT((n - 1) * m.line_time, m.latency);
  Platform pf(test::platform_config(config_yaml(
      m, fmt::format("{}ps", duration),
      fmt::format("pattern: sequential, base: {:#x}, footprint: 1MiB, size: 64B, op: read, "
                  "outstanding: {}",
                  kBase, n))));
  pf.run();

  const uint64_t later = (duration - m.latency + m.line_time - 1) / m.line_time - 1;
  const uint64_t expected = n + later;
  EXPECT_EQ(stat(pf, "dma0.reads"), expected);
  EXPECT_EQ(stat(pf, "memory.channel0.busy"), expected * m.line_time);
  // The last request issued at later*T + L, queued until the channel was free at (expected-1)T.
  EXPECT_EQ(test::scalar(pf.stats(), "dma0.active_time"),
            static_cast<double>(expected * m.line_time + m.latency));
}

// Open loop: request n is due at n * (1 / rate) whatever the completions; with enough slots
// none is late and `duration` stops the issue.
TEST(Generator, OpenLoopIssuesAtTheRateForTheDuration) {
  Platform pf(test::platform_config(config_yaml(
      kFastChannel, "20us",
      fmt::format("pattern: sequential, base: {:#x}, footprint: 1MiB, size: 64B, op: read, "
                  "outstanding: 32, rate: 10000000, duration: 5us",
                  kBase))));
  pf.run();
  EXPECT_EQ(stat(pf, "dma0.reads"), 50u) << "one every 100 ns for 5 us";
  EXPECT_EQ(stat(pf, "dma0.late"), 0u);
  // The last one issued at 4.9 us and took L + T.
  EXPECT_EQ(test::scalar(pf.stats(), "dma0.active_time"),
            static_cast<double>(4'900'000 + kFastChannel.latency + kFastChannel.line_time));
}

// With one slot and a latency above the interval, every request after the first waits for the
// previous one: late, and the issue rate falls to 1 / (L + T).
TEST(Generator, OpenLoopCountsRequestsHeldBackByTheOutstandingLimit) {
  Platform pf(test::platform_config(config_yaml(
      kFastChannel, "1010ns",
      fmt::format("pattern: sequential, base: {:#x}, footprint: 1MiB, size: 64B, op: read, "
                  "outstanding: 1, rate: 20000000",
                  kBase))));
  pf.run();
  EXPECT_EQ(stat(pf, "dma0.reads"), 10u) << "issued at 0, P, ..., 9P < 1010 ns";
  EXPECT_EQ(stat(pf, "dma0.late"), 9u);
}

// The nic pattern with op write is a receive ring: per packet a descriptor read, the packet
// written into its buffer, the descriptor written back.
TEST(Generator, NicRingReceivesPackets) {
  Platform pf(test::platform_config(config_yaml(
      kFastChannel, "100us",
      fmt::format("pattern: nic, base: {:#x}, footprint: 1MiB, size: 1500B, stride: 2KiB, "
                  "ring_entries: 8, op: write, outstanding: 4, count: 30",
                  kBase))));
  pf.run();
  EXPECT_EQ(stat(pf, "dma0.reads"), 10u);
  EXPECT_EQ(stat(pf, "dma0.writes"), 20u);
  EXPECT_EQ(stat(pf, "dma0.bytes"), 10u * (16 + 1500 + 16));
  EXPECT_EQ(stat(pf, "memory.bytes_written"), 10u * (1500 + 16));
}

class GeneratorRunEnd : public testing::TestWithParam<Tick> {};

// One request in flight issues every P = L + T. With the run lasting exactly K periods the
// request that would issue at K * P (the end) does not; one picosecond more and it does.
TEST_P(GeneratorRunEnd, NoRequestIssuesAtOrAfterTheEnd) {
  const MemTiming m = kFastChannel;
  const Tick extra = GetParam();
  const uint64_t periods = 100;
  const Tick duration = periods * (m.latency + m.line_time) + extra;
  Platform pf(test::platform_config(config_yaml(
      m, fmt::format("{}ps", duration),
      fmt::format("pattern: sequential, base: {:#x}, footprint: 1MiB, size: 64B, op: read, "
                  "outstanding: 1",
                  kBase))));
  pf.run();
  EXPECT_EQ(stat(pf, "dma0.reads"), periods + (extra > 0 ? 1 : 0));
}

INSTANTIATE_TEST_SUITE_P(Boundary, GeneratorRunEnd, testing::Values(Tick{0}, Tick{1}));

TEST(Generator, CountLimitsTheRequests) {
  Platform pf(test::platform_config(config_yaml(
      kFastChannel, "50us",
      fmt::format("pattern: random, base: {:#x}, footprint: 1MiB, size: 64B, op: write, "
                  "outstanding: 4, count: 10",
                  kBase))));
  pf.run();
  EXPECT_EQ(stat(pf, "dma0.writes"), 10u);
  EXPECT_EQ(stat(pf, "dma0.reads"), 0u);
  EXPECT_EQ(stat(pf, "memory.writes"), 10u);
  EXPECT_EQ(stat(pf, "iommu0.requests"), 10u);
}

// A burst of exactly N requests all issue at 0 and queue on the one channel: request k waits
// for the k transfers before it.
TEST(Generator, ABurstQueuesOnTheChannel) {
  const MemTiming m = kFastChannel;
  const unsigned n = 8;
  Platform pf(test::platform_config(config_yaml(
      m, "10us",
      fmt::format("pattern: sequential, base: {:#x}, footprint: 1MiB, size: 64B, op: read, "
                  "outstanding: {}, count: {}",
                  kBase, n, n))));
  pf.run();
  const auto& lat = test::histogram(pf.stats(), "dma0.latency");
  EXPECT_EQ(lat.count(), n);
  EXPECT_EQ(lat.min(), m.line_time + m.latency);
  EXPECT_EQ(lat.max(), n * m.line_time + m.latency);
  EXPECT_EQ(test::scalar(pf.stats(), "dma0.active_time"),
            static_cast<double>(n * m.line_time + m.latency));
  EXPECT_EQ(stat(pf, "memory.channel0.wait"), m.line_time * n * (n - 1) / 2);
}

// One more request than the loop allows issues when the first completes and finds the channel
// idle again.
TEST(Generator, BurstPlusOne) {
  const MemTiming m = kFastChannel;
  const unsigned n = 8;
  ASSERT_LE((n - 2) * m.line_time, m.latency);
  Platform pf(test::platform_config(config_yaml(
      m, "10us",
      fmt::format("pattern: sequential, base: {:#x}, footprint: 1MiB, size: 64B, op: read, "
                  "outstanding: {}, count: {}",
                  kBase, n, n + 1))));
  pf.run();
  // Request N issues at T + L (the first completion) and completes at 2(T + L).
  const Tick period = m.latency + m.line_time;
  EXPECT_EQ(test::scalar(pf.stats(), "dma0.active_time"), static_cast<double>(2 * period));
  EXPECT_EQ(test::histogram(pf.stats(), "dma0.latency").min(), period);
  EXPECT_EQ(stat(pf, "dma0.reads"), n + 1);
}

TEST(Generator, StartDelaysTheFirstRequest) {
  const MemTiming m = kFastChannel;
  Platform pf(test::platform_config(config_yaml(
      m, "10us",
      fmt::format("pattern: sequential, base: {:#x}, footprint: 1MiB, size: 64B, op: read, "
                  "outstanding: 1, count: 1, start: 3us",
                  kBase))));
  pf.run();
  EXPECT_EQ(test::scalar(pf.stats(), "dma0.active_time"),
            static_cast<double>(3'000'000 + m.line_time + m.latency));
}

/// Lines of [lo, hi) (kLine each) that no longer hold the fill byte everywhere.
std::set<uint64_t> lines_changed(Platform& pf, uint64_t lo, uint64_t hi, uint8_t fill) {
  std::set<uint64_t> changed;
  std::vector<uint8_t> line(kLine);
  const std::vector<uint8_t> filled(kLine, fill);
  for (uint64_t a = lo; a < hi; a += kLine) {
    EXPECT_TRUE(pf.memory().read(a, line.data(), line.size()));
    if (line != filled) changed.insert(a);
  }
  return changed;
}

/// Fills [lo, hi) with `fill` so that any line a write workload touches shows.
void fill_memory(Platform& pf, uint64_t lo, uint64_t hi, uint8_t fill) {
  const std::vector<uint8_t> bytes(hi - lo, fill);
  ASSERT_TRUE(pf.memory().write(lo, bytes.data(), bytes.size()));
}

constexpr uint8_t kFill = 0xa5;
constexpr uint64_t kFootprintLines = 16;
constexpr uint64_t kFootprint = kFootprintLines * kLine;
// Watch a margin of lines on both sides of the footprint.
constexpr uint64_t kLo = kBase - 4 * kLine;
constexpr uint64_t kHi = kBase + kFootprint + 4 * kLine;

std::string write_workload(const std::string& pattern, uint64_t count, unsigned outstanding = 4) {
  return fmt::format(
      "pattern: {}, base: {:#x}, footprint: {}, size: 64B, stride: 256B, op: write, "
      "outstanding: {}, count: {}",
      pattern, kBase, kFootprint, outstanding, count);
}

TEST(Generator, SequentialWritesCoverTheFootprintAndWrap) {
  // Two and a half passes over the footprint: every line written, nothing outside it.
  const uint64_t count = kFootprintLines * 5 / 2;
  Platform pf(test::platform_config(
      config_yaml(kFastChannel, "50us", write_workload("sequential", count))));
  fill_memory(pf, kLo, kHi, kFill);
  pf.run();
  std::set<uint64_t> want;
  for (uint64_t i = 0; i < kFootprintLines; ++i) want.insert(kBase + i * kLine);
  EXPECT_EQ(lines_changed(pf, kLo, kHi, kFill), want);
  EXPECT_EQ(stat(pf, "memory.writes"), count);
  EXPECT_EQ(stat(pf, "memory.bytes_written"), count * kLine);
  EXPECT_EQ(stat(pf, "dma0.writes"), count);
}

TEST(Generator, SequentialWritesInOrder) {
  // Fewer requests than lines: exactly the first `count` lines, in address order.
  const uint64_t count = 5;
  Platform pf(test::platform_config(
      config_yaml(kFastChannel, "50us", write_workload("sequential", count, 1))));
  fill_memory(pf, kLo, kHi, kFill);
  pf.run();
  std::set<uint64_t> want;
  for (uint64_t i = 0; i < count; ++i) want.insert(kBase + i * kLine);
  EXPECT_EQ(lines_changed(pf, kLo, kHi, kFill), want);
}

TEST(Generator, StridedWritesTouchOneLinePerStride) {
  // One pass of a 256-byte stride over 1 KiB: the first line of each 256-byte block.
  const uint64_t count = kFootprint / 256;
  Platform pf(
      test::platform_config(config_yaml(kFastChannel, "50us", write_workload("strided", count))));
  fill_memory(pf, kLo, kHi, kFill);
  pf.run();
  std::set<uint64_t> want;
  for (uint64_t off = 0; off < kFootprint; off += 256) want.insert(kBase + off);
  EXPECT_EQ(lines_changed(pf, kLo, kHi, kFill), want);
}

TEST(Generator, RandomWritesStayInsideTheFootprint) {
  const uint64_t count = 400;
  Platform pf(
      test::platform_config(config_yaml(kFastChannel, "50us", write_workload("random", count))));
  fill_memory(pf, kLo, kHi, kFill);
  pf.run();
  const auto changed = lines_changed(pf, kLo, kHi, kFill);
  ASSERT_FALSE(changed.empty());
  EXPECT_GE(*changed.begin(), kBase);
  EXPECT_LT(*changed.rbegin(), kBase + kFootprint);
  // 400 uniform draws over 16 lines miss a given line with probability (15/16)^400 ~ 6e-12.
  EXPECT_EQ(changed.size(), kFootprintLines);
  EXPECT_EQ(stat(pf, "memory.writes"), count);
}

struct MixCase {
  double write_fraction;
  uint64_t min_writes;
  uint64_t max_writes;
};

void PrintTo(const MixCase& c, std::ostream* os) {
  *os << "write_fraction_" << c.write_fraction;
}

class GeneratorMix : public testing::TestWithParam<MixCase> {};

TEST_P(GeneratorMix, WriteFractionSetsTheShareOfWrites) {
  const MixCase c = GetParam();
  const uint64_t count = 2000;
  Platform pf(test::platform_config(
      config_yaml(kFastChannel, "100us",
                  fmt::format("pattern: random, base: {:#x}, footprint: 1MiB, size: 64B, op: mix, "
                              "write_fraction: {}, outstanding: 8, count: {}",
                              kBase, c.write_fraction, count))));
  pf.run();
  const uint64_t writes = stat(pf, "dma0.writes");
  EXPECT_EQ(writes + stat(pf, "dma0.reads"), count);
  EXPECT_GE(writes, c.min_writes);
  EXPECT_LE(writes, c.max_writes);
  EXPECT_EQ(stat(pf, "memory.writes"), writes);
}

// Bounds for 0.25: 500 expected, standard deviation ~19; +-5 sigma.
INSTANTIATE_TEST_SUITE_P(Fractions, GeneratorMix,
                         testing::Values(MixCase{0.0, 0, 0}, MixCase{1.0, 2000, 2000},
                                         MixCase{0.25, 400, 600}));

TEST(Generator, RequestsOutsideMemoryCountAsErrors) {
  Platform pf(test::platform_config(
      config_yaml(kFastChannel, "10us",
                  "pattern: sequential, base: 0x80000000, footprint: 4KiB, size: 64B, op: read, "
                  "outstanding: 2, count: 6")));
  pf.run();
  EXPECT_EQ(stat(pf, "dma0.errors"), 6u);
  EXPECT_EQ(stat(pf, "dma0.reads"), 0u);
  EXPECT_EQ(stat(pf, "dma0.bytes"), 0u);
  EXPECT_EQ(stat(pf, "iommu0.errors"), 6u);
  EXPECT_EQ(stat(pf, "bus.decode_errors"), 6u);
}

// Each device's thread lives in its own module scope, so two devices' threads do not collide
// (a collision would rename one "run_0" at the top of the hierarchy with a SystemC warning).
TEST(Generator, EachDeviceThreadIsNamedInsideItsDevice) {
  Platform pf(test::platform_config(R"(
memory: {size: 4GiB}
iommus: [{name: iommu0, type: none}]
devices:
  - {name: g0, type: generator, rid: 0x100, workload: {count: 4}}
  - {name: g1, type: generator, rid: 0x200, workload: {count: 4}}
)"));
  EXPECT_NE(sc_core::sc_find_object("g0.thread"), nullptr);
  EXPECT_NE(sc_core::sc_find_object("g1.thread"), nullptr);
  EXPECT_EQ(sc_core::sc_find_object("thread"), nullptr);
  EXPECT_EQ(sc_core::sc_find_object("run"), nullptr);
  ASSERT_TRUE(test::run_thread([] { sc_core::wait(1, sc_core::SC_US); }));
  EXPECT_EQ(test::counter(pf.stats(), "g0.reads"), 4u);
  EXPECT_EQ(test::counter(pf.stats(), "g1.reads"), 4u);
}

}  // namespace
}  // namespace isim
