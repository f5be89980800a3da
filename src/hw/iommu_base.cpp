#include "hw/iommu_base.h"

#include <optional>

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

bool IommuBase::bus_read(uint64_t pa, void* dst, unsigned len, sc_core::sc_time& delay) {
  return bus_access(tlm::TLM_READ_COMMAND, pa, static_cast<unsigned char*>(dst), len, delay);
}

bool IommuBase::bus_write(uint64_t pa, const void* src, unsigned len, sc_core::sc_time& delay) {
  // The payload's data pointer is not const; a write target only reads through it.
  return bus_access(tlm::TLM_WRITE_COMMAND, pa,
                    const_cast<unsigned char*>(static_cast<const unsigned char*>(src)), len, delay);
}

bool IommuBase::bus_access(tlm::tlm_command cmd, uint64_t pa, unsigned char* data, unsigned len,
                           sc_core::sc_time& delay) {
  std::optional<tlm::tlm_generic_payload> own;
  tlm::tlm_generic_payload& gp = bus_gp_busy_ ? own.emplace() : bus_gp_;
  const bool outer = !bus_gp_busy_;
  bus_gp_busy_ = true;
  gp.set_command(cmd);
  gp.set_address(pa);
  gp.set_data_ptr(data);
  gp.set_data_length(len);
  gp.set_streaming_width(len);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_byte_enable_length(0);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  downstream->b_transport(gp, delay);
  if (outer) bus_gp_busy_ = false;
  return gp.is_response_ok();
}

}  // namespace isim
