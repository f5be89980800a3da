#include "hw/pcie_link.h"

#include <fmt/format.h>

#include <algorithm>

#include "hw/dma_attrs.h"
#include "hw/sc_time_util.h"

namespace isim {

namespace {

void register_direction_stats(stats::Group& g, const char* dir, const PcieDirection& d) {
  const TimelineStats& ts = d.wire.stats();
  g.counter_ref(fmt::format("{}_waited", dir), &ts.delayed,
                fmt::format("{} transfers that queued behind others", dir), "count");
  g.counter_ref(fmt::format("{}_wait", dir), &ts.total_wait,
                fmt::format("{} total queueing time", dir), "ps");
  g.formula(fmt::format("{}_utilisation", dir), fmt::format("{} wire busy fraction", dir), "ratio",
            [&d] {
              // Over the run, or until the last booked byte when bookings run past its end.
              return d.wire.utilisation(
                  std::max(to_ticks(sc_core::sc_time_stamp()), d.wire.busy_until()));
            });
}

}  // namespace

PcieRootPort::PcieRootPort(const PcieLinkParams& p, stats::Group& parent, std::string_view name)
    : math_(p), up_(math_.rate()), down_(math_.rate()), stats_(parent, name) {
  register_direction_stats(stats_, "up", up_);
  register_direction_stats(stats_, "down", down_);
}

PcieLink::PcieLink(sc_core::sc_module_name name, const PcieLinkParams& p, stats::Group& parent,
                   PcieRootPort* shared, const PcieLink* same_wires)
    : sc_module(name),
      math_(p),
      latency_(p.latency.to_ticks(p.clock.mhz)),
      wires_(same_wires ? same_wires->wires_ : std::make_shared<PcieWires>(math_.rate())),
      shared_(shared),
      stats_(parent, "link"),
      transactions_(stats_.counter("transactions", "transactions crossing the link", "count")),
      payload_up_(stats_.counter("payload_up", "data bytes device -> root", "bytes")),
      payload_down_(stats_.counter("payload_down", "data bytes root -> device", "bytes")),
      wire_up_(stats_.counter("wire_up", "bytes on the wire device -> root (TLP, DLLP)", "bytes")),
      wire_down_(
          stats_.counter("wire_down", "bytes on the wire root -> device (TLP, DLLP)", "bytes")),
      tlps_up_(stats_.counter("tlps_up", "TLPs device -> root", "count")),
      tlps_down_(stats_.counter("tlps_down", "TLPs root -> device", "count")) {
  device_side.register_b_transport(this, &PcieLink::b_transport);
  device_side.register_transport_dbg(this, &PcieLink::transport_dbg);
  register_direction_stats(stats_, "up", wires_->up);
  register_direction_stats(stats_, "down", wires_->down);
}

Tick PcieLink::send(bool up, Tick ready, uint64_t bytes, uint64_t tlps) {
  PcieDirection& d = up ? wires_->up : wires_->down;
  PcieDirection& back = up ? wires_->down : wires_->up;
  const uint64_t wire = bytes + d.pending_dllp;
  d.pending_dllp = 0;
  const Tick now = to_ticks(sc_core::sc_time_stamp());
  d.wire.retire_before(now);
  const BandwidthTimeline::Booking b = d.wire.transfer(ready, wire);
  Tick end = b.end;
  (up ? wire_up_ : wire_down_) += wire;
  (up ? tlps_up_ : tlps_down_) += tlps;
  back.pending_dllp += math_.ack_bytes(d.unacked, tlps);
  if (shared_) {
    // Cut-through: the shared port forwards as the bytes arrive, so it starts with the link.
    PcieDirection& s = up ? shared_->up() : shared_->down();
    PcieDirection& sback = up ? shared_->down() : shared_->up();
    const uint64_t swire = bytes + s.pending_dllp;
    s.pending_dllp = 0;
    s.wire.retire_before(now);
    end = std::max(end, s.wire.transfer(b.start, swire).end);
    sback.pending_dllp += shared_->math().ack_bytes(s.unacked, tlps);
  }
  return end;
}

void PcieLink::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ++transactions_;
  const DmaAttrs* a = tx.get_extension<DmaAttrs>();
  const bool pasid = a && a->has_pasid;
  const uint64_t addr = tx.get_address();
  const uint64_t len = tx.get_data_length();
  const Tick stamp = to_ticks(sc_core::sc_time_stamp());
  TlpTraffic t;
  if (a && a->ats == AtsType::translation_request)
    t = math_.translation(addr, pasid);
  else if (tx.is_write())
    t = math_.write(addr, len, pasid);
  else
    t = math_.read(addr, len, pasid);

  const Tick arrive = send(true, stamp + to_ticks(delay), t.up_bytes, t.up_tlps) + latency_;
  delay = from_ticks(arrive - stamp);
  if (tx.is_write() && !(a && a->ats == AtsType::translation_request)) payload_up_ += len;
  root_side->b_transport(tx, delay);
  if (t.down_tlps == 0 || tx.get_response_status() != tlm::TLM_OK_RESPONSE) {
    // Posted writes have no completion; a failed request's completion (UR/CA) is one
    // header-only TLP.
    if (t.down_tlps != 0) {
      const Tick done =
          send(false, stamp + to_ticks(delay), math_.tlp_bytes(addr, 0, false, true), 1) + latency_;
      delay = from_ticks(done - stamp);
    }
    return;
  }
  const Tick done = send(false, stamp + to_ticks(delay), t.down_bytes, t.down_tlps) + latency_;
  delay = from_ticks(done - stamp);
  if (!(a && a->ats == AtsType::translation_request)) payload_down_ += len;
}

unsigned PcieLink::transport_dbg(tlm::tlm_generic_payload& tx) {
  return root_side->transport_dbg(tx);
}

}  // namespace isim
