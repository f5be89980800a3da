// The Linux-style host driver (models/vtd/driver.h) bringing up the VT-d model through its
// registers and memory, then DMA through what it mapped: legacy and scalable mode, queued and
// register-based invalidation, strict and deferred unmap.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "hw/phys_allocator.h"
#include "hw/sc_time_util.h"
#include "models/devices/scenario_port.h"
#include "models/vtd/driver.h"
#include "pagetable/builder.h"
#include "pagetable/fmt/x86_64.h"
#include "sim/cpu_port.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

/// The driver's view of the platform: the platform's host bus to iommu0 (timed register
/// accesses through the CPU port, table stores straight to memory, polling in simulated time).
class PlatformBus {
 public:
  explicit PlatformBus(Platform& pf) : bus_(pf.host().open("iommu0", 0)) {}
  operator host::HostBus&() { return *bus_; }

 private:
  std::unique_ptr<host::HostBus> bus_;
};

std::string config(const std::string& caps) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 1ms, quantum: 1us}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}}
iommus:
  - {{name: iommu0, type: vtd, params: {{caps: {{{}}}}}}}
devices:
  - {{name: port0, type: scenario-port, rid: 0x0300}}
)",
                     caps);
}

vtd::DriverOptions options(bool scalable, vtd::FlushPolicy flush) {
  vtd::DriverOptions o;
  o.scalable = scalable;
  o.flush = flush;
  o.table_base = 0x1000'0000;
  o.table_limit = 0x2000'0000;
  return o;
}

bool read_ok(ScenarioPort& port, uint64_t iova, uint64_t* value) {
  std::vector<uint8_t> buf(8);
  DmaRequest r;
  r.rid = 0x0300;
  r.addr = iova;
  const DmaResult res = port.issue(r, buf);
  if (value) std::memcpy(value, buf.data(), 8);
  return res.ok();
}

struct Outcome {
  bool init_ok = false;
  bool mapped_read = false;
  uint64_t value = 0;
  bool after_unmap = true;  // DMA right after unmap
  bool after_flush = true;  // DMA after flush()
  vtd::DriverCounts counts;
};

Outcome run(const std::string& caps, bool scalable, vtd::FlushPolicy flush) {
  Platform pf(test::platform_config(config(caps)));
  EXPECT_TRUE(pf.memory().write_le64(0x50'0000, 0x5a5a));
  ScenarioPort* port = pf.scenario_port("iommu0");
  PlatformBus bus(pf);
  Outcome o;
  EXPECT_TRUE(test::run_thread([&] {
    vtd::VtdDriver drv(bus, options(scalable, flush));
    const std::string why = drv.init();
    EXPECT_EQ(why, "");
    o.init_ok = why.empty();
    const auto did = drv.create_domain();
    ASSERT_TRUE(did.has_value());
    ASSERT_TRUE(drv.attach(0x0300, *did));
    ASSERT_TRUE(drv.map(*did, 0x7000'0000, 0x50'0000, 0x4000, true));
    o.mapped_read = read_ok(*port, 0x7000'0000, &o.value);
    ASSERT_TRUE(drv.unmap(*did, 0x7000'0000, 0x4000));
    o.after_unmap = read_ok(*port, 0x7000'0000, nullptr);
    drv.flush();
    o.after_flush = read_ok(*port, 0x7000'0000, nullptr);
    o.counts = drv.counts();
  }));
  return o;
}

TEST(VtdDriver, LegacyQueuedStrict) {
  const Outcome o = run("", false, vtd::FlushPolicy::strict);
  EXPECT_TRUE(o.init_ok);
  EXPECT_TRUE(o.mapped_read);
  EXPECT_EQ(o.value, 0x5a5au);
  EXPECT_FALSE(o.after_unmap);  // the strict unmap invalidated before returning
  EXPECT_FALSE(o.after_flush);
  EXPECT_EQ(o.counts.psi, 1u);
  EXPECT_GE(o.counts.waits, 4u);  // context + IOTLB at init, attach, unmap
}

TEST(VtdDriver, LegacyRegisterBasedWithoutQueuedInvalidation) {
  const Outcome o = run("qi: false", false, vtd::FlushPolicy::strict);
  EXPECT_TRUE(o.init_ok);
  EXPECT_TRUE(o.mapped_read);
  EXPECT_FALSE(o.after_unmap);
  EXPECT_EQ(o.counts.waits, 0u);
  EXPECT_EQ(o.counts.psi, 1u);
}

TEST(VtdDriver, DeferredUnmapLeavesTheTranslationUntilTheFlush) {
  const Outcome o = run("", false, vtd::FlushPolicy::deferred);
  EXPECT_TRUE(o.mapped_read);
  EXPECT_TRUE(o.after_unmap);  // stale IOTLB entry: the window deferred flushing accepts
  EXPECT_FALSE(o.after_flush);
  EXPECT_EQ(o.counts.psi, 0u);
  EXPECT_EQ(o.counts.dsi, 1u);
}

TEST(VtdDriver, ScalableSecondStageStrict) {
  const Outcome o = run("", true, vtd::FlushPolicy::strict);
  EXPECT_TRUE(o.init_ok);
  EXPECT_TRUE(o.mapped_read);
  EXPECT_EQ(o.value, 0x5a5au);
  EXPECT_FALSE(o.after_unmap);
  EXPECT_EQ(o.counts.psi, 1u);
}

TEST(VtdDriver, WithoutPageSelectiveInvalidationUnmapFlushesTheDomain) {
  const Outcome o = run("psi: false", false, vtd::FlushPolicy::strict);
  EXPECT_FALSE(o.after_unmap);
  EXPECT_EQ(o.counts.psi, 0u);
  EXPECT_EQ(o.counts.dsi, 1u);
}

/// A "process" page table (IA-32e, 4-level) built in memory the way an OS would.
pt::Builder<pt::X86Format> process_tables(Platform& pf, PhysAllocator& alloc) {
  return *pt::Builder<pt::X86Format>::create(pt::X86Format(pt::vtd_first_stage_config(4, 46, true)),
                                             pf.memory(), alloc);
}

bool pasid_read(ScenarioPort& port, uint32_t pasid, uint64_t va, uint64_t* value) {
  std::vector<uint8_t> buf(8);
  DmaRequest r;
  r.rid = 0x0300;
  r.has_pasid = true;
  r.pasid = pasid;
  r.addr = va;
  const DmaResult res = port.issue(r, buf);
  if (value) std::memcpy(value, buf.data(), 8);
  return res.ok();
}

TEST(VtdDriver, SharedVirtualAddressingThroughAFirstStageBinding) {
  Platform pf(test::platform_config(config("")));
  ASSERT_TRUE(pf.memory().write_le64(0x60'0000, 0x1111));
  ASSERT_TRUE(pf.memory().write_le64(0x61'0000, 0x2222));
  PhysAllocator process_mem(0x3000'0000, 0x3100'0000);
  auto mm = process_tables(pf, process_mem);
  ASSERT_EQ(mm.map(0x7fff'0000'0000, 0x60'0000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
  ScenarioPort* port = pf.scenario_port("iommu0");
  PlatformBus bus(pf);
  uint64_t before = 0, after_change = 0, after_flush = 0;
  bool after_unbind = true;
  ASSERT_TRUE(test::run_thread([&] {
    vtd::VtdDriver drv(bus, options(true, vtd::FlushPolicy::strict));
    ASSERT_EQ(drv.init(), "");
    const auto did = drv.create_domain();
    ASSERT_TRUE(did);
    ASSERT_TRUE(drv.bind_first_stage(0x0300, 5, mm.root(), *did));
    ASSERT_TRUE(pasid_read(*port, 5, 0x7fff'0000'0000, &before));
    // The process moves the page; the IOTLB keeps the old one until the driver flushes.
    ASSERT_TRUE(mm.unmap(0x7fff'0000'0000, 4096).ok());
    ASSERT_EQ(mm.map(0x7fff'0000'0000, 0x61'0000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
    ASSERT_TRUE(pasid_read(*port, 5, 0x7fff'0000'0000, &after_change));
    drv.flush_pasid_range(*did, 5, 0x7fff'0000'0000, 4096);
    ASSERT_TRUE(pasid_read(*port, 5, 0x7fff'0000'0000, &after_flush));
    ASSERT_TRUE(drv.unbind(0x0300, 5, *did));
    after_unbind = pasid_read(*port, 5, 0x7fff'0000'0000, nullptr);
  }));
  EXPECT_EQ(before, 0x1111u);
  EXPECT_EQ(after_change, 0x1111u);
  EXPECT_EQ(after_flush, 0x2222u);
  EXPECT_FALSE(after_unbind);
}

TEST(VtdDriver, SecondStageDomainsAttachedPerPasid) {
  // One requester, two second-stage domains on PASIDs 3 and 4 (Scalable IOV: one assignable
  // interface each): each PASID sees only its own domain's mappings; an unattached PASID
  // faults; re-attaching PASID 4 to domain A replaces its translation.
  Platform pf(test::platform_config(config("")));
  ASSERT_TRUE(pf.memory().write_le64(0x60'0000, 0xaaaa));
  ASSERT_TRUE(pf.memory().write_le64(0x61'0000, 0xbbbb));
  ScenarioPort* port = pf.scenario_port("iommu0");
  PlatformBus bus(pf);
  uint64_t a = 0, b = 0, b_after = 0;
  bool unattached = true;
  ASSERT_TRUE(test::run_thread([&] {
    vtd::VtdDriver drv(bus, options(true, vtd::FlushPolicy::strict));
    ASSERT_EQ(drv.init(), "");
    const auto da = drv.create_domain();
    const auto db = drv.create_domain();
    ASSERT_TRUE(da && db);
    ASSERT_TRUE(drv.map(*da, 0x1000, 0x60'0000, 4096, true));
    ASSERT_TRUE(drv.map(*db, 0x1000, 0x61'0000, 4096, true));
    ASSERT_TRUE(drv.attach_pasid(0x0300, 3, *da));
    ASSERT_TRUE(drv.attach_pasid(0x0300, 4, *db));
    ASSERT_TRUE(pasid_read(*port, 3, 0x1000, &a));
    ASSERT_TRUE(pasid_read(*port, 4, 0x1000, &b));
    unattached = pasid_read(*port, 6, 0x1000, nullptr);
    ASSERT_TRUE(drv.attach_pasid(0x0300, 4, *da));
    ASSERT_TRUE(pasid_read(*port, 4, 0x1000, &b_after));
  }));
  EXPECT_EQ(a, 0xaaaau);
  EXPECT_EQ(b, 0xbbbbu);
  EXPECT_FALSE(unattached);
  EXPECT_EQ(b_after, 0xaaaau) << "the replaced PASID entry and its cached translation are gone";
}

TEST(VtdDriver, NestedGuestFirstStageOverHostSecondStage) {
  Platform pf(test::platform_config(config("")));
  ASSERT_TRUE(pf.memory().write_le64(0x80'0000 + 0x9000, 0x7777));
  ScenarioPort* port = pf.scenario_port("iommu0");
  PlatformBus bus(pf);
  uint64_t got = 0;
  bool before_s2 = true;
  ASSERT_TRUE(test::run_thread([&] {
    vtd::VtdDriver drv(bus, options(true, vtd::FlushPolicy::strict));
    ASSERT_EQ(drv.init(), "");
    const auto did = drv.create_domain();
    ASSERT_TRUE(did);
    // The guest builds its first-stage tables in its memory at GPA 0x810000.. (which the host
    // maps 1:1) and points VA 0x40000000 at GPA 0x9000, which the host backs with 0x809000.
    PhysAllocator guest_tables(0x81'0000, 0x82'0000);
    auto gpt = *pt::Builder<pt::X86Format>::create(
        pt::X86Format(pt::vtd_first_stage_config(4, 46, true)), pf.memory(), guest_tables);
    ASSERT_EQ(gpt.map(0x4000'0000, 0x9000, 4096, pt::MapAttrs::rw()), pt::MapStatus::Ok);
    ASSERT_TRUE(drv.bind_nested(0x0300, 7, gpt.root(), *did));
    before_s2 = pasid_read(*port, 7, 0x4000'0000, nullptr);  // no second stage yet: fault
    ASSERT_TRUE(drv.map(*did, 0x81'0000, 0x81'0000, 0x1'0000, false));
    ASSERT_TRUE(drv.map(*did, 0x9000, 0x80'9000, 4096, true));
    ASSERT_TRUE(pasid_read(*port, 7, 0x4000'0000, &got));
  }));
  EXPECT_FALSE(before_s2);
  EXPECT_EQ(got, 0x7777u);
}

}  // namespace
}  // namespace isim
