// An ATS-capable generator (generator `ats.enabled`) against a fixture translation agent: it
// translates each page once, then sends translated DMA to the output address from its ATC;
// an invalidation from the IOMMU drops the entries so the pages are translated again; a page
// the TA refuses goes untranslated.
#include <gtest/gtest.h>

#include "hw/dma_attrs.h"
#include "hw/iommu_base.h"
#include "hw/sc_time_util.h"
#include "sim/build_context.h"
#include "sim/platform.h"
#include "sim/registry.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

struct TaParams {
  template <class V>
  void visit(V&) {}
};

/// Output = input + 256 MiB for pages below 0x200000; the page at 0x200000 is refused (no
/// access); at 5 us it invalidates every ATC entry of requester 0x0100.
class FixtureTa final : public IommuBase {
 public:
  static constexpr uint64_t kOffset = 0x1000'0000;
  static constexpr uint64_t kRefused = 0x200000;

  FixtureTa(const ComponentSpec& spec, const TaParams&, BuildContext& ctx)
      : IommuBase(spec.name.c_str(), ctx.stats) {
    SC_HAS_PROCESS(FixtureTa);
    SC_THREAD(invalidate_later);
  }
  uint64_t mmio_size() const override { return 0; }

  static inline uint64_t translation_requests = 0, translated = 0, untranslated = 0;
  static inline uint64_t bad_translated = 0;
  static inline Tick completion_at = 0;

 private:
  void dma(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override {
    auto* a = tx.get_extension<DmaAttrs>();
    if (a->ats == AtsType::translation_request) {
      ++translation_requests;
      const uint64_t page = tx.get_address() & ~uint64_t{0xfff};
      a->completion = {};
      a->completion.valid = true;
      a->completion.translated = page + kOffset;
      a->completion.read = a->completion.write = page != kRefused;
      tx.set_response_status(tlm::TLM_OK_RESPONSE);
      return;
    }
    if (a->ats == AtsType::translated) {
      ++translated;
      if (tx.get_address() < kOffset) ++bad_translated;
    } else {
      ++untranslated;
    }
    downstream->b_transport(tx, delay);
  }
  void invalidate_later() {
    sc_core::wait(sc_core::sc_time(5, sc_core::SC_US));
    AtsInvalidation all = AtsInvalidation::from_wire(0x7ffffffffffff800ull);
    all.rid = 0x0100;
    completion_at = endpoint(0x0100)->ats_invalidate(all, to_ticks(sc_core::sc_time_stamp()));
  }
};

TEST(AtsDevice, TranslatesOncePerPageAndAgainAfterAnInvalidation) {
  iommu_types().add(make_component_type<IommuBase, FixtureTa, TaParams>("fixture-ta", "test"));
  // Four pages read round and round; one request in flight, so requests are in order.
  Platform pf(test::platform_config(R"(
sim: {seed: 1, duration: 10us, quantum: 100ns}
memory: {size: 1GiB, latency: 100ns, channels: 1, channel_bandwidth: 64GB/s}
iommus:
  - {name: ta, type: fixture-ta}
devices:
  - name: dma0
    type: generator
    rid: 0x0100
    params: {ats: {enabled: true, atc: {entries: 16, ways: 4}, lookup: 2ns, invalidation: 700ns}}
    workload: {pattern: sequential, base: 0x100000, footprint: 16KiB, size: 1KiB, op: read,
               outstanding: 1}
)"));
  pf.run();
  const auto& s = pf.stats();
  EXPECT_EQ(FixtureTa::translation_requests, 8u) << "4 pages, then 4 again after 5us";
  EXPECT_EQ(test::counter(s, "dma0.ats.translation_requests"), 8u);
  EXPECT_EQ(test::counter(s, "dma0.ats.atc_invalidated"), 4u);
  EXPECT_EQ(test::counter(s, "dma0.ats_invalidations"), 1u);
  EXPECT_EQ(FixtureTa::completion_at, 5'000'000u + 700'000u) << "invalidation param";
  EXPECT_EQ(FixtureTa::untranslated, 0u);
  EXPECT_EQ(FixtureTa::bad_translated, 0u);
  const uint64_t reads = test::counter(s, "dma0.reads");
  EXPECT_GT(reads, 20u);
  EXPECT_EQ(FixtureTa::translated, reads);
  EXPECT_EQ(test::counter(s, "dma0.ats.atc_hits") + test::counter(s, "dma0.ats.atc_misses"), reads);
}

TEST(AtsDevice, RefusedPagesGoUntranslated) {
  iommu_types().add(make_component_type<IommuBase, FixtureTa, TaParams>("fixture-ta", "test"));
  Platform pf(test::platform_config(R"(
sim: {seed: 1, duration: 2us, quantum: 100ns}
memory: {size: 1GiB, latency: 100ns, channels: 1, channel_bandwidth: 64GB/s}
iommus:
  - {name: ta, type: fixture-ta}
devices:
  - name: dma0
    type: generator
    rid: 0x0100
    params: {ats: {enabled: true}}
    workload: {pattern: sequential, base: 0x200000, footprint: 4KiB, size: 1KiB, op: read,
               outstanding: 1, count: 4}
)"));
  pf.run();
  EXPECT_EQ(test::counter(pf.stats(), "dma0.ats.translation_requests"), 4u)
      << "a refused translation is not cached: each request asks again";
  EXPECT_EQ(test::counter(pf.stats(), "dma0.ats.translation_denied"), 4u);
  EXPECT_EQ(test::counter(pf.stats(), "dma0.ats.untranslated"), 4u);
  EXPECT_EQ(FixtureTa::untranslated, 4u);
  EXPECT_EQ(FixtureTa::translated, 0u);
}

TEST(AtsDevice, NoIommuRefusesTranslationRequests) {
  Platform pf(test::platform_config(R"(
sim: {seed: 1, duration: 2us, quantum: 100ns}
memory: {size: 1GiB, latency: 100ns, channels: 1, channel_bandwidth: 64GB/s}
iommus:
  - {name: iommu0, type: none}
devices:
  - name: dma0
    type: generator
    rid: 0x0100
    params: {ats: {enabled: true}}
    workload: {pattern: sequential, base: 0x200000, footprint: 4KiB, size: 1KiB, op: read,
               outstanding: 1, count: 3}
)"));
  pf.run();
  EXPECT_EQ(test::counter(pf.stats(), "dma0.ats.translation_denied"), 3u);
  EXPECT_EQ(test::counter(pf.stats(), "dma0.reads"), 3u) << "served untranslated";
  EXPECT_EQ(pf.memory_module().device_accesses(), 3u) << "translation requests never read memory";
}

}  // namespace
}  // namespace isim
