// The CPU port (src/sim/cpu_port.h): loads and stores through the system bus to memory, with
// the memory's timing, and bus errors for unmapped addresses.
#include "sim/cpu_port.h"

#include <gtest/gtest.h>

#include <optional>

#include "hw/sc_time_util.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

// 90 ns idle latency; 8 bytes move in 0.5 ns and 4 bytes in 0.25 ns at 16 GB/s.
constexpr Tick kMemLatency = 90'000;
constexpr Tick kWordTime8 = 500;
constexpr Tick kWordTime4 = 250;

const char* const kConfig = R"(
sim: {seed: 1, duration: 100us, quantum: 1us}
memory: {size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}
iommus:
  - {name: iommu0, type: none}
devices:
  - {name: port0, type: scenario-port, rid: 0x0100}
)";

Tick now() {
  return to_ticks(sc_core::sc_time_stamp());
}

TEST(CpuPort, StoresAndLoadsReachMemoryWithItsTiming) {
  Platform pf(test::platform_config(kConfig));
  CpuPort& cpu = pf.cpu();
  ASSERT_TRUE(test::run_thread([&] {
    Tick t = now();
    EXPECT_TRUE(cpu.write(0x1000, 8, 0x0123'4567'89ab'cdef));
    EXPECT_EQ(now() - t, kMemLatency + kWordTime8);
    t = now();
    EXPECT_EQ(cpu.read(0x1000, 8), std::optional<uint64_t>(0x0123'4567'89ab'cdef));
    EXPECT_EQ(now() - t, kMemLatency + kWordTime8);
    t = now();
    EXPECT_EQ(cpu.read(0x1000, 4), std::optional<uint64_t>(0x89ab'cdef));  // the low word
    EXPECT_EQ(now() - t, kMemLatency + kWordTime4);
    EXPECT_TRUE(cpu.write(0x1004, 4, 0xfeed'f00d));
    EXPECT_EQ(cpu.read(0x1000, 8), std::optional<uint64_t>(0xfeed'f00d'89ab'cdef));
  }));
  uint64_t stored = 0;
  ASSERT_TRUE(pf.memory().read(0x1000, &stored, sizeof stored));
  EXPECT_EQ(stored, 0xfeed'f00d'89ab'cdefu);
  EXPECT_EQ(test::counter(pf.stats(), "memory.writes"), 2u);
  EXPECT_EQ(test::counter(pf.stats(), "memory.reads"), 3u);
  EXPECT_EQ(test::counter(pf.stats(), "memory.bytes_read"), 8u + 4u + 8u);
  // The CPU is not a device: none of this is DMA.
  EXPECT_EQ(pf.memory_module().device_accesses(), 0u);
}

TEST(CpuPort, SeesDataLoadedIntoMemory) {
  Platform pf(test::platform_config(kConfig));
  const uint64_t value = 0x5555'aaaa'1234'4321;
  ASSERT_TRUE(pf.memory().write(0x20'0008, &value, sizeof value));
  std::optional<uint64_t> got;
  ASSERT_TRUE(test::run_thread([&] { got = pf.cpu().read(0x20'0008, 8); }));
  EXPECT_EQ(got, std::optional<uint64_t>(value));
}

TEST(CpuPort, UnmappedAddressIsABusError) {
  Platform pf(test::platform_config(kConfig));
  ASSERT_TRUE(test::run_thread([&] {
    const Tick t = now();
    EXPECT_EQ(pf.cpu().read(uint64_t{1} << 30, 8), std::nullopt);   // just past memory
    EXPECT_FALSE(pf.cpu().write(Platform::kMmioWindowBase, 4, 1));  // `none` maps no registers
    EXPECT_EQ(now(), t);                                            // errors took no time
  }));
  EXPECT_EQ(test::counter(pf.stats(), "bus.decode_errors"), 2u);
  EXPECT_EQ(test::counter(pf.stats(), "memory.reads"), 0u);
}

TEST(CpuPort, QueuesBehindOtherTrafficOnTheSameChannel) {
  // A DMA-sized access books the channel first; the CPU's load behind it waits for the transfer.
  Platform pf(test::platform_config(kConfig));
  ASSERT_TRUE(test::run_thread([&] {
    // Another initiator's 256 bytes take 16 ns at 16 GB/s on channel 0.
    pf.memory_module().access_time(0x0, 256, now());
    const Tick t = now();
    EXPECT_TRUE(pf.cpu().read(0x40, 8).has_value());
    EXPECT_EQ(now() - t, 16'000 + kWordTime8 + kMemLatency);
  }));
}

}  // namespace
}  // namespace isim
