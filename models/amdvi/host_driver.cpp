#include "models/amdvi/host_driver.h"

#include <algorithm>
#include <span>

#include "base/bits.h"
#include "host/host_bus.h"
#include "hw/guest_ram.h"
#include "hw/sc_time_util.h"
#include "models/amdvi/amdvi_iommu.h"
#include "models/amdvi/dte.h"
#include "models/amdvi/gcr3.h"
#include "models/amdvi/ppr.h"
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

}  // namespace

AmdviHostDriver::AmdviHostDriver(const ComponentSpec& spec, const AmdviHostParams& p,
                                 BuildContext& ctx)
    : DeviceBase(spec.name.c_str(), spec.rid, ctx.stats),
      p_(p),
      w_(params_as<AmdviHostWorkload>(spec.workload)),
      mem_(ctx.memory),
      pool_(p.pool_base, p.pool_base + p.pool_size),
      group_ok_(PageRequest::kGroupMask + 1, true),
      buffer_(w_.size, 0x5a),
      buffers_(stats().counter("buffers", "DMA buffers transferred", "count")),
      bytes_(stats().counter("bytes", "payload bytes transferred without error", "bytes")),
      errors_(stats().counter("errors", "failed DMAs, maps or bring-up", "count")),
      maps_(stats().counter("maps", "buffers mapped (v1 or v2 table)", "count")),
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
      io_page_faults_(stats().counter("io_page_faults", "IO_PAGE_FAULT events consumed", "count")),
      interrupts_(stats().counter("interrupts", "MSIs the handler took", "count")),
      page_requests_(
          stats().counter("page_requests", "PRI page requests the engine sent", "count")),
      ppr_entries_(stats().counter("ppr_entries", "PPR log entries the driver consumed", "count")),
      ppr_completions_(
          stats().counter("ppr_completions", "COMPLETE_PPR_REQUEST commands queued", "count")),
      prg_failures_(stats().counter("prg_failures", "PRG responses other than success", "count")) {
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
  // Linux serves page requests with a PASID only (ppr.c ppr_is_valid: GN = 0 is ignored).
  if (p.pri && p.pasid < 0) throw cfg::ConfigError(spec.name + ": pri needs a pasid");
  if (p.pri && p.nested)
    throw cfg::ConfigError(spec.name + ": pri is not modelled for nested (guest) tables");
  if (p.completion_irq && !p.msi) throw cfg::ConfigError(spec.name + ": completion_irq needs msi");
  if (p.nested && p.guest_ram_spa + p.guest_ram_size > ctx.config.memory.size) {
    throw cfg::ConfigError(spec.name + ": guest RAM is beyond memory.size");
  }
}

AmdviHostDriver::~AmdviHostDriver() = default;

uint64_t AmdviHostDriver::mmio_read(uint32_t offset, unsigned size) {
  ++mmio_accesses_;
  return bus_->mmio_read(offset, size);
}

void AmdviHostDriver::mmio_write(uint32_t offset, uint64_t value, unsigned size) {
  ++mmio_accesses_;
  bus_->mmio_write(offset, size, value);
}

void AmdviHostDriver::write_qwords(uint64_t pa, std::initializer_list<uint64_t> v) {
  for (uint64_t q : v) {
    mem_.write(pa, &q, sizeof q);
    pa += sizeof q;
  }
}

void AmdviHostDriver::queue(const Command& c) {
  // Linux __iommu_queue_command_sync: the head last read is trusted while the ring has room;
  // only when it looks nearly full is the register read again, and polled while it stays so.
  const uint64_t next = (cmd_tail_ + kCommandBytes) % kRingBytes;
  for (bool first = true; ring_room(cmd_head_, next, kRingBytes) <= kHeadRefreshRoom;
       first = false) {
    if (!first) sc_core::wait(from_ticks(p_.poll_interval.to_ticks(p_.clock.mhz)));
    cmd_head_ = ring_ptr::offset(mmio_read(reg::kCmdHead));
  }
  const Qw2 q = c.encode();
  write_qwords(cmd_base_ + cmd_tail_, {q[0], q[1]});
  cmd_tail_ = next;
  mmio_write(reg::kCmdTail, cmd_tail_);
}

bool AmdviHostDriver::completion_wait() {
  // Linux iommu_completion_wait: COMPLETION_WAIT with S, the store a rising sequence number;
  // or (completion_irq) with I, signalled through ComWaitInt and the MSI.
  ++seq_;
  ++completion_waits_;
  comwait_seen_ = false;
  if (p_.completion_irq) {
    queue(Command::completion_wait(false, true, false, 0, 0));
  } else {
    queue(Command::completion_wait(true, false, false, sem_, seq_));
  }
  const Tick start = to_ticks(sc_core::sc_time_stamp());
  const Tick deadline = start + p_.wait_timeout.to_ticks(p_.clock.mhz);
  for (;;) {
    if (p_.msi) handle_interrupt();
    uint64_t v = 0;
    mem_.read(sem_, &v, sizeof v);
    if (p_.completion_irq ? comwait_seen_ : v == seq_) break;
    if (to_ticks(sc_core::sc_time_stamp()) >= deadline) {
      ++wait_timeouts_;
      return false;
    }
    sc_core::wait(from_ticks(p_.poll_interval.to_ticks(p_.clock.mhz)));
  }
  wait_time_ += to_ticks(sc_core::sc_time_stamp()) - start;
  if (!p_.msi) service_events();
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

bool AmdviHostDriver::handle_interrupt() {
  uint32_t v = 0;
  mem_.read(msi_box_, &v, sizeof v);
  if (v != p_.msi_data) return false;
  const uint32_t none = 0;
  mem_.write(msi_box_, &none, sizeof none);
  ++interrupts_;
  // Linux amd_iommu_int_thread: clear the interrupt bits found (RW1C) before servicing, so an
  // entry logged meanwhile raises them again; repeat until Status shows none.
  constexpr uint64_t kMine = (uint64_t{1} << status::kEventLogInt) |
                             (uint64_t{1} << status::kPprInt) |
                             (uint64_t{1} << status::kComWaitInt);
  for (;;) {
    const uint64_t st = mmio_read(reg::kStatus) & kMine;
    if (st == 0) break;
    mmio_write(reg::kStatus, st);
    if (bit(st, status::kEventLogInt)) service_events();
    if (bit(st, status::kPprInt)) service_ppr();
    if (bit(st, status::kComWaitInt)) comwait_seen_ = true;
  }
  return true;
}

void AmdviHostDriver::service_ppr() {
  const uint64_t tail = ring_ptr::offset(mmio_read(reg::kPprTail));
  while (ppr_head_ != tail) {
    Qw2 raw{};
    mem_.read(ppr_base_ + ppr_head_, raw.data(), kPprEntryBytes);
    // Linux amd_iommu_poll_ppr_log: copy the entry, zero it (erratum 733), move the head, then
    // handle it.
    const Qw2 zero{};
    mem_.write(ppr_base_ + ppr_head_, zero.data(), kPprEntryBytes);
    ppr_head_ = (ppr_head_ + kPprEntryBytes) % kRingBytes;
    mmio_write(reg::kPprHead, ppr_head_);
    ++ppr_entries_;
    if (bits(raw[0], kPprTypeHi, kPprTypeLo) != kPprTypeRequest) continue;
    const PprEntry e = PprEntry::decode(raw);
    // The fault handler: a page of the backed range is made resident (mapped); anything else
    // (no PASID, another PASID, an address it does not back) fails the group.
    const uint64_t page = align_down(e.addr, kPageLg2);
    bool ok = e.gn && e.pasid == static_cast<uint32_t>(p_.pasid) && page >= backing_.iova &&
              page - backing_.iova < backing_.len;
    if (ok) {
      const pt::MapStatus m =
          table_->map_range(page, backing_.out + (page - backing_.iova), kPage, pt::MapAttrs::rw());
      ok = m == pt::MapStatus::Ok || m == pt::MapStatus::AlreadyMapped;
    }
    group_ok_[e.tag] = group_ok_[e.tag] && ok;
    if (!e.last) continue;
    // Linux amd_iommu_page_response: one COMPLETE_PPR_REQUEST per group, with the PASID.
    const auto code =
        group_ok_[e.tag] ? PrgResponseCode::success : PrgResponseCode::invalid_request;
    queue(Command::complete_ppr_request(e.device_id, e.tag, static_cast<uint8_t>(code), e.gn,
                                        e.pasid));
    ++ppr_completions_;
    group_ok_[e.tag] = true;
  }
}

void AmdviHostDriver::idle() {
  if (p_.msi) handle_interrupt();
  sc_core::wait(from_ticks(p_.poll_interval.to_ticks(p_.clock.mhz)));
}

void AmdviHostDriver::page_response(const PageGroupResponse& r, Tick now) {
  DeviceBase::page_response(r, now);
  response_ = r;
  response_seen_ = true;
}

bool AmdviHostDriver::demand_pages(uint64_t iova, uint64_t len, bool write, uint16_t group) {
  response_seen_ = false;
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  for (uint64_t page = iova; page < iova + len; page += kPage) {
    // PCIe 10.4.1: a Page Request per page, the group's last one flagged.
    PageRequest pr;
    pr.rid = rid();
    pr.has_pasid = true;
    pr.pasid = static_cast<uint32_t>(p_.pasid);
    pr.addr = page;
    pr.read = !write;
    pr.write = write;
    pr.last = page + kPage >= iova + len;
    pr.group = group;
    ++page_requests_;
    if (!send_page_request(pr, d)) return false;
  }
  sc_core::wait(d);
  const Tick deadline = to_ticks(sc_core::sc_time_stamp()) + p_.wait_timeout.to_ticks(p_.clock.mhz);
  while (!response_seen_ || response_.group != group) {
    if (to_ticks(sc_core::sc_time_stamp()) >= deadline) {
      ++wait_timeouts_;
      return false;
    }
    // Without MSIs the driver polls the PPR log itself.
    if (!p_.msi) service_ppr();
    idle();
  }
  if (response_.code != static_cast<uint8_t>(PrgResponseCode::success)) {
    ++prg_failures_;
    return false;
  }
  return true;
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
  const std::vector<uint8_t> zeros(std::max(dt_pages * kPage, kRingBytes), 0);
  mem_.write(*dt, zeros.data(), dt_pages * kPage);
  mem_.write(*sem, zeros.data(), kPage);
  cmd_base_ = *cmd;
  evt_base_ = *evt;
  sem_ = *sem;
  // MSIs through the capability mirror in MMIO need EFR.MsiCapMmioSup (PCI config space is not
  // modelled); the PPR log needs EFR.PPRSup.
  if (p_.msi) {
    const auto box = pool_.alloc(kPage, kPage);
    if (!f.msi_cap_mmio_sup || !box) return false;
    mem_.write(*box, zeros.data(), kPage);
    msi_box_ = *box;
  }
  if (p_.pri) {
    const auto ppr = pool_.alloc(kRingBytes, kPage);
    if (!f.ppr_sup || !ppr) return false;
    mem_.write(*ppr, zeros.data(), kRingBytes);  // Linux allocates it zeroed (erratum 733)
    ppr_base_ = *ppr;
  }

  Dte d;
  d.v = d.tv = true;
  d.ir = d.iw = true;
  d.domain_id = p_.domain_id;
  d.i = p_.ats;
  d.ppr = p_.pri;  // Linux set_dte_entry: DTE.PPR for a device with PRI enabled
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
  uint64_t ctrl = (uint64_t{1} << control::kIommuEn) | (uint64_t{1} << control::kEventLogEn) |
                  (uint64_t{1} << control::kCmdBufEn) | (sva ? uint64_t{1} << control::kGTEn : 0);
  if (p_.pri) {
    // Linux amd_iommu_enable_ppr_log: PPREn, the log base (PPRLen 512 entries), head and tail
    // zeroed, then PPRIntEn and PPRLogEn.
    mmio_write(reg::kPprLogBase, ring_base::make(ppr_base_, kRingLen));
    mmio_write(reg::kPprHead, 0);
    mmio_write(reg::kPprTail, 0);
    ctrl |= (uint64_t{1} << control::kPprEn) | (uint64_t{1} << control::kPprLogEn) |
            (p_.msi ? uint64_t{1} << control::kPprIntEn : 0);
  }
  if (p_.msi) {
    // PCI MSI capability as mirrored in MMIO: 32-bit registers; the message address is DWORD
    // aligned; MSI Enable is Message Control bit 0 (bit 16 of the header DWORD).
    mmio_write(reg::kMsiAddrLo, msi_box_ & mask(31, 0), 4);
    mmio_write(reg::kMsiAddrHi, msi_box_ >> 32, 4);
    mmio_write(reg::kMsiData, p_.msi_data, 4);
    mmio_write(reg::kMsiCapHdr, mmio_read(reg::kMsiCapHdr, 4) | (uint64_t{1} << msi::kEnable), 4);
    ctrl |= (uint64_t{1} << control::kEventIntEn) |
            (p_.completion_irq ? uint64_t{1} << control::kComWaitIntEn : 0);
  }
  mmio_write(reg::kControl, ctrl);
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
    const bool write = w_.op != DmaOp::read;
    bool mapped = false;
    if (p_.pri) {
      // Demand paging: the driver backs the IOVA range; the device asks for its pages.
      backing_ = {iova, out, len};
      mapped = demand_pages(iova, len, write, static_cast<uint16_t>(i & PageRequest::kGroupMask));
    } else {
      mapped = !(p_.nested && (pa_page < p_.guest_ram_spa || out + len > p_.guest_ram_size / 2)) &&
               table_->map_range(iova, out, len, pt::MapAttrs::rw()) == pt::MapStatus::Ok;
    }
    DmaRequest r;
    r.rid = rid();
    r.addr = iova + (pa - pa_page);
    r.write = write;
    r.has_pasid = p_.pasid >= 0;
    r.pasid = r.has_pasid ? static_cast<uint32_t>(p_.pasid) : 0;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    if (!mapped) {
      ++errors_;
      backing_ = {};
      if (!p_.pri) continue;
    } else {
      ++maps_;
      const DmaResult res = transport(r, std::span(buffer_.data(), buffer_.size()), d);
      sc_core::wait(d);
      if (res.ok()) {
        ++buffers_;
        bytes_ += w_.size;
      } else {
        ++errors_;
      }
    }
    backing_ = {};
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
  if (p_.msi) handle_interrupt();
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
