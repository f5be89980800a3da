#include "hw/device_base.h"

namespace isim {

DeviceBase::DeviceBase(sc_core::sc_module_name name, uint16_t rid, stats::Group& parent)
    : sc_module(name), name_(basename()), rid_(rid), stats_(parent, basename()) {
  tx_.set_extension(&attrs_);
  SC_HAS_PROCESS(DeviceBase);
  SC_THREAD(thread);
}

DeviceBase::~DeviceBase() {
  tx_.clear_extension(&attrs_);
}

DmaResult DeviceBase::transport(const DmaRequest& req, std::span<uint8_t> data,
                                sc_core::sc_time& delay) {
  attrs_.rid = req.rid;
  attrs_.has_pasid = req.has_pasid;
  attrs_.pasid = req.pasid & DmaAttrs::kPasidMask;
  attrs_.priv = req.priv;
  attrs_.exec = req.exec;
  attrs_.ats = req.ats;
  attrs_.device = name_;
  attrs_.completion = {};
  tx_.set_command(req.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  tx_.set_address(req.addr);
  tx_.set_data_ptr(data.data());
  tx_.set_data_length(static_cast<unsigned>(data.size()));
  tx_.set_streaming_width(static_cast<unsigned>(data.size()));
  tx_.set_byte_enable_ptr(nullptr);
  tx_.set_dmi_allowed(false);
  tx_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  const sc_core::sc_time start = delay;
  port->b_transport(tx_, delay);
  return DmaResult{tx_.get_response_status(), delay - start, attrs_.completion};
}

}  // namespace isim
