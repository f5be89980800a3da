// The `scenario-port` device: issues single DMAs on request from the scenario runner (or any
// software model), with any requester ID and PASID, and reports the outcome. It also stands for
// every function behind its IOMMU in the messages that are not DMA: it sends page requests
// and keeps the ATS invalidations and page group responses it receives, in arrival order, for
// scenario steps to check.
#pragma once

#include <deque>
#include <optional>
#include <span>

#include "hw/device_base.h"
#include "sim/params.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

struct ScenarioPortParams {
  /// Time from an Invalidate Request's arrival to its completion leaving the device (the ATC
  /// drop plus the completion message); 0 unless a scenario needs a slow device.
  cfg::TimeValue inval_completion{0};

  template <class V>
  void visit(V& v) {
    v.param("inval_completion", inval_completion,
            "ATS invalidation: request arrival to completion sent");
  }
};

class ScenarioPort final : public DeviceBase {
 public:
  ScenarioPort(const ComponentSpec& spec, const ScenarioPortParams& p, BuildContext& ctx);
  /// A port created by the platform for an IOMMU that has none in the config.
  ScenarioPort(const char* name, uint16_t rid, stats::Group& parent,
               const ScenarioPortParams& p = {});

  /// Issues one DMA from the calling SC_THREAD and waits until it completes.
  DmaResult issue(const DmaRequest& req, std::span<uint8_t> data);
  /// Sends one page request from the calling SC_THREAD; false when the IOMMU refused it.
  bool page_request(const PageRequest& pr);

  Tick ats_invalidate(const AtsInvalidation& inv, Tick now) override;
  void page_response(const PageGroupResponse& r, Tick now) override;

  /// The oldest invalidation received at or before `now`, removed from the log.
  std::optional<AtsInvalidation> take_invalidation(Tick now);
  /// The oldest page group response received at or before `now`, removed from the log.
  std::optional<PageGroupResponse> take_page_response(Tick now);
  /// Messages received (at any time) and not yet taken.
  size_t pending_invalidations() const { return invalidations_.size(); }
  size_t pending_page_responses() const { return responses_.size(); }

 private:
  template <class T>
  struct Arrived {
    T msg;
    Tick at;
  };
  template <class T>
  static std::optional<T> take(std::deque<Arrived<T>>& log, Tick now);

  ScenarioPortParams p_;
  stats::Counter& requests_;
  stats::Counter& faults_;
  stats::Counter& page_requests_;
  std::deque<Arrived<AtsInvalidation>> invalidations_;
  std::deque<Arrived<PageGroupResponse>> responses_;
};

void register_scenario_port();

}  // namespace isim
