// A PCIe link between a device and its root port (or the IOMMU behind it): serialises the TLPs
// of every transaction on the direction they travel, with the line rate, encoding, TLP and DLLP
// overheads and payload splitting of PcieLinkParams (hw/pcie_link_params.h), plus a one-way
// latency each time a transaction crosses.
//
// Timing of one blocking transaction (loosely timed; contention through BandwidthTimelines):
//   write:   data TLPs up -> latency -> the IOMMU and memory (the device waits for the
//            downstream answer, so `outstanding` bounds posted writes as a credit limit would)
//   read:    request TLPs up -> latency -> IOMMU and memory -> completion TLPs down -> latency
//   ATS translation request: as a read of one 8-byte translation.
// The Ack/UpdateFC DLLPs for each direction's TLPs take bandwidth on the other direction: they
// are owed to it and sent ahead of its next TLPs. (Booking them when the acknowledged TLPs
// arrive would put them in the future of requests issued now, and a busy-until timeline
// cannot let those requests go first.)
// Several links may share a root port (a switch's upstream port): each transaction then also
// books the shared port's timelines, so devices contend for it.
// Not modelled: replay, SKP ordered sets (unless skp_interval reserves their share), flow-control
// credit exhaustion, Gen6 FLIT mode, and ATS invalidation / page request messages (they reach their
// destination directly).
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm>

#include <memory>

#include "hw/pcie_link_params.h"
#include "hw/resource_pool.h"
#include "hw/stats/stats.h"

namespace isim {

/// One direction's wire time, shared by every link that crosses it.
struct PcieDirection {
  explicit PcieDirection(TransferRate r) : wire(r) {}
  BandwidthTimeline wire;
  uint64_t unacked = 0;       ///< TLPs received and not yet acknowledged by a DLLP
  uint64_t pending_dllp = 0;  ///< DLLP bytes owed to this direction, sent with its next TLPs
};

/// Both directions of one physical link.
struct PcieWires {
  explicit PcieWires(TransferRate r) : up(r), down(r) {}
  PcieDirection up, down;
};

/// A root port (or switch upstream port) that several links share.
class PcieRootPort {
 public:
  PcieRootPort(const PcieLinkParams& p, stats::Group& parent, std::string_view name);
  PcieDirection& up() { return up_; }
  PcieDirection& down() { return down_; }
  const PcieTlpMath& math() const { return math_; }

 private:
  PcieTlpMath math_;
  PcieDirection up_, down_;
  stats::Group stats_;
};

class PcieLink final : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<PcieLink> device_side{"device_side"};
  tlm_utils::simple_initiator_socket<PcieLink> root_side{"root_side"};

  /// `shared`, when given, is the root port this link's traffic also crosses. `same_wires`,
  /// when given, is another function's link on the same physical link (an SR-IOV VF uses its
  /// PF's): the two then share the wire time. Stats go to a `link` group under `parent` (the
  /// device's group); counters are per function, utilisation is the physical link's.
  PcieLink(sc_core::sc_module_name name, const PcieLinkParams& p, stats::Group& parent,
           PcieRootPort* shared = nullptr, const PcieLink* same_wires = nullptr);

  const PcieTlpMath& math() const { return math_; }

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& tx);
  /// Books `bytes` (and `tlps` TLPs, acknowledged on the reverse direction) on this link's
  /// direction and the shared port's; returns when the last byte has crossed.
  Tick send(bool up, Tick ready, uint64_t bytes, uint64_t tlps);

  PcieTlpMath math_;
  Tick latency_;
  std::shared_ptr<PcieWires> wires_;
  PcieRootPort* shared_;
  stats::Group stats_;
  stats::Counter& transactions_;
  stats::Counter& payload_up_;
  stats::Counter& payload_down_;
  stats::Counter& wire_up_;
  stats::Counter& wire_down_;
  stats::Counter& tlps_up_;
  stats::Counter& tlps_down_;
};

}  // namespace isim
