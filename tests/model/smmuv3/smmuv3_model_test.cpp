// The `smmuv3` SystemC model on a platform: register handshake timing, TLB hit vs miss cost and
// stats, a second miss on a page whose walk is in flight waiting for it, and the stall fault
// model (a stalled DMA resumed by CMD_RESUME, or terminated). Structures are written into
// memory with the architecture's encoders; the SMMU is programmed through MMIO only.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "hw/dma_attrs.h"
#include "hw/sc_time_util.h"
#include "models/devices/scenario_port.h"
#include "models/smmuv3/cd.h"
#include "models/smmuv3/commands.h"
#include "models/smmuv3/events.h"
#include "models/smmuv3/regs.h"
#include "models/smmuv3/ste.h"
#include "sim/cpu_port.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

using namespace smmuv3;

constexpr uint64_t kMmio = uint64_t{1} << 47;  // platform.cpp: the first IOMMU slot
constexpr uint64_t kStrtab = 0x100000, kCmdq = 0x200000, kEvtq = 0x210000;
constexpr uint64_t kCd = 0x300000, kTables = 0x400000, kData = 0x1000000;
constexpr uint64_t kVa = 0x12345000;
constexpr uint32_t kSid = 0x10;

constexpr const char* kMemory =
    "{size: 4GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}";

std::string config(const std::string& extra_params = "", const std::string& devices = "",
                   const std::string& memory = kMemory) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 1ms, quantum: 1us}}
memory: {}
iommus:
  - name: iommu0
    type: smmuv3
    params: {{clock: 1GHz, {}}}
{}
)",
                     memory, extra_params, devices);
}

struct Bench {
  Platform pf;
  explicit Bench(const std::string& yaml)
      : pf(test::platform_config(yaml), PlatformOptions{.scenario_ports = true}) {}

  void w64(uint64_t pa, uint64_t v) { ASSERT_TRUE(pf.memory().write_le64(pa, v)); }
  uint64_t r64(uint64_t pa) { return pf.memory().read_le64(pa).value_or(~0ull); }
  void mmio_w(uint32_t off, uint64_t v, unsigned w = 4) { pf.cpu().write(kMmio + off, w, v); }
  uint64_t mmio_r(uint32_t off, unsigned w = 4) {
    return pf.cpu().read(kMmio + off, w).value_or(~0ull);
  }

  /// VA kVa -> kData through 4-level 4 KiB tables at kTables, a CD with `stall` (CD.S) and
  /// `mapped` choosing whether the leaf is valid; STE kSid with stage 1.
  void stage1(bool stall, bool mapped) {
    for (unsigned lvl = 0; lvl < 3; ++lvl) {
      const unsigned shift = 39 - 9 * lvl;
      w64(kTables + 0x1000 * lvl + 8 * ((kVa >> shift) & 511), (kTables + 0x1000 * (lvl + 1)) | 3);
    }
    map_leaf(mapped);
    Cd c;
    c.v = true;
    c.t0sz = 16;
    c.epd1 = true;
    c.ips = 5;
    c.aa64 = true;
    c.r = true;
    c.a = true;
    c.s = stall;
    c.asid = 1;
    c.ttb0 = kTables;
    const CdWords cw = encode_cd(c);
    for (unsigned i = 0; i < cw.size(); ++i) w64(kCd + 8 * i, cw[i]);
    Ste s;
    s.v = true;
    s.config = static_cast<uint8_t>(SteConfig::kS1);
    s.s1_context_ptr = kCd;
    const SteWords sw = encode_ste(s);
    for (unsigned i = 0; i < sw.size(); ++i) w64(kStrtab + 64 * kSid + 8 * i, sw[i]);
    w64(kData + 0x18, 0xda7a);
  }
  void map_leaf(bool mapped) {
    // Leaf: AF, AP[2:1] = 01 (EL0 read/write), nG, page.
    w64(kTables + 0x3000 + 8 * ((kVa >> 12) & 511),
        mapped ? (kData | 1 << 10 | 1 << 6 | 1 << 11 | 3) : 0);
  }

  /// Queues and SMMU enabled, waiting for each CR0ACK.
  void enable() {
    mmio_w(reg::STRTAB_BASE, kStrtab, 8);
    mmio_w(reg::STRTAB_BASE_CFG, 8);
    mmio_w(reg::CMDQ_BASE, kCmdq | 8, 8);
    mmio_w(reg::EVENTQ_BASE, kEvtq | 5, 8);
    mmio_w(reg::CR0, 0xd);
    while (mmio_r(reg::CR0ACK) != 0xd) sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
  }

  unsigned cmds = 0;
  void command(const Command& c) {
    const CmdWords w = encode_command(c);
    w64(kCmdq + 16 * cmds, w[0]);
    w64(kCmdq + 16 * cmds + 8, w[1]);
    ++cmds;
    mmio_w(reg::CMDQ_PROD, cmds);
    while ((mmio_r(reg::CMDQ_CONS) & 0xfffff) != cmds)
      sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
  }

  /// Maps VA kVa + n * 4 KiB -> kData + n * 4 KiB in the level-3 table stage1() built.
  void map_page(unsigned n) {
    const uint64_t va = kVa + 0x1000 * n;
    w64(kTables + 0x3000 + 8 * ((va >> 12) & 511),
        (kData + 0x1000 * n) | 1 << 10 | 1 << 6 | 1 << 11 | 3);
  }

  DmaResult read(ScenarioPort* port, uint64_t addr, uint64_t& out) {
    DmaRequest req;
    req.rid = kSid;
    req.addr = addr;
    std::array<uint8_t, 8> buf{};
    DmaResult r = port->issue(req, buf);
    std::memcpy(&out, buf.data(), 8);
    return r;
  }
  uint64_t stat(std::string_view path) { return test::counter(pf.stats(), path); }
};

TEST(SmmuV3Model, Cr0AckFollowsAfterItsLatency) {
  Bench b(config("cr0_ack: 1000cycles"));
  uint64_t early = ~0ull, late = ~0ull;
  const bool done = test::run_thread([&] {
    b.mmio_w(reg::CR0, 0xc);
    sc_core::wait(sc_core::sc_time(900, sc_core::SC_NS));
    early = b.mmio_r(reg::CR0ACK);
    sc_core::wait(sc_core::sc_time(200, sc_core::SC_NS));
    late = b.mmio_r(reg::CR0ACK);
  });
  ASSERT_TRUE(done);
  EXPECT_EQ(early, 0u);
  EXPECT_EQ(late, 0xcu);
}

TEST(SmmuV3Model, TlbHitIsCheaperThanTheWalkAndCounted) {
  Bench b(config("tbu_tlb: {entries: 0}"));
  b.stage1(false, true);
  sc_core::sc_time miss, hit;
  uint64_t v1 = 0, v2 = 0;
  ASSERT_TRUE(test::run_thread([&] {
    b.enable();
    ScenarioPort* p = b.pf.scenario_port("iommu0");
    DmaResult r1 = b.read(p, kVa + 0x18, v1);
    DmaResult r2 = b.read(p, kVa + 0x18, v2);
    EXPECT_TRUE(r1.ok());
    EXPECT_TRUE(r2.ok());
    miss = r1.latency;
    hit = r2.latency;
  }));
  EXPECT_EQ(v1, 0xda7au);
  EXPECT_EQ(v2, 0xda7au);
  // The miss read the STE, the CD and four descriptors through memory (90 ns each at least).
  EXPECT_GT(miss, hit + sc_core::sc_time(6 * 90, sc_core::SC_NS));
  EXPECT_EQ(b.stat("iommu0.caches.tlb.misses"), 1u);
  EXPECT_EQ(b.stat("iommu0.caches.tlb.hits"), 1u);
  EXPECT_EQ(b.stat("iommu0.caches.ste.misses"), 1u);
  EXPECT_EQ(b.stat("iommu0.caches.ste.hits"), 1u);
  EXPECT_EQ(b.stat("iommu0.caches.cd.hits"), 1u);
  EXPECT_EQ(b.stat("iommu0.translation.walks"), 1u);
  EXPECT_EQ(b.stat("iommu0.translation.walk_reads"), 6u);
  EXPECT_EQ(b.stat("iommu0.translation.table_reads"), 4u);
  EXPECT_DOUBLE_EQ(test::scalar(b.pf.stats(), "iommu0.translation.reads_per_walk"), 4.0);
  EXPECT_EQ(b.stat("iommu0.translation.translated"), 2u);
}

TEST(SmmuV3Model, TbuServesRepeatsUntilAnInvalidationEmptiesIt) {
  Bench b(config());
  b.stage1(false, true);
  uint64_t v = 0;
  sc_core::sc_time tcu_hit, tbu_hit;
  ASSERT_TRUE(test::run_thread([&] {
    b.enable();
    ScenarioPort* p = b.pf.scenario_port("iommu0");
    EXPECT_TRUE(b.read(p, kVa + 0x18, v).ok());
    tbu_hit = b.read(p, kVa + 0x18, v).latency;
    // Any TLB invalidation empties the TBUs; the TCU TLB entry (another ASID's command) stays.
    Command c;
    c.opcode = static_cast<uint8_t>(Opcode::kTlbiNhAsid);
    c.asid = 2;
    b.command(c);
    tcu_hit = b.read(p, kVa + 0x18, v).latency;
  }));
  EXPECT_EQ(v, 0xda7au);
  EXPECT_EQ(b.stat("iommu0.translation.tbu_hits"), 1u);
  EXPECT_EQ(b.stat("iommu0.translation.tbu_misses"), 2u);
  EXPECT_EQ(b.stat("iommu0.caches.tlb.hits"), 1u);
  EXPECT_EQ(b.stat("iommu0.caches.tlb.misses"), 1u);
  EXPECT_LT(tbu_hit, tcu_hit);
}

TEST(SmmuV3Model, WalkCacheShortensTheNextWalkInTheSameTable) {
  Bench b(config());
  b.stage1(false, true);
  // The next page, in the same level-3 table.
  b.w64(kTables + 0x3000 + 8 * (((kVa + 0x1000) >> 12) & 511),
        (kData + 0x1000) | 1 << 10 | 1 << 6 | 1 << 11 | 3);
  b.w64(kData + 0x1018, 0xbeef);
  uint64_t v = 0;
  ASSERT_TRUE(test::run_thread([&] {
    b.enable();
    ScenarioPort* p = b.pf.scenario_port("iommu0");
    EXPECT_TRUE(b.read(p, kVa + 0x18, v).ok());
    EXPECT_TRUE(b.read(p, kVa + 0x1018, v).ok());
  }));
  EXPECT_EQ(v, 0xbeefu);
  // First: STE, CD and four descriptors; second: the leaf descriptor only.
  EXPECT_EQ(b.stat("iommu0.translation.walk_reads"), 7u);
  EXPECT_EQ(b.stat("iommu0.caches.walk.hits"), 1u);
  EXPECT_EQ(b.stat("iommu0.caches.walk.misses"), 1u);
}

TEST(SmmuV3Model, DebugAccessTranslatesWithoutSideEffects) {
  Bench b(config());
  b.stage1(false, true);
  unsigned mapped = 0, unmapped = 0;
  uint64_t v = 0, prod = ~0ull;
  ASSERT_TRUE(test::run_thread([&] {
    b.enable();
    ScenarioPort* p = b.pf.scenario_port("iommu0");
    auto dbg = [&](uint64_t addr) {
      DmaAttrs attrs;
      attrs.rid = kSid;
      tlm::tlm_generic_payload gp;
      gp.set_command(tlm::TLM_READ_COMMAND);
      gp.set_address(addr);
      gp.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
      gp.set_data_length(8);
      gp.set_streaming_width(8);
      gp.set_extension(&attrs);
      const unsigned n = p->port->transport_dbg(gp);
      gp.clear_extension(&attrs);
      return n;
    };
    mapped = dbg(kVa + 0x18);
    unmapped = dbg(kVa + 0x100000);
    prod = b.mmio_r(reg::EVENTQ_PROD);
  }));
  EXPECT_EQ(mapped, 8u);
  EXPECT_EQ(v, 0xda7au);
  EXPECT_EQ(unmapped, 0u);
  EXPECT_EQ(prod, 0u);  // no event for a debug access
  EXPECT_EQ(b.stat("iommu0.caches.tlb.misses"), 0u);
  EXPECT_EQ(b.stat("iommu0.translation.dmas"), 0u);
}

TEST(SmmuV3Model, SecondMissOnAPageInFlightWaitsForTheWalk) {
  // Two devices miss the same page at the same time: the second finds the entry the first walk
  // filled, but not before that walk completes.
  Bench b(config("", R"(devices:
  - {name: d0, type: scenario-port, iommu: iommu0, rid: 0x10}
  - {name: d1, type: scenario-port, iommu: iommu0, rid: 0x11})"));
  b.stage1(false, true);
  sc_core::sc_time l0, l1;
  sc_core::sc_time start;
  bool second_done = false;
  ASSERT_TRUE(test::run_thread([&] {
    b.enable();
    auto* d0 = dynamic_cast<ScenarioPort*>(sc_core::sc_find_object("d0"));
    auto* d1 = dynamic_cast<ScenarioPort*>(sc_core::sc_find_object("d1"));
    ASSERT_NE(d0, nullptr);
    ASSERT_NE(d1, nullptr);
    start = sc_core::sc_time_stamp();
    sc_core::sc_spawn([&] {
      uint64_t v = 0;
      DmaResult r = b.read(d1, kVa + 0x18, v);
      EXPECT_TRUE(r.ok());
      EXPECT_EQ(v, 0xda7au);
      l1 = r.latency;
      second_done = true;
    });
    uint64_t v = 0;
    DmaResult r = b.read(d0, kVa + 0x18, v);
    EXPECT_TRUE(r.ok());
    l0 = r.latency;
    while (!second_done) sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
  }));
  EXPECT_EQ(b.stat("iommu0.translation.walks"), 1u);
  EXPECT_EQ(b.stat("iommu0.translation.merged_misses"), 1u);
  EXPECT_GE(l1 + sc_core::sc_time(1, sc_core::SC_NS), l0 - sc_core::sc_time(100, sc_core::SC_NS));
}

TEST(SmmuV3Model, QueuedWalkReadsMemoryWhenItsWalkerStarts) {
  // One walker, four 1 GB/s channels interleaved by 4 KiB: the level-3 table (kTables + 0x3000)
  // is alone on channel 3, and each 8-byte descriptor read holds it for 8 ns. Two misses arrive
  // together; the second waits for the walker. Meanwhile another initiator books a 64-byte burst
  // on channel 3 that ends before the walker is free: the second walk's read, issued when its
  // walker starts, finds the channel idle. Issued at its arrival it would queue behind the burst.
  Bench b(config("walkers: 1, tbu_tlb: {entries: 0}", "",
                 "{size: 4GiB, latency: 90ns, channels: 4, channel_bandwidth: 1GB/s}"));
  b.stage1(false, true);
  for (unsigned n = 1; n <= 3; ++n) b.map_page(n);
  Tick first = 0, second = 0;
  ASSERT_TRUE(test::run_thread([&] {
    b.enable();
    ScenarioPort* p = b.pf.scenario_port("iommu0");
    uint64_t v = 0;
    // Warm the STE, CD and walk caches: each miss below then reads only its leaf descriptor.
    ASSERT_TRUE(b.read(p, kVa + 0x3000, v).ok());
    auto issue = [&](uint64_t va) {
      DmaRequest req;
      req.rid = kSid;
      req.addr = va;
      std::array<uint8_t, 8> buf{};
      // Same kernel time, same local offset: the two misses arrive together.
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      EXPECT_TRUE(p->transport(req, buf, d).ok());
      return to_ticks(d);
    };
    first = issue(kVa + 0x1000);
    const Tick now = to_ticks(sc_core::sc_time_stamp());
    b.pf.memory_module().access_time(kTables + 0x3800, 64, now);
    second = issue(kVa + 0x2000);
  }));
  // The second miss waits for the first walk, then walks for as long as it did: its one read
  // (8 ns on the channel, 90 ns latency) and walk_read (4 cycles). Its data read is on a channel
  // of its own, as the first's is.
  constexpr Tick kNs = 1000;
  EXPECT_EQ(second - first, (8 + 90 + 4) * kNs);
  EXPECT_EQ(b.stat("iommu0.translation.walks"), 3u);
  EXPECT_EQ(b.stat("iommu0.translation.walk_reads"), 6u + 1 + 1);
}

TEST(SmmuV3Model, StalledTransactionResumesAfterCmdResume) {
  Bench b(config());
  b.stage1(/*stall=*/true, /*mapped=*/false);
  bool dma_done = false;
  DmaResult res;
  uint64_t value = 0;
  EventRecord ev;
  ASSERT_TRUE(test::run_thread([&] {
    b.enable();
    ScenarioPort* p = b.pf.scenario_port("iommu0");
    sc_core::sc_spawn([&] {
      res = b.read(p, kVa + 0x18, value);
      dma_done = true;
    });
    while (b.mmio_r(reg::EVENTQ_PROD) == 0) sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
    EXPECT_FALSE(dma_done) << "a stalled transaction waits for software";
    EventWords w;
    for (unsigned i = 0; i < 4; ++i) w[i] = b.r64(kEvtq + 8 * i);
    ev = decode_event(w);
    // Software fixes the mapping and retries the transaction.
    b.map_leaf(true);
    sc_core::wait(sc_core::sc_time(1, sc_core::SC_US));
    EXPECT_FALSE(dma_done);
    Command c;
    c.opcode = static_cast<uint8_t>(Opcode::kResume);
    c.sid = kSid;
    c.stag = ev.stag;
    c.retry = true;
    b.command(c);
    while (!dma_done) sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
  }));
  EXPECT_EQ(ev.type, EventType::kF_TRANSLATION);
  EXPECT_TRUE(ev.stall);
  EXPECT_TRUE(res.ok());
  EXPECT_EQ(value, 0xda7au);
  EXPECT_EQ(b.stat("iommu0.translation.stalls"), 1u);
}

TEST(SmmuV3Model, StalledTransactionsTerminatedByResumeAbortOrStallTerm) {
  Bench b(config("", R"(devices:
  - {name: d0, type: scenario-port, iommu: iommu0, rid: 0x10}
  - {name: d1, type: scenario-port, iommu: iommu0, rid: 0x11})"));
  b.stage1(true, false);
  int done = 0;
  DmaResult r0, r1;
  uint64_t v0 = 0, v1 = 0;
  ASSERT_TRUE(test::run_thread([&] {
    b.enable();
    auto* d0 = dynamic_cast<ScenarioPort*>(sc_core::sc_find_object("d0"));
    auto* d1 = dynamic_cast<ScenarioPort*>(sc_core::sc_find_object("d1"));
    sc_core::sc_spawn([&] {
      r0 = b.read(d0, kVa + 0x18, v0);
      ++done;
    });
    while (b.mmio_r(reg::EVENTQ_PROD) < 1) sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
    EventWords w;
    for (unsigned i = 0; i < 4; ++i) w[i] = b.r64(kEvtq + 8 * i);
    const uint16_t stag = decode_event(w).stag;
    // A RESUME with a STAG no transaction has is ignored.
    Command c;
    c.opcode = static_cast<uint8_t>(Opcode::kResume);
    c.sid = kSid;
    c.stag = static_cast<uint16_t>(stag + 1);
    c.retry = true;
    b.command(c);
    EXPECT_EQ(done, 0);
    // Terminate with RAZ/WI (Ac = 0, Ab = 0): the read completes with zeros.
    c.stag = stag;
    c.retry = false;
    c.abort = false;
    b.command(c);
    while (done < 1) sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
    sc_core::sc_spawn([&] {
      r1 = b.read(d1, kVa + 0x18, v1);
      ++done;
    });
    while (b.mmio_r(reg::EVENTQ_PROD) < 2) sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
    Command t;
    t.opcode = static_cast<uint8_t>(Opcode::kStallTerm);
    t.sid = kSid;
    b.command(t);
    while (done < 2) sc_core::wait(sc_core::sc_time(10, sc_core::SC_NS));
  }));
  EXPECT_TRUE(r0.ok());
  EXPECT_EQ(v0, 0u);
  EXPECT_FALSE(r1.ok());
}

}  // namespace
}  // namespace isim
