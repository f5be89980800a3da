// The `scenario-port` device: issues single DMAs on request from the scenario runner (or any
// software model), with any requester ID and PASID, and reports the outcome.
#pragma once

#include <span>

#include "hw/device_base.h"

namespace isim {

struct ComponentSpec;
struct BuildContext;

struct ScenarioPortParams {
  template <class V>
  void visit(V&) {}
};

class ScenarioPort final : public DeviceBase {
 public:
  ScenarioPort(const ComponentSpec& spec, const ScenarioPortParams& p, BuildContext& ctx);
  /// A port created by the platform for an IOMMU that has none in the config.
  ScenarioPort(const char* name, uint16_t rid, stats::Group& parent);

  /// Issues one DMA from the calling SC_THREAD and waits until it completes.
  DmaResult issue(const DmaRequest& req, std::span<uint8_t> data);

 private:
  stats::Counter& requests_;
  stats::Counter& faults_;
};

void register_scenario_port();

}  // namespace isim
