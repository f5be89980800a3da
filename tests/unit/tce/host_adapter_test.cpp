// The TCE adapter behind the domain API (models/tce/host_adapter.h) over the functional PAPR
// hypervisor and translator: every map, unmap and attach goes through the hcalls and RTAS calls
// as a partition makes them, and the results are checked with translations of the PHB, also in
// the middle of an attach (after every single call).
#include "models/tce/host_adapter.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>

#include "host/dma_api.h"
#include "tests/unit/tce/tce_test_env.h"

namespace isim::tce {
namespace {

using host::DomainRequest;
using host::DomainType;
using host::PtFormat;
using host::Status;
using test::kPoolBase;

constexpr uint16_t kRid = 0x0100;
constexpr uint64_t kDdwBase = uint64_t{1} << 59;
constexpr Tick kCallTime = 1000;

/// A partition's host bus to one PHB: memory, a clock that moves per call, and the PAPR
/// interface over the functional hypervisor; `after_call` runs after every hcall or RTAS call.
class Partition final : public host::HostBus, public PaprInterface {
 public:
  explicit Partition(unsigned rid_shift = 0, HvConfig cfg = test::hv_config())
      : pes_(rid_shift, test::kLiobnBase, test::default_window()),
        hv_(pes_, *mem_, pool_, cfg, {}),
        xl_(pes_, *mem_) {}

  uint64_t mmio_read(uint32_t, unsigned) override { return ~uint64_t{0}; }
  void mmio_write(uint32_t, unsigned, uint64_t) override {}
  PhysMem& memory() override { return *mem_; }
  void pause(Tick ps) override { now_ += ps; }
  Tick now() const override { return now_; }
  PaprInterface* papr() override { return this; }

  PaprResult hcall(std::string_view name, std::span<const uint64_t> args) override {
    return finish(hv_.hcall(name, args));
  }
  PaprResult rtas(std::string_view name, std::span<const uint64_t> args) override {
    return finish(hv_.rtas(name, args));
  }
  std::optional<PaprDmaInfo> dma_info(uint16_t rid) const override {
    PaprDmaInfo i;
    i.pe = pes_.pe_of(rid);
    i.config_addr = config_addr_of_rid(rid);
    i.buid = uint64_t{test::kBuidHi} << 32 | test::kBuidLo;
    i.liobn = pes_.liobn(i.pe, 0);
    i.window_size = uint64_t{1} << 30;
    i.page_lg2 = 12;
    i.memory_size = kPoolBase;
    return i;
  }

  TceResult dma(uint64_t addr, bool write = false, uint16_t rid = kRid) {
    return xl_.translate({rid, addr, write});
  }
  PeWindows windows(uint16_t rid = kRid) const { return pes_.snapshot(pes_.pe_of(rid)); }

  std::function<void()> after_call;

 private:
  PaprResult finish(const CallOutcome& o) {
    now_ += kCallTime;
    if (after_call) after_call();
    return {o.rets, o.known};
  }

  std::unique_ptr<SparseMemory> mem_ = std::make_unique<SparseMemory>(test::kMemSize);
  PhysAllocator pool_{kPoolBase, test::kMemSize};
  PeMap pes_;
  TceHypervisor hv_;
  TceTranslator xl_;
  Tick now_ = 0;
};

AdapterOptions options(bool multi = true) {
  AdapterOptions o;
  o.pool_base = 0x0100'0000;
  o.pool_limit = 0x0200'0000;
  o.multi_tce = multi;
  return o;
}

DomainRequest paging(uint64_t aperture = 0, unsigned page_lg2 = 0) {
  DomainRequest r;
  r.type = DomainType::paging;
  r.format = PtFormat::tce;
  r.aperture = aperture;
  r.page_lg2 = page_lg2;
  return r;
}

DomainRequest of_type(DomainType t) {
  DomainRequest r;
  r.type = t;
  r.format = PtFormat::tce;
  return r;
}

struct Fixture {
  explicit Fixture(unsigned rid_shift = 0, HvConfig cfg = test::hv_config(), bool multi = true)
      : part(rid_shift, cfg), drv(part, options(multi)) {
    std::string why;
    EXPECT_EQ(drv.init(&why), Status::ok) << why;
  }
  host::DomainId alloc(const DomainRequest& r) {
    const auto d = drv.alloc_domain(r);
    EXPECT_EQ(d.status, Status::ok) << d.why;
    return d.id;
  }
  Partition part;
  TceHostAdapter drv;
};

TEST(TceAdapter, HardwareInfoAndWhatTceCannotDo) {
  Fixture f;
  const host::HwInfo h = f.drv.hw_info();
  EXPECT_EQ(h.vendor, host::Vendor::ibm_tce);
  EXPECT_TRUE(h.can_page(PtFormat::tce));
  EXPECT_FALSE(h.can_page(PtFormat::x86_64));
  EXPECT_TRUE(h.nest_formats.empty());
  EXPECT_FALSE(h.pasid);
  EXPECT_TRUE(h.identity);
  std::map<std::string, uint64_t> caps(h.cap_regs.begin(), h.cap_regs.end());
  EXPECT_EQ(caps["ibm,dma-window.size"], uint64_t{1} << 30);
  EXPECT_EQ(caps["ddw.page_sizes"], test::hv_config().ddw_page_mask);
  EXPECT_EQ(caps["ddw.largest_block"], test::hv_config().ddw_max_tces);
  EXPECT_EQ(caps["ddw.windows_available"], 1u);

  DomainRequest nested = of_type(DomainType::nested);
  nested.parent = f.alloc(paging());
  const auto n = f.drv.alloc_domain(nested);
  EXPECT_EQ(n.status, Status::not_supported);
  EXPECT_NE(n.why.find("nested"), std::string::npos) << n.why;
  DomainRequest other = paging();
  other.format = PtFormat::vtd_second_stage;
  EXPECT_EQ(f.drv.alloc_domain(other).status, Status::not_supported);
  EXPECT_EQ(f.drv.attach(nested.parent, kRid, 1u), Status::not_supported);
  EXPECT_EQ(f.drv.attach(nested.parent, kRid, 0u), Status::not_supported);
  EXPECT_EQ(f.drv.invalidate(nested.parent, {0, 0, 5u}), Status::not_supported);
  EXPECT_EQ(f.drv.counts().refused, 5u);
  // The refused PASID attach left the PE alone: nothing was attached.
  EXPECT_EQ(f.drv.counts().attaches, 0u);
}

TEST(TceAdapter, MapUnmapRoundTripThroughTheDefaultWindow) {
  Fixture f;
  const auto r = f.drv.alloc_domain(paging());
  ASSERT_EQ(r.status, Status::ok);
  EXPECT_EQ(r.aperture_base, 0u);
  EXPECT_EQ(r.aperture_size, uint64_t{1} << 30);
  ASSERT_EQ(f.drv.attach(r.id, kRid), Status::ok);
  const uint64_t pa = 0x2000'0000;
  ASSERT_EQ(f.drv.map(r.id, 0x10000, pa, 8 * 4096, {}), Status::ok);
  ASSERT_EQ(f.drv.map(r.id, 0x40000, 0x3000'0000, 4096, {}), Status::ok);
  EXPECT_EQ(f.drv.adapter_counts().h_put_tce_indirect, 1u);
  EXPECT_EQ(f.drv.adapter_counts().h_put_tce, 1u);
  for (uint64_t k = 0; k < 8; ++k) {
    const TceResult t = f.part.dma(0x10000 + k * 4096 + 0x123, true);
    ASSERT_TRUE(t.ok()) << k;
    EXPECT_EQ(t.out, pa + k * 4096 + 0x123);
    EXPECT_EQ(t.slot, 0u);
  }
  ASSERT_EQ(f.drv.unmap(r.id, 0x10000, 8 * 4096), Status::ok);
  EXPECT_EQ(f.drv.adapter_counts().h_stuff_tce, 1u);
  // No invalidate(): the hcall already killed the cached TCEs.
  for (uint64_t k = 0; k < 8; ++k)
    EXPECT_EQ(f.part.dma(0x10000 + k * 4096).reason, BlockReason::invalid_tce) << k;
  EXPECT_EQ(f.part.dma(0x40000).out, 0x3000'0000u);
  EXPECT_EQ(f.drv.invalidate(r.id, {0x10000, 8 * 4096, std::nullopt}), Status::ok);
  EXPECT_EQ(f.drv.counts().invalidations, 0u);  // nothing reached the hardware
  EXPECT_EQ(f.drv.counts().maps, 2u);
  EXPECT_EQ(f.drv.counts().unmaps, 1u);
  EXPECT_EQ(f.drv.adapter_counts().call_errors, 0u);
  EXPECT_GT(f.drv.adapter_counts().call_time, 0u);
}

TEST(TceAdapter, WithoutMultiTceEveryPageIsOneHcall) {
  Fixture f(0, test::hv_config(), false);
  const host::DomainId d = f.alloc(paging());
  ASSERT_EQ(f.drv.attach(d, kRid), Status::ok);
  ASSERT_EQ(f.drv.map(d, 0x10000, 0x2000'0000, 8 * 4096, {}), Status::ok);
  ASSERT_EQ(f.drv.unmap(d, 0x10000, 8 * 4096), Status::ok);
  EXPECT_EQ(f.drv.adapter_counts().h_put_tce, 16u);
  EXPECT_EQ(f.drv.adapter_counts().h_put_tce_indirect, 0u);
  EXPECT_EQ(f.drv.adapter_counts().h_stuff_tce, 0u);
}

TEST(TceAdapter, UnmappedAndForbiddenAccessesGetTheArchitectedBlock) {
  Fixture f;
  const host::DomainId d = f.alloc(paging());
  ASSERT_EQ(f.drv.attach(d, kRid), Status::ok);
  ASSERT_EQ(f.drv.map(d, 0x5000, 0x2000'0000, 4096, {true, false}), Status::ok);
  EXPECT_TRUE(f.part.dma(0x5000).ok());
  EXPECT_EQ(f.part.dma(0x5000, true).reason, BlockReason::permission);
  EXPECT_EQ(f.part.dma(0x6000).reason, BlockReason::invalid_tce);
  EXPECT_EQ(f.part.dma(uint64_t{1} << 30).reason, BlockReason::outside_windows);
  EXPECT_EQ(f.part.dma(kDdwBase).reason, BlockReason::outside_windows);  // no DDW
  // Bad requests are refused before any hcall.
  const uint64_t calls = f.drv.adapter_counts().h_put_tce;
  EXPECT_EQ(f.drv.map(d, 0x5000, 0x2100'0000, 4096, {}), Status::invalid);  // already mapped
  EXPECT_EQ(f.drv.map(d, 0x7800, 0x2000'0000, 4096, {}), Status::invalid);  // unaligned
  EXPECT_EQ(f.drv.map(d, (uint64_t{1} << 30) - 4096, 0, 8192, {}), Status::invalid);
  EXPECT_EQ(f.drv.map(d, 0x8000, kPoolBase, 4096, {}), Status::invalid);  // not partition RAM
  EXPECT_EQ(f.drv.map(d, 0x8000, 0, 4096, {false, false}), Status::invalid);
  EXPECT_EQ(f.drv.unmap(d, 0x5000, 8192), Status::invalid);  // a hole
  EXPECT_EQ(f.drv.adapter_counts().h_put_tce, calls);
  EXPECT_TRUE(f.part.dma(0x5000).ok());
}

TEST(TceAdapter, LargerWindowOr64KPagesIsADynamicDmaWindow) {
  Fixture f;
  const auto r = f.drv.alloc_domain(paging(uint64_t{1} << 36, 16));
  ASSERT_EQ(r.status, Status::ok) << r.why;
  EXPECT_EQ(r.aperture_base, kDdwBase);
  EXPECT_EQ(r.aperture_size, uint64_t{1} << 36);
  ASSERT_EQ(f.drv.map(r.id, kDdwBase + 0x30000, 0x1234'0000, 0x20000, {}), Status::ok);
  EXPECT_FALSE(f.part.windows().slot[1].enabled);  // created when attached
  ASSERT_EQ(f.drv.attach(r.id, kRid), Status::ok);
  const PeWindows w = f.part.windows();
  ASSERT_TRUE(w.slot[1].enabled);
  EXPECT_EQ(w.slot[1].page_lg2(), 16u);
  EXPECT_EQ(w.slot[1].window_lg2(), 36u);
  const TceResult t = f.part.dma(kDdwBase + 0x3abcd, true);
  ASSERT_TRUE(t.ok()) << to_string(t.reason);
  EXPECT_EQ(t.out, 0x1234'0000u + 0xabcd);
  EXPECT_EQ(t.page_lg2, 16u);
  EXPECT_EQ(t.slot, 1u);
  EXPECT_EQ(f.drv.map(r.id, kDdwBase + 0x51000, 0x1300'0000, 0x10000, {}), Status::invalid);
  // A page the query did not offer, and more TCEs than the largest block.
  EXPECT_EQ(f.drv.alloc_domain(paging(uint64_t{1} << 36, 25)).status, Status::not_supported);
  EXPECT_EQ(f.drv.alloc_domain(paging(uint64_t{1} << 44, 12)).status, Status::no_resources);
}

TEST(TceAdapter, IdentityIsADirectWindowOverPartitionMemory) {
  Fixture f;
  const auto r = f.drv.alloc_domain(of_type(DomainType::identity));
  ASSERT_EQ(r.status, Status::ok) << r.why;
  EXPECT_EQ(r.dma_offset, kDdwBase);
  ASSERT_EQ(f.drv.attach(r.id, kRid), Status::ok);
  // 3.75 GiB: the largest offered page dividing it is 256 MiB, 15 TCEs in one list.
  EXPECT_EQ(f.part.windows().slot[1].page_lg2(), 28u);
  EXPECT_EQ(f.drv.adapter_counts().h_put_tce_indirect, 1u);
  for (uint64_t pa : {uint64_t{0}, uint64_t{0x1234'5678}, kPoolBase - 8}) {
    const TceResult t = f.part.dma(r.dma_offset + pa, true);
    ASSERT_TRUE(t.ok()) << std::hex << pa;
    EXPECT_EQ(t.out, pa);
  }
  EXPECT_FALSE(f.part.dma(r.dma_offset + kPoolBase).ok());      // the hypervisor's memory
  EXPECT_EQ(f.drv.map(r.id, 0, 0, 4096, {}), Status::invalid);  // identity has no map
}

TEST(TceAdapter, IdentityRefusedWhenNoWindowCanCoverMemory) {
  HvConfig cfg = test::hv_config();
  cfg.ddw_page_mask = 0x01;  // 4 KiB only
  cfg.ddw_max_tces = uint64_t{1} << 16;
  Fixture f(0, cfg);
  EXPECT_FALSE(f.drv.hw_info().identity);
  const auto r = f.drv.alloc_domain(of_type(DomainType::identity));
  EXPECT_EQ(r.status, Status::not_supported);
  EXPECT_NE(r.why.find("largest block"), std::string::npos) << r.why;
  EXPECT_EQ(f.drv.counts().refused, 1u);
}

/// Checks, after every call of an attach, that each address translates as the old domain or
/// the new one maps it, that an address both map never faults, and that the old domain's
/// addresses start to go only once the new domain is complete.
class SwitchChecker {
 public:
  using Map = std::map<uint64_t, uint64_t>;  // DMA address -> physical address
  SwitchChecker(Partition& part, Map old_map, Map new_map)
      : part_(part), old_(std::move(old_map)), new_(std::move(new_map)) {}

  void check_step() {
    ++steps_;
    bool old_going = false;
    for (const auto& [a, pa] : old_) {
      const TceResult t = part_.dma(a);
      const auto n = new_.find(a);
      if (n != new_.end()) {
        ASSERT_TRUE(t.ok()) << "step " << steps_ << std::hex << " address 0x" << a;
        EXPECT_TRUE(t.out == pa || t.out == n->second) << std::hex << a;
      } else if (t.ok()) {
        EXPECT_EQ(t.out, pa) << std::hex << a;
      } else {
        old_going = true;
      }
    }
    for (const auto& [a, pa] : new_) {
      const TceResult t = part_.dma(a);
      if (t.ok()) {
        EXPECT_TRUE(t.out == pa || old_.contains(a)) << std::hex << a;
      }
      if (old_going) {
        EXPECT_TRUE(t.ok() && t.out == pa) << "step " << steps_ << std::hex << a;
      }
    }
  }
  void check_done() {
    for (const auto& [a, pa] : new_) {
      const TceResult t = part_.dma(a);
      EXPECT_TRUE(t.ok() && t.out == pa) << std::hex << a;
    }
    for (const auto& [a, pa] : old_)
      if (!new_.contains(a)) {
        EXPECT_FALSE(part_.dma(a).ok()) << std::hex << a;
      }
  }
  unsigned steps() const { return steps_; }

 private:
  Partition& part_;
  Map old_, new_;
  unsigned steps_ = 0;
};

TEST(TceAdapter, AttachReplacesDomainsWithoutAnUnattachedWindow) {
  Fixture f;
  const uint64_t pg = 4096;
  // A: a run longer than one TCE list, and two single pages.
  const host::DomainId a = f.alloc(paging());
  SwitchChecker::Map am;
  ASSERT_EQ(f.drv.map(a, 0x100000, 0x1000'0000, 600 * pg, {}), Status::ok);
  for (uint64_t k = 0; k < 600; ++k) am[0x100000 + k * pg] = 0x1000'0000 + k * pg;
  ASSERT_EQ(f.drv.map(a, 0x1000, 0x2000'0000, pg, {}), Status::ok);
  am[0x1000] = 0x2000'0000;
  // B: half of A's run to other pages, a page of its own.
  const host::DomainId b = f.alloc(paging());
  SwitchChecker::Map bm;
  ASSERT_EQ(f.drv.map(b, 0x100000, 0x3000'0000, 300 * pg, {}), Status::ok);
  for (uint64_t k = 0; k < 300; ++k) bm[0x100000 + k * pg] = 0x3000'0000 + k * pg;
  ASSERT_EQ(f.drv.map(b, 0x9000, 0x2100'0000, pg, {}), Status::ok);
  bm[0x9000] = 0x2100'0000;
  // C: a 64 KiB-page DDW.
  const host::DomainId c = f.alloc(paging(uint64_t{1} << 32, 16));
  SwitchChecker::Map cm;
  ASSERT_EQ(f.drv.map(c, kDdwBase, 0x4000'0000, 4 * 0x10000, {}), Status::ok);
  for (uint64_t k = 0; k < 4; ++k) cm[kDdwBase + k * 0x10000] = 0x4000'0000 + k * 0x10000;
  // I: identity, a DDW of another geometry.
  const host::DomainId idn = f.alloc(of_type(DomainType::identity));
  SwitchChecker::Map im;
  for (uint64_t pa : {uint64_t{0x1000'0000}, uint64_t{0x4000'0000}, uint64_t{0x9000}})
    im[kDdwBase + pa] = pa;
  for (const auto& [a, pa] : cm) im[a] = a - kDdwBase;  // C's addresses, now direct
  const host::DomainId blk = f.alloc(of_type(DomainType::blocking));

  auto step = [&](host::DomainId from_to, const SwitchChecker::Map& o, const SwitchChecker::Map& n,
                  bool check_steps) {
    SwitchChecker chk(f.part, o, n);
    if (check_steps) f.part.after_call = [&] { chk.check_step(); };
    EXPECT_EQ(f.drv.attach(from_to, kRid), Status::ok);
    f.part.after_call = nullptr;
    chk.check_done();
    return chk.steps();
  };
  EXPECT_GT(step(a, {}, am, true), 0u);
  EXPECT_GT(step(b, am, bm, true), 1u);  // in place in the default window
  EXPECT_GT(step(c, bm, cm, true), 1u);  // DDW created and filled, then B cleared
  PeWindows w = f.part.windows();
  EXPECT_TRUE(w.slot[0].enabled && w.slot[1].enabled);
  EXPECT_EQ(f.drv.adapter_counts().window_gaps, 0u);
  // Both TVEs are in use: the identity window can only replace C's after it is removed.
  step(idn, cm, im, false);
  EXPECT_EQ(f.drv.adapter_counts().window_gaps, 1u);
  EXPECT_GT(step(a, im, am, true), 1u);  // default window filled, then the DDW removed
  EXPECT_FALSE(f.part.windows().slot[1].enabled);
  step(blk, am, {}, true);
  w = f.part.windows();
  EXPECT_TRUE(w.slot[0].enabled);
  EXPECT_FALSE(w.slot[1].enabled);
  EXPECT_EQ(f.drv.counts().attaches, 6u);
  EXPECT_EQ(f.drv.adapter_counts().call_errors, 0u);
  // Back on A: its mappings were kept while it was detached.
  step(a, {}, am, false);
}

TEST(TceAdapter, FunctionsOfOnePeMoveTogetherAndADomainSpansPes) {
  Fixture f(3);  // functions 0x100..0x107 are one PE
  const host::DomainId d = f.alloc(paging());
  ASSERT_EQ(f.drv.map(d, 0x2000, 0x2000'0000, 4096, {}), Status::ok);
  ASSERT_EQ(f.drv.attach(d, 0x0100), Status::ok);
  EXPECT_EQ(f.part.dma(0x2000, false, 0x0101).out, 0x2000'0000u);
  ASSERT_EQ(f.drv.attach(d, 0x0200), Status::ok);  // another PE: filled from the domain
  EXPECT_EQ(f.part.dma(0x2000, false, 0x0200).out, 0x2000'0000u);
  ASSERT_EQ(f.drv.map(d, 0x3000, 0x2200'0000, 4096, {}), Status::ok);
  for (uint16_t rid : {0x0100, 0x0105, 0x0200})
    EXPECT_EQ(f.part.dma(0x3000, false, rid).out, 0x2200'0000u) << rid;
  ASSERT_EQ(f.drv.unmap(d, 0x2000, 4096), Status::ok);
  for (uint16_t rid : {0x0100, 0x0200}) EXPECT_FALSE(f.part.dma(0x2000, false, rid).ok()) << rid;
  // Moving 0x0200's PE away leaves the first PE's windows alone.
  ASSERT_EQ(f.drv.attach(f.alloc(of_type(DomainType::blocking)), 0x0200), Status::ok);
  EXPECT_FALSE(f.part.dma(0x3000, false, 0x0200).ok());
  EXPECT_TRUE(f.part.dma(0x3000, false, 0x0100).ok());
}

TEST(TceAdapter, ALeftoverDdwIsResetAwayWhenADomainNeedsTheSlot) {
  Fixture f;
  // An earlier user (a kexec'd kernel) left a DDW on the PE.
  const uint64_t cfg = config_addr_of_rid(kRid);
  const uint64_t create[] = {cfg, test::kBuidHi, test::kBuidLo, 12, 32};
  ASSERT_EQ(f.part.rtas("ibm,create-pe-dma-window", create).rets.at(0), 0u);
  ASSERT_TRUE(f.part.windows().slot[1].enabled);
  const host::DomainId d = f.alloc(paging(uint64_t{1} << 32, 16));
  ASSERT_EQ(f.drv.map(d, kDdwBase, 0x1000'0000, 0x10000, {}), Status::ok);
  ASSERT_EQ(f.drv.attach(d, kRid), Status::ok);
  EXPECT_EQ(f.drv.adapter_counts().window_gaps, 1u);
  EXPECT_EQ(f.part.windows().slot[1].page_lg2(), 16u);
  EXPECT_EQ(f.part.dma(kDdwBase + 0x123).out, 0x1000'0123u);
  // The failed create is the only call that returned an error.
  EXPECT_EQ(f.drv.adapter_counts().call_errors, 1u);
}

/// The DMA API over the adapter: each policy's DMA addresses translate while mapped; strict
/// and deferred unmaps are blocked at once (no stale window: the hcalls kill).
class TceDmaApi : public testing::TestWithParam<host::DmaPolicy> {};

TEST_P(TceDmaApi, PolicyMapsTranslateAndUnmapsBlock) {
  Fixture f;
  host::DmaApiParams p;
  p.policy = GetParam();
  p.format = PtFormat::tce;
  host::DmaApi api(f.drv, f.part, p);
  ASSERT_EQ(api.setup(kRid, 0x1000'0000, 1 << 20), "");
  for (uint64_t k = 0; k < 20; ++k) {
    const uint64_t pa = 0x1000'0000 + k * 0x3000 + 0x80;
    const auto dma = api.map(pa, 1500);
    ASSERT_TRUE(dma) << k;
    if (GetParam() == host::DmaPolicy::passthrough) {
      EXPECT_EQ(*dma, kDdwBase + pa);
    } else {
      EXPECT_LT(*dma, uint64_t{1} << 30);  // iova_limit (4 GiB) clamped to the 1 GiB window
    }
    const TceResult t = f.part.dma(*dma, true);
    ASSERT_TRUE(t.ok()) << k;
    EXPECT_EQ(t.out, pa);
    api.unmap(*dma, 1500);
    const bool dynamic =
        GetParam() == host::DmaPolicy::strict || GetParam() == host::DmaPolicy::deferred;
    EXPECT_EQ(f.part.dma(*dma).ok(), !dynamic) << k;
  }
  EXPECT_EQ(api.counts().map_errors, 0u);
}

INSTANTIATE_TEST_SUITE_P(Policies, TceDmaApi,
                         testing::Values(host::DmaPolicy::passthrough, host::DmaPolicy::static_map,
                                         host::DmaPolicy::strict, host::DmaPolicy::deferred),
                         [](const testing::TestParamInfo<host::DmaPolicy>& i) {
                           return i.param == host::DmaPolicy::static_map
                                      ? std::string("static")
                                      : std::string(host::to_string(i.param));
                         });

}  // namespace
}  // namespace isim::tce
