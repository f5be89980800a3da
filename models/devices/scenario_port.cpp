#include "models/devices/scenario_port.h"

#include "sim/build_context.h"
#include "sim/registry.h"

namespace isim {

ScenarioPort::ScenarioPort(const ComponentSpec& spec, const ScenarioPortParams&, BuildContext& ctx)
    : ScenarioPort(spec.name.c_str(), spec.rid, ctx.stats) {}

ScenarioPort::ScenarioPort(const char* name, uint16_t rid, stats::Group& parent)
    : DeviceBase(name, rid, parent),
      requests_(stats().counter("requests", "DMAs issued", "count")),
      faults_(stats().counter("faults", "DMAs answered with an error", "count")) {}

DmaResult ScenarioPort::issue(const DmaRequest& req, std::span<uint8_t> data) {
  ++requests_;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  DmaResult r = transport(req, data, delay);
  if (!r.ok()) ++faults_;
  sc_core::wait(delay);
  return r;
}

void register_scenario_port() {
  device_types().add(make_component_type<DeviceBase, ScenarioPort, ScenarioPortParams>(
      "scenario-port", "issues single DMAs on request (scenario steps, software models)"));
}

}  // namespace isim
