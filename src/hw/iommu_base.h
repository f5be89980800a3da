// What every IOMMU model is to the platform: a DMA target upstream (devices bind here, several
// per IOMMU), an initiator downstream to the system bus, and a register block. Messages that
// are not DMA (ATS invalidations, page requests and responses; hw/pcie_msg.h) go to the
// functions below it by requester ID.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm>

#include <cstdint>
#include <map>

#include "hw/pcie_msg.h"
#include "hw/stats/stats.h"

namespace isim {

class IommuBase : public sc_core::sc_module {
 public:
  /// DMA from devices (each device binds one port; an IOMMU may have none).
  tlm_utils::multi_passthrough_target_socket_optional<IommuBase> upstream{"upstream"};
  /// Translated DMA and the IOMMU's own memory accesses (table walks, queues, MSIs).
  tlm_utils::simple_initiator_socket<IommuBase> downstream{"downstream"};
  /// Register block; addresses are offsets within it.
  tlm_utils::simple_target_socket<IommuBase> mmio{"mmio"};

  IommuBase(sc_core::sc_module_name name, stats::Group& parent);

  /// Size of the register block in bytes (0: the IOMMU has no registers).
  virtual uint64_t mmio_size() const = 0;

  stats::Group& stats() { return stats_; }

  /// Routes messages for requester `rid` to `ep` (the platform attaches every device).
  void attach_endpoint(uint16_t rid, PcieEndpoint* ep) { endpoints_[rid] = ep; }
  /// Receives messages for requester IDs no device was attached for (a scenario port, which
  /// issues DMA with any requester ID).
  void set_default_endpoint(PcieEndpoint* ep) { default_endpoint_ = ep; }
  /// The function behind `rid` (nullptr: nothing there; a message to it is dropped, as an
  /// unsupported request would be).
  PcieEndpoint* endpoint(uint16_t rid) const {
    auto it = endpoints_.find(rid);
    return it != endpoints_.end() ? it->second : default_endpoint_;
  }

  /// A Page Request message from a device (PCIe 10.4.1), arriving at sc_time_stamp() + delay;
  /// the IOMMU may add its acceptance time to `delay`. Returns false when the IOMMU has no
  /// page request interface (the default): the message is an unsupported request.
  virtual bool page_request(const PageRequest& pr, sc_core::sc_time& delay);

 protected:
  /// A DMA from the device bound to upstream port `port`.
  virtual void dma(int port, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) = 0;
  /// A register access; the default answers with an address error.
  virtual void mmio_access(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  /// Debug (zero-time, side-effect-free) DMA; the default forwards untranslated.
  virtual unsigned dma_debug(int port, tlm::tlm_generic_payload& tx);

  /// The unit's own memory traffic (table walks, queues, logs) through `downstream`, timed:
  /// true when the access completed. No DmaAttrs: memory counts it as the unit's, not a
  /// device's.
  bool bus_read(uint64_t pa, void* dst, unsigned len, sc_core::sc_time& delay);
  bool bus_write(uint64_t pa, const void* src, unsigned len, sc_core::sc_time& delay);

  stats::Group stats_;

 private:
  bool bus_access(tlm::tlm_command cmd, uint64_t pa, unsigned char* data, unsigned len,
                  sc_core::sc_time& delay);

  // Reused for the unit's own accesses: constructing a payload allocates its extension array,
  // once per table read otherwise. An access made while it is in use (a table pointer aimed
  // at a register that makes the unit read memory) gets a payload of its own.
  tlm::tlm_generic_payload bus_gp_;
  bool bus_gp_busy_ = false;

  std::map<uint16_t, PcieEndpoint*> endpoints_;
  PcieEndpoint* default_endpoint_ = nullptr;

  void upstream_b_transport(int port, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    dma(port, tx, delay);
  }
  unsigned upstream_dbg(int port, tlm::tlm_generic_payload& tx) { return dma_debug(port, tx); }
  void mmio_b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    mmio_access(tx, delay);
  }
};

}  // namespace isim
