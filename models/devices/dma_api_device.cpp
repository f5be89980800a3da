// sc_spawn: the buffer loops and the flush-queue timer are processes made at run time.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "models/devices/dma_api_device.h"

#include <map>
#include <string>
#include <systemc>

#include "base/bits.h"
#include "host/driver_registry.h"
#include "hw/sc_time_util.h"
#include "models/devices/shared_host_driver.h"
#include "sim/build_context.h"
#include "sim/config_error.h"
#include "sim/registry.h"

namespace isim {

namespace {

// NIC rings start on a page of their own (as AddressPattern lays them out).
constexpr unsigned kPageLg2 = 12;

host::DmaApiParams api_params(const DmaApiDeviceParams& p, host::PtFormat format) {
  host::DmaApiParams a;
  a.policy = p.policy;
  a.format = format;
  a.map_cost = p.map_cost.ps;
  a.unmap_cost = p.unmap_cost.ps;
  a.pte_cost = p.pte_cost.ps;
  a.fq_size = p.fq_size;
  a.fq_timeout = p.fq_timeout.ps;
  a.static_page = p.static_page;
  a.iova.base = p.iova_base;
  a.iova.limit = p.iova_limit;
  a.iova.mag_size = p.mag_size;
  a.iova.depot_mags = p.depot_mags;
  a.iova.rcache_cost = p.rcache_cost.ps;
  a.iova.tree_base = p.tree_cost.ps;
  a.iova.tree_per_level = p.tree_level_cost.ps;
  return a;
}

}  // namespace

DmaApiDevice::DmaApiDevice(const ComponentSpec& spec, const DmaApiDeviceParams& p,
                           BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      p_(p),
      w_(with_function(params_as<GeneratorWorkload>(spec.workload), spec.function)),
      buffer_(std::max(w_.size, w_.pattern == AccessPattern::nic ? w_.desc_size : 0), 0x5a),
      shared_(SharedHostDriver::of(spec, ctx)),
      buffers_(stats().counter("buffers", "buffers mapped, transferred and unmapped", "count")),
      bytes_(stats().counter("bytes", "payload bytes transferred without error", "bytes")),
      errors_(stats().counter("errors", "failed set-ups, maps or DMAs", "count")),
      late_dmas_(
          stats().counter("late_dmas", "accesses to a buffer right after its unmap", "count")),
      late_served_(stats().counter(
          "late_served", "late accesses the IOMMU still translated (stale IOTLB entry)", "count")),
      late_blocked_(stats().counter("late_blocked", "late accesses the IOMMU blocked", "count")),
      latency_(stats().histogram("latency", "per buffer: map, DMA and unmap", "ps")),
      active_time_(stats().scalar("active_time", "when the last buffer completed", "ps")) {
  if (w_.pasid >= 0) throw cfg::ConfigError(spec.name + ": dma-api devices use no PASID");
  api_ = std::make_unique<host::DmaApi>(shared_->driver(), shared_->bus(),
                                        api_params(p, shared_->dma_format()), shared_.get());
  end_time_ = from_ticks(ctx.config.sim.duration.ps);
  BufferLoop::Ops ops;
  ops.map = [this](uint64_t addr, uint64_t size) { return api_->map(addr, size); };
  ops.unmap = [this](uint64_t dma_addr, uint64_t size) {
    api_->unmap(dma_addr, size);
    if (p_.policy == host::DmaPolicy::deferred) fq_kick_.notify(sc_core::SC_ZERO_TIME);
  };
  ops.dma = [this](uint64_t addr, uint64_t size, bool write) { return dma(addr, size, write); };
  if (p_.late_every)
    ops.after = [this](uint64_t dma_addr, uint64_t size, bool write) {
      if (++late_counter_ % p_.late_every != 0) return;
      {
        sc_core::sc_scoped_lock l(api_mutex_);
        api_->note_access(dma_addr, size);
      }
      // Counted once complete, so late_dmas = late_served + late_blocked at any run end.
      const bool served = dma(dma_addr, size, write);
      ++late_dmas_;
      ++(served ? late_served_ : late_blocked_);
    };
  loop_ = std::make_unique<BufferLoop>(
      w_, ctx.config.sim.seed, spec.name, api_mutex_, std::move(ops),
      BufferLoop::Stats{buffers_, bytes_, errors_, latency_, active_time_});
  stats().formula("throughput", "payload bandwidth over the active time", "GB/s", [this] {
    return stats::ratio(static_cast<double>(bytes_.value()) * 1e3, active_time_.value());
  });
  api_stats_ = std::make_unique<stats::Group>(stats(), "dma_api");
  stats::Group& g = *api_stats_;
  const host::DmaApiCounts& c = api_->counts();
  const host::IovaCounts& ic = api_->iova_counts();
  g.counter_ref("maps", &c.maps, "map calls", "count");
  g.counter_ref("unmaps", &c.unmaps, "unmap calls", "count");
  g.counter_ref("map_errors", &c.map_errors, "map calls that failed", "count");
  g.counter_ref("map_time", &c.map_time, "time inside map calls", "ps");
  g.counter_ref("unmap_time", &c.unmap_time, "time inside unmap calls", "ps");
  g.counter_ref("invalidations", &c.invalidations, "IOTLB invalidations issued (and waited for)",
                "count");
  g.counter_ref("invalidation_time", &c.invalidation_time, "time waiting for invalidations", "ps");
  g.counter_ref("fq_flushes", &c.fq_flushes, "deferred: flush-queue flushes", "count");
  g.counter_ref("fq_timeouts", &c.fq_timeouts, "deferred: flushes the timeout triggered", "count");
  g.counter_ref("stale_entries", &c.stale_entries, "deferred: unmaps that waited for a flush",
                "count");
  g.counter_ref("stale_window_total", &c.stale_window_total,
                "deferred: sum of unmap-to-invalidation windows", "ps");
  g.counter_ref("stale_window_max", &c.stale_window_max,
                "deferred: longest unmap-to-invalidation window", "ps");
  g.counter_ref("stale_accesses", &c.stale_accesses,
                "device accesses inside a stale window (unmapped, not yet invalidated)", "count");
  g.counter_ref("iova_allocs", &ic.allocs, "IOVA allocations", "count");
  g.counter_ref("iova_rcache_hits", &ic.rcache_hits, "IOVA allocations a magazine served", "count");
  g.counter_ref("iova_tree_allocs", &ic.tree_allocs, "IOVA allocations from the tree", "count");
  g.counter_ref("iova_frees", &ic.frees, "IOVA frees", "count");
  g.counter_ref("iova_tree_frees", &ic.tree_frees, "IOVA ranges returned to the tree", "count");
  g.counter_ref("iova_failures", &ic.failures, "IOVA allocations with no room", "count");
  g.counter_ref("iova_cost", &ic.cost, "IOVA allocator time", "ps");
  g.formula("map_cost_avg", "time per map call", "ps", [&c] {
    return stats::ratio(static_cast<double>(c.map_time), static_cast<double>(c.maps));
  });
  g.formula("unmap_cost_avg", "time per unmap call", "ps", [&c] {
    return stats::ratio(static_cast<double>(c.unmap_time), static_cast<double>(c.unmaps));
  });
  g.formula("stale_window_avg", "deferred: mean unmap-to-invalidation window", "ps", [&c] {
    return stats::ratio(static_cast<double>(c.stale_window_total),
                        static_cast<double>(c.stale_entries));
  });
}

DmaApiDevice::~DmaApiDevice() = default;

bool DmaApiDevice::dma(uint64_t addr, uint64_t size, bool write) {
  DmaRequest r;
  r.rid = rid();
  r.addr = addr;
  r.write = write;
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  const DmaResult res = transport(r, std::span(buffer_).first(size), d);
  sc_core::wait(d);
  return res.ok();
}

void DmaApiDevice::run() {
  if (w_.start.ps) sc_core::wait(from_ticks(w_.start.ps));
  if (!shared_->start().empty() || !api_->setup(rid(), w_.base, w_.footprint).empty()) {
    ++errors_;
    return;
  }
  if (!loop_->map_ring()) return;
  const Tick now0 = to_ticks(sc_core::sc_time_stamp());
  const Tick end = to_ticks(end_time_);
  if (p_.policy == host::DmaPolicy::deferred)
    sc_core::sc_spawn([this] { flush_timer(); }, "fq_timer");
  loop_->run(w_.duration.ps ? std::min(end, now0 + w_.duration.ps) : end);
}

void DmaApiDevice::flush_timer() {
  for (;;) {
    std::optional<Tick> due;
    {
      sc_core::sc_scoped_lock l(api_mutex_);
      due = api_->next_deadline();
    }
    const Tick now = to_ticks(sc_core::sc_time_stamp());
    if (!due) {
      sc_core::wait(fq_kick_);
    } else if (now < *due) {
      sc_core::wait(from_ticks(*due - now));
    } else {
      sc_core::sc_scoped_lock l(api_mutex_);
      api_->poll();
    }
  }
}

void register_dma_api_device() {
  auto t = make_component_type<DeviceBase, DmaApiDevice, DmaApiDeviceParams>(
      "dma-api",
      "generator workload with per-buffer map/unmap through the host DMA API (passthrough, "
      "static, strict, deferred) on the IOMMU's driver (vtd, amdvi, smmuv3, tce)");
  t.parse_workload = params_parser<GeneratorWorkload>();
  t.describe_workload = [] { return cfg::describe_params<GeneratorWorkload>(); };
  device_types().add(std::move(t));
  register_host_driver_user("dma-api", [](const ComponentSpec& spec) {
    const auto& p = params_as<DmaApiDeviceParams>(spec.params);
    host::DriverRequest r = driver_request(spec.name, p.pool_base, p.pool_size, p.mmio_cost.ps);
    r.needs_scalable = p.scalable;
    r.scalable_why = "its scalable param is set";
    return std::optional(r);
  });
}

}  // namespace isim
