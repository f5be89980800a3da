#include "models/devices/trace_player.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "hw/sc_time_util.h"
#include "sim/build_context.h"
#include "sim/registry.h"
#include "trace/trace_io.h"

namespace isim {

TracePlayer::TracePlayer(const ComponentSpec& spec, const TracePlayerParams& p, BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      p_(p),
      end_(ctx.config.sim.duration.ps),
      reads_(stats().counter("reads", "read DMAs replayed and answered", "count")),
      writes_(stats().counter("writes", "write DMAs replayed and answered", "count")),
      bytes_(stats().counter("bytes", "payload bytes transferred", "bytes")),
      errors_(stats().counter("errors", "DMAs answered with an error (faults)", "count")),
      late_(stats().counter("late", "DMAs issued after their trace time for want of a slot",
                            "count")),
      software_(stats().counter(
          "software_events", "map/unmap/invalidate/attach/fault events (counted only)", "count")),
      skipped_(stats().counter("skipped_lines", "malformed trace lines skipped", "count")),
      latency_(stats().histogram("latency", "request latency, issue to completion", "ps")),
      active_time_(stats().scalar("active_time", "completion time of the last DMA", "ps")) {
  stats().formula("throughput", "payload bandwidth over the active time", "GB/s", [this] {
    return stats::ratio(static_cast<double>(bytes_.value()) * 1e3, active_time_.value());
  });
  stats().formula("requests_per_us", "completed DMAs per microsecond of active time", "1/us",
                  [this] {
                    return stats::ratio(static_cast<double>(reads_.value() + writes_.value()) * 1e6,
                                        active_time_.value());
                  });
  // Open now so a missing or unreadable trace is reported before the simulation starts.
  trace::open_reader(p_.file, {trace::parse_format(p_.format), p_.skip_bad});
}

void TracePlayer::run() {
  auto reader = trace::open_reader(p_.file, {trace::parse_format(p_.format), p_.skip_bad});
  const Tick quantum = to_ticks(tlm_utils::tlm_quantumkeeper::get_global_quantum());
  Tick base = to_ticks(sc_core::sc_time_stamp());
  Tick local = 0;
  Tick last_done = 0;
  inflight_.clear();
  const auto later = std::greater<Tick>();
  trace::Event e;
  DmaRequest req;
  while (reader->next(e)) {
    if (e.rid != rid()) continue;
    if (e.kind != trace::Kind::dma) {
      ++software_;
      continue;
    }
    bool held = false;
    if (p_.timing != ReplayTiming::fast) {
      const double scale = p_.timing == ReplayTiming::scaled ? p_.scale : 1.0;
      const Tick due = static_cast<Tick>(std::llround(static_cast<double>(e.time_ps) * scale));
      if (due > base + local) local = due - base;
    }
    if (inflight_.size() >= p_.outstanding) {
      std::pop_heap(inflight_.begin(), inflight_.end(), later);
      const Tick free_at = inflight_.back();
      inflight_.pop_back();
      if (free_at > base + local) {
        local = free_at - base;
        held = p_.timing != ReplayTiming::fast;
      }
    }
    const Tick issue = base + local;
    if (issue >= end_) break;
    if (held) ++late_;
    req.rid = e.rid;
    req.has_pasid = e.pasid.has_value();
    req.pasid = e.pasid.value_or(0);
    req.write = e.access == trace::Access::write;
    req.addr = e.addr;
    req.ats = e.at == trace::At::translated            ? AtsType::translated
              : e.at == trace::At::translation_request ? AtsType::translation_request
                                                       : AtsType::untranslated;
    if (buffer_.size() < e.size) buffer_.resize(e.size);
    sc_core::sc_time delay = from_ticks(local);
    const DmaResult r = transport(req, std::span(buffer_).first(e.size), delay);
    const Tick latency = to_ticks(delay) - local;
    const Tick done = issue + latency;
    // Translation requests hold no data slot of their own in the recording device either:
    // they are part of the DMA that follows them.
    if (req.ats != AtsType::translation_request) {
      inflight_.push_back(done);
      std::push_heap(inflight_.begin(), inflight_.end(), later);
      latency_.record(latency);
      if (r.ok()) {
        ++(req.write ? writes_ : reads_);
        bytes_ += e.size;
      } else {
        ++errors_;
      }
      last_done = std::max(last_done, done);
    } else {
      local = to_ticks(delay);
    }
    if (local >= quantum) {
      active_time_.set(static_cast<double>(last_done));
      skipped_ += reader->skipped() - skipped_.value();
      sc_core::wait(from_ticks(local));
      base = to_ticks(sc_core::sc_time_stamp());
      local = 0;
    }
  }
  active_time_.set(static_cast<double>(last_done));
  skipped_ += reader->skipped() - skipped_.value();
  if (local) sc_core::wait(from_ticks(local));
}

void register_trace_player() {
  device_types().add(make_component_type<DeviceBase, TracePlayer, TracePlayerParams>(
      "trace-player", "replays the DMAs of a trace for its requester ID (iommu-sim replay)"));
}

}  // namespace isim
