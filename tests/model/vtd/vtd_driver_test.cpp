// The Linux-style host driver (models/vtd/driver.h) bringing up the VT-d model through its
// registers and memory, then DMA through what it mapped: legacy and scalable mode, queued and
// register-based invalidation, strict and deferred unmap.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "hw/sc_time_util.h"
#include "models/devices/scenario_port.h"
#include "models/vtd/driver.h"
#include "sim/cpu_port.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

/// The driver's view of the platform: timed register accesses through the CPU port, table
/// stores straight to memory, polling by letting simulated time pass.
class PlatformBus final : public vtd::HostBus {
 public:
  explicit PlatformBus(Platform& pf) : pf_(pf), base_(pf.mmio_base("iommu0")) {}
  uint64_t mmio_read(uint32_t off, unsigned size) override {
    return pf_.cpu().read(base_ + off, size).value_or(0);
  }
  void mmio_write(uint32_t off, unsigned size, uint64_t v) override {
    pf_.cpu().write(base_ + off, size, v);
  }
  PhysMem& memory() override { return pf_.memory(); }
  void pause(Tick ps) override { sc_core::wait(test::ps(ps)); }

 private:
  Platform& pf_;
  uint64_t base_;
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

}  // namespace
}  // namespace isim
