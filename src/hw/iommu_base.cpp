#include "hw/iommu_base.h"

namespace isim {

IommuBase::IommuBase(sc_core::sc_module_name name, stats::Group& parent)
    : sc_module(name), stats_(parent, basename()) {
  upstream.register_b_transport(this, &IommuBase::upstream_b_transport);
  upstream.register_transport_dbg(this, &IommuBase::upstream_dbg);
  mmio.register_b_transport(this, &IommuBase::mmio_b_transport);
}

void IommuBase::mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time&) {
  tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
}

bool IommuBase::page_request(const PageRequest&, sc_core::sc_time&) {
  return false;
}

unsigned IommuBase::dma_debug(int, tlm::tlm_generic_payload& tx) {
  return downstream->transport_dbg(tx);
}

}  // namespace isim
