#include "models/devices/trace_player.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>

#include "hw/sc_time_util.h"
#include "models/devices/shared_host_driver.h"
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
      skipped_(stats().counter("skipped_lines", "malformed trace lines skipped", "count")),
      out_checked_(stats().counter("out_checked",
                                   "DMAs whose output address was checked against "
                                   "the trace's out=",
                                   "count")),
      out_mismatches_(stats().counter(
          "out_mismatches", "checked DMAs whose output address differed from out=", "count")),
      software_(stats(), "software"),
      sw_maps_(software_.counter("maps", "map events applied", "count")),
      sw_unmaps_(software_.counter("unmaps", "unmap events applied", "count")),
      sw_invalidations_(software_.counter("invalidations", "invalidate events applied", "count")),
      sw_attaches_(software_.counter("attaches", "attach events applied", "count")),
      sw_faults_(
          software_.counter("faults", "fault events of the capture (counted only)", "count")),
      sw_ignored_(software_.counter(
          "ignored", "map/unmap/invalidate/attach events not applied (no driver)", "count")),
      sw_failed_(software_.counter("failed", "events the driver could not apply", "count")),
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
  if (p_.driver) {
    ReplayHostSetup hs;
    hs.granule_lg2 = static_cast<unsigned>(std::countr_zero(p_.granule));
    hs.flush_on_unmap = p_.flush_on_unmap;
    host_ = ReplayHost::of(spec, hs, ctx);
  }
}

std::string TracePlayer::run_error() const {
  if (!first_failure_.empty()) return first_failure_;
  if (p_.check_out && !first_mismatch_.empty())
    return fmt::format(
        "{} ({} of {} checked DMAs of {} differ; replay with --no-check-out to "
        "count them only)",
        first_mismatch_, out_mismatches_.value(), out_checked_.value(), name_);
  return {};
}

void TracePlayer::check_out(const trace::Event& e, const DmaResult& r,
                            const trace::Reader& reader) {
  // A translation request moves no data: its completion, not an access, is the answer.
  if (!e.out || e.at == trace::At::translation_request) return;
  ++out_checked_;
  if (r.ok() && r.out == e.out) return;
  ++out_mismatches_;
  if (!first_mismatch_.empty()) return;
  const std::string got = !r.ok() ? std::string("the DMA failed (a fault)")
                          : r.out ? fmt::format("it reached memory at 0x{:x}", *r.out)
                                  : std::string("it reached no memory");
  first_mismatch_ = fmt::format("{}: dma {} 0x{:x}: expected out=0x{:x}, {}", reader.where(),
                                trace::format_rid(e.rid), e.addr, *e.out, got);
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
  if (host_) {
    if (std::string err = host_->start(); !err.empty() && first_failure_.empty())
      first_failure_ = err;
    base = to_ticks(sc_core::sc_time_stamp());
  }
  while (reader->next(e)) {
    if (e.rid != rid()) continue;
    if (e.kind == trace::Kind::fault) {
      ++sw_faults_;
      continue;
    }
    if (e.kind != trace::Kind::dma && !host_) {
      ++sw_ignored_;
      continue;
    }
    if (e.kind != trace::Kind::dma) {
      // Software runs on the host in simulated time: bring this thread's clock up to the
      // event's time (or to now), apply it, and carry on from when the driver returns.
      if (p_.timing != ReplayTiming::fast) {
        const double scale = p_.timing == ReplayTiming::scaled ? p_.scale : 1.0;
        const Tick due = static_cast<Tick>(std::llround(static_cast<double>(e.time_ps) * scale));
        if (due > base + local) local = due - base;
      }
      if (base + local >= end_) break;
      if (local) sc_core::wait(from_ticks(local));
      const std::string err = host_->apply(e);
      if (!err.empty()) {
        ++sw_failed_;
        if (first_failure_.empty()) first_failure_ = reader->where() + ": " + err;
      } else {
        ++(e.kind == trace::Kind::map      ? sw_maps_
           : e.kind == trace::Kind::unmap  ? sw_unmaps_
           : e.kind == trace::Kind::attach ? sw_attaches_
                                           : sw_invalidations_);
      }
      active_time_.set(static_cast<double>(last_done));
      skipped_ += reader->skipped() - skipped_.value();
      base = to_ticks(sc_core::sc_time_stamp());
      local = 0;
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
    if (host_ && local >= quantum) {
      // Behind a driven IOMMU other players' software events change the tables: run at most a
      // quantum ahead of them, so an event more than a quantum earlier is seen.
      active_time_.set(static_cast<double>(last_done));
      sc_core::wait(from_ticks(local));
      base = to_ticks(sc_core::sc_time_stamp());
      local = 0;
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
    if (e.out) check_out(e, r, *reader);
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
  register_host_driver_user("trace-player", [](const ComponentSpec& spec) {
    const auto& p = params_as<TracePlayerParams>(spec.params);
    if (!p.driver) return std::optional<host::DriverRequest>();
    host::DriverRequest r = driver_request(spec.name, p.pool_base, p.pool_size, p.mmio_cost.ps);
    r.needs_scalable = p.scalable;
    r.scalable_why = "its scalable param is set";
    return std::optional(r);
  });
}

}  // namespace isim
