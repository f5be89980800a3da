// sc_spawn: the buffer loops are processes made at run time.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "models/devices/viommu_device.h"

#include <systemc>

#include <string>

#include "base/bits.h"
#include "host/driver_registry.h"
#include "hw/sc_time_util.h"
#include "models/devices/shared_host_driver.h"
#include "models/smmuv3/cd.h"
#include "sim/build_context.h"
#include "sim/config_error.h"
#include "sim/registry.h"

namespace isim {

namespace {

constexpr unsigned kPageLg2 = 12;

// The guest SMMUv3 driver's stage 1 (Linux arm_smmu_make_s1_cd): 48-bit VA, 4 KiB granule,
// TTB0 only, a 48-bit IPA space, AArch64, faults recorded (R) and aborted (A), ASID 1.
constexpr unsigned kGuestVaBits = 48;
constexpr unsigned kGuestIpaBits = 48;
constexpr unsigned kGuestGranuleLg2 = 12;
constexpr uint16_t kGuestAsid = 1;

/// Writes the guest's context descriptor (IHI 0070 5.4) for its stage-1 table at `s1_root`.
bool write_guest_cd(PhysMem& guest, uint64_t cd_gpa, uint64_t s1_root) {
  smmuv3::Cd cd;
  cd.v = true;
  cd.t0sz = static_cast<uint8_t>(64 - kGuestVaBits);
  cd.tg0 = static_cast<uint8_t>(smmuv3::tg0_encode(kGuestGranuleLg2));
  cd.epd1 = true;
  const auto ips = smmuv3::oas_encode(kGuestIpaBits);
  if (!ips) return false;
  cd.ips = static_cast<uint8_t>(*ips);
  cd.aa64 = cd.r = cd.a = true;
  cd.asid = kGuestAsid;
  cd.ttb0 = s1_root & mask(smmuv3::cd::TTB0.hi, smmuv3::cd::TTB0.lo);
  const smmuv3::CdWords w = smmuv3::encode_cd(cd);
  return guest.write(cd_gpa, w.data(), smmuv3::kCdBytes);
}

/// SR-IOV function n is VM n: its RAM follows function n - 1's.
ViommuDeviceParams for_function(ViommuDeviceParams p, uint32_t function) {
  p.ram_hpa += uint64_t{function} * p.ram_size;
  return p;
}

host::ViommuParams viommu_params(const ViommuDeviceParams& p) {
  host::ViommuParams v;
  v.mode = p.mode;
  v.guest = p.guest;
  v.ram_size = p.ram_size;
  v.ram_hpa = p.ram_hpa;
  v.table_base = p.table_base;
  v.table_size = p.table_size;
  v.trap_cost = p.trap_cost.ps;
  v.hypercall_cost = p.hypercall_cost.ps;
  v.guest_pte_cost = p.guest_pte_cost.ps;
  v.walk_cost = p.walk_cost.ps;
  v.host_map_cost = p.host_map_cost.ps;
  v.write_guest_cd = write_guest_cd;
  return v;
}

host::IovaParams iova_params(const ViommuDeviceParams& p) {
  host::IovaParams i;
  i.base = p.iova_base;
  i.limit = p.iova_limit;
  return i;
}

}  // namespace

ViommuDevice::ViommuDevice(const ComponentSpec& spec, const ViommuDeviceParams& p,
                           BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      p_(for_function(p, spec.function)),
      w_(with_function(params_as<GeneratorWorkload>(spec.workload), spec.function)),
      buffer_(std::max(w_.size, w_.pattern == AccessPattern::nic ? w_.desc_size : 0), 0x5a),
      buffers_(stats().counter("buffers", "buffers mapped, transferred and unmapped", "count")),
      bytes_(stats().counter("bytes", "payload bytes transferred without error", "bytes")),
      errors_(stats().counter("errors", "failed set-ups, maps or DMAs", "count")),
      map_time_(stats().counter("map_time", "time in the guest's map calls", "ps")),
      unmap_time_(stats().counter("unmap_time", "time in the guest's unmap calls", "ps")),
      latency_(stats().histogram("latency", "per buffer: map, DMA and unmap", "ps")),
      active_time_(stats().scalar("active_time", "when the last buffer completed", "ps")) {
  if (w_.pasid >= 0) throw cfg::ConfigError(spec.name + ": viommu-dma devices use no PASID");
  if (w_.base > p_.ram_size || w_.footprint > p_.ram_size - w_.base)
    throw cfg::ConfigError(spec.name +
                           ": workload base + footprint (guest-physical) must lie inside "
                           "params.ram_size");
  if (w_.base < p_.table_base + p_.table_size && p_.table_base < w_.base + w_.footprint)
    throw cfg::ConfigError(spec.name +
                           ": the workload's buffers overlap params.table_base .. "
                           "table_base + table_size (the guest's IOMMU tables)");
  if (p_.ram_hpa + p_.ram_size > ctx.config.memory.size)
    throw cfg::ConfigError(spec.name + ": params.ram_hpa + ram_size is beyond memory.size");
  shared_ = SharedHostDriver::of(spec, ctx);
  const host::SharedSetup& hs = shared_->setup();
  if (p_.ram_hpa < hs.host_limit && hs.driver.pool_base < p_.ram_hpa + p_.ram_size)
    throw cfg::ConfigError(spec.name +
                           ": guest RAM (params.ram_hpa + ram_size) overlaps the host driver "
                           "memory (pool_base + pool_size)");
  viommu_ = std::make_unique<host::Viommu>(shared_->driver(), shared_->bus(), viommu_params(p_));
  iova_ = std::make_unique<host::IovaAllocator>(iova_params(p_));
  end_time_ = from_ticks(ctx.config.sim.duration.ps);
  // The guest's DMA API runs on the VM's one CPU: its calls go one at a time.
  BufferLoop::Ops ops;
  ops.map = [this](uint64_t gpa, uint64_t size) { return map(gpa, size); };
  ops.unmap = [this](uint64_t iova, uint64_t) { unmap(iova); };
  ops.dma = [this](uint64_t addr, uint64_t size, bool write) { return dma(addr, size, write); };
  loop_ = std::make_unique<BufferLoop>(
      w_, ctx.config.sim.seed, spec.name, guest_mutex_, std::move(ops),
      BufferLoop::Stats{buffers_, bytes_, errors_, latency_, active_time_});
  stats().formula("throughput", "payload bandwidth over the active time", "GB/s", [this] {
    return stats::ratio(static_cast<double>(bytes_.value()) * 1e3, active_time_.value());
  });
  stats().formula("map_cost_avg", "time per guest map call", "ps", [this] {
    return stats::ratio(static_cast<double>(map_time_.value()),
                        static_cast<double>(buffers_.value()));
  });
  viommu_stats_ = std::make_unique<stats::Group>(stats(), "viommu");
  stats::Group& g = *viommu_stats_;
  const host::ViommuCounts& c = viommu_->counts();
  mode_ = &g.scalar(
      "mode", "strategy in use: 0 nested, 1 shadow (also after a fallback), 2 paravirt", "enum");
  mode_->set(static_cast<double>(p_.mode));
  g.counter_ref("fallbacks", &c.fallbacks, "nested refused by the host: shadowing instead",
                "count");
  g.counter_ref("traps", &c.traps, "guest invalidations trapped", "count");
  g.counter_ref("trap_time", &c.trap_time, "time charged for traps", "ps");
  g.counter_ref("hypercalls", &c.hypercalls, "paravirtual MAP/UNMAP requests", "count");
  g.counter_ref("hypercall_time", &c.hypercall_time, "time charged for hypercalls", "ps");
  g.counter_ref("guest_pte_writes", &c.guest_pte_writes,
                "guest pages mapped or unmapped in "
                "guest tables",
                "count");
  g.counter_ref("shadow_walks", &c.shadow_walks, "guest table walks by the hypervisor", "count");
  g.counter_ref("shadow_reads", &c.shadow_reads, "guest table entries those walks read", "count");
  g.counter_ref("shadow_maps", &c.shadow_maps, "pages installed in the shadow domain", "count");
  g.counter_ref("shadow_unmaps", &c.shadow_unmaps, "pages removed from the shadow domain", "count");
  g.counter_ref("shadow_skipped", &c.shadow_skipped,
                "guest mappings outside guest RAM, not shadowed", "count");
  g.counter_ref("host_maps", &c.host_maps, "host map calls by the hypervisor", "count");
  g.counter_ref("host_unmaps", &c.host_unmaps, "host unmap calls by the hypervisor", "count");
  g.counter_ref("host_invalidations", &c.host_invalidations, "host invalidations by the hypervisor",
                "count");
  g.counter_ref("errors", &c.errors, "guest requests refused", "count");
}

ViommuDevice::~ViommuDevice() = default;

bool ViommuDevice::dma(uint64_t addr, uint64_t size, bool write) {
  DmaRequest r;
  r.rid = rid();
  r.addr = addr;
  r.write = write;
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  const DmaResult res = transport(r, std::span(buffer_).first(size), d);
  sc_core::wait(d);
  return res.ok();
}

std::optional<uint64_t> ViommuDevice::map(uint64_t gpa, uint64_t size) {
  host::HostBus& bus = shared_->bus();
  const Tick t0 = bus.now();
  const uint64_t first = align_down(gpa, kPageLg2);
  const uint64_t span = align_up(gpa + size, kPageLg2) - first;
  std::optional<uint64_t> out;
  bus.pause(p_.map_cost.ps);
  const auto a = iova_->alloc(span);
  if (a) {
    bus.pause(a->cost);
    DriverLocked lock(*shared_);
    if (viommu_->map(a->iova, first, span) == host::Status::ok) {
      live_[a->iova] = span;
      out = a->iova + (gpa - first);
    } else {
      bus.pause(iova_->free(a->iova, span));
    }
  }
  map_time_ += bus.now() - t0;
  return out;
}

void ViommuDevice::unmap(uint64_t iova) {
  host::HostBus& bus = shared_->bus();
  const Tick t0 = bus.now();
  const uint64_t base = align_down(iova, kPageLg2);
  auto it = live_.find(base);
  bus.pause(p_.unmap_cost.ps);
  if (it != live_.end()) {
    {
      DriverLocked lock(*shared_);
      if (viommu_->unmap(base, it->second) != host::Status::ok) ++errors_;
    }
    bus.pause(iova_->free(base, it->second));
    live_.erase(it);
  }
  unmap_time_ += bus.now() - t0;
}

void ViommuDevice::run() {
  if (w_.start.ps) sc_core::wait(from_ticks(w_.start.ps));
  if (!shared_->start().empty()) {
    ++errors_;
    return;
  }
  {
    DriverLocked lock(*shared_);
    if (!viommu_->setup(rid()).empty()) {
      ++errors_;
      return;
    }
  }
  mode_->set(static_cast<double>(viommu_->mode()));
  if (viommu_->counts().fallbacks) {
    const std::string msg = std::string(name()) + ": nested vIOMMU refused by the host (" +
                            viommu_->fallback_reason() + "); shadowing instead";
    SC_REPORT_INFO("iommu-sim/viommu", msg.c_str());
  }
  if (!loop_->map_ring()) return;
  const Tick now0 = to_ticks(sc_core::sc_time_stamp());
  const Tick end = to_ticks(end_time_);
  loop_->run(w_.duration.ps ? std::min(end, now0 + w_.duration.ps) : end);
}

void register_viommu_device() {
  auto t = make_component_type<DeviceBase, ViommuDevice, ViommuDeviceParams>(
      "viommu-dma",
      "a guest's assigned device: per-buffer map/unmap through an emulated IOMMU (nested, "
      "shadow or paravirt vIOMMU) on the host IOMMU's driver (vtd, amdvi, smmuv3)");
  t.parse_workload = params_parser<GeneratorWorkload>();
  t.describe_workload = [] { return cfg::describe_params<GeneratorWorkload>(); };
  device_types().add(std::move(t));
  register_host_driver_user("viommu-dma", [](const ComponentSpec& spec) {
    const auto& p = params_as<ViommuDeviceParams>(spec.params);
    host::DriverRequest r = driver_request(spec.name, p.pool_base, p.pool_size, p.mmio_cost.ps);
    r.needs_scalable = p.scalable;
    r.scalable_why = "nesting needs it; set its scalable param to false to run without";
    return std::optional(r);
  });
}

}  // namespace isim
