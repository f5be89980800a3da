#include "models/none/none_iommu.h"

#include "hw/dma_attrs.h"

#include "sim/build_context.h"
#include "sim/registry.h"

namespace isim {

NoneIommu::NoneIommu(const ComponentSpec& spec, const NoneIommuParams& p, BuildContext& ctx)
    : IommuBase(spec.name.c_str(), ctx.stats),
      latency_(static_cast<double>(p.latency.to_ticks(p.clock.mhz)), sc_core::SC_PS),
      requests_(stats_.counter("requests", "DMA requests passed through", "count")),
      bytes_(stats_.counter("bytes", "DMA payload bytes passed through", "bytes")),
      errors_(
          stats_.counter("errors", "DMA requests that memory answered with an error", "count")) {}

void NoneIommu::dma(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ++requests_;
  // Without a translation agent a translation request is an Unsupported Request (PCIe 10.2.2);
  // it must not reach memory as a read.
  if (const auto* a = tx.get_extension<DmaAttrs>(); a && a->ats == AtsType::translation_request) {
    ++errors_;
    delay += latency_;
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  bytes_ += tx.get_data_length();
  delay += latency_;
  downstream->b_transport(tx, delay);
  if (tx.get_response_status() != tlm::TLM_OK_RESPONSE) ++errors_;
}

void register_none_iommu() {
  iommu_types().add(make_component_type<IommuBase, NoneIommu, NoneIommuParams>(
      "none", "no IOMMU: DMA reaches memory untranslated (the IOMMU-off baseline)"));
}

}  // namespace isim
