#include "hw/device_base.h"

#include "hw/iommu_base.h"
#include "hw/sc_time_util.h"

namespace isim {

DeviceBase::DeviceBase(sc_core::sc_module_name name, uint16_t rid, stats::Group& parent)
    : sc_module(name),
      name_(basename()),
      rid_(rid),
      stats_(parent, basename()),
      ats_invalidations_(
          stats_.counter("ats_invalidations", "ATS invalidation requests received", "count")),
      page_responses_(
          stats_.counter("page_responses", "page request group responses received", "count")) {
  tx_.set_extension(&attrs_);
  SC_HAS_PROCESS(DeviceBase);
  SC_THREAD(thread);
}

DeviceBase::~DeviceBase() {
  tx_.clear_extension(&attrs_);
}

bool DeviceBase::send_page_request(const PageRequest& pr, sc_core::sc_time& delay) {
  return iommu_ != nullptr && iommu_->page_request(pr, delay);
}

Tick DeviceBase::ats_invalidate(const AtsInvalidation&, Tick now) {
  ++ats_invalidations_;
  return now;
}

void DeviceBase::page_response(const PageGroupResponse&, Tick) {
  ++page_responses_;
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
  // Copied from a constant: a temporary built on the stack and read back at once stalls
  // store-to-load forwarding here, once per DMA.
  static constexpr AtsCompletion kNoCompletion{};
  attrs_.completion = kNoCompletion;
  attrs_.out_seen = false;
  tx_.set_command(req.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  tx_.set_address(req.addr);
  tx_.set_data_ptr(data.data());
  tx_.set_data_length(static_cast<unsigned>(data.size()));
  tx_.set_streaming_width(static_cast<unsigned>(data.size()));
  tx_.set_byte_enable_ptr(nullptr);
  tx_.set_dmi_allowed(false);
  tx_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  const sc_core::sc_time start = delay;
  const Tick issue = to_ticks(sc_core::sc_time_stamp() + delay);
  port->b_transport(tx_, delay);
  DmaResult r{tx_.get_response_status(), delay - start, attrs_.completion, std::nullopt};
  if (attrs_.out_seen) r.out = attrs_.out;
  if (observer_) [[unlikely]]
    observer_->on_dma(*this, req, data.size(), issue, r);
  return r;
}

}  // namespace isim
