// The DRAM target (src/hw/memory.h): exact completion times, channel queueing and interleaving,
// errors, data, debug transport and the device-access count.
#include "hw/memory.h"

#include <gtest/gtest.h>

#include <array>
#include <numeric>
#include <ostream>
#include <vector>

#include "hw/sc_time_util.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

using test::Initiator;
using test::ps;
using tlm::TLM_READ_COMMAND;
using tlm::TLM_WRITE_COMMAND;

constexpr uint64_t kMiB = uint64_t{1} << 20;

// The bench's memory: 64 bytes move in exactly 4 ns at 16 GB/s, so every expected time below is
// a whole number of picoseconds.
constexpr Tick kLatency = 50'000;    // 50 ns idle latency
constexpr double kBandwidth = 16e9;  // bytes per second per channel
constexpr uint64_t kLine = 64;       // request size
constexpr Tick kLineTime = 4'000;    // 64 B / 16 GB/s
constexpr uint64_t kInterleave = 4096;
constexpr unsigned kChannels = 4;
constexpr uint64_t kSize = 256 * kMiB;

MemoryParams bench_params() {
  MemoryParams p;
  p.size = kSize;
  p.latency = Latency::ps(kLatency);
  p.channels = kChannels;
  p.channel_bandwidth = cfg::Bandwidth{kBandwidth};
  p.interleave = kInterleave;
  return p;
}

/// One memory with one initiator in front of it.
struct Bench {
  explicit Bench(const MemoryParams& p = bench_params()) : mem("memory", p, root) {
    init.socket.bind(mem.socket);
  }

  /// A `bytes`-long read at `addr` issued at local offset `offset`; returns the completion
  /// offset (the annotated delay) and expects success.
  Tick read(uint64_t addr, uint64_t bytes = kLine, Tick offset = 0) {
    std::vector<uint8_t> buf(bytes);
    sc_core::sc_time delay = ps(offset);
    EXPECT_EQ(init.transport(TLM_READ_COMMAND, addr, buf, delay), tlm::TLM_OK_RESPONSE) << addr;
    return to_ticks(delay);
  }

  uint64_t stat(std::string_view path) const { return test::counter(root, path); }

  stats::Group root{"system"};
  Memory mem;
  Initiator init{"init"};
};

TEST(Memory, SingleReadTakesIdleLatencyPlusTransfer) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    EXPECT_EQ(b.read(0x40), kLatency + kLineTime);
    // 8 bytes move in an eighth of the line time, on an idle channel (another granule).
    EXPECT_EQ(b.read(kInterleave, 8), kLatency + kLineTime / 8);
  }));
  EXPECT_EQ(b.stat("memory.reads"), 2u);
  EXPECT_EQ(b.stat("memory.bytes_read"), kLine + 8);
  EXPECT_EQ(b.stat("memory.writes"), 0u);
  EXPECT_EQ(b.stat("memory.errors"), 0u);
}

TEST(Memory, CompletionIsRelativeToTheInitiatorsLocalTime) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    // Temporal decoupling: an initiator 7 ns ahead of the kernel arrives 7 ns later.
    EXPECT_EQ(b.read(0, kLine, 7'000), 7'000 + kLineTime + kLatency);
  }));
}

TEST(Memory, BackToBackRequestsOnOneChannelQueue) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    const uint64_t same_granule = kLine;  // next line of the same interleave granule
    EXPECT_EQ(b.read(0), kLineTime + kLatency);
    EXPECT_EQ(b.read(same_granule), 2 * kLineTime + kLatency);
    // A third request, one line time late, queues behind the second only.
    EXPECT_EQ(b.read(2 * kLine, kLine, kLineTime), 3 * kLineTime + kLatency);
  }));
  const auto& q = test::histogram(b.root, "memory.queue_delay");
  EXPECT_EQ(q.count(), 3u);
  EXPECT_EQ(q.max(), kLineTime);
  EXPECT_EQ(b.stat("memory.channel0.wait"), 2 * kLineTime);
  EXPECT_EQ(b.stat("memory.channel0.busy"), 3 * kLineTime);
  EXPECT_EQ(b.stat("memory.channel1.busy"), 0u);
}

TEST(Memory, ArrivalAfterKernelTimeAdvancesSeesThePartlyBusyChannel) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    EXPECT_EQ(b.read(0), kLineTime + kLatency);  // channel 0 busy until kLineTime
    sc_core::wait(ps(kLineTime / 4));
    // Arrives at kLineTime/4 with no local offset, waits the remaining 3/4 line time.
    EXPECT_EQ(b.read(kLine), kLineTime * 3 / 4 + kLineTime + kLatency);
  }));
}

TEST(Memory, RequestsToDifferentChannelsDoNotQueue) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    for (unsigned c = 0; c < kChannels; ++c)
      EXPECT_EQ(b.read(c * kInterleave + 128), kLineTime + kLatency) << "channel " << c;
    // The granule after the last channel maps to channel 0 again, which is busy.
    EXPECT_EQ(b.read(kChannels * kInterleave), 2 * kLineTime + kLatency);
  }));
  for (unsigned c = 0; c < kChannels; ++c)
    EXPECT_EQ(b.stat("memory.channel" + std::to_string(c) + ".busy"), (c == 0 ? 2 : 1) * kLineTime)
        << c;
}

TEST(Memory, InterleaveGranuleIsAParameter) {
  MemoryParams p = bench_params();
  p.channels = 2;
  p.interleave = 256;
  Bench b(p);
  ASSERT_TRUE(test::run_thread([&] {
    EXPECT_EQ(b.read(0), kLineTime + kLatency);        // channel 0
    EXPECT_EQ(b.read(192), 2 * kLineTime + kLatency);  // still the first granule: queues
    EXPECT_EQ(b.read(256), kLineTime + kLatency);      // channel 1
    EXPECT_EQ(b.read(512), 3 * kLineTime + kLatency);  // channel 0 again
  }));
}

TEST(Memory, FractionalTransferTimesDoNotDrift) {
  // 19.2 GB/s: a 64-byte line takes 3333 1/3 ps. Back-to-back lines end exactly at
  // floor(k * 64 B / 19.2 GB/s) -- no per-request rounding error accumulates.
  MemoryParams p = bench_params();
  p.channel_bandwidth = cfg::Bandwidth{19.2e9};
  Bench b(p);
  constexpr uint64_t kRequests = 100;
  ASSERT_TRUE(test::run_thread([&] {
    for (uint64_t k = 1; k <= kRequests; ++k) {
      const Tick exact = k * kLine * 1'000'000'000'000 / 19'200'000'000;
      EXPECT_EQ(b.read(0), exact + kLatency) << "request " << k;
    }
  }));
}

TEST(Memory, OutOfRangeAccessIsAnAddressError) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    std::vector<uint8_t> buf(kLine);
    for (uint64_t addr : {kSize, kSize - kLine / 2, ~uint64_t{0} - 8}) {
      sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
      EXPECT_EQ(b.init.transport(TLM_READ_COMMAND, addr, buf, delay),
                tlm::TLM_ADDRESS_ERROR_RESPONSE)
          << addr;
      EXPECT_EQ(delay, sc_core::SC_ZERO_TIME);
    }
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(b.init.transport(TLM_WRITE_COMMAND, kSize, buf, delay),
              tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // The last line of memory is fine.
    EXPECT_EQ(b.read(kSize - kLine), kLineTime + kLatency);
  }));
  EXPECT_EQ(b.stat("memory.errors"), 4u);
  EXPECT_EQ(b.stat("memory.reads"), 1u);
  EXPECT_EQ(b.stat("memory.writes"), 0u);
}

TEST(Memory, ByteEnablesAreRejected) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    std::vector<uint8_t> buf(8), be(8, 0xff);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(b.init.transport(TLM_WRITE_COMMAND, 0, buf, delay, nullptr, be.data()),
              tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  }));
  EXPECT_EQ(b.stat("memory.writes"), 0u);
}

TEST(Memory, WrittenDataReadsBack) {
  Bench b;
  std::vector<uint8_t> pattern(200);
  std::iota(pattern.begin(), pattern.end(), uint8_t{7});
  // Crosses a 4 KiB page of the sparse store.
  const uint64_t addr = 5 * kInterleave - 100;
  ASSERT_TRUE(test::run_thread([&] {
    std::vector<uint8_t> w = pattern;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    ASSERT_EQ(b.init.transport(TLM_WRITE_COMMAND, addr, w, delay), tlm::TLM_OK_RESPONSE);
    std::vector<uint8_t> r(pattern.size(), 0);
    ASSERT_EQ(b.init.transport(TLM_READ_COMMAND, addr, r, delay), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(r, pattern);
  }));
  std::vector<uint8_t> stored(pattern.size());
  ASSERT_TRUE(b.mem.store().read(addr, stored.data(), stored.size()));
  EXPECT_EQ(stored, pattern);
  EXPECT_EQ(b.stat("memory.bytes_written"), pattern.size());
  EXPECT_EQ(b.stat("memory.bytes_read"), pattern.size());
}

TEST(Memory, DebugTransportMovesDataWithoutTimeOrStats) {
  Bench b;
  const std::array<uint8_t, 16> data = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  ASSERT_TRUE(test::run_thread([&] {
    std::array<uint8_t, 16> w = data;
    tlm::tlm_response_status st{};
    EXPECT_EQ(b.init.debug(TLM_WRITE_COMMAND, 0x2000, w, &st), w.size());
    EXPECT_EQ(st, tlm::TLM_OK_RESPONSE);
    std::array<uint8_t, 16> r{};
    EXPECT_EQ(b.init.debug(TLM_READ_COMMAND, 0x2000, r, &st), r.size());
    EXPECT_EQ(r, data);
    EXPECT_EQ(b.init.debug(TLM_READ_COMMAND, kSize, r, &st), 0u);
    EXPECT_EQ(st, tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // The debug accesses booked no channel time: a timed read finds channel 0 idle.
    EXPECT_EQ(b.read(0x2000), kLineTime + kLatency);
  }));
  std::array<uint8_t, 16> stored{};
  ASSERT_TRUE(b.mem.store().read(0x2000, stored.data(), stored.size()));
  EXPECT_EQ(stored, data);
  EXPECT_EQ(b.stat("memory.reads"), 1u);  // the timed one only
  EXPECT_EQ(b.stat("memory.writes"), 0u);
  EXPECT_EQ(b.stat("memory.errors"), 0u);
}

TEST(Memory, DeviceAccessesCountOnlyPayloadsWithDmaAttrs) {
  Bench b;
  ASSERT_TRUE(test::run_thread([&] {
    std::vector<uint8_t> buf(kLine);
    DmaAttrs attrs;
    attrs.rid = 0x100;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(b.init.transport(TLM_READ_COMMAND, 0, buf, delay, &attrs), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.init.transport(TLM_WRITE_COMMAND, 0, buf, delay, &attrs), tlm::TLM_OK_RESPONSE);
    for (int i = 0; i < 2; ++i)
      EXPECT_EQ(b.init.transport(TLM_READ_COMMAND, 0, buf, delay), tlm::TLM_OK_RESPONSE);
    // A device access that fails never reached memory.
    EXPECT_EQ(b.init.transport(TLM_READ_COMMAND, kSize, buf, delay, &attrs),
              tlm::TLM_ADDRESS_ERROR_RESPONSE);
  }));
  EXPECT_EQ(b.mem.device_accesses(), 4u);
  EXPECT_EQ(b.stat("memory.reads"), 5u);
  EXPECT_EQ(b.stat("memory.writes"), 1u);
}

struct CyclesCase {
  uint64_t cycles;
  double mhz;
  Tick expected_ps;  // cycles / clock, worked out by hand
};

void PrintTo(const CyclesCase& c, std::ostream* os) {
  *os << c.cycles << "cycles_at_" << c.mhz << "MHz";
}

class MemoryCycles : public testing::TestWithParam<CyclesCase> {};

TEST_P(MemoryCycles, LatencyInCyclesUsesTheMemoryClock) {
  const CyclesCase c = GetParam();
  MemoryParams p = bench_params();
  p.latency = Latency::in_cycles(c.cycles);
  p.clock = cfg::Frequency{c.mhz};
  Bench b(p);
  ASSERT_TRUE(test::run_thread([&] { EXPECT_EQ(b.read(0), c.expected_ps + kLineTime); }));
}

INSTANTIATE_TEST_SUITE_P(Clocks, MemoryCycles,
                         testing::Values(CyclesCase{100, 1600, 62'500},   // 100 / 1.6 GHz
                                         CyclesCase{100, 800, 125'000},   // 100 / 800 MHz
                                         CyclesCase{36, 2400, 15'000}));  // 36 / 2.4 GHz

}  // namespace
}  // namespace isim
