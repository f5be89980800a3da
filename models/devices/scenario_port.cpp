#include "models/devices/scenario_port.h"

#include <algorithm>

#include "hw/sc_time_util.h"
#include "sim/build_context.h"
#include "sim/registry.h"

namespace isim {

ScenarioPort::ScenarioPort(const ComponentSpec& spec, const ScenarioPortParams& p,
                           BuildContext& ctx)
    : ScenarioPort(spec.name.c_str(), spec.rid, ctx.stats, p) {}

ScenarioPort::ScenarioPort(const char* name, uint16_t rid, stats::Group& parent,
                           const ScenarioPortParams& p)
    : DeviceBase(name, rid, parent),
      p_(p),
      requests_(stats().counter("requests", "DMAs issued", "count")),
      faults_(stats().counter("faults", "DMAs answered with an error", "count")),
      page_requests_(stats().counter("page_requests", "page requests sent", "count")) {}

DmaResult ScenarioPort::issue(const DmaRequest& req, std::span<uint8_t> data) {
  ++requests_;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  DmaResult r = transport(req, data, delay);
  if (!r.ok()) ++faults_;
  sc_core::wait(delay);
  return r;
}

bool ScenarioPort::page_request(const PageRequest& pr) {
  ++page_requests_;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  const bool ok = send_page_request(pr, delay);
  sc_core::wait(delay);
  return ok;
}

Tick ScenarioPort::ats_invalidate(const AtsInvalidation& inv, Tick now) {
  DeviceBase::ats_invalidate(inv, now);
  invalidations_.push_back({inv, now});
  // A scenario port has no ATC: the completion only costs the configured turnaround.
  return now + p_.inval_completion.ps;
}

void ScenarioPort::page_response(const PageGroupResponse& r, Tick now) {
  DeviceBase::page_response(r, now);
  responses_.push_back({r, now});
}

template <class T>
std::optional<T> ScenarioPort::take(std::deque<Arrived<T>>& log, Tick now) {
  // Arrival order, among messages that have arrived: an IOMMU may announce a message due later
  // (temporal decoupling) before one due earlier.
  auto best = log.end();
  for (auto it = log.begin(); it != log.end(); ++it)
    if (it->at <= now && (best == log.end() || it->at < best->at)) best = it;
  if (best == log.end()) return std::nullopt;
  T msg = best->msg;
  log.erase(best);
  return msg;
}

std::optional<AtsInvalidation> ScenarioPort::take_invalidation(Tick now) {
  return take(invalidations_, now);
}

std::optional<PageGroupResponse> ScenarioPort::take_page_response(Tick now) {
  return take(responses_, now);
}

void register_scenario_port() {
  device_types().add(make_component_type<DeviceBase, ScenarioPort, ScenarioPortParams>(
      "scenario-port",
      "issues single DMAs and page requests on request, and logs ATS invalidations and page "
      "group responses (scenario steps, software models)"));
}

}  // namespace isim
