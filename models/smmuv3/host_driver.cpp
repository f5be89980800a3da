#include "models/smmuv3/host_driver.h"

#include <algorithm>
#include <span>

#include "base/bits.h"
#include "host/host_bus.h"
#include "hw/guest_ram.h"
#include "hw/sc_time_util.h"
#include "models/smmuv3/cd.h"
#include "models/smmuv3/smmuv3_iommu.h"
#include "sim/build_context.h"
#include "sim/config_error.h"
#include "sim/registry.h"

namespace isim {

using namespace smmuv3;

namespace {

constexpr uint64_t kPage = 4096;
constexpr unsigned kPageLg2 = 12;
// Process and guest stage-1 tables: 48-bit VA, 4 KiB granule (Linux VA_BITS, PAGE_SIZE).
constexpr unsigned kT0sz = 16;
// The guest's CD table: one 64-byte CD (S1CDMax = 0) at the start of its table area.
constexpr uint64_t kGuestCdBytes = kPage;

std::unique_ptr<pt::PageTable> s1_table(PhysMem& mem, PhysAllocator& alloc, unsigned oas) {
  const auto fmt = pt::ArmLpaeFormat::create(pt::arm_s1_config(kPageLg2, kT0sz, oas));
  if (!fmt) return nullptr;
  pt::BuilderOptions bo;
  bo.free_empty_tables = false;
  return pt::make_page_table(pt::FormatVariant{*fmt}, mem, alloc, bo);
}

pt::MapAttrs user_rw() {
  pt::MapAttrs a = pt::MapAttrs::rw();
  a.extra = pt::ArmLpaeFormat::kNG;  // process and guest pages are tagged by ASID
  return a;
}

}  // namespace

SmmuV3HostDriver::SmmuV3HostDriver(const ComponentSpec& spec, const SmmuV3HostParams& p,
                                   BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      p_(p),
      w_(params_as<SmmuV3HostWorkload>(spec.workload)),
      buffer_(w_.size, 0x5a),
      buffers_(stats().counter("buffers", "DMA buffers transferred", "count")),
      bytes_(stats().counter("bytes", "payload bytes transferred without error", "bytes")),
      errors_(stats().counter("errors", "failed DMAs, maps or bring-up", "count")),
      late_dmas_(
          stats().counter("late_dmas", "DMAs issued after their buffer was unmapped", "count")),
      late_blocked_(stats().counter("late_blocked", "late DMAs the SMMU blocked", "count")),
      translation_faults_(
          stats().counter("translation_faults", "F_TRANSLATION events consumed", "count")) {
  // The IOMMU is built before any device: find it by its (top-level) module name.
  if (dynamic_cast<SmmuV3Iommu*>(sc_core::sc_find_object(spec.iommu.c_str())) == nullptr) {
    throw cfg::ConfigError(spec.name +
                           ": smmuv3-host must sit behind an IOMMU of type smmuv3, not '" +
                           spec.iommu + "'");
  }
  if (ctx.host == nullptr) throw cfg::ConfigError(spec.name + ": no host bus on this platform");
  if (p.pool_base + p.pool_size > ctx.config.memory.size)
    throw cfg::ConfigError(spec.name + ": pool_base + pool_size is beyond memory.size");
  if (p.nested && p.pasid >= 0)
    throw cfg::ConfigError(spec.name + ": nested runs without a pasid (the guest's CD 0)");
  if (p.nested && p.guest_ram_spa + p.guest_ram_size > ctx.config.memory.size)
    throw cfg::ConfigError(spec.name + ": guest RAM is beyond memory.size");
  // Registers are reached through the system bus from the CPU, as the Linux driver does.
  bus_ = ctx.host->open(spec.iommu, p.mmio_latency.to_ticks(p.clock.mhz));
  DriverOptions o;
  o.pool_base = p.pool_base;
  o.pool_limit = p.pool_base + p.pool_size;
  o.flush = p.flush_batch == 1 ? FlushPolicy::strict : FlushPolicy::batched;
  o.batch = p.flush_batch;
  o.poll_interval = p.poll_interval.to_ticks(p.clock.mhz);
  drv_ = std::make_unique<Smmuv3Driver>(*bus_, o);

  drv_stats_ = std::make_unique<stats::Group>(stats(), "driver");
  stats::Group& g = *drv_stats_;
  const DriverCounts& c = drv_->counts();
  const host::HostBusCounts& b = bus_->counts();
  g.counter_ref("mmio_reads", &b.mmio_reads, "register reads", "count");
  g.counter_ref("mmio_writes", &b.mmio_writes, "register writes", "count");
  g.counter_ref("mmio_time", &b.mmio_time, "time in register accesses", "ps");
  g.counter_ref("poll_time", &b.pause_time, "time between polls", "ps");
  g.counter_ref("commands", &c.commands, "commands queued, CMD_SYNCs included", "count");
  g.counter_ref("syncs", &c.syncs, "CMD_SYNCs completed", "count");
  g.counter_ref("sync_timeouts", &c.sync_timeouts, "CMD_SYNCs given up on", "count");
  g.counter_ref("cmd_errors", &c.cmd_errors, "command queue errors skipped", "count");
  g.counter_ref("cfgi_ste", &c.cfgi_ste, "CMD_CFGI_STE issued", "count");
  g.counter_ref("cfgi_cd", &c.cfgi_cd, "CMD_CFGI_CD issued", "count");
  g.counter_ref("tlbi", &c.tlbi, "TLB invalidation commands issued", "count");
  g.counter_ref("atc_inv", &c.atc_inv, "CMD_ATC_INV issued", "count");
  g.counter_ref("flushes", &c.flushes, "batched: whole-ASID / VMID invalidations", "count");
  g.counter_ref("maps", &c.maps, "driver map calls", "count");
  g.counter_ref("unmaps", &c.unmaps, "driver unmap calls", "count");
  g.counter_ref("events", &c.events, "event records consumed", "count");
}

SmmuV3HostDriver::~SmmuV3HostDriver() = default;

bool SmmuV3HostDriver::bring_up() {
  if (!drv_->init().empty()) return false;
  const uint32_t sid = rid();
  if (p_.ats && !drv_->set_ats(sid, true)) return false;
  const unsigned oas = drv_->ids().oas_bits;
  if (p_.nested) {
    // The host maps guest RAM (IPA -> PA) in a stage-2 domain; the guest builds its CD table
    // and stage-1 tables in the upper half of its RAM.
    const auto s2 = drv_->create_s2_domain();
    if (!s2 || !drv_->map(*s2, 0, p_.guest_ram_spa, p_.guest_ram_size, true, true)) return false;
    domain_ = *s2;
    guest_mem_ = std::make_unique<GuestRam>(bus_->memory(), p_.guest_ram_spa, p_.guest_ram_size);
    guest_pool_ = std::make_unique<PhysAllocator>(p_.guest_ram_size / 2, p_.guest_ram_size);
    const auto cd_ipa = guest_pool_->alloc(kGuestCdBytes, kGuestCdBytes);
    table_ = s1_table(*guest_mem_, *guest_pool_, oas);
    if (!cd_ipa || !table_) return false;
    // The guest's CD 0 (a guest ASID of its own) over its stage-1 root, an IPA.
    Cd cd;
    cd.v = true;
    cd.t0sz = kT0sz;
    cd.epd1 = true;
    cd.ips = static_cast<uint8_t>(oas_encode(oas).value_or(0));
    cd.aa64 = cd.r = cd.a = true;
    cd.asid = 1;
    cd.ttb0 = table_->root();
    const CdWords w = encode_cd(cd);
    if (!guest_mem_->write(*cd_ipa, w.data(), kCdBytes)) return false;
    return drv_->attach_nested(sid, domain_, *cd_ipa, 0);
  }
  if (p_.pasid >= 0) {
    // SVA: the process's table (48-bit VA, 4 KiB pages) bound to the SubstreamID.
    proc_pool_ = std::make_unique<PhysAllocator>(p_.pool_base + p_.pool_size / 2,
                                                 p_.pool_base + p_.pool_size);
    table_ = s1_table(bus_->memory(), *proc_pool_, oas);
    if (!table_) return false;
    const auto asid = drv_->bind_sva(sid, static_cast<uint32_t>(p_.pasid), table_->root());
    if (!asid) return false;
    asid_ = *asid;
    return true;
  }
  const auto d = drv_->create_s1_domain();
  if (!d) return false;
  domain_ = *d;
  return drv_->attach(sid, domain_);
}

bool SmmuV3HostDriver::map(uint64_t iova, uint64_t pa, uint64_t len) {
  if (table_) {
    // Nested: the guest maps its guest-physical address of the buffer.
    const uint64_t out = p_.nested ? pa - p_.guest_ram_spa : pa;
    if (p_.nested && (pa < p_.guest_ram_spa || out + len > p_.guest_ram_size / 2)) return false;
    return table_->map_range(iova, out, len, user_rw()) == pt::MapStatus::Ok;
  }
  return drv_->map(domain_, iova, pa, len, true, true);
}

bool SmmuV3HostDriver::invalidate(uint64_t iova, uint64_t len) {
  const bool all = p_.flush_batch > 1;  // a batch ends in a whole-ASID / VMID flush
  bool ok = p_.nested ? drv_->invalidate_nested(domain_, all ? 0 : iova, all ? 0 : len)
                      : drv_->invalidate_asid(asid_, all ? 0 : iova, all ? 0 : len);
  consume_events();
  return ok;
}

bool SmmuV3HostDriver::unmap(uint64_t iova, uint64_t len) {
  if (!table_) {
    // The driver's own domain: its flush policy invalidates (per unmap or per batch).
    const uint64_t flushes = drv_->counts().flushes;
    const bool ok = drv_->unmap(domain_, iova, len);
    if (p_.flush_batch == 1 || drv_->counts().flushes != flushes) consume_events();
    return ok;
  }
  // Tables the driver does not own (a process's, a guest's): invalidated here.
  if (!table_->unmap(iova, len).ok()) return false;
  if (++pending_ < p_.flush_batch) return true;
  pending_ = 0;
  return invalidate(iova, len);
}

void SmmuV3HostDriver::consume_events() {
  const size_t before = drv_->events().size();
  drv_->drain_events();
  for (size_t i = before; i < drv_->events().size(); ++i)
    if (drv_->events()[i].type == EventType::kF_TRANSLATION) ++translation_faults_;
  drv_->clear_events();
}

void SmmuV3HostDriver::run() {
  if (!bring_up()) {
    ++errors_;
    return;
  }
  const uint64_t slot = align_up(w_.size, kPageLg2) + kPage;  // room for an unaligned buffer
  const uint64_t buffers_in_area = std::max<uint64_t>(1, w_.footprint / w_.size);
  for (uint64_t i = 0; i < w_.count; ++i) {
    const uint64_t pa = w_.base + (i % buffers_in_area) * w_.size;
    const uint64_t pa_page = align_down(pa, kPageLg2);
    const uint64_t len = align_up(pa - pa_page + w_.size, kPageLg2);
    const uint64_t iova = p_.iova_base + (i % p_.iova_slots) * slot;
    if (!map(iova, pa_page, len)) {
      ++errors_;
      continue;
    }
    DmaRequest r;
    r.rid = rid();
    r.addr = iova + (pa - pa_page);
    r.write = w_.op != DmaOp::read;
    r.has_pasid = p_.pasid >= 0;
    r.pasid = r.has_pasid ? static_cast<uint32_t>(p_.pasid) : 0;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    const DmaResult res = transport(r, std::span(buffer_.data(), buffer_.size()), d);
    sc_core::wait(d);
    if (res.ok()) {
      ++buffers_;
      bytes_ += w_.size;
    } else {
      ++errors_;
    }
    if (!unmap(iova, len)) ++errors_;
    if (w_.late_every != 0 && (i + 1) % w_.late_every == 0) {
      // The device touches the buffer once more after the driver unmapped it. Strict
      // invalidation has already dropped the translation; a pending batch may not have.
      ++late_dmas_;
      d = sc_core::SC_ZERO_TIME;
      if (!transport(r, std::span(buffer_.data(), buffer_.size()), d).ok()) ++late_blocked_;
      sc_core::wait(d);
    }
  }
  // The end of the run flushes what is still queued.
  if (!table_) {
    drv_->flush();
  } else if (pending_ != 0) {
    pending_ = 0;
    invalidate(0, 0);
  }
  consume_events();
}

void register_smmuv3_host() {
  auto t = make_component_type<DeviceBase, SmmuV3HostDriver, SmmuV3HostParams>(
      "smmuv3-host",
      "DMA engine whose buffers are mapped like Linux's arm-smmu-v3 driver (stage-1 tables, "
      "TLBI + CMD_SYNC strict or batched; SVA, nested, ATS)");
  t.parse_workload = params_parser<SmmuV3HostWorkload>();
  t.describe_workload = [] { return cfg::describe_params<SmmuV3HostWorkload>(); };
  device_types().add(std::move(t));
}

}  // namespace isim
