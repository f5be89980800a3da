#include "models/devices/generator.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "base/bits.h"
#include "base/rng.h"
#include "hw/sc_time_util.h"
#include "models/devices/shared_host_driver.h"
#include "sim/build_context.h"
#include "sim/config_error.h"
#include "sim/registry.h"

namespace isim {

AddressPattern::Params pattern_params(const GeneratorWorkload& w) {
  AddressPattern::Params p;
  p.pattern = w.pattern;
  p.base = w.base;
  p.footprint = w.footprint;
  p.size = w.size;
  p.stride = w.stride;
  p.theta = w.theta;
  p.block = w.block;
  p.burst = w.burst;
  p.ring_entries = w.ring_entries;
  p.desc_size = w.desc_size;
  return p;
}

// SR-IOV: each VF works on its own buffer when the workload says how far apart they are.
GeneratorWorkload with_function(GeneratorWorkload w, uint32_t function) {
  w.base += uint64_t{function} * w.vf_offset;
  return w;
}

namespace {

// The ATC's sizes, smallest first (the common case is found soonest).
std::vector<unsigned> atc_sizes(uint64_t mask) {
  std::vector<unsigned> v;
  for (unsigned lg2 = 12; lg2 < 64; ++lg2)
    if (mask & (uint64_t{1} << lg2)) v.push_back(lg2);
  return v;
}

}  // namespace

Generator::Generator(const ComponentSpec& spec, const GeneratorParams& p, BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      w_(with_function(params_as<GeneratorWorkload>(spec.workload), spec.function)),
      pattern_(pattern_params(w_), Rng(ctx.config.sim.seed, spec.name + ".pattern")),
      rng_(ctx.config.sim.seed, spec.name + ".op"),
      buffer_(std::max(w_.size, w_.pattern == AccessPattern::nic ? w_.desc_size : 0)),
      reads_(stats().counter("reads", "read requests issued before the end of the run and answered",
                             "count")),
      writes_(stats().counter(
          "writes", "write requests issued before the end of the run and answered", "count")),
      bytes_(stats().counter("bytes", "payload bytes transferred", "bytes")),
      errors_(stats().counter("errors", "requests answered with an error (faults)", "count")),
      late_(stats().counter("late", "open loop: requests issued late for want of a free slot",
                            "count")),
      latency_(stats().histogram("latency", "request latency, issue to completion", "ps")),
      active_time_(stats().scalar(
          "active_time", "completion time of the last request (may follow the end of the run)",
          "ps")) {
  stats().formula("throughput", "payload bandwidth over the active time", "GB/s", [this] {
    return stats::ratio(static_cast<double>(bytes_.value()) * 1e3, active_time_.value());
  });
  stats().formula("requests_per_us", "completed requests per microsecond of active time", "1/us",
                  [this] {
                    return stats::ratio(static_cast<double>(reads_.value() + writes_.value()) * 1e6,
                                        active_time_.value());
                  });
  end_time_ = from_ticks(ctx.config.sim.duration.ps);
  if (p.driver.enabled) mapping_ = std::make_unique<StaticMapping>(spec, ctx);
  if (p.ats.enabled) {
    ats_ = p.ats;
    CacheParams geo = p.ats.atc;
    geo.seed = Rng(ctx.config.sim.seed, spec.name + ".atc").next();
    atc_ = std::make_unique<DeviceTlb>(geo, atc_sizes(p.ats.page_sizes));
    treq_buf_.assign(8, 0);
    ats_group_ = std::make_unique<stats::Group>(stats(), "ats");
    stats::Group& g = *ats_group_;
    const CacheStats& cs = atc_->stats();
    g.counter_ref("atc_hits", &cs.hits, "requests the ATC translated", "count");
    g.counter_ref("atc_misses", &cs.misses, "requests that missed the ATC", "count");
    g.counter_ref("atc_invalidated", &cs.invalidations, "ATC entries dropped by invalidations",
                  "count");
    translation_requests_ =
        &g.counter("translation_requests", "ATS translation requests sent", "count");
    translation_denied_ =
        &g.counter("translation_denied", "translation requests refused or not cacheable", "count");
    untranslated_fallbacks_ = &g.counter(
        "untranslated", "requests sent untranslated because the ATC could not serve them", "count");
    g.formula("atc_hit_rate", "ATC hits / lookups", "ratio", [&cs] {
      return stats::ratio(static_cast<double>(cs.hits), static_cast<double>(cs.hits + cs.misses));
    });
  }
}

Tick Generator::ats_invalidate(const AtsInvalidation& inv, Tick now) {
  DeviceBase::ats_invalidate(inv, now);
  if (!atc_) return now;
  atc_->invalidate(inv);
  return now + ats_.invalidation.ps;
}

void Generator::translate_with_ats(DmaRequest& req, uint64_t size, sc_core::sc_time& delay) {
  delay += from_ticks(ats_.lookup.ps);
  const AtcTag tag{req.has_pasid, req.pasid};
  std::optional<AtcHit> hit = atc_->lookup(tag, req.addr);
  if (!hit) {
    ++*translation_requests_;
    DmaRequest tr = req;
    tr.ats = AtsType::translation_request;
    // PCIe 10.2.2: a request for read-only access sets No Write; this one asks for what the DMA
    // needs.
    const DmaResult r = transport(tr, treq_buf_, delay);
    if (r.ok() && atc_->fill(tag, req.addr, r.completion)) {
      const unsigned lg2 = r.completion.page_lg2;
      hit =
          AtcHit{AtcEntry{align_down(r.completion.translated, lg2), r.completion.read,
                          r.completion.write, r.completion.exec, r.completion.priv},
                 align_down(r.completion.translated, lg2) | (req.addr & (lg2_size(lg2) - 1)), lg2};
    } else {
      ++*translation_denied_;
    }
  }
  const bool allowed = hit && (req.write ? hit->entry.write : hit->entry.read);
  const bool fits =
      hit && (req.addr & (lg2_size(hit->page_lg2) - 1)) + w_.size <= lg2_size(hit->page_lg2);
  if (!allowed || !fits) {
    ++*untranslated_fallbacks_;
    return;
  }
  req.ats = AtsType::translated;
  req.addr = hit->addr;
}

void Generator::run() {
  // Loosely timed with temporal decoupling: the thread runs ahead of the kernel by up to one
  // quantum (`local`), then yields. Times are picosecond Ticks: this loop runs once per DMA
  // and sc_time arithmetic and kernel-time queries are measurable there.
  if (mapping_) {
    run_error_ = mapping_->setup(rid(), w_.base, w_.footprint);
    if (!run_error_.empty()) return;
  }
  const Tick now = to_ticks(sc_core::sc_time_stamp());
  if (w_.start.ps > now) sc_core::wait(from_ticks(w_.start.ps - now));
  const Tick quantum = to_ticks(tlm_utils::tlm_quantumkeeper::get_global_quantum());
  const Tick end = to_ticks(end_time_);
  Tick base = to_ticks(sc_core::sc_time_stamp());  // kernel time at the last synchronisation
  Tick local = 0;                                  // how far this thread runs ahead of it
  Tick last_done = 0;

  CompletionQueue& inflight = inflight_;
  inflight.reset(w_.outstanding);
  DmaRequest req;
  req.rid = rid();
  req.has_pasid = w_.pasid >= 0;
  req.pasid = req.has_pasid ? static_cast<uint32_t>(w_.pasid) : 0;
  // Open loop: request n is due at start + n * interval; closed loop (rate 0): as soon as a
  // slot is free. Either way at most `outstanding` are in flight.
  const Tick interval = w_.rate > 0 ? static_cast<Tick>(1e12 / w_.rate + 0.5) : 0;
  const Tick first = base;
  const Tick stop = w_.duration.ps ? std::min(end, first + w_.duration.ps) : end;
  for (uint64_t n = 0; w_.count == 0 || n < w_.count; ++n) {
    bool held = false;  // open loop: issued after its due time for want of a slot
    if (interval) {
      const Tick due = first + n * interval;
      if (due > base + local) local = due - base;
    }
    if (inflight.size() >= w_.outstanding) {
      // The next request issues when the earliest one in flight completes.
      const Tick free_at = inflight.earliest();
      inflight.pop_earliest();
      if (free_at > base + local) {
        local = free_at - base;
        held = interval != 0;
      }
    }
    const Tick issue = base + local;
    if (issue >= stop) break;
    if (held) ++late_;
    const PatternAccess acc = pattern_.next_access();
    req.write = acc.write ? *acc.write
                          : w_.op == DmaOp::write ||
                                (w_.op == DmaOp::mix && rng_.uniform() < w_.write_fraction);
    req.addr = acc.addr;
    req.ats = AtsType::untranslated;
    sc_core::sc_time delay = from_ticks(local);
    if (atc_) translate_with_ats(req, acc.size, delay);
    const DmaResult r = transport(req, std::span(buffer_).first(acc.size), delay);
    const Tick latency = to_ticks(delay) - local;
    const Tick done = issue + latency;
    inflight.push(done);
    latency_.record(latency);
    if (r.ok()) {
      ++(req.write ? writes_ : reads_);
      bytes_ += acc.size;
    } else {
      ++errors_;
    }
    last_done = std::max(last_done, done);
    if (local >= quantum) {
      // The run may end while this thread waits: publish what it has done so far first.
      active_time_.set(static_cast<double>(last_done));
      sc_core::wait(from_ticks(local));
      base = to_ticks(sc_core::sc_time_stamp());
      local = 0;
    }
  }
  active_time_.set(static_cast<double>(last_done));
  if (local) sc_core::wait(from_ticks(local));
}

void register_generator() {
  auto t = make_component_type<DeviceBase, Generator, GeneratorParams>(
      "generator", "DMA engine issuing a synthetic workload (pattern, size, mix, outstanding)");
  t.parse_workload = params_parser<GeneratorWorkload>();
  t.describe_workload = [] { return cfg::describe_params<GeneratorWorkload>(); };
  device_types().add(std::move(t));
  register_host_driver_user("generator", [](const ComponentSpec& spec) {
    const auto& p = params_as<GeneratorParams>(spec.params);
    if (!p.driver.enabled) return std::optional<host::DriverRequest>();
    host::DriverRequest r = driver_request(spec.name, p.driver.pool_base, p.driver.pool_size,
                                           p.driver.mmio_cost.ps, "driver.mmio_cost");
    r.ats = p.ats.enabled;
    return std::optional(r);
  });
}

}  // namespace isim
