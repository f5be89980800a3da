#include "models/amdvi/host_driver.h"

#include <algorithm>
#include <span>

#include "base/bits.h"
#include "host/host_bus.h"
#include "hw/sc_time_util.h"
#include "models/amdvi/amdvi_iommu.h"
#include "models/amdvi/dte.h"
#include "models/amdvi/gcr3.h"
#include "models/amdvi/regs.h"
#include "sim/build_context.h"
#include "sim/config_error.h"
#include "sim/registry.h"

namespace isim {

using namespace amdvi;

namespace {

// Linux init.c: 512-entry command buffer and event log (MMIO_CMD_SIZE_512, EVT_LEN_MASK).
constexpr unsigned kRingLen = 9;
constexpr uint64_t kRingBytes = (uint64_t{1} << kRingLen) * kCommandBytes;
constexpr uint64_t kPage = 4096;
constexpr unsigned kPageLg2 = 12;
// Linux io_pgtable.c starts every v1 table at Mode 3 (PAGE_MODE_3_LEVEL).
constexpr unsigned kMode = 3;

/// Guest-physical memory: [0, size) at system address `base`.
class GuestRam final : public PhysMem {
 public:
  GuestRam(PhysMem& m, uint64_t base, uint64_t size) : m_(m), base_(base), size_(size) {}
  bool read(uint64_t pa, void* dst, size_t len) override {
    return inside(pa, len) && m_.read(base_ + pa, dst, len);
  }
  bool write(uint64_t pa, const void* src, size_t len) override {
    return inside(pa, len) && m_.write(base_ + pa, src, len);
  }
  uint64_t size() const override { return size_; }

 private:
  bool inside(uint64_t pa, size_t len) const { return pa <= size_ && len <= size_ - pa; }
  PhysMem& m_;
  uint64_t base_;
  uint64_t size_;
};

}  // namespace

AmdviHostDriver::AmdviHostDriver(const ComponentSpec& spec, const AmdviHostParams& p,
                                 BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      p_(p),
      w_(params_as<AmdviHostWorkload>(spec.workload)),
      mem_(ctx.memory),
      pool_(p.pool_base, p.pool_base + p.pool_size),
      buffer_(w_.size, 0x5a),
      buffers_(stats().counter("buffers", "DMA buffers transferred", "count")),
      bytes_(stats().counter("bytes", "payload bytes transferred without error", "bytes")),
      errors_(stats().counter("errors", "failed DMAs, maps or bring-up", "count")),
      maps_(stats().counter("maps", "buffers mapped in the v1 table", "count")),
      invalidations_(stats().counter("invalidations", "INVALIDATE_IOMMU_PAGES queued", "count")),
      atc_flushes_(stats().counter("atc_flushes", "INVALIDATE_IOTLB_PAGES queued", "count")),
      completion_waits_(stats().counter("completion_waits", "COMPLETION_WAITs queued", "count")),
      wait_timeouts_(stats().counter("wait_timeouts", "COMPLETION_WAITs given up on", "count")),
      mmio_accesses_(stats().counter("mmio_accesses", "register reads and writes", "count")),
      wait_time_(stats().counter("wait_time", "time spent polling COMPLETION_WAIT stores", "ps")),
      late_dmas_(
          stats().counter("late_dmas", "DMAs issued after their buffer was unmapped", "count")),
      late_blocked_(stats().counter("late_blocked", "late DMAs the IOMMU blocked", "count")),
      events_(stats().counter("events", "event log entries the driver consumed", "count")),
      io_page_faults_(stats().counter("io_page_faults", "IO_PAGE_FAULT events consumed", "count")) {
  // The IOMMU is built before any device: find it by its (top-level) module name.
  iommu_ = dynamic_cast<AmdviIommu*>(sc_core::sc_find_object(spec.iommu.c_str()));
  if (iommu_ == nullptr) {
    throw cfg::ConfigError(spec.name +
                           ": amdvi-host must sit behind an IOMMU of type amdvi, not '" +
                           spec.iommu + "'");
  }
  if (ctx.host == nullptr) throw cfg::ConfigError(spec.name + ": no host bus on this platform");
  // Registers are reached through the system bus from the CPU, as the Linux driver does.
  bus_ = ctx.host->open(spec.iommu, p.mmio_latency.to_ticks(p.clock.mhz));
  if (p.pool_base + p.pool_size > ctx.config.memory.size) {
    throw cfg::ConfigError(spec.name + ": pool_base + pool_size is beyond memory.size");
  }
  if (p.nested && p.pasid < 0) throw cfg::ConfigError(spec.name + ": nested needs a pasid");
  if (p.nested && p.guest_ram_spa + p.guest_ram_size > ctx.config.memory.size) {
    throw cfg::ConfigError(spec.name + ": guest RAM is beyond memory.size");
  }
}

AmdviHostDriver::~AmdviHostDriver() = default;

uint64_t AmdviHostDriver::mmio_read(uint32_t offset) {
  ++mmio_accesses_;
  return bus_->mmio_read(offset, 8);
}

void AmdviHostDriver::mmio_write(uint32_t offset, uint64_t value) {
  ++mmio_accesses_;
  bus_->mmio_write(offset, 8, value);
}

void AmdviHostDriver::write_qwords(uint64_t pa, std::initializer_list<uint64_t> v) {
  for (uint64_t q : v) {
    mem_.write(pa, &q, sizeof q);
    pa += sizeof q;
  }
}

void AmdviHostDriver::queue(const Command& c) {
  // Linux __iommu_queue_command_sync: wait while the ring has no free slot (one stays unused).
  const uint64_t next = (cmd_tail_ + kCommandBytes) % kRingBytes;
  while (ring_ptr::offset(mmio_read(reg::kCmdHead)) == next) {
    sc_core::wait(from_ticks(p_.poll_interval.to_ticks(p_.clock.mhz)));
  }
  const Qw2 q = c.encode();
  write_qwords(cmd_base_ + cmd_tail_, {q[0], q[1]});
  cmd_tail_ = next;
  mmio_write(reg::kCmdTail, cmd_tail_);
}

bool AmdviHostDriver::completion_wait() {
  // Linux iommu_completion_wait: COMPLETION_WAIT with S, the store a rising sequence number.
  ++seq_;
  ++completion_waits_;
  queue(Command::completion_wait(true, false, false, sem_, seq_));
  const Tick start = to_ticks(sc_core::sc_time_stamp());
  const Tick deadline = start + p_.wait_timeout.to_ticks(p_.clock.mhz);
  for (;;) {
    uint64_t v = 0;
    mem_.read(sem_, &v, sizeof v);
    if (v == seq_) break;
    if (to_ticks(sc_core::sc_time_stamp()) >= deadline) {
      ++wait_timeouts_;
      return false;
    }
    sc_core::wait(from_ticks(p_.poll_interval.to_ticks(p_.clock.mhz)));
  }
  wait_time_ += to_ticks(sc_core::sc_time_stamp()) - start;
  service_events();
  return true;
}

void AmdviHostDriver::service_events() {
  const uint64_t tail = ring_ptr::offset(mmio_read(reg::kEventTail));
  if (tail == evt_head_) return;
  while (evt_head_ != tail) {
    Qw2 e{};
    mem_.read(evt_base_ + evt_head_, e.data(), kEventBytes);
    ++events_;
    if (Event::decode(e).code == EventCode::IoPageFault) ++io_page_faults_;
    evt_head_ = (evt_head_ + kEventBytes) % kRingBytes;
  }
  mmio_write(reg::kEventHead, evt_head_);
}

bool AmdviHostDriver::bring_up() {
  // Linux init.c: the features first (a Mode 3 table needs HATS to allow 3 levels: always).
  const Features f = Features::decode(mmio_read(reg::kEfr));
  if (f.max_host_levels() < kMode) return false;
  const bool sva = p_.pasid >= 0;
  if (sva && !(f.gt_sup && f.gio_sup && static_cast<unsigned>(p_.pasid) >> f.pasid_bits() == 0))
    return false;

  // Device table sized for this DeviceID, command buffer, event log, completion semaphore.
  const uint64_t dt_pages = uint64_t{rid()} * kDteBytes / kPage + 1;
  const auto dt = pool_.alloc(dt_pages * kPage, kPage);
  const auto cmd = pool_.alloc(kRingBytes, kPage);
  const auto evt = pool_.alloc(kRingBytes, kPage);
  const auto sem = pool_.alloc(kPage, kPage);
  if (!dt || !cmd || !evt || !sem) return false;
  const std::vector<uint8_t> zeros(dt_pages * kPage, 0);
  mem_.write(*dt, zeros.data(), zeros.size());
  mem_.write(*sem, zeros.data(), kPage);
  cmd_base_ = *cmd;
  evt_base_ = *evt;
  sem_ = *sem;

  Dte d;
  d.v = d.tv = true;
  d.ir = d.iw = true;
  d.domain_id = p_.domain_id;
  d.i = p_.ats;
  if (sva) {
    // Linux v2 domain: DTE Mode 0 with GV and GIoV; the GCR3 table holds the v2 root.
    const auto gcr3 = pool_.alloc(kPage, kPage);
    if (!gcr3) return false;
    mem_.write(*gcr3, zeros.data(), kPage);
    d.mode = kModeNone;
    if (p_.nested) {
      // The hypervisor maps guest RAM; the guest's tables come from the upper half of it.
      host_table_ = pt::make_page_table(pt::FormatVariant{pt::AmdV1Format(pt::AmdV1Config{kMode})},
                                        mem_, pool_);
      if (!host_table_ || host_table_->map_range(0, p_.guest_ram_spa, p_.guest_ram_size,
                                                 pt::MapAttrs::rw()) != pt::MapStatus::Ok)
        return false;
      guest_mem_ = std::make_unique<GuestRam>(mem_, p_.guest_ram_spa, p_.guest_ram_size);
      guest_pool_ = std::make_unique<PhysAllocator>(p_.guest_ram_size / 2, p_.guest_ram_size);
      table_ = pt::make_page_table(pt::FormatVariant{pt::X86Format(pt::amd_v2_config(4))},
                                   *guest_mem_, *guest_pool_);
      d.mode = kMode;
      d.pt_root = host_table_->root();
    } else {
      table_ =
          pt::make_page_table(pt::FormatVariant{pt::X86Format(pt::amd_v2_config(4))}, mem_, pool_);
    }
    if (!table_) return false;
    write_qwords(*gcr3 + static_cast<uint64_t>(p_.pasid) * kGcr3EntryBytes,
                 {Gcr3Entry{true, table_->root()}.encode()});
    d.gv = d.giov = true;
    d.glx = 0;
    d.gcr3_root = *gcr3;
  } else {
    table_ = pt::make_page_table(pt::FormatVariant{pt::AmdV1Format(pt::AmdV1Config{kMode})}, mem_,
                                 pool_);
    if (!table_) return false;
    d.mode = kMode;
    d.pt_root = table_->root();
  }
  const Qw4 q = d.encode();
  write_qwords(*dt + uint64_t{rid()} * kDteBytes, {q[0], q[1], q[2], q[3]});

  mmio_write(reg::kDevTabBase, devtab::make(*dt, static_cast<unsigned>(dt_pages - 1)));
  mmio_write(reg::kCmdBufBase, ring_base::make(*cmd, kRingLen));
  mmio_write(reg::kCmdHead, 0);
  mmio_write(reg::kCmdTail, 0);
  mmio_write(reg::kEventLogBase, ring_base::make(*evt, kRingLen));
  mmio_write(reg::kEventHead, 0);
  mmio_write(reg::kEventTail, 0);
  mmio_write(reg::kControl,
             (uint64_t{1} << control::kIommuEn) | (uint64_t{1} << control::kEventLogEn) |
                 (uint64_t{1} << control::kCmdBufEn) | (sva ? uint64_t{1} << control::kGTEn : 0));
  // Linux device_flush_dte after writing a DTE.
  queue(Command::invalidate_devtab_entry(rid()));
  return completion_wait();
}

void AmdviHostDriver::run() {
  if (!bring_up()) {
    ++errors_;
    return;
  }
  const uint64_t slot = align_up(w_.size, kPageLg2) + kPage;  // room for an unaligned buffer
  const uint64_t buffers_in_area = std::max<uint64_t>(1, w_.footprint / w_.size);
  unsigned pending = 0;
  for (uint64_t i = 0; i < w_.count; ++i) {
    const uint64_t pa = w_.base + (i % buffers_in_area) * w_.size;
    const uint64_t pa_page = align_down(pa, kPageLg2);
    const uint64_t len = align_up(pa - pa_page + w_.size, kPageLg2);
    const uint64_t iova = p_.iova_base + (i % p_.iova_slots) * slot;
    // Nested: the guest maps its guest-physical address of the buffer.
    const uint64_t out = p_.nested ? pa_page - p_.guest_ram_spa : pa_page;
    if ((p_.nested && (pa_page < p_.guest_ram_spa || out + len > p_.guest_ram_size / 2)) ||
        table_->map_range(iova, out, len, pt::MapAttrs::rw()) != pt::MapStatus::Ok) {
      ++errors_;
      continue;
    }
    ++maps_;
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
    // Linux unmap: clear the PTEs, then flush the range with PDE set
    // (amd_iommu_domain_flush_pages).
    table_->unmap(iova, len);
    queue(Command::invalidate_iommu_pages(p_.domain_id, iova, len, true, r.has_pasid, r.pasid));
    ++invalidations_;
    if (p_.ats) {
      queue(Command::invalidate_iotlb_pages(rid(), static_cast<uint8_t>(p_.ats_qdep), iova, len,
                                            r.has_pasid, r.pasid));
      ++atc_flushes_;
    }
    if (++pending >= p_.flush_batch) {
      completion_wait();
      pending = 0;
    }
    if (w_.late_every != 0 && (i + 1) % w_.late_every == 0) {
      // The device touches the buffer once more after the driver unmapped it. Strict
      // invalidation has already dropped the translation; a pending flush may not have.
      ++late_dmas_;
      d = sc_core::SC_ZERO_TIME;
      if (!transport(r, std::span(buffer_.data(), buffer_.size()), d).ok()) ++late_blocked_;
      sc_core::wait(d);
    }
  }
  if (pending) completion_wait();
  service_events();
}

void register_amdvi_host() {
  auto t = make_component_type<DeviceBase, AmdviHostDriver, AmdviHostParams>(
      "amdvi-host",
      "DMA engine whose buffers are mapped like Linux's amd_iommu driver (v1 tables, "
      "INVALIDATE_IOMMU_PAGES + COMPLETION_WAIT, strict or batched)");
  t.parse_workload = params_parser<AmdviHostWorkload>();
  t.describe_workload = [] { return cfg::describe_params<AmdviHostWorkload>(); };
  device_types().add(std::move(t));
}

}  // namespace isim
