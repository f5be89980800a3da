#include "models/devices/generator.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <functional>

#include "hw/sc_time_util.h"
#include "sim/build_context.h"
#include "sim/registry.h"

namespace isim {
namespace {

AddressPattern::Params pattern_params(const GeneratorWorkload& w) {
  return {w.pattern, w.base, w.footprint, w.size, w.stride};
}

}  // namespace

Generator::Generator(const ComponentSpec& spec, const GeneratorParams&, BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      w_(params_as<GeneratorWorkload>(spec.workload)),
      pattern_(pattern_params(w_), Rng(ctx.config.sim.seed, spec.name + ".pattern")),
      rng_(ctx.config.sim.seed, spec.name + ".op"),
      buffer_(w_.size),
      reads_(stats().counter("reads", "read requests issued before the end of the run and answered", "count")),
      writes_(stats().counter("writes", "write requests issued before the end of the run and answered", "count")),
      bytes_(stats().counter("bytes", "payload bytes transferred", "bytes")),
      errors_(stats().counter("errors", "requests answered with an error (faults)", "count")),
      latency_(stats().histogram("latency", "request latency, issue to completion", "ps")),
      active_time_(stats().scalar("active_time", "completion time of the last request (may follow the end of the run)", "ps")) {
  stats().formula("throughput", "payload bandwidth over the active time", "GB/s", [this] {
    return stats::ratio(static_cast<double>(bytes_.value()) * 1e3, active_time_.value());
  });
  stats().formula("requests_per_us", "completed requests per microsecond of active time",
                  "1/us", [this] {
                    return stats::ratio(static_cast<double>(reads_.value() + writes_.value()) * 1e6,
                                        active_time_.value());
                  });
  end_time_ = from_ticks(ctx.config.sim.duration.ps);
  SC_HAS_PROCESS(Generator);
  SC_THREAD(run);
}

void Generator::run() {
  using sc_core::sc_time;
  tlm_utils::tlm_quantumkeeper qk;
  qk.reset();
  if (w_.start.ps) sc_core::wait(sc_time(static_cast<double>(w_.start.ps), sc_core::SC_PS));

  // Completion times (absolute) of the requests in flight, earliest first.
  std::priority_queue<sc_time, std::vector<sc_time>, std::greater<>> inflight;
  DmaRequest req;
  req.rid = rid();
  req.has_pasid = w_.pasid >= 0;
  req.pasid = req.has_pasid ? static_cast<uint32_t>(w_.pasid) : 0;
  for (uint64_t n = 0; w_.count == 0 || n < w_.count; ++n) {
    if (inflight.size() >= w_.outstanding) {
      // Closed loop: the next request issues when the earliest one in flight completes.
      const sc_time free_at = inflight.top();
      inflight.pop();
      const sc_time now = sc_core::sc_time_stamp() + qk.get_local_time();
      if (free_at > now) qk.set(free_at - sc_core::sc_time_stamp());
    }
    const sc_time issue = sc_core::sc_time_stamp() + qk.get_local_time();
    if (issue >= end_time_) break;
    req.write = w_.op == DmaOp::write || (w_.op == DmaOp::mix && rng_.uniform() < w_.write_fraction);
    req.addr = pattern_.next();
    sc_time delay = qk.get_local_time();
    const DmaResult r = transport(req, buffer_, delay);
    const sc_time done = issue + r.latency;
    inflight.push(done);
    latency_.record(to_ticks(r.latency));
    if (r.ok()) {
      ++(req.write ? writes_ : reads_);
      bytes_ += w_.size;
    } else {
      ++errors_;
    }
    if (static_cast<double>(to_ticks(done)) > active_time_.value())
      active_time_.set(static_cast<double>(to_ticks(done)));
    if (qk.need_sync()) qk.sync();
  }
  qk.sync();
}

void register_generator() {
  auto t = make_component_type<DeviceBase, Generator, GeneratorParams>(
      "generator", "DMA engine issuing a synthetic workload (pattern, size, mix, outstanding)");
  t.parse_workload = params_parser<GeneratorWorkload>();
  t.describe_workload = [] { return cfg::describe_params<GeneratorWorkload>(); };
  device_types().add(std::move(t));
}

}  // namespace isim
