// The scenario runner's ATS and PRI steps (ats_translate, translated DMA, page_request,
// expect_page_response, expect_ats_invalidation) against a fixture IOMMU that answers with
// known messages: the steps must pass on the right values and fail, with a message, on wrong
// ones.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "hw/dma_attrs.h"
#include "hw/iommu_base.h"
#include "hw/sc_time_util.h"
#include "sim/build_context.h"
#include "sim/registry.h"
#include "sim/scenario.h"
#include "sim/scenario_runner.h"

namespace isim {
namespace {

struct EchoParams {
  template <class V>
  void visit(V&) {}
};

/// Translation requests: output = input + 0x100000, 4 KiB, read-only unless the request asked
/// for write; refused (UR) below 0x1000. Translated DMA: passed through. Page requests: the last
/// of a group is answered after 1 us with success, or invalid_request for a write; a request
/// for address 0 is refused. A 64-bit write to register 0 sends that wire-format invalidation
/// to requester 0x0100 with PASID 5, completed when the device says.
class EchoIommu final : public IommuBase {
 public:
  static constexpr uint64_t kOffset = 0x100000;
  EchoIommu(const ComponentSpec& spec, const EchoParams&, BuildContext& ctx)
      : IommuBase(spec.name.c_str(), ctx.stats) {}
  uint64_t mmio_size() const override { return 0x1000; }
  Tick last_completion = 0;

 private:
  void dma(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override {
    auto* a = tx.get_extension<DmaAttrs>();
    if (a && a->ats == AtsType::translation_request) {
      if (tx.get_address() < 0x1000) {
        tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
        return;
      }
      a->completion = {};
      a->completion.valid = true;
      a->completion.translated = (tx.get_address() & ~uint64_t{0xfff}) + kOffset;
      a->completion.read = true;
      a->completion.write = tx.is_write();
      tx.set_response_status(tlm::TLM_OK_RESPONSE);
      return;
    }
    downstream->b_transport(tx, delay);
  }
  void mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override {
    uint64_t v = 0;
    std::memcpy(&v, tx.get_data_ptr(), sizeof v);
    AtsInvalidation inv = AtsInvalidation::from_wire(v);
    inv.rid = 0x0100;
    inv.has_pasid = true;
    inv.pasid = 5;
    const Tick now = to_ticks(sc_core::sc_time_stamp() + delay);
    last_completion = endpoint(inv.rid)->ats_invalidate(inv, now);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  bool page_request(const PageRequest& pr, sc_core::sc_time& delay) override {
    if (pr.addr == 0) return false;
    if (pr.last) {
      PageGroupResponse r;
      r.rid = pr.rid;
      r.has_pasid = pr.has_pasid;
      r.pasid = pr.pasid;
      r.group = pr.group;
      r.code = static_cast<uint8_t>(pr.write ? PrgResponseCode::invalid_request
                                             : PrgResponseCode::success);
      const Tick now = to_ticks(sc_core::sc_time_stamp() + delay);
      endpoint(pr.rid)->page_response(r, now + 1'000'000);
    }
    return true;
  }
};

std::string write_scenario(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

void register_echo() {
  iommu_types().add(make_component_type<IommuBase, EchoIommu, EchoParams>(
      "echo", "ATS/PRI message test fixture"));
}

TEST(ScenarioAtsPri, StepsPassOnTheRightMessagesAndFailOnWrongOnes) {
  register_echo();
  const std::string file = write_scenario("ats_pri.yaml", R"(platform:
  memory: {size: 1GiB}
  iommus:
    - {name: e0, type: echo}
steps:
  - ats_translate: {rid: 0x100, addr: 0x5123, expect: {addr: 0x105000, size: 0x1000, r: 1, w: 1, u: 0}, capture: ta}
  - ats_translate: {rid: 0x100, addr: 0x5123, nw: true, expect: {w: false}}
  - mem_write: {addr: 0x105000, u64: [0xabcdef]}
  - dma_read: {rid: 0x100, addr: $ta, translated: true, u64: [0xabcdef]}
  - ats_translate: {rid: 0x100, addr: 0x10, fault: true}
  - page_request: {rid: 0x100, pasid: 5, addr: 0x7000, read: true, last: false, group: 3}
  - expect_page_response: {none: true}
  - page_request: {rid: 0x100, pasid: 5, addr: 0x8000, read: true, group: 3}
  - expect_page_response: {none: true}
  - expect_page_response: {rid: 0x100, pasid: 5, group: 3, code: success, timeout: 2us}
  - page_request: {rid: 0x100, pasid: 5, addr: 0x9000, write: true, group: 4}
  - expect_page_response: {group: 4, code: invalid_request}
  - page_request: {rid: 0x100, addr: 0, group: 1, fault: true}
  - mmio_write: {target: e0, offset: 0, u64: 0x402ff800}
  - expect_ats_invalidation: {rid: 0x100, pasid: 5, addr: 0x40200000, size: 0x200000, global: false}
  - expect_ats_invalidation: {none: true}
  # Failures, each with its message:
  - ats_translate: {rid: 0x100, addr: 0x6000, expect: {addr: 0x6000}}
  - page_request: {rid: 0x100, addr: 0, group: 1}
  - expect_page_response: {timeout: 1us}
  - mmio_write: {target: e0, offset: 0, u64: 0x3000}
  - expect_ats_invalidation: {addr: 0x4000}
  - ats_translate: {rid: 0x100, addr: 0x7000, fault: true}
)");
  const Scenario sc = load_scenario(file);
  std::ostringstream out;
  const ScenarioOutcome o = run_scenario(sc, out);
  const std::string text = out.str();
  EXPECT_EQ(o.passed, 17u) << text;
  EXPECT_EQ(o.failed, 5u) << text;
  for (const char* want :
       {":23: ats_translate: translation of 0x6000 from 0x0100: addr: expected 0x6000, got "
        "0x106000",
        ":24: page_request: the IOMMU refused the page request for 0x0 from 0x0100",
        ":25: expect_page_response: no page group response arrived within 1us",
        ":27: expect_ats_invalidation: ATS invalidation to 0x0100 PASID 0x5 of 0x3000 size 2^12: "
        "addr: expected 0x4000, got 0x3000",
        ":28: ats_translate: expected the translation request for 0x7000 from 0x0100 to be "
        "refused, but it completed"})
    EXPECT_NE(text.find(file + want), std::string::npos) << want << "\n" << text;
}

TEST(ScenarioAtsPri, BadStepKeysAreRejectedWithFileAndLine) {
  const std::string file = write_scenario("bad_ats.yaml", R"(platform:
  memory: {size: 1GiB}
steps:
  - ats_translate: {rid: 0x100, addr: 0x1000, expect: {adr: 0x1000}}
  - page_request: {rid: 0x100, addr: 0x1000, group: 512}
  - expect_page_response: {code: sucess}
  - expect_ats_invalidation: {none: true, addr: 0x1000}
  - ats_translate: {rid: 0x100, addr: 0x1000, fault: true, expect: {r: 1}}
)");
  try {
    load_scenario(file);
    FAIL() << "accepted a malformed scenario";
  } catch (const std::exception& e) {
    const std::string msg = e.what();
    for (const char* want :
         {"bad_ats.yaml:4:56: steps.0.ats_translate.expect.adr: unknown key for expect (did you "
          "mean 'addr'?)",
          "bad_ats.yaml:5:53: steps.1.page_request.group: a page request group index is 9 bits",
          "bad_ats.yaml:6:34: steps.2.expect_page_response.code: bad number 'sucess'",
          "steps.3.expect_ats_invalidation.none: none: true expects no message",
          "steps.4.ats_translate.fault: give either fault: true or expect:"})
      EXPECT_NE(msg.find(want), std::string::npos) << want << "\n" << msg;
  }
}

}  // namespace
}  // namespace isim
