// The system bus: an address map from physical address ranges to targets (DRAM, each IOMMU's
// register block). Initiators are the IOMMUs' downstream ports (DMA after translation) and the
// CPU-side software models (scenario runner, drivers).
#pragma once

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm>

#include <cstdint>
#include <string>
#include <vector>

#include "hw/stats/stats.h"

namespace isim {

class Router final : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Router> in{"in"};
  tlm_utils::multi_passthrough_initiator_socket<Router> out{"out"};

  Router(sc_core::sc_module_name name, stats::Group& parent);

  /// Maps [base, base + size) to out[port]. With `relative`, the target sees offsets from base
  /// (register blocks); otherwise the unchanged address (memory). Overlaps are rejected with
  /// std::invalid_argument naming both regions.
  void map(const std::string& name, uint64_t base, uint64_t size, unsigned port, bool relative);

  struct Region {
    std::string name;
    uint64_t base;
    uint64_t size;
    unsigned port;
    bool relative;
  };
  const Region* decode(uint64_t addr) const;
  const std::vector<Region>& regions() const { return regions_; }

 private:
  void b_transport(int id, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& tx);

  std::vector<Region> regions_;  // sorted by base
  mutable const Region* last_ = nullptr;
  stats::Group stats_;
  stats::Counter& decode_errors_;
};

}  // namespace isim
