// The VT-d SystemC model on a platform: what its caches save in memory reads and time, that
// the paging-structure cache starts walks mid-table, that commands and queued invalidations
// take their configured time, and that ATS translation requests are answered from the tables.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "hw/sc_time_util.h"
#include "models/devices/scenario_port.h"
#include "sim/cpu_port.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

constexpr Tick kMemLatency = 90'000;  // the platform's memory latency (ps)
constexpr Tick kCommand = 100'000;    // params.command below
constexpr Tick kInvIotlb = 300'000;   // params.inv_iotlb below
constexpr Tick kInvWait = 40'000;     // params.inv_wait below

constexpr const char* kMemory =
    "{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}";

std::string config(const std::string& extra = "", const std::string& memory = kMemory) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 1ms, quantum: 1us}}
memory: {}
iommus:
  - name: iommu0
    type: vtd
    params: {{command: 100ns, inv_iotlb: 300ns, inv_wait: 40ns, desc_fetch: 0cycles{}}}
devices:
  - {{name: port0, type: scenario-port, rid: 0x0100}}
)",
                     memory, extra);
}

/// Legacy structures for requester 01:00.0, DID 1, 4-level: IOVA 0x1000.. 0x8000 -> 0x200000..
void legacy_tables(Platform& pf) {
  auto w = [&](uint64_t pa, uint64_t v) { ASSERT_TRUE(pf.memory().write_le64(pa, v)); };
  w(0x100010, 0x101001);
  w(0x101000, 0x102001);
  w(0x101008, 0x102);
  w(0x102000, 0x103003);
  w(0x103000, 0x104003);
  w(0x104000, 0x105003);
  for (uint64_t i = 1; i <= 8; ++i) w(0x105000 + 8 * i, (0x200000 + 0x1000 * (i - 1)) | 3);
}

struct Unit {
  Platform& pf;
  uint64_t base;
  void write32(uint32_t off, uint32_t v) { ASSERT_TRUE(pf.cpu().write(base + off, 4, v)); }
  void write64(uint32_t off, uint64_t v) { ASSERT_TRUE(pf.cpu().write(base + off, 8, v)); }
  uint64_t read(uint32_t off, unsigned size) { return pf.cpu().read(base + off, size).value(); }
  /// Root table at 0x100000 (legacy), translation on; waits for each acknowledgement.
  void enable() {
    write64(0x20, 0x100000);
    write32(0x18, 0x40000000);
    sc_core::wait(test::ps(kCommand));
    write32(0x18, 0x80000000);
    sc_core::wait(test::ps(kCommand));
  }
};

DmaResult read_dma(ScenarioPort& port, uint64_t addr, std::vector<uint8_t>& buf) {
  DmaRequest r;
  r.rid = 0x0100;
  r.addr = addr;
  return port.issue(r, buf);
}

uint64_t stat(Platform& pf, const char* path) {
  return test::counter(pf.stats(), std::string("iommu0.") + path);
}

TEST(VtdModel, CachesSaveReadsAndTime) {
  Platform pf(test::platform_config(config()));
  legacy_tables(pf);
  ASSERT_TRUE(pf.memory().write_le64(0x200000, 0x1111));
  ScenarioPort* port = pf.scenario_port("iommu0");
  Unit u{pf, pf.mmio_base("iommu0")};
  sc_core::sc_time miss, hit;
  ASSERT_TRUE(test::run_thread([&] {
    u.enable();
    std::vector<uint8_t> buf(8);
    const DmaResult a = read_dma(*port, 0x1000, buf);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(buf[0], 0x11);
    const DmaResult b = read_dma(*port, 0x1000, buf);
    ASSERT_TRUE(b.ok());
    miss = a.latency;
    hit = b.latency;
  }));
  // Cold: root + context entry, then four table levels; warm: nothing but the data.
  EXPECT_EQ(stat(pf, "structure_reads"), 2u);
  EXPECT_EQ(stat(pf, "walk_reads"), 4u);
  EXPECT_EQ(stat(pf, "walks"), 1u);
  EXPECT_EQ(stat(pf, "iotlb.hits"), 1u);
  EXPECT_EQ(stat(pf, "iotlb.misses"), 1u);
  EXPECT_EQ(stat(pf, "context_cache.hits"), 1u);
  EXPECT_EQ(stat(pf, "context_cache.misses"), 1u);
  // Each of the six reads costs at least the memory latency.
  EXPECT_GE(to_ticks(miss) - to_ticks(hit), 6 * kMemLatency);
}

TEST(VtdModel, PagingStructureCacheStartsWalksAtTheLastLevel) {
  Platform pf(test::platform_config(config()));
  legacy_tables(pf);
  ScenarioPort* port = pf.scenario_port("iommu0");
  Unit u{pf, pf.mmio_base("iommu0")};
  ASSERT_TRUE(test::run_thread([&] {
    u.enable();
    std::vector<uint8_t> buf(8);
    ASSERT_TRUE(read_dma(*port, 0x1000, buf).ok());
    ASSERT_TRUE(read_dma(*port, 0x2000, buf).ok());
    ASSERT_TRUE(read_dma(*port, 0x3000, buf).ok());
  }));
  // 4 reads for the first page, then only the PTE for each neighbour.
  EXPECT_EQ(stat(pf, "walk_reads"), 6u);
  EXPECT_EQ(stat(pf, "ss_psc.hits"), 2u);
  EXPECT_EQ(stat(pf, "iotlb.misses"), 3u);
}

TEST(VtdModel, WithoutPagingStructureCacheEveryWalkReadsEveryLevel) {
  Platform pf(test::platform_config(config(", ss_psc: {entries: 0}")));
  legacy_tables(pf);
  ScenarioPort* port = pf.scenario_port("iommu0");
  Unit u{pf, pf.mmio_base("iommu0")};
  ASSERT_TRUE(test::run_thread([&] {
    u.enable();
    std::vector<uint8_t> buf(8);
    ASSERT_TRUE(read_dma(*port, 0x1000, buf).ok());
    ASSERT_TRUE(read_dma(*port, 0x2000, buf).ok());
  }));
  EXPECT_EQ(stat(pf, "walk_reads"), 8u);
}

TEST(VtdModel, CacheServedWalkReadsTakeWalkMemLatencyAndLeaveMemoryAlone) {
  // Lookups and walker work free, so a miss costs its six reads and nothing else.
  constexpr Tick kWalkMem = 30'000;
  Platform pf(test::platform_config(
      config(", walk_mem_latency: 30ns, walk_read: 0cycles, cache_lookup: 0cycles")));
  legacy_tables(pf);
  ScenarioPort* port = pf.scenario_port("iommu0");
  Unit u{pf, pf.mmio_base("iommu0")};
  sc_core::sc_time miss, hit;
  ASSERT_TRUE(test::run_thread([&] {
    u.enable();
    std::vector<uint8_t> buf(8);
    const DmaResult a = read_dma(*port, 0x1000, buf);
    const DmaResult b = read_dma(*port, 0x1000, buf);
    ASSERT_TRUE(a.ok() && b.ok());
    miss = a.latency;
    hit = b.latency;
  }));
  EXPECT_EQ(stat(pf, "structure_reads"), 2u);
  EXPECT_EQ(stat(pf, "walk_reads"), 4u);
  EXPECT_EQ(to_ticks(miss) - to_ticks(hit), 6 * kWalkMem);
  // Only the two data reads reached memory.
  EXPECT_EQ(test::counter(pf.stats(), "memory.reads"), 2u);
}

TEST(VtdModel, IdenticalMissesInFlightAreMerged) {
  Platform pf(test::platform_config(config()));
  legacy_tables(pf);
  ScenarioPort* port = pf.scenario_port("iommu0");
  Unit u{pf, pf.mmio_base("iommu0")};
  sc_core::sc_time first, second, other;
  ASSERT_TRUE(test::run_thread([&] {
    u.enable();
    std::vector<uint8_t> buf(8);
    DmaRequest r;
    r.rid = 0x0100;
    r.addr = 0x1000;
    // Two requests issued at the same local time (temporal decoupling): the second finds the
    // first one's walk in flight and waits for it instead of walking.
    sc_core::sc_time d1 = sc_core::SC_ZERO_TIME, d2 = sc_core::SC_ZERO_TIME;
    ASSERT_TRUE(port->transport(r, buf, d1).ok());
    ASSERT_TRUE(port->transport(r, buf, d2).ok());
    first = d1;
    second = d2;
    // Another page at the same time walks on its own (only its last level: the PSC has it).
    sc_core::sc_time d3 = sc_core::SC_ZERO_TIME;
    r.addr = 0x2000;
    ASSERT_TRUE(port->transport(r, buf, d3).ok());
    other = d3;
  }));
  EXPECT_EQ(stat(pf, "merged_misses"), 1u);
  EXPECT_EQ(stat(pf, "walks"), 2u);
  EXPECT_EQ(stat(pf, "walk_reads"), 5u);
  // The merged request completes no earlier than the walk it waited for.
  EXPECT_GE(to_ticks(second), to_ticks(first));
  // The one-read walk shares the memory channel with the four-read one but is not queued
  // behind all of its reads: it completes first.
  EXPECT_LT(to_ticks(other), to_ticks(first));
}

TEST(VtdModel, QueuedWalkReadsMemoryWhenItsWalkerStarts) {
  // One walker, four 1 GB/s channels interleaved by 4 KiB: the last-level table (0x105000) is
  // alone on channel 1, and each 8-byte entry read holds it for 8 ns. Two misses arrive
  // together; the second waits for the walker. Meanwhile another initiator books a 64-byte burst
  // on channel 1 that ends before the walker is free: the second walk's read, issued when its
  // walker starts, finds the channel idle. Issued at its arrival it would queue behind the burst.
  Platform pf(test::platform_config(
      config(", walkers: 1, walk_read: 4ns",
             "{size: 1GiB, latency: 90ns, channels: 4, channel_bandwidth: 1GB/s}")));
  legacy_tables(pf);
  ScenarioPort* port = pf.scenario_port("iommu0");
  Unit u{pf, pf.mmio_base("iommu0")};
  Tick first = 0, second = 0;
  ASSERT_TRUE(test::run_thread([&] {
    u.enable();
    std::vector<uint8_t> buf(8);
    // Warm the context and paging-structure caches so both walks read the last level only.
    ASSERT_TRUE(read_dma(*port, 0x8000, buf).ok());
    DmaRequest r;
    r.rid = 0x0100;
    auto issue = [&](uint64_t iova) {
      r.addr = iova;
      // Same kernel time, same local offset: the two misses arrive together.
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      EXPECT_TRUE(port->transport(r, buf, d).ok());
      return to_ticks(d);
    };
    first = issue(0x3000);
    pf.memory_module().access_time(0x105800, 64, to_ticks(sc_core::sc_time_stamp()));
    second = issue(0x4000);
  }));
  // The second miss waits for the first walk, then walks for as long as it did: its one read
  // (8 ns on the channel, 90 ns latency) and walk_read. The data reads (0x202000, 0x203000)
  // have channels of their own.
  EXPECT_EQ(second - first, 8'000 + kMemLatency + 4'000);
  EXPECT_EQ(stat(pf, "walks"), 3u);
}

/// Scalable mode, 01:00.0 PASID 2 nested (DID 3): the second stage maps GPA 0..2 MiB to
/// 0x400000 with one 2 MiB page (3 reads per second-stage walk); the first-stage tables sit at
/// GPA 0x5000..0x8000 and map VA 0x1000 / 0x2000 to GPA 0x9000 / 0xa000.
void nested_tables(Platform& pf) {
  auto w = [&](uint64_t pa, uint64_t v) { ASSERT_TRUE(pf.memory().write_le64(pa, v)); };
  w(0x100010, 0x101001);
  w(0x101000, 0x102009);
  w(0x102000, 0x103001);
  w(0x103080, 0x1300c9);
  w(0x103088, 0x3);
  w(0x103090, 0x5000);
  w(0x130000, 0x131003);
  w(0x131000, 0x132003);
  w(0x132000, 0x400083);
  w(0x405000, 0x6007);
  w(0x406000, 0x7007);
  w(0x407000, 0x8007);
  w(0x408008, 0x9007);
  w(0x408010, 0xa007);
}

uint64_t nested_walk_reads(const std::string& extra) {
  Platform pf(test::platform_config(config(extra)));
  nested_tables(pf);
  ScenarioPort* port = pf.scenario_port("iommu0");
  Unit u{pf, pf.mmio_base("iommu0")};
  EXPECT_TRUE(test::run_thread([&] {
    u.write64(0x20, 0x100400);
    u.write32(0x18, 0x40000000);
    sc_core::wait(test::ps(kCommand));
    u.write32(0x18, 0x80000000);
    sc_core::wait(test::ps(kCommand));
    std::vector<uint8_t> buf(8);
    DmaRequest r;
    r.rid = 0x0100;
    r.has_pasid = true;
    r.pasid = 2;
    r.addr = 0x1000;
    EXPECT_TRUE(port->issue(r, buf).ok());
    r.addr = 0x2000;
    EXPECT_TRUE(port->issue(r, buf).ok());
  }));
  return stat(pf, "walk_reads");
}

TEST(VtdModel, NestedWalksReuseSecondStageTranslationsOfTablePointers) {
  // First walk: one second-stage walk (3 reads) for the first table pointer, then every other
  // table pointer lies in the same cached 2 MiB page: 4 first-stage reads; the output GPA needs
  // its own second-stage walk (3). Second walk: 4 + 3.
  EXPECT_EQ(nested_walk_reads(""), 17u);
}

TEST(VtdModel, NestedWalksWithoutThePointerCacheWalkStageTwoForEveryTable) {
  // 4 x (3 + 1) + 3 per walk.
  EXPECT_EQ(nested_walk_reads(", nested_s2: {entries: 0}"), 38u);
}

TEST(VtdModel, PageRequestQueueOverflowSetsProAndDropsRequests) {
  Platform pf(test::platform_config(config()));
  // Scalable mode; 01:00.0 has PRE and PASIDE set.
  ASSERT_TRUE(pf.memory().write_le64(0x100010, 0x101001));
  ASSERT_TRUE(pf.memory().write_le64(0x101000, 0x102019));
  IommuBase* iommu = pf.iommu("iommu0");
  Unit u{pf, pf.mmio_base("iommu0")};
  uint64_t pqt_full = 0, prs_full = 0, pqt_after = 0, prs_after = 0, pectl = 0;
  unsigned accepted = 0;
  ASSERT_TRUE(test::run_thread([&] {
    u.write64(0x20, 0x100400);
    u.write32(0x18, 0x40000000);
    sc_core::wait(test::ps(kCommand));
    u.write64(0xd0, 0x1a0000);  // PQA: one 4 KiB page = 128 slots, 127 usable
    PageRequest pr;
    pr.rid = 0x0100;
    pr.has_pasid = true;
    pr.pasid = 1;
    pr.read = true;
    pr.last = true;
    for (unsigned i = 0; i < 128; ++i) {
      pr.addr = 0x1000 * (i + 1);
      pr.group = static_cast<uint16_t>(i);
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      accepted += iommu->page_request(pr, d) ? 1 : 0;
      sc_core::wait(d);
    }
    pqt_full = u.read(0xc8, 8);
    prs_full = u.read(0xdc, 4);
    pectl = u.read(0xe0, 4);
    // Software drains one entry and clears PPR; PRO still set: the next request is dropped.
    u.write64(0xc0, 0x20);
    u.write32(0xdc, 0x1);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    pr.addr = 0x900000;
    iommu->page_request(pr, d);
    pqt_after = u.read(0xc8, 8);
    prs_after = u.read(0xdc, 4);
  }));
  EXPECT_EQ(accepted, 128u);        // accepted on the link, even the one that overflowed
  EXPECT_EQ(pqt_full, 127u * 32);   // the ring keeps one slot free
  EXPECT_EQ(prs_full, 0x3u);        // PPR and PRO
  EXPECT_EQ(pectl, 0xc0000000u);    // IM (reset) and IP: one event, pending
  EXPECT_EQ(pqt_after, 127u * 32);  // dropped while PRO is set
  EXPECT_EQ(prs_after, 0x2u);
  EXPECT_EQ(stat(pf, "page_requests.queued"), 127u);
  EXPECT_EQ(stat(pf, "page_requests.overflow"), 2u);
  // The last queued descriptor: RID, PASID, PP, read, LPIG, group 126, its page.
  EXPECT_EQ(pf.memory().read_le64(0x1a0000 + 126 * 32).value(), 0x101000101u);
  EXPECT_EQ(pf.memory().read_le64(0x1a0000 + 126 * 32 + 8).value(),
            (0x1000u * 127) | (126u << 3) | 0x5);
}

TEST(VtdModel, GstsAcknowledgesAfterTheCommandLatency) {
  Platform pf(test::platform_config(config()));
  Unit u{pf, pf.mmio_base("iommu0")};
  uint64_t early = 0, almost = 0, late = 0;
  ASSERT_TRUE(test::run_thread([&] {
    u.write64(0x20, 0x100000);
    // Register accesses take no bus time here, so the command is issued at t and acknowledged
    // at exactly t + command: not done 1 ps before, done at it.
    const Tick t = to_ticks(sc_core::sc_time_stamp());
    u.write32(0x18, 0x40000000);
    early = u.read(0x1c, 4);
    sc_core::wait(test::ps(t + kCommand - 1 - to_ticks(sc_core::sc_time_stamp())));
    almost = u.read(0x1c, 4);
    sc_core::wait(test::ps(1));
    late = u.read(0x1c, 4);
  }));
  EXPECT_EQ(early & 0x40000000, 0u);
  EXPECT_EQ(almost & 0x40000000, 0u);
  EXPECT_EQ(late & 0x40000000, 0x40000000u);
}

TEST(VtdModel, WaitDescriptorCompletesAfterEverythingBeforeIt) {
  Platform pf(test::platform_config(config()));
  Unit u{pf, pf.mmio_base("iommu0")};
  // Two IOTLB global invalidations, then a wait with a status write to 0x190000.
  const uint64_t q[] = {0x12, 0, 0x12, 0, 0x100000025, 0x190000};
  ASSERT_TRUE(pf.memory().write(0x180000, q, sizeof q));
  Tick submitted = 0, seen = 0;
  ASSERT_TRUE(test::run_thread([&] {
    u.write64(0x90, 0x180000);
    u.write32(0x18, 0x04000000);
    sc_core::wait(test::ps(kCommand));
    u.write64(0x88, 0x30);
    submitted = to_ticks(sc_core::sc_time_stamp());
    for (int i = 0; i < 100000 && seen == 0; ++i) {
      if (pf.memory().read_le32(0x190000).value_or(0) == 1)
        seen = to_ticks(sc_core::sc_time_stamp());
      sc_core::wait(test::ps(1000));
    }
  }));
  ASSERT_NE(seen, 0u);
  // Three descriptor fetches from memory, two IOTLB invalidations and the wait itself.
  const Tick at_least = 3 * kMemLatency + 2 * kInvIotlb + kInvWait;
  EXPECT_GE(seen - submitted, at_least);
  EXPECT_LT(seen - submitted, at_least + 200'000);
  EXPECT_EQ(stat(pf, "queue.descriptors"), 3u);
  EXPECT_EQ(stat(pf, "invalidations.iotlb_global"), 2u);
  EXPECT_EQ(stat(pf, "queue.waits"), 1u);
}

TEST(VtdModel, TranslationRequestsAreAnsweredFromTheTables) {
  Platform pf(test::platform_config(config()));
  legacy_tables(pf);
  // TT = 01b: translation requests allowed; PTE 3 read-only.
  ASSERT_TRUE(pf.memory().write_le64(0x101000, 0x102005));
  ASSERT_TRUE(pf.memory().write_le64(0x105018, 0x202001));
  ScenarioPort* port = pf.scenario_port("iommu0");
  Unit u{pf, pf.mmio_base("iommu0")};
  DmaResult rw, ro, absent;
  ASSERT_TRUE(test::run_thread([&] {
    u.enable();
    std::vector<uint8_t> buf(8);
    DmaRequest r;
    r.rid = 0x0100;
    r.ats = AtsType::translation_request;
    r.addr = 0x1234;
    rw = port->issue(r, buf);
    r.addr = 0x3000;
    ro = port->issue(r, buf);
    r.addr = 0x9000;
    absent = port->issue(r, buf);
  }));
  ASSERT_TRUE(rw.ok());
  EXPECT_TRUE(rw.completion.valid);
  EXPECT_EQ(rw.completion.translated, 0x200000u);
  EXPECT_EQ(rw.completion.page_lg2, 12u);
  EXPECT_TRUE(rw.completion.read && rw.completion.write);
  ASSERT_TRUE(ro.ok());
  EXPECT_EQ(ro.completion.translated, 0x202000u);
  EXPECT_TRUE(ro.completion.read);
  EXPECT_FALSE(ro.completion.write);
  // Not present: a successful completion with R = W = 0 and no fault recorded.
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent.completion.read || absent.completion.write);
  EXPECT_EQ(stat(pf, "faults.recorded"), 0u);
  EXPECT_EQ(stat(pf, "translation_requests"), 3u);
}

}  // namespace
}  // namespace isim
