// The Linux-style SMMUv3 host driver (models/smmuv3/driver.h) bringing up the `smmuv3` model
// through its registers and memory, then DMA through what it set up: registers read back after
// bring-up, stage-1 map / DMA / unmap with stale TLB entries until the TLBI's CMD_SYNC, batched
// flushing, SVA binds on two SubstreamIDs, nested translation (a guest CD table and stage 1 as
// IPAs over a host stage 2), events decoded after a bad DMA, PRI and ATC traffic, refusals.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "hw/phys_allocator.h"
#include "hw/sc_time_util.h"
#include "models/devices/scenario_port.h"
#include "models/smmuv3/driver.h"
#include "models/smmuv3/stream_table.h"
#include "pagetable/builder.h"
#include "pagetable/fmt/arm_lpae.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

using namespace smmuv3;

constexpr uint32_t kSid = 0x0300;
constexpr uint64_t kPool = 0x1000'0000, kPoolEnd = 0x2000'0000;
constexpr uint64_t kData = 0x50'0000;
constexpr uint64_t kIova = 0x7000'0000;

std::string config(const std::string& ids = "", const std::string& reset = "") {
  return fmt::format(R"(
sim: {{seed: 1, duration: 1ms, quantum: 1us}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}}
iommus:
  - {{name: iommu0, type: smmuv3, params: {{ids: {{{}}}, reset: {{{}}}}}}}
devices:
  - {{name: port0, type: scenario-port, rid: 0x0300}}
)",
                     ids, reset);
}

DriverOptions options(FlushPolicy flush = FlushPolicy::strict) {
  DriverOptions o;
  o.pool_base = kPool;
  o.pool_limit = kPoolEnd;
  o.flush = flush;
  return o;
}

std::optional<uint64_t> read(ScenarioPort& port, uint64_t addr, std::optional<uint32_t> pasid = {},
                             uint32_t sid = kSid) {
  std::vector<uint8_t> buf(8);
  DmaRequest r;
  r.rid = static_cast<uint16_t>(sid);
  r.addr = addr;
  r.has_pasid = pasid.has_value();
  r.pasid = pasid.value_or(0);
  if (!port.issue(r, buf).ok()) return std::nullopt;
  uint64_t v;
  std::memcpy(&v, buf.data(), 8);
  return v;
}

/// Guest-physical memory [0, size) at system address `base` (what a guest builds its tables in).
class GuestRam final : public PhysMem {
 public:
  GuestRam(PhysMem& m, uint64_t base, uint64_t size) : m_(m), base_(base), size_(size) {}
  bool read(uint64_t pa, void* dst, size_t len) override {
    return pa <= size_ && len <= size_ - pa && m_.read(base_ + pa, dst, len);
  }
  bool write(uint64_t pa, const void* src, size_t len) override {
    return pa <= size_ && len <= size_ - pa && m_.write(base_ + pa, src, len);
  }
  uint64_t size() const override { return size_; }

 private:
  PhysMem& m_;
  uint64_t base_;
  uint64_t size_;
};

/// A process (or guest) stage-1 table: 48-bit VA, 4 KiB granule, nG leaves as Linux builds.
pt::Builder<pt::ArmLpaeFormat> s1_table(PhysMem& mem, PhysAllocator& alloc) {
  return *pt::Builder<pt::ArmLpaeFormat>::create(pt::ArmLpaeFormat(pt::arm_s1_config(12, 16, 48)),
                                                 mem, alloc);
}
pt::MapAttrs user_rw() {
  pt::MapAttrs a = pt::MapAttrs::rw();
  a.extra = pt::ArmLpaeFormat::kNG;
  return a;
}

uint64_t reg(host::HostBus& bus, uint32_t off, unsigned size = 4) {
  return bus.mmio_read(off, size);
}

void bring_up_reads_back(const std::string& ids, DriverOptions o, bool two_level, bool msi) {
  Platform pf(test::platform_config(config(ids)));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver drv(*bus, o);
    ASSERT_EQ(drv.init(), "");
    EXPECT_EQ(drv.two_level_strtab(), two_level);
    EXPECT_EQ(drv.msi_sync(), msi);
    const IdParams& id = drv.ids();
    uint32_t want = (1u << cr0::SMMUEN) | (1u << cr0::CMDQEN) | (1u << cr0::EVENTQEN);
    if (id.pri) want |= 1u << cr0::PRIQEN;
    if (id.ats) want |= 1u << cr0::ATSCHK;
    EXPECT_EQ(reg(*bus, reg::CR0), want);
    EXPECT_EQ(reg(*bus, reg::CR0ACK), want);
    EXPECT_EQ(reg(*bus, reg::CR1), 0xd75u);  // WB, inner shareable, tables and queues
    EXPECT_EQ(reg(*bus, reg::CR2), (1u << cr2::PTM) | (1u << cr2::RECINVSID));
    EXPECT_EQ(reg(*bus, reg::IRQ_CTRLACK), 0u);
    const uint64_t cfg = reg(*bus, reg::STRTAB_BASE_CFG);
    const uint64_t base = reg(*bus, reg::STRTAB_BASE, 8);
    EXPECT_TRUE(base & strtab::kBaseRa);
    EXPECT_GE(base & strtab::kBaseAddr, kPool);
    EXPECT_LT(base & strtab::kBaseAddr, kPoolEnd);
    EXPECT_EQ(bits(cfg, strtab::FMT_HI, strtab::FMT_LO),
              two_level ? strtab::kFmt2Level : strtab::kFmtLinear);
    EXPECT_EQ(bits(cfg, strtab::LOG2SIZE_HI, strtab::LOG2SIZE_LO), id.sid_bits);
    if (two_level) {
      EXPECT_EQ(bits(cfg, strtab::SPLIT_HI, strtab::SPLIT_LO), 8u);
    }
    for (uint32_t q : {reg::CMDQ_BASE, reg::EVENTQ_BASE, reg::PRIQ_BASE}) {
      const uint64_t v = reg(*bus, q, 8);
      EXPECT_EQ(v & queue::kBaseLog2Size, std::min(8u, id.cmdq_lg2)) << q;
      EXPECT_GE(v & queue::kBaseAddr, kPool) << q;
      EXPECT_LT(v & queue::kBaseAddr, kPoolEnd) << q;
    }
    // CMD_CFGI_ALL and CMD_TLBI_NSNH_ALL, each with its CMD_SYNC, all consumed.
    EXPECT_EQ(drv.counts().syncs, 2u);
    EXPECT_EQ(drv.counts().commands, 4u);
    EXPECT_EQ(reg(*bus, reg::CMDQ_CONS), reg(*bus, reg::CMDQ_PROD));
    EXPECT_EQ(drv.counts().sync_timeouts, 0u);
    if (!two_level) {
      // Every StreamID starts as an abort STE (V = 1, Config = 0).
      const uint64_t st = base & strtab::kBaseAddr;
      for (uint32_t sid : {0u, 5u, (1u << id.sid_bits) - 1}) {
        SteWords w{};
        ASSERT_TRUE(bus->memory().read(st + uint64_t{sid} * kSteBytes, w.data(), kSteBytes));
        const Ste s = decode_ste(w);
        EXPECT_TRUE(s.v);
        EXPECT_TRUE(s.abort());
      }
    }
  }));
  EXPECT_EQ(bus->counts().mmio_errors, 0u);
}

TEST(Smmuv3Driver, BringUpTwoLevelStreamTableWithMsiSync) {
  bring_up_reads_back("", options(), true, true);
}

TEST(Smmuv3Driver, BringUpLinearStreamTablePollingCons) {
  // Without MSIs the CMD_SYNCs are SIG_SEV and CMDQ_CONS is polled; 10 StreamID bits and no
  // ST_LEVEL: a linear table of 1024 STEs.
  bring_up_reads_back("two_level_strtab: false, sid_bits: 10, msi: false", options(), false, false);
}

TEST(Smmuv3Driver, FewStreamIdBitsGiveALinearTable) {
  // Linux: no 2-level table when one level-2 array (SPLIT 8) covers every StreamID.
  bring_up_reads_back("sid_bits: 8", options(), false, true);
}

struct Refusal {
  const char* ids;
  StrtabChoice strtab;
  const char* why;
};

class Smmuv3DriverRefuses : public testing::TestWithParam<Refusal> {};

TEST_P(Smmuv3DriverRefuses, WithTheReason) {
  Platform pf(test::platform_config(config(GetParam().ids)));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    DriverOptions o = options();
    o.strtab = GetParam().strtab;
    Smmuv3Driver drv(*bus, o);
    const std::string why = drv.init();
    EXPECT_NE(why.find(GetParam().why), std::string::npos) << why;
    // Refused before anything was enabled.
    EXPECT_EQ(reg(*bus, reg::CR0ACK), 0u);
    EXPECT_FALSE(drv.create_s1_domain());
  }));
}

INSTANTIATE_TEST_SUITE_P(
    Probe, Smmuv3DriverRefuses,
    testing::Values(Refusal{"cmdq_lg2: 6", StrtabChoice::automatic, "CMDQS"},
                    Refusal{"gran4k: false", StrtabChoice::automatic, "GRAN4K"},
                    Refusal{"two_level_strtab: false", StrtabChoice::two_level, "ST_LEVEL"}));

TEST(Smmuv3Driver, Stage1MapDmaUnmapStaleUntilTheSync) {
  Platform pf(test::platform_config(config()));
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x5a5a));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver drv(*bus, options(FlushPolicy::caller));
    ASSERT_EQ(drv.init(), "");
    // Nothing attached: the initial STE aborts.
    EXPECT_FALSE(read(*port, kIova));
    const auto d = drv.create_s1_domain();
    ASSERT_TRUE(d);
    ASSERT_TRUE(drv.map(*d, kIova, kData, 0x1000, true, true));
    ASSERT_TRUE(drv.attach(kSid, *d));
    EXPECT_EQ(read(*port, kIova), 0x5a5au);
    // The tables lose the page; the TLB keeps it until TLBI_NH_VA + CMD_SYNC.
    ASSERT_TRUE(drv.unmap(*d, kIova, 0x1000));
    EXPECT_EQ(read(*port, kIova), 0x5a5au);
    const uint64_t tlbi = drv.counts().tlbi;
    ASSERT_TRUE(drv.invalidate(*d, kIova, 0x1000));
    EXPECT_EQ(drv.counts().tlbi, tlbi + 1);
    EXPECT_FALSE(read(*port, kIova));
    // The fault is in the event queue: F_TRANSLATION for the StreamID at the IOVA, stage 1.
    drv.clear_events();
    EXPECT_GE(drv.drain_events(), 1u);
    ASSERT_FALSE(drv.events().empty());
    const EventRecord& e = drv.events().back();
    EXPECT_EQ(e.type, EventType::kF_TRANSLATION);
    EXPECT_EQ(e.sid, kSid);
    EXPECT_EQ(e.input_addr, kIova);
    EXPECT_FALSE(e.s2);
    EXPECT_TRUE(e.rnw);
    // Consumed: CONS caught up with PROD.
    EXPECT_EQ(reg(*bus, reg::EVENTQ_CONS) & queue::kPtr, reg(*bus, reg::EVENTQ_PROD) & queue::kPtr);
    EXPECT_EQ(drv.drain_events(), 0u);
  }));
}

TEST(Smmuv3Driver, StrictUnmapBlocksAtOnce) {
  Platform pf(test::platform_config(config()));
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x77));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver drv(*bus, options(FlushPolicy::strict));
    ASSERT_EQ(drv.init(), "");
    const auto d = drv.create_s1_domain();
    ASSERT_TRUE(d);
    ASSERT_TRUE(drv.map(*d, kIova, kData, 0x3000, true, false));
    ASSERT_TRUE(drv.attach(kSid, *d));
    EXPECT_EQ(read(*port, kIova), 0x77u);
    ASSERT_TRUE(drv.unmap(*d, kIova, 0x3000));
    EXPECT_FALSE(read(*port, kIova));
    EXPECT_GE(drv.counts().tlbi, 1u);
  }));
  // IDR3.RIL (default): one range command covers the three pages.
  EXPECT_EQ(test::counter(pf.iommu("iommu0")->stats(), "commands.CMD_TLBI_NH_VA"), 1u);
}

TEST(Smmuv3Driver, WithoutRangeInvalidationOneCommandPerPage) {
  Platform pf(test::platform_config(config("ril: false")));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver drv(*bus, options(FlushPolicy::strict));
    ASSERT_EQ(drv.init(), "");
    const auto d = drv.create_s1_domain();
    ASSERT_TRUE(d);
    ASSERT_TRUE(drv.map(*d, kIova, kData, 0x3000, true, false));
    ASSERT_TRUE(drv.unmap(*d, kIova, 0x3000));
    EXPECT_EQ(drv.counts().cmd_errors, 0u);
  }));
  EXPECT_EQ(test::counter(pf.iommu("iommu0")->stats(), "commands.CMD_TLBI_NH_VA"), 3u);
}

TEST(Smmuv3Driver, BatchedFlushInvalidatesTheAsidOncePerBatch) {
  Platform pf(test::platform_config(config()));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  std::vector<bool> stale;
  ASSERT_TRUE(test::run_thread([&] {
    DriverOptions o = options(FlushPolicy::batched);
    o.batch = 4;
    Smmuv3Driver drv(*bus, o);
    ASSERT_EQ(drv.init(), "");
    const auto d = drv.create_s1_domain();
    ASSERT_TRUE(d);
    ASSERT_TRUE(drv.attach(kSid, *d));
    for (uint64_t i = 0; i < 8; ++i) {
      const uint64_t iova = kIova + i * 0x1000;
      ASSERT_TRUE(drv.map(*d, iova, kData, 0x1000, true, true));
      ASSERT_TRUE(read(*port, iova));
      ASSERT_TRUE(drv.unmap(*d, iova, 0x1000));
      // Buffer 0 stays reachable through the TLB until the batch is flushed.
      stale.push_back(read(*port, kIova).has_value());
    }
    EXPECT_EQ(drv.counts().flushes, 2u);
  }));
  EXPECT_EQ(stale, (std::vector<bool>{true, true, true, false, false, false, false, false}));
  EXPECT_EQ(test::counter(pf.iommu("iommu0")->stats(), "commands.CMD_TLBI_NH_ASID"), 2u);
  EXPECT_EQ(test::counter(pf.iommu("iommu0")->stats(), "commands.CMD_TLBI_NH_VA"), 0u);
}

TEST(Smmuv3Driver, SvaBindsTwoSubstreamsWithTheirOwnAsids) {
  Platform pf(test::platform_config(config()));
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x1111));
  ASSERT_TRUE(pf.memory().write_le64(kData + 0x1000, 0x2222));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  // Two processes map the same VA to different pages.
  PhysAllocator mm(0x80'0000, 0x90'0000);
  auto p1 = s1_table(pf.memory(), mm);
  auto p2 = s1_table(pf.memory(), mm);
  constexpr uint64_t kVa = 0x4000'0000;
  ASSERT_EQ(p1.map(kVa, kData, 0x1000, user_rw()), pt::MapStatus::Ok);
  ASSERT_EQ(p2.map(kVa, kData + 0x1000, 0x1000, user_rw()), pt::MapStatus::Ok);
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver drv(*bus, options());
    ASSERT_EQ(drv.init(), "");
    const auto a1 = drv.bind_sva(kSid, 1, p1.root());
    const auto a2 = drv.bind_sva(kSid, 2, p2.root());
    ASSERT_TRUE(a1 && a2);
    EXPECT_NE(*a1, *a2);
    EXPECT_FALSE(drv.bind_sva(kSid, 0, p1.root()));  // SubstreamID 0 stands for "no PASID"
    EXPECT_EQ(read(*port, kVa, 1u), 0x1111u);
    EXPECT_EQ(read(*port, kVa, 2u), 0x2222u);
    // 20 SubstreamID bits with IDR0.CD2L: a 2-level CD table of 1024-CD leaves; SubstreamID
    // 1500 needs a second leaf (and its L1CD).
    const auto a3 = drv.bind_sva(kSid, 1500, p1.root());
    ASSERT_TRUE(a3);
    EXPECT_EQ(read(*port, kVa, 1500u), 0x1111u);
    const StrtabConfig st =
        decode_strtab(reg(*bus, reg::STRTAB_BASE, 8),
                      static_cast<uint32_t>(reg(*bus, reg::STRTAB_BASE_CFG)), drv.ids());
    const SteFetch f = fetch_ste(bus->memory(), st, kSid, drv.ids());
    ASSERT_EQ(f.status, SteFetchStatus::kOk);
    const Ste ste = decode_ste(f.words);
    EXPECT_EQ(ste.cfg(), SteConfig::kS1);
    EXPECT_EQ(ste.fmt(), S1Fmt::k2Level64K);
    EXPECT_EQ(ste.s1cdmax, 20u);
    EXPECT_EQ(ste.dss(), S1Dss::kTerminate);
    // Requests without a PASID: S1DSS = terminate (nothing attached to the RID).
    EXPECT_FALSE(read(*port, kVa));
    // Process 2 drops its page: stale until its ASID is invalidated; process 1 unaffected.
    ASSERT_TRUE(p2.unmap(kVa, 0x1000).ok());
    EXPECT_EQ(read(*port, kVa, 2u), 0x2222u);
    ASSERT_TRUE(drv.invalidate_asid(*a2, kVa, 0x1000));
    EXPECT_FALSE(read(*port, kVa, 2u));
    EXPECT_EQ(read(*port, kVa, 1u), 0x1111u);
    // Unbinding SubstreamID 1 clears its CD and its ASID's TLB entries.
    ASSERT_TRUE(drv.unbind(kSid, 1));
    EXPECT_FALSE(read(*port, kVa, 1u));
    drv.drain_events();
    bool bad_cd = false;
    for (const EventRecord& e : drv.events()) {
      if (e.type == EventType::kC_BAD_CD && e.ssv && e.ssid == 1) bad_cd = true;
    }
    EXPECT_TRUE(bad_cd);  // the cleared CD (V = 0) is C_BAD_CD
    EXPECT_GE(drv.counts().cfgi_cd, 4u);
  }));
}

TEST(Smmuv3Driver, NestedGuestStage1OverHostStage2) {
  // Guest RAM: IPA [0, 16 MiB) at system 0x2000'0000. The guest's CD table, stage-1 tables and
  // buffer are all in it; the host's stage 2 maps it.
  constexpr uint64_t kGuest = 0x2000'0000, kGuestSize = 16 << 20;
  constexpr uint64_t kCdIpa = 0x8000, kBufIpa = 0x9000, kVa = 0x4000'0000;
  Platform pf(test::platform_config(config()));
  ASSERT_TRUE(pf.memory().write_le64(kGuest + kBufIpa, 0xbeef));
  ASSERT_TRUE(pf.memory().write_le64(kBufIpa, 0xdead));  // where a stage-1-only walk would land
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  GuestRam gram(pf.memory(), kGuest, kGuestSize);
  PhysAllocator galloc(0x10'0000, 0x20'0000);
  auto gs1 = s1_table(gram, galloc);
  ASSERT_EQ(gs1.map(kVa, kBufIpa, 0x1000, user_rw()), pt::MapStatus::Ok);
  // The guest's CD 0 (guest ASID 9) over its own stage-1 root, an IPA.
  Cd cd;
  cd.v = true;
  cd.t0sz = 16;
  cd.epd1 = true;
  cd.ips = 5;
  cd.aa64 = cd.r = cd.a = true;
  cd.asid = 9;
  cd.ttb0 = gs1.root();
  const CdWords cw = encode_cd(cd);
  ASSERT_TRUE(gram.write(kCdIpa, cw.data(), kCdBytes));
  std::optional<uint64_t> got, stale, after;
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver drv(*bus, options());
    ASSERT_EQ(drv.init(), "");
    const auto s2 = drv.create_s2_domain();
    ASSERT_TRUE(s2);
    ASSERT_TRUE(drv.map(*s2, 0, kGuest, kGuestSize, true, true));
    EXPECT_FALSE(drv.attach_nested(kSid, *drv.create_s1_domain(), kCdIpa, 0));  // parent: S2
    ASSERT_TRUE(drv.attach_nested(kSid, *s2, kCdIpa, 0));
    got = read(*port, kVa);
    // The guest unmaps its page: stale until TLBI_NH_VAA in the parent's VMID.
    ASSERT_TRUE(gs1.unmap(kVa, 0x1000).ok());
    stale = read(*port, kVa);
    ASSERT_TRUE(drv.invalidate_nested(*s2, kVa, 0x1000));
    after = read(*port, kVa);
  }));
  EXPECT_EQ(got, 0xbeefu);
  EXPECT_EQ(stale, 0xbeefu);
  EXPECT_FALSE(after);
  EXPECT_EQ(test::counter(pf.iommu("iommu0")->stats(), "commands.CMD_TLBI_NH_VAA"), 1u);
}

TEST(Smmuv3Driver, SteUpdatesAreHitlessWhenOneWordSwitches) {
  Platform pf(test::platform_config(config()));
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x42));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver drv(*bus, options());
    ASSERT_EQ(drv.init(), "");
    const auto s1 = drv.create_s1_domain();
    const auto s2 = drv.create_s2_domain();
    ASSERT_TRUE(s1 && s2);
    ASSERT_TRUE(drv.map(*s1, kIova, kData, 0x1000, true, false));
    ASSERT_TRUE(drv.map(*s2, kIova, kData, 0x1000, true, false));
    // abort -> bypass -> S1: Config (word 0) is the only word in use that changes.
    ASSERT_TRUE(drv.attach_bypass(kSid));
    EXPECT_EQ(read(*port, kData), 0x42u);
    ASSERT_TRUE(drv.attach(kSid, *s1));
    EXPECT_EQ(drv.counts().ste_breaking, 0u);
    EXPECT_EQ(read(*port, kIova), 0x42u);
    // S1 -> S2 changes Config, the VMID and the stage-2 words: V goes to 0 first.
    ASSERT_TRUE(drv.attach(kSid, *s2));
    EXPECT_EQ(drv.counts().ste_breaking, 1u);
    EXPECT_EQ(read(*port, kIova), 0x42u);
    ASSERT_TRUE(drv.attach_abort(kSid));
    EXPECT_FALSE(read(*port, kIova));
    EXPECT_GE(drv.counts().ste_hitless, 3u);
    EXPECT_GE(drv.counts().cfgi_ste, 6u);
  }));
}

TEST(Smmuv3Driver, PageRequestsAreAnsweredWithPriResp) {
  Platform pf(test::platform_config(config()));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  std::optional<PageGroupResponse> resp;
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver drv(*bus, options());
    ASSERT_EQ(drv.init(), "");
    drv.set_pri_handler(
        [](const PriRecord& r) { return r.write ? PriResp::kSuccess : PriResp::kFailure; });
    PageRequest pr;
    pr.rid = kSid;
    pr.has_pasid = true;
    pr.pasid = 3;
    pr.addr = 0x1234'5000;
    pr.write = true;
    pr.group = 5;
    ASSERT_TRUE(port->page_request(pr));  // not the last of its group: no response
    pr.addr += 0x1000;
    pr.last = true;
    ASSERT_TRUE(port->page_request(pr));
    EXPECT_EQ(drv.drain_pri(), 2u);
    ASSERT_EQ(drv.page_requests().size(), 2u);
    const PriRecord& r = drv.page_requests()[1];
    EXPECT_EQ(r.sid, kSid);
    EXPECT_TRUE(r.ssv);
    EXPECT_EQ(r.ssid, 3u);
    EXPECT_TRUE(r.last);
    EXPECT_TRUE(r.write);
    EXPECT_FALSE(r.read);
    EXPECT_EQ(r.prg_index, 5u);
    EXPECT_EQ(r.addr, 0x1234'6000u);
    EXPECT_EQ(drv.counts().pri_responses, 1u);
    sc_core::wait(sc_core::sc_time(1, sc_core::SC_US));
    resp = port->take_page_response(to_ticks(sc_core::sc_time_stamp()));
    EXPECT_EQ(port->pending_page_responses(), 0u);
  }));
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->group, 5u);
  EXPECT_TRUE(resp->has_pasid);
  EXPECT_EQ(resp->pasid, 3u);
  EXPECT_EQ(resp->code, static_cast<uint8_t>(PrgResponseCode::success));
}

TEST(Smmuv3Driver, AtsMastersGetAtcInvalidations) {
  Platform pf(test::platform_config(config()));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  std::optional<AtsInvalidation> inv;
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver drv(*bus, options());
    ASSERT_EQ(drv.init(), "");
    ASSERT_TRUE(drv.set_ats(kSid, true));
    const auto d = drv.create_s1_domain();
    ASSERT_TRUE(d);
    ASSERT_TRUE(drv.map(*d, kIova, kData, 0x2000, true, true));
    ASSERT_TRUE(drv.attach(kSid, *d));
    ASSERT_TRUE(drv.unmap(*d, kIova + 0x1000, 0x1000));
    EXPECT_EQ(drv.counts().atc_inv, 1u);
    inv = port->take_invalidation(to_ticks(sc_core::sc_time_stamp()));
  }));
  ASSERT_TRUE(inv);
  EXPECT_EQ(inv->rid, kSid);
  EXPECT_FALSE(inv->has_pasid);
  EXPECT_EQ(inv->addr, kIova + 0x1000);
  EXPECT_EQ(inv->size_lg2, 12u);
}

TEST(Smmuv3Driver, BypassLeavesTheSmmuDisabled) {
  // The SMMU comes out of reset aborting (GBPA.ABORT = 1); the driver clears it through GBPA.
  Platform pf(test::platform_config(config("", "gbpa_abort: true")));
  ScenarioPort* port = pf.scenario_port("iommu0");
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x99));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    DriverOptions o = options();
    o.bypass = true;
    Smmuv3Driver drv(*bus, o);
    EXPECT_FALSE(read(*port, kData));  // GBPA.ABORT
    ASSERT_EQ(drv.init(), "");
    EXPECT_FALSE(bit(reg(*bus, reg::CR0ACK), cr0::SMMUEN));
    EXPECT_FALSE(bit(reg(*bus, reg::GBPA), gbpa::ABORT));
    EXPECT_FALSE(bit(reg(*bus, reg::GBPA), gbpa::UPDATE));
    EXPECT_EQ(read(*port, kData), 0x99u);  // GBPA: bypass
  }));
}

TEST(Smmuv3Driver, ASecondDriverFindsTheSmmuEnabledAndTakesItOver) {
  Platform pf(test::platform_config(config()));
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x31));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver first(*bus, options());
    ASSERT_EQ(first.init(), "");
    EXPECT_FALSE(bit(reg(*bus, reg::GBPA), gbpa::ABORT));
    DriverOptions o = options();
    o.pool_base = kPool + (64 << 20);  // its own memory
    Smmuv3Driver second(*bus, o);
    // Linux: an SMMU found enabled first aborts incoming traffic through GBPA, then is disabled.
    ASSERT_EQ(second.init(), "");
    EXPECT_TRUE(bit(reg(*bus, reg::GBPA), gbpa::ABORT));
    EXPECT_TRUE(bit(reg(*bus, reg::CR0ACK), cr0::SMMUEN));
    const auto d = second.create_s1_domain();
    ASSERT_TRUE(d);
    ASSERT_TRUE(second.map(*d, kIova, kData, 0x1000, true, false));
    ASSERT_TRUE(second.attach(kSid, *d));
    EXPECT_EQ(read(*port, kIova), 0x31u);
    EXPECT_NE(reg(*bus, reg::STRTAB_BASE, 8) & strtab::kBaseAddr, 0u);
  }));
}

/// Both ways of waiting for CMD_SYNC: the MSI poll and (without IDR0.MSI) CMDQ_CONS.
class Smmuv3DriverCmdError : public testing::TestWithParam<const char*> {};

TEST_P(Smmuv3DriverCmdError, AnIllegalCommandIsSkippedAndTheQueueRestarts) {
  Platform pf(test::platform_config(config(GetParam())));
  ScenarioPort* port = pf.scenario_port("iommu0");
  ASSERT_TRUE(pf.memory().write_le64(kData, 0x64));
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    Smmuv3Driver drv(*bus, options());
    ASSERT_EQ(drv.init(), "");
    EXPECT_EQ(drv.msi_sync(), *GetParam() == 0);
    Command bad;
    bad.opcode = 0x7f;  // reserved: CERROR_ILL (7.1)
    EXPECT_FALSE(drv.submit({bad}));
    EXPECT_EQ(drv.counts().cmd_errors, 1u);
    EXPECT_EQ(drv.counts().sync_timeouts, 0u);
    // Acknowledged: GERROR.CMDQ_ERR == GERRORN.CMDQ_ERR, and the queue runs again.
    EXPECT_EQ(bit(reg(*bus, reg::GERROR) ^ reg(*bus, reg::GERRORN), gerror::CMDQ_ERR), false);
    EXPECT_TRUE(drv.submit({}));
    const auto d = drv.create_s1_domain();
    ASSERT_TRUE(d);
    ASSERT_TRUE(drv.map(*d, kIova, kData, 0x1000, true, false));
    ASSERT_TRUE(drv.attach(kSid, *d));
    EXPECT_EQ(read(*port, kIova), 0x64u);
    EXPECT_EQ(drv.counts().cmd_errors, 1u);
  }));
  EXPECT_EQ(test::counter(pf.iommu("iommu0")->stats(), "commands.errors"), 1u);
}

INSTANTIATE_TEST_SUITE_P(SyncWait, Smmuv3DriverCmdError, testing::Values("", "msi: false"),
                         [](const testing::TestParamInfo<const char*>& i) {
                           return std::string(*i.param ? "cons_poll" : "msi_poll");
                         });

TEST(Smmuv3Driver, EventQueueOverflowIsAcknowledged) {
  Platform pf(test::platform_config(config()));
  ScenarioPort* port = pf.scenario_port("iommu0");
  auto bus = pf.host().open("iommu0", 0);
  ASSERT_TRUE(test::run_thread([&] {
    DriverOptions o = options();
    o.queue_lg2 = 7;  // 128 entries in each queue
    Smmuv3Driver drv(*bus, o);
    ASSERT_EQ(drv.init(), "");
    const auto d = drv.create_s1_domain();
    ASSERT_TRUE(d);
    ASSERT_TRUE(drv.attach(kSid, *d));
    for (uint64_t i = 0; i < 130; ++i) EXPECT_FALSE(read(*port, kIova + i * 0x1000));
    EXPECT_EQ(drv.drain_events(), 128u);  // a full queue; the last two were lost
    EXPECT_EQ(drv.counts().event_overflows, 1u);
    const uint32_t prod = static_cast<uint32_t>(reg(*bus, reg::EVENTQ_PROD));
    const uint32_t cons = static_cast<uint32_t>(reg(*bus, reg::EVENTQ_CONS));
    EXPECT_TRUE(bit(prod, queue::OVFLG));
    EXPECT_EQ(bit(cons, queue::OVFLG), bit(prod, queue::OVFLG));  // OVACKFLG
    EXPECT_EQ(drv.events().front().input_addr, kIova);
    EXPECT_EQ(drv.events().back().input_addr, kIova + 127 * 0x1000);
    // Recording resumes: a new fault is the next record, no new overflow.
    EXPECT_FALSE(read(*port, kIova + 200 * 0x1000));
    drv.clear_events();
    EXPECT_EQ(drv.drain_events(), 1u);
    EXPECT_EQ(drv.events().front().input_addr, kIova + 200 * 0x1000);
    EXPECT_EQ(drv.counts().event_overflows, 1u);
  }));
}

}  // namespace
}  // namespace isim
