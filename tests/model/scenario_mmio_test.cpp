// The scenario runner's register steps (mmio_read / mmio_write / mmio_poll / captures) against
// a small register block served by RegBank through serve_register_access().
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hw/iommu_base.h"
#include "hw/reg_bank.h"
#include "hw/reg_bank_tlm.h"
#include "hw/sc_time_util.h"
#include "sim/build_context.h"
#include "sim/registry.h"
#include "sim/scenario.h"
#include "sim/scenario_runner.h"

namespace isim {
namespace {

struct RegTestParams {
  cfg::TimeValue ack_delay{1'000'000};  // STATUS.EN follows CTRL.EN after this long
  template <class V>
  void visit(V& v) {
    v.param("ack_delay", ack_delay, "time for STATUS to acknowledge CTRL");
  }
};

/// ID (RO), CTRL (RW bit 0), STATUS (RO, acknowledges CTRL.EN after a delay, like GSTS/CR0ACK),
/// BASE (64-bit, bits 11:0 RsvdZ).
class RegTestIommu final : public IommuBase {
 public:
  RegTestIommu(const ComponentSpec& spec, const RegTestParams& p, BuildContext& ctx)
      : IommuBase(spec.name.c_str(), ctx.stats), bank_(0x1000), ack_delay_(p.ack_delay.ps) {
    bank_.add({.name = "ID", .offset = 0x0, .width = 4, .reset = 0x1234abcd, .ro = 0xffffffff});
    ctrl_ = bank_.add({.name = "CTRL", .offset = 0x8, .width = 4, .rw = 0x1});
    status_ = bank_.add({.name = "STATUS", .offset = 0xc, .width = 4, .ro = 0x1});
    bank_.add({.name = "BASE", .offset = 0x10, .width = 8, .rw = ~uint64_t{0xfff}});
    bank_.on_write(ctrl_, [this](const RegWrite& w) {
      if (w.changed() & 1) changed_at_ = to_ticks(sc_core::sc_time_stamp());
    });
    bank_.on_read(status_, [this] {
      const bool settled = to_ticks(sc_core::sc_time_stamp()) >= changed_at_ + ack_delay_;
      const uint64_t en = bank_.get(ctrl_) & 1;
      if (settled) bank_.set(status_, en);
    });
  }
  uint64_t mmio_size() const override { return 0x1000; }

 private:
  void dma(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override {
    downstream->b_transport(tx, delay);
  }
  void mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time&) override {
    serve_register_access(bank_, tx);
  }

  RegBank bank_;
  RegBank::RegId ctrl_ = 0, status_ = 0;
  Tick ack_delay_;
  Tick changed_at_ = 0;
};

std::string write_scenario(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(ScenarioMmio, RegisterStepsCapturesAndPolls) {
  iommu_types().add(make_component_type<IommuBase, RegTestIommu, RegTestParams>(
      "regtest", "register-block test fixture"));
  const std::string file = write_scenario("mmio.yaml", R"(platform:
  memory: {size: 1GiB}
  iommus:
    - {name: r0, type: regtest}
steps:
  - mmio_read: {target: r0, offset: 0x0, u32: 0x1234abcd}
  - mmio_read: {target: r0, offset: 0x0, u32: 0x12340000, mask: 0xffff0000}
  - mmio_write: {target: r0, offset: 0x10, u64: 0x123456789abc}
  - mmio_read: {target: r0, offset: 0x10, u64: 0x123456789000}
  - mmio_read: {target: r0, offset: 0x14, u32: 0x1234}
  - mmio_read: {target: r0, offset: 0x10, u64: 0, capture: base}
  - mem_write: {addr: 0x1000, u64: [$base]}
  - mem_read: {addr: 0x1000, u64: [0x123456789000]}
  - mmio_write: {target: r0, offset: 0x8, u32: 1}
  - mmio_read: {target: r0, offset: 0xc, u32: 0}
  - mmio_poll: {target: r0, offset: 0xc, u32: 1, timeout: 5us}
  - mmio_poll: {target: r0, offset: 0xc, u32: 2, timeout: 1us}
  - mmio_read: {target: r0, offset: 0x2000, u32: 0}
  - mmio_read: {target: r0, offset: 0x0, u32: 0x1234abce}
)");
  const Scenario sc = load_scenario(file);
  std::ostringstream out;
  const ScenarioOutcome o = run_scenario(sc, out);
  const std::string text = out.str();
  EXPECT_EQ(o.passed, 11u) << text;
  EXPECT_EQ(o.failed, 3u) << text;
  EXPECT_NE(text.find(file + ":17: mmio_poll: still not true after 1us: r0+0xc: expected 0x2, "
                             "got 0x1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(file + ":18: mmio_read: offset 0x2000 is outside r0's 0x1000-byte "
                             "register block"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(file + ":19: mmio_read: r0+0x0: expected 0x1234abce, got 0x1234abcd"),
            std::string::npos)
      << text;
  // The poll that succeeded had to wait for the acknowledgement: simulated time moved >= 1us.
  EXPECT_GE(to_ticks(sc_core::sc_time_stamp()), 1'000'000u);
}

}  // namespace
}  // namespace isim
