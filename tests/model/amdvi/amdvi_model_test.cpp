// The AMD-Vi SystemC model in a platform: programmed through memory and its registers (CPU
// port), DMA from a scenario port. Checks the latency of each translation path (IOTLB hit,
// page-directory cache hit, full walk), the walk statistics, command-buffer timing and the
// determinism of the stats.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <vector>

#include "hw/sc_time_util.h"
#include "models/devices/scenario_port.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

// 1 GHz IOMMU clock: a cycle is 1 ns. Lookups take 2 cycles, each walk read 8 cycles of
// walker work on top of its memory time (>= 90 ns).
constexpr Tick kNs = 1000;
constexpr Tick kMemLatency = 90 * kNs;
constexpr Tick kWalkRead = kMemLatency + 8 * kNs;
constexpr uint16_t kRid = 0x0010;

constexpr const char* kMemory =
    "{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}";

std::string config(unsigned walkers = 4, const std::string& memory = kMemory) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 100us, quantum: 1us}}
memory: {}
iommus:
  - name: iommu0
    type: amdvi
    params: {{clock: 1GHz, walkers: {}}}
devices:
  - {{name: port0, type: scenario-port, rid: 0x0010}}
)",
                     memory, walkers);
}

void write64(Platform& pf, uint64_t addr, uint64_t v) {
  ASSERT_TRUE(pf.memory().write(addr, &v, sizeof v));
}

/// A Mode 3 table for domain 5 mapping VA 0x40000 + n * 4 KiB -> 0x1000000 + n * 4 KiB
/// (n < 16), DTE 0x10 pointing at it.
void build_tables(Platform& pf) {
  write64(pf, 0x300000, 0x6000000000301401);
  write64(pf, 0x301000, 0x6000000000302201);
  for (uint64_t n = 0; n < 16; ++n) write64(pf, 0x302200 + 8 * n, 0x6000000001000001 + n * 0x1000);
  write64(pf, 0x100200, 0x6000000000300603);
  write64(pf, 0x100208, 0x5);
}

/// Enables the unit through its registers (device table, command buffer, event log, enables).
void enable(Platform& pf) {
  const uint64_t base = pf.mmio_base("iommu0");
  CpuPort& cpu = pf.cpu();
  ASSERT_TRUE(cpu.write(base + 0x0, 8, 0x100001));
  ASSERT_TRUE(cpu.write(base + 0x8, 8, 0x0800000000200000));
  ASSERT_TRUE(cpu.write(base + 0x10, 8, 0x0800000000210000));
  ASSERT_TRUE(cpu.write(base + 0x18, 8, 0x1005));
}

DmaRequest read_at(uint64_t va) {
  DmaRequest r;
  r.rid = kRid;
  r.addr = va;
  return r;
}

TEST(AmdviModel, EachTranslationPathCostsWhatItReads) {
  Platform pf(test::platform_config(config()));
  build_tables(pf);
  ScenarioPort* port = pf.scenario_port("iommu0");
  ASSERT_NE(port, nullptr);
  Tick miss = 0, hit = 0, pde_hit = 0;
  ASSERT_TRUE(test::run_thread([&] {
    enable(pf);
    std::vector<uint8_t> buf(8);
    const DmaResult a = port->issue(read_at(0x40000), buf);
    const DmaResult b = port->issue(read_at(0x40008), buf);
    const DmaResult c = port->issue(read_at(0x41000), buf);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    miss = to_ticks(a.latency);
    hit = to_ticks(b.latency);
    pde_hit = to_ticks(c.latency);
  }));
  // A full walk reads the DTE and three table levels; the page-directory cache leaves one.
  EXPECT_GE(miss - hit, 4 * kWalkRead);
  EXPECT_LT(miss - hit, 5 * kWalkRead);
  EXPECT_GE(pde_hit - hit, kWalkRead);
  EXPECT_LT(pde_hit - hit, 2 * kWalkRead);
  const stats::Group& st = pf.iommu("iommu0")->stats();
  EXPECT_EQ(test::counter(st, "walks"), 2u);
  EXPECT_EQ(test::counter(st, "walk_reads"), 5u);
  EXPECT_EQ(test::counter(st, "iotlb.hits"), 1u);
  EXPECT_EQ(test::counter(st, "iotlb.misses"), 2u);
  EXPECT_EQ(test::counter(st, "pde_cache.hits"), 1u);
  EXPECT_EQ(test::counter(st, "dte_cache.misses"), 1u);
  EXPECT_EQ(test::counter(st, "dte_cache.hits"), 2u);
}

TEST(AmdviModel, WalksQueueForTheWalkerPool) {
  // One walker: a second miss that arrives while the first walks waits for it.
  Platform pf(test::platform_config(config(1)));
  build_tables(pf);
  ScenarioPort* port = pf.scenario_port("iommu0");
  Tick first = 0, second = 0;
  ASSERT_TRUE(test::run_thread([&] {
    enable(pf);
    std::vector<uint8_t> buf(8);
    // Warm the DTE and page-directory caches so both walks read one level.
    ASSERT_TRUE(port->issue(read_at(0x4f000), buf).ok());
    sc_core::sc_time d1 = sc_core::SC_ZERO_TIME, d2 = sc_core::SC_ZERO_TIME;
    tlm::tlm_generic_payload a, b;
    DmaAttrs aa, ab;
    aa.rid = ab.rid = kRid;
    uint64_t da = 0, db = 0;
    auto setup = [](tlm::tlm_generic_payload& gp, DmaAttrs& at, uint64_t va, uint64_t& data) {
      gp.set_command(tlm::TLM_READ_COMMAND);
      gp.set_address(va);
      gp.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
      gp.set_data_length(8);
      gp.set_streaming_width(8);
      gp.set_extension(&at);
      gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    };
    setup(a, aa, 0x40000, da);
    setup(b, ab, 0x41000, db);
    // Both issued at the same simulated time (temporal decoupling: same local offset).
    port->port->b_transport(a, d1);
    port->port->b_transport(b, d2);
    a.clear_extension(&aa);
    b.clear_extension(&ab);
    first = to_ticks(d1);
    second = to_ticks(d2);
  }));
  EXPECT_GE(second - first, kWalkRead);
  const stats::Group& st = pf.iommu("iommu0")->stats();
  EXPECT_EQ(test::counter(st, "walks"), 3u);
  // The second walk waited for the only walker, at least as long as the first walk's read.
  EXPECT_EQ(test::counter(st, "walkers.delayed"), 1u);
  EXPECT_GE(test::counter(st, "walkers.total_wait"), kWalkRead);
}

TEST(AmdviModel, QueuedWalkReadsMemoryWhenItsWalkerStarts) {
  // One walker, four 1 GB/s channels interleaved by 4 KiB: the leaf table (0x302000) is alone
  // on channel 2, and each 8-byte entry read holds it for 8 ns. Two misses arrive together; the
  // second waits for the walker. Meanwhile another initiator books a 64-byte burst on channel 2
  // that ends before the walker is free: the second walk's read, issued when its walker starts,
  // finds the channel idle. Issued earlier it would queue behind the burst.
  Platform pf(test::platform_config(
      config(1, "{size: 1GiB, latency: 90ns, channels: 4, channel_bandwidth: 1GB/s}")));
  build_tables(pf);
  ScenarioPort* port = pf.scenario_port("iommu0");
  Tick first = 0, second = 0;
  ASSERT_TRUE(test::run_thread([&] {
    enable(pf);
    std::vector<uint8_t> buf(8);
    // Warm the DTE and page-directory caches so both walks read one level.
    ASSERT_TRUE(port->issue(read_at(0x4f000), buf).ok());
    auto issue = [&](uint64_t va) {
      // Same kernel time, same local offset: the two misses arrive together.
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      EXPECT_TRUE(port->transport(read_at(va), buf, d).ok());
      return to_ticks(d);
    };
    first = issue(0x41000);
    pf.memory_module().access_time(0x302800, 64, to_ticks(sc_core::sc_time_stamp()));
    second = issue(0x43000);
  }));
  // The second miss waits for the first walk, then walks for as long as it did: the
  // page-directory cache lookup (2 cycles), its one read (8 ns on the channel, 90 ns latency)
  // and walk_level (8 cycles). The data reads (0x1001000, 0x1003000) have channels of their own.
  EXPECT_EQ(second - first, (2 + 8 + 90 + 8) * kNs);
  const stats::Group& st = pf.iommu("iommu0")->stats();
  EXPECT_EQ(test::counter(st, "walks"), 3u);
  EXPECT_EQ(test::counter(st, "walkers.delayed"), 1u);
}

TEST(AmdviModel, CompletionWaitStoresAfterTheCommandsBeforeIt) {
  Platform pf(test::platform_config(config()));
  build_tables(pf);
  // INVALIDATE_IOMMU_ALL then COMPLETION_WAIT (store 7 at 0x230000).
  write64(pf, 0x200000, 0x8000000000000000);
  write64(pf, 0x200008, 0);
  write64(pf, 0x200010, 0x1000000000230001);
  write64(pf, 0x200018, 7);
  Tick stored_at = 0;
  ASSERT_TRUE(test::run_thread([&] {
    enable(pf);
    const uint64_t base = pf.mmio_base("iommu0");
    ASSERT_TRUE(pf.cpu().write(base + 0x2008, 8, 0x20));
    const Tick start = to_ticks(sc_core::sc_time_stamp());
    for (int i = 0; i < 1000; ++i) {
      uint64_t v = 0;
      ASSERT_TRUE(pf.memory().read(0x230000, &v, sizeof v));
      if (v == 7) break;
      sc_core::wait(sc_core::sc_time(1, sc_core::SC_NS));
    }
    stored_at = to_ticks(sc_core::sc_time_stamp()) - start;
  }));
  // Two fetches (16 cycles + a memory read each), the invalidation (32 cycles), the store.
  EXPECT_GE(stored_at, 2 * (16 * kNs + kMemLatency) + 32 * kNs);
  EXPECT_LT(stored_at, 2 * (16 * kNs + kMemLatency) + 32 * kNs + 2 * kMemLatency);
  const stats::Group& st = pf.iommu("iommu0")->stats();
  EXPECT_EQ(test::counter(st, "commands.COMPLETION_WAIT"), 1u);
  EXPECT_EQ(test::counter(st, "invalidations.iommu_all"), 1u);
  EXPECT_EQ(test::counter(st, "commands.completion_stores"), 1u);
}

TEST(AmdviModel, NestedWalksReuseCachedHostTranslations) {
  Platform pf(test::platform_config(config()));
  // Host Mode 3 table of domain 0x33: GPA 0..0x3fff -> the guest tables at 0x380000..,
  // GPA 0x10000 / 0x11000 -> 0x1030000 / 0x1031000. Guest 4-level table (GPAs) maps VA 0x8000
  // and 0x9000 to GPA 0x10000 / 0x11000. GCR3 entry of PASID 7 holds guest CR3 = GPA 0.
  write64(pf, 0x370000, 0x6000000000371401);
  write64(pf, 0x371000, 0x6000000000372201);
  for (uint64_t n = 0; n < 4; ++n) write64(pf, 0x372000 + 8 * n, 0x6000000000380001 + n * 0x1000);
  write64(pf, 0x372080, 0x6000000001030001);
  write64(pf, 0x372088, 0x6000000001031001);
  write64(pf, 0x380000, 0x1007);
  write64(pf, 0x381000, 0x2007);
  write64(pf, 0x382000, 0x3007);
  write64(pf, 0x383040, 0x10007);
  write64(pf, 0x383048, 0x11007);
  write64(pf, 0x390038, 0x1);
  write64(pf, 0x100200, 0x6080000000370603);  // DTE 0x10: GV, Mode 3, GCR3 root 0x390000
  write64(pf, 0x100208, 0x720033);
  ScenarioPort* port = pf.scenario_port("iommu0");
  const stats::Group& st = pf.iommu("iommu0")->stats();
  uint64_t after_first = 0, after_second = 0;
  ASSERT_TRUE(test::run_thread([&] {
    enable(pf);
    ASSERT_TRUE(pf.cpu().write(pf.mmio_base("iommu0") + 0x18, 8, 0x11005));  // + GTEn
    std::vector<uint8_t> buf(8);
    DmaRequest r = read_at(0x8000);
    r.has_pasid = true;
    r.pasid = 7;
    ASSERT_TRUE(port->issue(r, buf).ok());
    after_first = test::counter(st, "walk_reads");
    r.addr = 0x9000;
    ASSERT_TRUE(port->issue(r, buf).ok());
    after_second = test::counter(st, "walk_reads");
  }));
  // First: DTE, GCR3, then per guest level its GPA (3 host reads, then 1 from the cached
  // level-1 table) and the guest entry, and the data GPA (1): 1 + 1 + 4 + 3 * 2 + 1 = 13.
  EXPECT_EQ(after_first, 13u);
  // Second: the guest page-directory cache holds the last guest table (GPA 0x3000), whose
  // GPA hits the IOTLB's host entries: one guest read, and the new data GPA from the cached
  // host level-1 table.
  EXPECT_EQ(after_second - after_first, 2u);
  EXPECT_EQ(test::counter(st, "guest_pde_cache.hits"), 1u);
}

}  // namespace
}  // namespace isim
