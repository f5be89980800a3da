#include "models/amdvi/host_adapter.h"

#include <algorithm>
#include <vector>

#include "host/host_bus.h"
#include "models/amdvi/dte.h"
#include "models/amdvi/events.h"
#include "models/amdvi/gcr3.h"
#include "models/amdvi/regs.h"

namespace isim::amdvi {

using host::DomainResult;
using host::DomainType;
using host::PtFormat;
using host::Status;

namespace {

// Linux init.c: 512-entry command buffer and event log (MMIO_CMD_SIZE_512, EVT_LEN_MASK).
constexpr unsigned kRingLen = 9;
constexpr uint64_t kRingBytes = (uint64_t{1} << kRingLen) * kCommandBytes;
constexpr uint64_t kPage = 4096;
// Linux io_pgtable.c starts every v1 table at Mode 3 (PAGE_MODE_3_LEVEL).
constexpr unsigned kMode = 3;
// The largest device table the base register describes: Size + 1 pages, Size is 9 bits
// (3.4.1).
constexpr uint64_t kMaxDevTabPages = 512;

}  // namespace

AmdviHostAdapter::AmdviHostAdapter(host::HostBus& bus, const AdapterOptions& opts)
    : bus_(bus), opts_(opts), pool_(opts.pool_base, opts.pool_limit) {}

AmdviHostAdapter::~AmdviHostAdapter() = default;

uint64_t AmdviHostAdapter::mmio_read(uint32_t off) {
  return bus_.mmio_read(off, 8);
}

void AmdviHostAdapter::mmio_write(uint32_t off, uint64_t v) {
  bus_.mmio_write(off, 8, v);
}

bool AmdviHostAdapter::zero(uint64_t pa, uint64_t len) {
  const std::vector<uint8_t> z(len, 0);
  return bus_.memory().write(pa, z.data(), len);
}

Status AmdviHostAdapter::init(std::string* why) {
  if (up_) return Status::ok;
  auto fail = [&](const char* w) {
    if (why) *why = w;
    return Status::hw_error;
  };
  efr_ = mmio_read(reg::kEfr);
  const Features f = Features::decode(efr_);
  if (f.max_host_levels() < kMode) return fail("EFR.HATS allows fewer than 3 host levels");
  const uint64_t dt_pages =
      std::min(kMaxDevTabPages, (uint64_t{opts_.max_device_id} + 1) * kDteBytes / kPage + 1);
  const auto dt = pool_.alloc(dt_pages * kPage, kPage);
  const auto cmd = pool_.alloc(kRingBytes, kPage);
  const auto evt = pool_.alloc(kRingBytes, kPage);
  const auto sem = pool_.alloc(kPage, kPage);
  if (!dt || !cmd || !evt || !sem || !zero(*dt, dt_pages * kPage) || !zero(*sem, kPage))
    return fail("driver memory exhausted");
  devtab_ = *dt;
  cmd_base_ = *cmd;
  evt_base_ = *evt;
  sem_ = *sem;
  // 3.4.1-3.4.3, 3.4.10: bases and pointers before the enables (Linux iommu_init_flags order).
  mmio_write(reg::kDevTabBase, devtab::make(devtab_, static_cast<unsigned>(dt_pages - 1)));
  mmio_write(reg::kCmdBufBase, ring_base::make(cmd_base_, kRingLen));
  mmio_write(reg::kCmdHead, 0);
  mmio_write(reg::kCmdTail, 0);
  mmio_write(reg::kEventLogBase, ring_base::make(evt_base_, kRingLen));
  mmio_write(reg::kEventHead, 0);
  mmio_write(reg::kEventTail, 0);
  mmio_write(reg::kControl, (uint64_t{1} << control::kIommuEn) |
                                (uint64_t{1} << control::kEventLogEn) |
                                (uint64_t{1} << control::kCmdBufEn) |
                                (f.gt_sup ? uint64_t{1} << control::kGTEn : 0));
  up_ = true;
  if (!completion_wait()) {
    up_ = false;
    return fail("COMPLETION_WAIT did not complete");
  }
  return Status::ok;
}

host::HwInfo AmdviHostAdapter::hw_info() {
  host::HwInfo h;
  h.vendor = host::Vendor::amd_vi;
  if (!up_) efr_ = mmio_read(reg::kEfr);
  h.cap_regs = {{"EFR", efr_}};  // iommu_hw_info_amd: the Extended Feature Register (3.4.6)
  const Features f = Features::decode(efr_);
  h.paging_formats = {PtFormat::amd_v1};
  if (f.gt_sup && f.gio_sup) h.nest_formats = {PtFormat::x86_64};
  h.identity = true;  // DTE Mode 0 (2.2.2.1) needs no feature bit
  h.pasid = f.gt_sup;
  h.pasid_bits = f.gt_sup ? f.pasid_bits() : 0;
  return h;
}

DomainResult AmdviHostAdapter::refuse(std::string why) {
  ++counts_.refused;
  return {Status::not_supported, 0, std::move(why)};
}

AmdviHostAdapter::Domain* AmdviHostAdapter::find(host::DomainId id) {
  auto it = domains_.find(id);
  return it == domains_.end() ? nullptr : &it->second;
}

DomainResult AmdviHostAdapter::alloc_domain(const host::DomainRequest& req) {
  if (!up_) return {Status::invalid, 0, "driver not initialised"};
  const host::HwInfo info = hw_info();
  Domain d;
  d.type = req.type;
  switch (req.type) {
    case DomainType::paging:
      if (!info.can_page(req.format))
        return refuse("AMD-Vi host paging domains use amd-v1 tables, not " +
                      std::string(to_string(req.format)));
      d.table = pt::make_page_table(pt::FormatVariant{pt::AmdV1Format(pt::AmdV1Config{kMode})},
                                    bus_.memory(), pool_);
      if (!d.table) return {Status::no_resources, 0, "no memory for the page table"};
      break;
    case DomainType::identity:
    case DomainType::blocking:
      break;
    case DomainType::nested: {
      if (!info.can_nest(req.format))
        return refuse(info.nest_formats.empty()
                          ? "nesting needs EFR.GTSup and EFR.GIoSup"
                          : "AMD-Vi nests an x86-64 (v2) guest table only, not " +
                                std::string(to_string(req.format)));
      const Domain* parent = find(req.parent);
      if (parent == nullptr || parent->type != DomainType::paging)
        return {Status::invalid, 0, "the parent must be a v1 paging domain"};
      const Features f = Features::decode(efr_);
      // 3.4.6 EFR.GATS: guest tables of 4 levels (00b) or up to 5 (01b).
      if (req.s1_levels != 4 && !(req.s1_levels == 5 && f.gats == 1))
        return refuse("guest table levels not supported by EFR.GATS");
      d.domain_id = parent->domain_id;
      d.parent = req.parent;
      d.s1_root = req.s1_root;
      break;
    }
  }
  if (req.type != DomainType::nested) d.domain_id = next_hw_id_++;
  const host::DomainId id = next_++;
  domains_.emplace(id, std::move(d));
  ++counts_.domains;
  return {Status::ok, id, {}};
}

Status AmdviHostAdapter::attach(host::DomainId domain, uint16_t rid,
                                std::optional<uint32_t> pasid) {
  Domain* d = find(domain);
  if (d == nullptr || !up_ || rid > opts_.max_device_id) return Status::invalid;
  // Linux set_dte_entry: V and TV always; IR/IW unless blocked.
  Dte e;
  e.v = e.tv = true;
  e.domain_id = d->domain_id;
  switch (d->type) {
    case DomainType::paging:
      if (pasid) {
        ++counts_.refused;
        return Status::not_supported;  // v1 tables translate requests without a PASID
      }
      e.ir = e.iw = true;
      e.mode = kMode;
      e.pt_root = d->table->root();
      break;
    case DomainType::identity:
      if (pasid) {
        ++counts_.refused;
        return Status::not_supported;
      }
      e.ir = e.iw = true;
      e.mode = kModeNone;
      break;
    case DomainType::blocking:
      e.mode = kModeNone;  // 2.2.2.1: Mode 0 with IR = IW = 0 blocks every access
      break;
    case DomainType::nested: {
      const Domain* parent = find(d->parent);
      const Features f = Features::decode(efr_);
      const uint32_t p = pasid.value_or(0);
      if (p >> f.pasid_bits()) return Status::invalid;
      // A 1-level GCR3 table (GLX = 0) holds 512 entries.
      if (p >= kPage / kGcr3EntryBytes) {
        ++counts_.refused;
        return Status::not_supported;
      }
      const auto gcr3 = pool_.alloc(kPage, kPage);
      if (!gcr3 || !zero(*gcr3, kPage)) return Status::no_resources;
      const uint64_t entry = Gcr3Entry{true, d->s1_root}.encode();
      bus_.memory().write(*gcr3 + uint64_t{p} * kGcr3EntryBytes, &entry, sizeof entry);
      e.ir = e.iw = true;
      e.mode = kMode;
      e.pt_root = parent->table->root();
      e.gv = true;
      e.giov = true;  // requests without a PASID use GCR3 entry 0
      e.glx = 0;
      e.gcr3_root = *gcr3;
      break;
    }
  }
  const Qw4 q = e.encode();
  if (!bus_.memory().write(devtab_ + uint64_t{rid} * kDteBytes, q.data(), sizeof q))
    return Status::hw_error;
  queue(Command::invalidate_devtab_entry(rid));  // Linux device_flush_dte
  // Linux detach: the previous domain's translations are flushed (all pages, PDE = 1).
  auto old = attached_.find(rid);
  if (old != attached_.end() && old->second != e.domain_id)
    queue(Command::invalidate_iommu_pages(old->second, 0, ~uint64_t{0}, true));
  if (!completion_wait()) return Status::hw_error;
  attached_[rid] = e.domain_id;
  ++counts_.attaches;
  return Status::ok;
}

Status AmdviHostAdapter::map(host::DomainId domain, uint64_t iova, uint64_t pa, uint64_t size,
                             host::Prot prot) {
  Domain* d = find(domain);
  if (d == nullptr || d->type != DomainType::paging) return Status::invalid;
  pt::MapAttrs a;
  a.read = prot.read;
  a.write = prot.write;
  if (d->table->map_range(iova, pa, size, a) != pt::MapStatus::Ok) return Status::invalid;
  ++counts_.maps;
  return Status::ok;
}

Status AmdviHostAdapter::unmap(host::DomainId domain, uint64_t iova, uint64_t size) {
  Domain* d = find(domain);
  if (d == nullptr || d->type != DomainType::paging) return Status::invalid;
  if (!d->table->unmap(iova, size).ok()) return Status::invalid;
  ++counts_.unmaps;
  return Status::ok;
}

Status AmdviHostAdapter::invalidate(host::DomainId domain, const host::InvalidateRequest& req) {
  Domain* d = find(domain);
  if (d == nullptr) return Status::invalid;
  // Size 0: a length that wraps encodes "all pages" (S = 1, address 7FFF_FFFF_FFFF_F000h).
  const uint64_t len = req.size == 0 ? ~uint64_t{0} : req.size;
  const uint64_t start = req.size == 0 ? 0 : req.iova;
  const bool gn = d->type == DomainType::nested;
  queue(Command::invalidate_iommu_pages(d->domain_id, start, len, true, gn,
                                        gn ? req.pasid.value_or(0) : 0));
  if (!completion_wait()) return Status::hw_error;
  ++counts_.invalidations;
  return Status::ok;
}

void AmdviHostAdapter::queue(const Command& c) {
  // Linux __iommu_queue_command_sync: wait while the ring has no free slot (one stays unused).
  const uint64_t next = (cmd_tail_ + kCommandBytes) % kRingBytes;
  while (ring_ptr::offset(mmio_read(reg::kCmdHead)) == next) bus_.pause(opts_.poll_interval);
  const Qw2 q = c.encode();
  bus_.memory().write(cmd_base_ + cmd_tail_, q.data(), sizeof q);
  cmd_tail_ = next;
  mmio_write(reg::kCmdTail, cmd_tail_);
  ++acounts_.commands;
}

bool AmdviHostAdapter::completion_wait() {
  // Linux iommu_completion_wait: COMPLETION_WAIT with S, the store a rising sequence number.
  ++seq_;
  ++acounts_.completion_waits;
  queue(Command::completion_wait(true, false, false, sem_, seq_));
  const Tick deadline = bus_.now() + opts_.wait_timeout;
  for (;;) {
    const auto v = bus_.memory().read_le64(sem_);
    if (v && *v == seq_) break;
    if (bus_.now() >= deadline) {
      ++acounts_.wait_timeouts;
      return false;
    }
    bus_.pause(opts_.poll_interval);
  }
  service_events();
  return true;
}

void AmdviHostAdapter::service_events() {
  const uint64_t tail = ring_ptr::offset(mmio_read(reg::kEventTail));
  if (tail == evt_head_) return;
  while (evt_head_ != tail) {
    Qw2 e{};
    bus_.memory().read(evt_base_ + evt_head_, e.data(), kEventBytes);
    ++acounts_.events;
    if (Event::decode(e).code == EventCode::IoPageFault) ++acounts_.io_page_faults;
    evt_head_ = (evt_head_ + kEventBytes) % kRingBytes;
  }
  mmio_write(reg::kEventHead, evt_head_);
}

}  // namespace isim::amdvi
