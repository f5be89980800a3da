// The `none` IOMMU: DMA passes untranslated to memory. It is the "IOMMU off" baseline every
// study compares against, so it adds nothing but an optional fixed hop latency.
#pragma once

#include "hw/iommu_base.h"
#include "sim/param_types.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

struct NoneIommuParams {
  Latency latency = Latency::ps(0);  ///< fixed latency added to every DMA (e.g. a bridge hop)
  cfg::Frequency clock{1000};        ///< clock for latencies written in cycles

  template <class V>
  void visit(V& v) {
    v.param("latency", latency, "fixed latency added to every DMA");
    v.param("clock", clock, "clock for latencies written in cycles");
  }
};

class NoneIommu final : public IommuBase {
 public:
  NoneIommu(const ComponentSpec& spec, const NoneIommuParams& p, BuildContext& ctx);
  uint64_t mmio_size() const override { return 0; }

 private:
  void dma(int port, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) override;

  sc_core::sc_time latency_;
  stats::Counter& requests_;
  stats::Counter& bytes_;
  stats::Counter& errors_;
};

/// Registers type `none`.
void register_none_iommu();

}  // namespace isim
