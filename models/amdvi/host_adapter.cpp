#include "models/amdvi/host_adapter.h"

#include <algorithm>
#include <set>
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
// Linux io_pgtable_v2.c: 4-level v2 tables unless the CPU runs 5-level paging.
constexpr unsigned kV2Levels = 4;
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

bool AmdviHostAdapter::block_all(uint64_t pa, uint64_t len) {
  // Linux init_device_table_dma: every DTE starts V = TV = 1 with Mode 0 and IR = IW = 0, so a
  // DeviceID no domain was attached to is blocked; a V = 0 entry would let its requests through
  // untranslated (48882 2.2.2.1).
  Dte blocked;
  blocked.v = blocked.tv = true;
  const Qw4 q = blocked.encode();
  std::vector<uint64_t> img(len / sizeof(uint64_t));
  for (size_t i = 0; i + q.size() <= img.size(); i += q.size())
    std::copy(q.begin(), q.end(), img.begin() + static_cast<std::ptrdiff_t>(i));
  return bus_.memory().write(pa, img.data(), len);
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
  if (!dt || !cmd || !evt || !sem || !block_all(*dt, dt_pages * kPage) || !zero(*sem, kPage))
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
  // Linux amd_iommu_pgtable=v2 needs GTSup and GIoSup (requests without a PASID take the
  // GCR3 entry 0 only with DTE.GIoV); so does nesting a guest table over a v1 parent.
  const bool guest = f.gt_sup && f.gio_sup;
  h.paging_formats = {PtFormat::amd_v1};
  if (guest) h.paging_formats.push_back(PtFormat::x86_64);
  if (guest) h.nest_formats = {PtFormat::x86_64};
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

bool AmdviHostAdapter::is_v2(const Domain& d) const {
  return d.type == DomainType::paging && d.format == PtFormat::x86_64;
}

uint64_t AmdviHostAdapter::guest_root(const Domain& d) const {
  return d.type == DomainType::nested ? d.s1_root : d.table->root();
}

unsigned AmdviHostAdapter::gcr3_levels(uint16_t rid) const {
  auto it = devices_.find(rid);
  return it == devices_.end() || !it->second.gcr3 ? 0 : it->second.gcr3->glx() + 1;
}

DomainResult AmdviHostAdapter::alloc_domain(const host::DomainRequest& req) {
  if (!up_) return {Status::invalid, 0, "driver not initialised"};
  const host::HwInfo info = hw_info();
  Domain d;
  d.type = req.type;
  switch (req.type) {
    case DomainType::paging: {
      if (!info.can_page(req.format)) {
        return refuse(req.format == PtFormat::x86_64
                          ? "v2 page tables need EFR.GTSup and EFR.GIoSup"
                          : "AMD-Vi host paging domains use amd-v1 or x86-64 (v2) tables, not " +
                                std::string(to_string(req.format)));
      }
      d.format = req.format;
      // Linux starts v1 tables at Mode 3 and v2 tables at 4 levels (5 only for LA57 hosts).
      const pt::FormatVariant fmt =
          req.format == PtFormat::x86_64
              ? pt::FormatVariant{pt::X86Format(pt::amd_v2_config(kV2Levels))}
              : pt::FormatVariant{pt::AmdV1Format(pt::AmdV1Config{kMode})};
      d.table = pt::make_page_table(fmt, bus_.memory(), pool_);
      if (!d.table) return {Status::no_resources, 0, "no memory for the page table"};
      break;
    }
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
      if (parent == nullptr || parent->type != DomainType::paging || is_v2(*parent))
        return {Status::invalid, 0, "the parent must be a v1 paging domain"};
      const Features f = Features::decode(efr_);
      // 3.4.6 EFR.GATS: guest tables of 4 levels (00b) or up to 5 (01b).
      if (req.s1_levels != 4 && !(req.s1_levels == 5 && f.gats == 1))
        return refuse("guest table levels not supported by EFR.GATS");
      d.domain_id = parent->domain_id;
      d.parent = req.parent;
      d.s1_root = req.s1_root;
      d.s1_levels = req.s1_levels;
      break;
    }
  }
  if (req.type != DomainType::nested) d.domain_id = next_hw_id_++;
  const host::DomainId id = next_++;
  domains_.emplace(id, std::move(d));
  ++counts_.domains;
  return {Status::ok, id, {}};
}

Status AmdviHostAdapter::compose(const Device& dev, Dte& e) {
  const Domain* r = find(dev.rid);
  if (r == nullptr) return Status::invalid;
  e = Dte{};
  // Linux set_dte_entry: V and TV always; IR/IW unless blocked.
  e.v = e.tv = true;
  e.mode = kModeNone;
  host::DomainId host_table = 0;  // the v1 domain whose table the DTE walks (Mode 3)
  unsigned guest_levels = 0;      // of the guest tables the GCR3 entries point at
  auto guest = [&](unsigned levels) {
    if (guest_levels != 0 && guest_levels != levels) return false;  // one DTE.GPM for all
    guest_levels = levels;
    e.gv = true;
    return true;
  };
  switch (r->type) {
    case DomainType::paging:
      e.ir = e.iw = true;
      if (is_v2(*r)) {
        guest(kV2Levels);
        e.giov = true;  // requests without a PASID use GCR3 entry 0
      } else {
        e.mode = kMode;
        e.pt_root = r->table->root();
        host_table = dev.rid;
      }
      break;
    case DomainType::identity:
      e.ir = e.iw = true;
      break;
    case DomainType::blocking:
      break;  // 2.2.2.1: Mode 0 with IR = IW = 0 blocks every access
    case DomainType::nested:
      e.ir = e.iw = true;
      e.mode = kMode;
      e.pt_root = find(r->parent)->table->root();
      host_table = r->parent;
      guest(r->s1_levels);
      e.giov = true;
      break;
  }
  for (const auto& [p, id] : dev.pasids) {
    const Domain* d = find(id);
    if (d->type == DomainType::nested) {
      // Its guest CR3 is a GPA of the parent: the DTE must walk that parent's table.
      if (host_table != d->parent || !guest(d->s1_levels)) return Status::not_supported;
    } else if (e.mode != kModeNone || !e.ir || !guest(kV2Levels)) {
      // With a host table the v2 tables would be walked as nested guest tables; blocked DTEs
      // (IR = IW = 0) bound every guest access too.
      return Status::not_supported;
    }
  }
  // A process's table in a set_gcr3 entry is a 4-level x86-64 table of system addresses, as a
  // v2 domain's is.
  if (!dev.cr3s.empty() && (e.mode != kModeNone || !e.ir || !guest(kV2Levels)))
    return Status::not_supported;
  e.gpm = guest_levels == 5 ? 1 : 0;
  // Host-stage entries are tagged by the v1 domain's DomainID (nested: the parent's), so its
  // invalidations reach them; guest-only DTEs use the device's GCR3 DomainID (Linux
  // gcr3_info.domid); the rest their own domain's.
  if (host_table != 0) {
    e.domain_id = find(host_table)->domain_id;
  } else if (e.gv) {
    e.domain_id = dev.gcr3_domid;
  } else {
    e.domain_id = r->domain_id;
  }
  return Status::ok;
}

std::vector<AmdviHostAdapter::GuestTag> AmdviHostAdapter::guest_tags(const Device& dev,
                                                                     const Dte& e) const {
  std::vector<GuestTag> tags;
  if (!e.gv) return tags;
  if (e.giov) tags.emplace_back(e.domain_id, 0);
  for (const auto& [p, id] : dev.pasids) tags.emplace_back(e.domain_id, p);
  for (const auto& [p, cr3] : dev.cr3s) tags.emplace_back(e.domain_id, p);
  return tags;
}

pasid::AmdTableOptions AmdviHostAdapter::gcr3_options() const {
  // Linux setup_gcr3_table / get_gcr3_levels: 9 PASID bits per level for the device's PASID
  // width, at most the levels EFR.GLXSup allows.
  const Features f = Features::decode(efr_);
  unsigned bits = f.pasid_bits();
  if (opts_.device_pasid_bits != 0) bits = std::min(bits, opts_.device_pasid_bits);
  pasid::AmdTableOptions o;
  o.levels = std::min(pasid::gcr3_levels_for(bits), f.max_gcr3_levels());
  o.pasid_bits = bits;
  return o;
}

unsigned AmdviHostAdapter::gcr3_pasid_bits() const {
  const pasid::AmdTableOptions o = gcr3_options();
  return std::min(o.pasid_bits, amdvi::gcr3_pasid_bits(o.levels));
}

bool AmdviHostAdapter::attached(uint16_t rid) const {
  auto it = devices_.find(rid);
  return it != devices_.end() && it->second.rid != 0;
}

pasid::AmdGcr3Table* AmdviHostAdapter::gcr3_table(Device& dev) {
  if (!dev.gcr3) {
    const pasid::AmdTableOptions o = gcr3_options();
    auto t = std::make_unique<pasid::AmdGcr3Table>(bus_.memory(), pool_, o);
    if (t->root() == 0) return nullptr;
    dev.gcr3 = std::move(t);
    dev.gcr3_domid = next_hw_id_++;
  }
  return dev.gcr3.get();
}

Status AmdviHostAdapter::attach(host::DomainId domain, uint16_t rid,
                                std::optional<uint32_t> pasid) {
  Domain* d = find(domain);
  if (d == nullptr || !up_ || rid > opts_.max_device_id) return Status::invalid;
  // PASID 0 is what requests without a PASID use (GIoV): the same as attaching the requester.
  const uint32_t p = pasid.value_or(0);
  const bool at_pasid = p != 0;
  Device& dev = devices_[rid];
  Device next;  // the attachments after this call (tables are shared, not copied)
  next.rid = dev.rid;
  next.pasids = dev.pasids;
  next.cr3s = dev.cr3s;
  next.gcr3_domid = dev.gcr3_domid;
  if (at_pasid) {
    const Features f = Features::decode(efr_);
    if (p >> f.pasid_bits()) return Status::invalid;  // beyond EFR.PASmax
    if (!(is_v2(*d) || d->type == DomainType::nested)) {
      ++counts_.refused;
      return Status::not_supported;  // v1 tables, identity and blocking translate by requester
    }
    if (dev.rid == 0) return Status::invalid;  // a requester is attached before its PASIDs
    next.pasids[p] = domain;
    next.cr3s.erase(p);  // the domain's table replaces a process's in the entry
  } else {
    next.rid = domain;
  }
  const bool needs_gcr3 = is_v2(*find(next.rid)) || find(next.rid)->type == DomainType::nested ||
                          !next.pasids.empty() || !next.cr3s.empty();
  pasid::AmdGcr3Table* gcr3 = nullptr;
  if (needs_gcr3) {
    gcr3 = gcr3_table(dev);
    if (gcr3 == nullptr) return Status::no_resources;
    next.gcr3_domid = dev.gcr3_domid;
    if (at_pasid && (p >> gcr3->pasid_bits()) != 0) {
      ++counts_.refused;
      return Status::not_supported;  // more PASID bits than EFR.GLXSup's levels index
    }
  }
  Dte e;
  if (const Status s = compose(next, e); s != Status::ok) {
    if (s == Status::not_supported) ++counts_.refused;
    return s;
  }
  const std::vector<GuestTag> old_tags =
      dev.live ? guest_tags(dev, dev.dte) : std::vector<GuestTag>{};
  // The GCR3 entries, then the DTE that points at them (Linux update_gcr3 + set_dte_entry).
  if (gcr3 != nullptr) {
    const Domain* r = find(next.rid);
    const bool rid_guest = is_v2(*r) || r->type == DomainType::nested;
    pasid::TableError err = pasid::TableError::none;
    if (at_pasid) {
      err = gcr3->set(p, {guest_root(*d), 0});
    } else if (rid_guest) {
      err = gcr3->set(0, {guest_root(*r), 0});
    } else if (dev.rid != 0 && dev.live && dev.dte.giov) {
      err = gcr3->clear(0);
    }
    if (err != pasid::TableError::none && err != pasid::TableError::not_present)
      return Status::no_resources;
  }
  dev.rid = next.rid;
  dev.pasids = std::move(next.pasids);
  dev.cr3s = std::move(next.cr3s);
  if (write_dte(rid, dev, e, old_tags) != Status::ok) return Status::hw_error;
  ++counts_.attaches;
  return Status::ok;
}

Status AmdviHostAdapter::write_dte(uint16_t rid, Device& dev, const Dte& e,
                                   const std::vector<GuestTag>& old_tags) {
  Dte w = e;
  if (w.gv) {
    w.glx = dev.gcr3->glx();
    w.gcr3_root = dev.gcr3->root();
  }
  const Qw4 q = w.encode();
  if (!bus_.memory().write(devtab_ + uint64_t{rid} * kDteBytes, q.data(), sizeof q))
    return Status::hw_error;
  queue(Command::invalidate_devtab_entry(rid));  // Linux device_flush_dte
  // Linux detach: the previous domain's translations are flushed (all pages, PDE = 1), and
  // every PASID the old DTE translated (amd_iommu_dev_flush_pasid_all).
  if (dev.live && dev.dte.domain_id != w.domain_id)
    queue(Command::invalidate_iommu_pages(dev.dte.domain_id, 0, ~uint64_t{0}, true));
  for (const auto& [domid, p] : old_tags)
    queue(Command::invalidate_iommu_pages(domid, 0, ~uint64_t{0}, true, true, p));
  if (!completion_wait()) return Status::hw_error;
  dev.dte = w;
  dev.live = true;
  return Status::ok;
}

uint64_t AmdviHostAdapter::gcr3_root(uint16_t rid) const {
  auto it = devices_.find(rid);
  return it == devices_.end() || !it->second.gcr3 ? 0 : it->second.gcr3->root();
}

Status AmdviHostAdapter::set_gcr3(uint16_t rid, uint32_t pasid, uint64_t cr3) {
  if (!up_ || rid > opts_.max_device_id || pasid == 0) return Status::invalid;
  const Features f = Features::decode(efr_);
  if (!f.gt_sup || (pasid >> f.pasid_bits()) != 0) return Status::invalid;  // beyond PASmax
  auto it = devices_.find(rid);
  // Linux binds a process only to a device already attached to a PASID-capable domain.
  if (it == devices_.end() || it->second.rid == 0) return Status::invalid;
  Device& dev = it->second;
  pasid::AmdGcr3Table* gcr3 = gcr3_table(dev);
  if (gcr3 == nullptr) return Status::no_resources;
  if ((pasid >> gcr3->pasid_bits()) != 0) {
    ++counts_.refused;
    return Status::not_supported;  // more PASID bits than EFR.GLXSup's levels index
  }
  Device next;
  next.rid = dev.rid;
  next.pasids = dev.pasids;
  next.pasids.erase(pasid);  // the process's table replaces a domain's in the entry
  next.cr3s = dev.cr3s;
  next.cr3s[pasid] = cr3;
  next.gcr3_domid = dev.gcr3_domid;
  Dte e;
  if (const Status s = compose(next, e); s != Status::ok) {
    if (s == Status::not_supported) ++counts_.refused;
    return s;
  }
  // Linux update_gcr3: the entry is written, then the PASID's translations are flushed.
  if (gcr3->set(pasid, {cr3, 0}) != pasid::TableError::none) return Status::no_resources;
  const std::vector<GuestTag> old_tags =
      dev.live ? guest_tags(dev, dev.dte) : std::vector<GuestTag>{};
  dev.pasids = std::move(next.pasids);
  dev.cr3s = std::move(next.cr3s);
  // A DTE that does not reach the table yet (no GV, another root) is rewritten and flushed.
  e.glx = gcr3->glx();
  e.gcr3_root = gcr3->root();
  if ((!dev.live || e.encode() != dev.dte.encode()) &&
      write_dte(rid, dev, e, old_tags) != Status::ok)
    return Status::hw_error;
  return flush_pasid(dev, pasid);
}

Status AmdviHostAdapter::clear_gcr3(uint16_t rid, uint32_t pasid) {
  auto it = devices_.find(rid);
  if (!up_ || it == devices_.end() || !it->second.cr3s.count(pasid)) return Status::invalid;
  Device& dev = it->second;
  // Linux amd_iommu_clear_gcr3 keeps the table and the DTE; only the entry goes.
  if (dev.gcr3->clear(pasid) != pasid::TableError::none) return Status::hw_error;
  dev.cr3s.erase(pasid);
  return flush_pasid(dev, pasid);
}

Status AmdviHostAdapter::flush_pasid(const Device& dev, uint32_t pasid) {
  // Linux dev_flush_pasid_all: every page of the PASID, PDE = 1 (cached guest table entries
  // too), GN = 1 under the DTE's DomainID (48882 2.4.3).
  queue(Command::invalidate_iommu_pages(dev.dte.domain_id, 0, ~uint64_t{0}, true, true, pasid));
  return completion_wait() ? Status::ok : Status::hw_error;
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
  if (is_v2(*d) || d->type == DomainType::nested) {
    // Guest translations are tagged by (DTE DomainID, PASID): flush every place the domain is
    // attached (Linux amd_iommu_domain_flush_pages walks the domain's devices, GN = 1).
    std::set<GuestTag> tags;
    for (const auto& [rid, dev] : devices_) {
      if (!dev.live) continue;
      if (dev.rid == domain) tags.emplace(dev.dte.domain_id, 0);
      for (const auto& [p, id] : dev.pasids)
        if (id == domain) tags.emplace(dev.dte.domain_id, p);
    }
    for (const auto& [domid, p] : tags) {
      if (req.pasid && *req.pasid != p) continue;
      queue(Command::invalidate_iommu_pages(domid, start, len, true, true, p));
    }
  } else {
    queue(Command::invalidate_iommu_pages(d->domain_id, start, len, true));
  }
  if (!completion_wait()) return Status::hw_error;
  ++counts_.invalidations;
  return Status::ok;
}

void AmdviHostAdapter::queue(const Command& c) {
  // Linux __iommu_queue_command_sync: the head last read is trusted while the ring has room;
  // only when it looks nearly full is the register read again, and polled while it stays so.
  const uint64_t next = (cmd_tail_ + kCommandBytes) % kRingBytes;
  for (bool first = true; ring_room(cmd_head_, next, kRingBytes) <= kHeadRefreshRoom;
       first = false) {
    if (!first) bus_.pause(opts_.poll_interval);
    cmd_head_ = ring_ptr::offset(mmio_read(reg::kCmdHead));
  }
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
  // The adapter takes no event interrupt: after a wait it looks at the entry at the log's head
  // (a cached memory read; handled entries are cleared, as Linux clears them) and services
  // the log, reading its tail register, only when something arrived.
  Qw2 head{};
  bus_.memory().read(evt_base_ + evt_head_, head.data(), kEventBytes);
  if (head[0] != 0 || head[1] != 0) service_events();
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
    const Qw2 cleared{};
    bus_.memory().write(evt_base_ + evt_head_, cleared.data(), kEventBytes);
    evt_head_ = (evt_head_ + kEventBytes) % kRingBytes;
  }
  mmio_write(reg::kEventHead, evt_head_);
}

}  // namespace isim::amdvi
