// What every DMA-issuing device is to the platform: an initiator bound to its IOMMU's upstream
// socket, a requester ID, and a stats group. Subclasses are traffic generators, the scenario
// port, trace players.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "hw/dma_attrs.h"
#include "hw/pcie_msg.h"
#include "hw/stats/stats.h"

namespace isim {

class IommuBase;

/// One DMA as a device issues it.
struct DmaRequest {
  uint16_t rid = 0;
  bool has_pasid = false;
  uint32_t pasid = 0;
  bool priv = false;
  bool exec = false;
  AtsType ats = AtsType::untranslated;
  bool write = false;
  uint64_t addr = 0;
};

/// How it ended.
struct DmaResult {
  tlm::tlm_response_status status = tlm::TLM_INCOMPLETE_RESPONSE;
  sc_core::sc_time latency;  ///< from issue to completion
  AtsCompletion completion;  ///< for translation requests
  /// The physical address memory received the first byte at (none: nothing reached memory).
  std::optional<uint64_t> out;
  bool ok() const { return status == tlm::TLM_OK_RESPONSE; }
};

class DeviceBase;

/// Sees every DMA any device issues (trace recording). Installed process-wide; when none is,
/// transport() pays one pointer test.
class DmaObserver {
 public:
  virtual ~DmaObserver() = default;
  /// Called when the DMA completes. `issue` is the simulated time the request left the device,
  /// in picoseconds; `result` says how it ended and where it went.
  virtual void on_dma(const DeviceBase& dev, const DmaRequest& req, uint64_t size, uint64_t issue,
                      const DmaResult& result) = 0;
};

class DeviceBase : public sc_core::sc_module, public PcieEndpoint {
 public:
  /// Installs (or with nullptr removes) the observer of every device's DMAs.
  static void set_dma_observer(DmaObserver* o) { observer_ = o; }

  tlm_utils::simple_initiator_socket<DeviceBase> port{"port"};

  DeviceBase(sc_core::sc_module_name name, uint16_t rid, stats::Group& parent);
  ~DeviceBase() override;

  uint16_t rid() const { return rid_; }
  /// Why the run must fail because of this device (e.g. a trace check), empty if it need not.
  /// Asked after the simulation ends.
  virtual std::string run_error() const { return {}; }
  stats::Group& stats() { return stats_; }

  /// The IOMMU `port` is bound to (set by the platform; page requests go to it).
  void set_iommu(IommuBase* iommu) { iommu_ = iommu; }

  /// Sends a Page Request message from the calling thread, at sc_time_stamp() + delay. Returns
  /// false when there is no IOMMU or it has no page request interface.
  bool send_page_request(const PageRequest& pr, sc_core::sc_time& delay);

  /// A function without an ATC: nothing to drop, completes on arrival. Devices with an ATC
  /// override this.
  Tick ats_invalidate(const AtsInvalidation& inv, Tick now) override;
  /// Counted; devices with PRI override this.
  void page_response(const PageGroupResponse& r, Tick now) override;

  /// Issues one DMA through `port` with blocking transport. `delay` is the caller's local time
  /// offset (temporal decoupling) on entry and the completion offset on return. `data` is the
  /// buffer written or filled. Not re-entrant: one request at a time per device object.
  DmaResult transport(const DmaRequest& req, std::span<uint8_t> data, sc_core::sc_time& delay);

 protected:
  /// The device's behaviour, run as its SC_THREAD from time 0 (default: nothing; the scenario
  /// port acts only on request). The thread is created here, in DeviceBase's constructor,
  /// because only there is the module's name scope open: a process created in a derived
  /// constructor's body would land at the top of the hierarchy and clash with other devices'.
  virtual void run() {}

  const std::string name_;

 private:
  void thread() { run(); }

  static inline DmaObserver* observer_ = nullptr;
  uint16_t rid_;
  stats::Group stats_;
  IommuBase* iommu_ = nullptr;
  stats::Counter& ats_invalidations_;
  stats::Counter& page_responses_;
  tlm::tlm_generic_payload tx_;  // reused: no allocation per DMA
  DmaAttrs attrs_;
};

}  // namespace isim
