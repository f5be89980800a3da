#include "models/vtd/driver.h"

#include <array>
#include <cstring>

#include "models/vtd/context_entry.h"
#include "models/vtd/pasid_entry.h"
#include "models/vtd/root_entry.h"
#include "models/vtd/translator.h"

namespace isim::vtd {

namespace {

constexpr uint64_t bitv(unsigned b) {
  return uint64_t{1} << b;
}
constexpr uint64_t kPage = 4096;

}  // namespace

VtdDriver::VtdDriver(HostBus& bus, const DriverOptions& opts)
    : bus_(&bus), opts_(opts), alloc_(opts.table_base, opts.table_limit) {}

VtdDriver::~VtdDriver() = default;

uint64_t VtdDriver::alloc_page() {
  const auto pa = alloc_.alloc(kPage, kPage);
  if (!pa) return 0;
  static const uint8_t zero[kPage] = {};
  bus_->memory().write(*pa, zero, sizeof zero);
  return *pa;
}

bool VtdDriver::wait_gsts(uint32_t b, bool set) {
  for (unsigned i = 0; i < opts_.poll_limit; ++i) {
    if (bit(bus_->mmio_read(reg::kGsts, 4), b) == set) return true;
    bus_->pause(opts_.poll_interval);
  }
  return false;
}

void VtdDriver::gcmd(uint32_t one_shot) {
  bus_->mmio_write(reg::kGcmd, 4, gcmd_shadow_ | one_shot);
}

std::string VtdDriver::init() {
  const uint64_t cap = bus_->mmio_read(reg::kCap, 8);
  const uint64_t ecap = bus_->mmio_read(reg::kEcap, 8);
  caps_ = Capabilities::decode(cap, ecap);
  caps_.haw = opts_.haw;
  if (opts_.scalable && (!caps_.smts || !caps_.ssts)) return "scalable mode needs ECAP.SMTS/SSTS";
  // Linux (older default domain width 48): the widest supported AGAW up to 48 bits, else 57.
  if (caps_.agaw_supported(2))
    agaw_ = 2;
  else if (caps_.agaw_supported(1))
    agaw_ = 1;
  else if (caps_.agaw_supported(3))
    agaw_ = 3;
  else
    return "no supported AGAW";
  root_ = alloc_page();
  status_ = alloc_.alloc(kPage, kPage).value_or(0);
  if (!root_ || !status_) return "out of table memory";

  // dmar_enable_qi(): IQT = 0, IQA, QIE.
  qi_ = caps_.qi;
  if (opts_.scalable && !qi_) return "scalable mode needs queued invalidation";
  if (qi_) {
    queue_ = alloc_page();
    if (!queue_) return "out of table memory";
    tail_ = 0;
    bus_->mmio_write(reg::kIqt, 8, 0);
    bus_->mmio_write(reg::kIqa, 8, queue_ | (opts_.scalable ? bitv(iq::kDW) : 0));
    gcmd_shadow_ |= bitv(gcmd::kQIE);
    gcmd(0);
    if (!wait_gsts(gcmd::kQIE, true)) return "QIES did not set";
  }
  // iommu_set_root_entry(): RTADDR, SRTP, then global context / PASID / IOTLB flushes.
  bus_->mmio_write(reg::kRtaddr, 8,
                   rtaddr::make(root_, opts_.scalable ? Ttm::Scalable : Ttm::Legacy));
  gcmd(bitv(gcmd::kSRTP));
  if (!wait_gsts(gcmd::kSRTP, true)) return "RTPS did not set";
  flush_context_global();
  if (opts_.scalable) submit({{0x7 | (3u << 4), 0, 0, 0}});  // PASID cache, global
  flush_iotlb(IotlbGran::Global, 0, 0, 0);
  // iommu_enable_translation().
  gcmd_shadow_ |= bitv(gcmd::kTE);
  gcmd(0);
  if (!wait_gsts(gcmd::kTE, true)) return "TES did not set";
  return {};
}

// --- Invalidation ----------------------------------------------------------------------------

bool VtdDriver::submit(std::span<const std::array<uint64_t, 4>> descs) {
  // qi_submit_sync(): the descriptors, then a wait with status write and fence; poll the status.
  const unsigned esz = opts_.scalable ? 32 : 16;
  const uint32_t seq = ++status_seq_ == 0 ? ++status_seq_ : status_seq_;
  bus_->memory().write_le32(status_, 0);
  auto put = [&](const std::array<uint64_t, 4>& d) {
    bus_->memory().write(queue_ + tail_, d.data(), esz);
    tail_ = (tail_ + esz) % kPage;
  };
  for (const auto& d : descs) put(d);
  put({0x5 | bitv(5) | bitv(6) | (uint64_t{seq} << 32), status_, 0, 0});
  bus_->mmio_write(reg::kIqt, 8, tail_);
  for (unsigned i = 0; i < opts_.poll_limit; ++i) {
    if (bus_->memory().read_le32(status_).value_or(0) == seq) {
      ++counts_.waits;
      return true;
    }
    if (bit(bus_->mmio_read(reg::kFsts, 4), fsts::kIQE)) return false;
    bus_->pause(opts_.poll_interval);
  }
  return false;
}

void VtdDriver::flush_context_global() {
  if (qi_) {
    submit({{0x1 | (uint64_t{1} << 4), 0, 0, 0}});
    return;
  }
  bus_->mmio_write(reg::kCcmd, 8, bitv(ccmd::kICC) | (uint64_t{1} << ccmd::kCirgLo));
  for (unsigned i = 0; i < opts_.poll_limit && bit(bus_->mmio_read(reg::kCcmd, 8), ccmd::kICC); ++i)
    bus_->pause(opts_.poll_interval);
}

void VtdDriver::flush_context_device(uint16_t rid, uint16_t did) {
  if (qi_) {
    submit({{0x1 | (uint64_t{3} << 4) | (uint64_t{did} << 16) | (uint64_t{rid} << 32), 0, 0, 0}});
    return;
  }
  bus_->mmio_write(reg::kCcmd, 8,
                   bitv(ccmd::kICC) | (uint64_t{3} << ccmd::kCirgLo) | (uint64_t{rid} << 16) | did);
  for (unsigned i = 0; i < opts_.poll_limit && bit(bus_->mmio_read(reg::kCcmd, 8), ccmd::kICC); ++i)
    bus_->pause(opts_.poll_interval);
}

void VtdDriver::flush_iotlb(IotlbGran g, uint16_t did, uint64_t addr, unsigned am) {
  (g == IotlbGran::Page ? counts_.psi : counts_.dsi) += g == IotlbGran::Global ? 0 : 1;
  // Linux sets DR/DW when the unit can drain (CAP.DRD/DWD).
  const bool dr = caps_.drd, dw = caps_.dwd;
  if (qi_) {
    const uint64_t q0 = 0x2 | (uint64_t{static_cast<uint8_t>(g)} << 4) | (uint64_t{dw} << 6) |
                        (uint64_t{dr} << 7) | (uint64_t{did} << 16);
    const uint64_t q1 = g == IotlbGran::Page ? (addr & mask(63, 12)) | am : 0;
    if (opts_.scalable && g == IotlbGran::Page) {
      // Scalable mode: PASID-based IOTLB invalidation for RID_PASID 0 (second stage).
      submit({{0x6 | (uint64_t{3} << 4) | (uint64_t{did} << 16), q1, 0, 0}});
    } else {
      submit({{q0, q1, 0, 0}});
    }
    return;
  }
  const uint32_t iva = reg::iva(caps_.iro), iotlb = reg::iotlb(caps_.iro);
  if (g == IotlbGran::Page) bus_->mmio_write(iva, 8, (addr & mask(63, 12)) | am);
  bus_->mmio_write(iotlb, 8,
                   bitv(iotlb_reg::kIVT) |
                       (uint64_t{static_cast<uint8_t>(g)} << iotlb_reg::kIirgLo) |
                       (uint64_t{dr} << iotlb_reg::kDR) | (uint64_t{dw} << iotlb_reg::kDW) |
                       (uint64_t{did} << iotlb_reg::kDidLo));
  for (unsigned i = 0; i < opts_.poll_limit && bit(bus_->mmio_read(iotlb, 8), iotlb_reg::kIVT); ++i)
    bus_->pause(opts_.poll_interval);
}

void VtdDriver::flush_range(uint16_t did, uint64_t iova, uint64_t size) {
  // iommu_flush_iotlb_psi(): the smallest naturally aligned 2^AM pages covering the range.
  const uint64_t first = iova >> 12;
  const uint64_t last = (iova + size - 1) >> 12;
  unsigned am = 0;
  while ((first >> am) != (last >> am)) ++am;
  if (!caps_.psi || am > caps_.mamv) {
    flush_iotlb(IotlbGran::Domain, did, 0, 0);
    return;
  }
  flush_iotlb(IotlbGran::Page, did, (first >> am) << (am + 12), am);
}

// --- Domains ---------------------------------------------------------------------------------

std::optional<uint16_t> VtdDriver::create_domain() {
  const Translator t(caps_, bus_->memory());
  const auto fmt = t.second_stage_format(agaw_, !opts_.scalable, false, false);
  if (!fmt) return std::nullopt;
  pt::BuilderOptions bo;
  bo.free_empty_tables = false;  // Linux frees table pages only after the flush; keep them
  auto b = pt::Builder<pt::VtdSsFormat>::create(*fmt, bus_->memory(), alloc_, bo);
  if (!b) return std::nullopt;
  const uint16_t did = next_did_++;
  domains_[did].tables = std::make_unique<pt::Builder<pt::VtdSsFormat>>(std::move(*b));
  return did;
}

uint64_t VtdDriver::context_table(uint8_t bus, uint8_t devfn) {
  const uint64_t re_pa = root_ + uint64_t{bus} * kRootEntryBytes;
  Qw2 raw{bus_->memory().read_le64(re_pa).value_or(0),
          bus_->memory().read_le64(re_pa + 8).value_or(0)};
  if (!opts_.scalable) {
    LegacyRootEntry re = LegacyRootEntry::decode(raw);
    if (!re.present) {
      re = {true, alloc_page()};
      if (!re.ctp) return 0;
      bus_->memory().write(re_pa, re.encode().data(), 16);
    }
    return re.ctp;
  }
  ScalableRootEntry re = ScalableRootEntry::decode(raw);
  if (!re.present_for(devfn)) {
    const uint64_t t = alloc_page();
    if (!t) return 0;
    if (devfn < 0x80)
      re.lower_present = true, re.lower_ctp = t;
    else
      re.upper_present = true, re.upper_ctp = t;
    bus_->memory().write(re_pa, re.encode().data(), 16);
  }
  return re.ctp_for(devfn);
}

uint64_t VtdDriver::pasid_slot(uint16_t rid, uint32_t pasid) {
  const uint8_t devfn = static_cast<uint8_t>(rid);
  // PDTS 0: a directory of 128 entries, PASIDs 0..8191.
  if (PasidEntry::dir_index(pasid) >= 128) return 0;
  uint64_t& dir = pasid_dirs_[rid];
  if (!dir) {
    const uint64_t table = context_table(static_cast<uint8_t>(rid >> 8), devfn);
    dir = alloc_page();
    if (!table || !dir) return 0;
    // The scalable context entry: PASIDE so PASID-tagged requests may use the directory,
    // RID_PASID 0 for requests without PASID.
    ScalableContextEntry ce;
    ce.present = true;
    ce.paside = true;
    ce.pasid_dir = dir;
    bus_->memory().write(table + uint64_t{devfn & 0x7fu} * kScalableContextBytes,
                         ce.encode().data(), kScalableContextBytes);
  }
  const uint64_t de_pa = dir + uint64_t{PasidEntry::dir_index(pasid)} * kPasidDirEntryBytes;
  PasidDirEntry de = PasidDirEntry::decode(bus_->memory().read_le64(de_pa).value_or(0));
  if (!de.present) {
    de = {true, false, alloc_page()};
    if (!de.table) return 0;
    bus_->memory().write_le64(de_pa, de.encode());
  }
  return de.table + uint64_t{PasidEntry::table_index(pasid)} * kPasidEntryBytes;
}

bool VtdDriver::set_pasid_entry(uint16_t rid, uint32_t pasid, const PasidEntry& pe) {
  const bool fresh = !pasid_dirs_.count(rid);
  const uint64_t slot = pasid_slot(rid, pasid);
  if (!slot) return false;
  Qw8 old{};
  bus_->memory().read(slot, old.data(), kPasidEntryBytes);
  const PasidEntry prev = PasidEntry::decode(old);
  bus_->memory().write(slot, pe.encode().data(), kPasidEntryBytes);
  // A new context entry needs a context flush; a changed PASID entry a PASID-cache flush
  // (intel_pasid_setup_*: pasid_flush_caches). PASID-cache entries are tagged with the DID the
  // entry held (6.5.2.3), so replacing an entry of another domain flushes that DID too
  // (Linux intel_pasid_replace_*: the old DID).
  std::array<std::array<uint64_t, 4>, 3> d{};
  size_t n = 0;
  if (fresh) d[n++] = {0x1 | (uint64_t{3} << 4) | (uint64_t{rid} << 32), 0, 0, 0};
  if (prev.present && prev.did != pe.did)
    d[n++] = {0x7 | (uint64_t{1} << 4) | (uint64_t{prev.did} << 16) | (uint64_t{pasid} << 32), 0, 0,
              0};
  d[n++] = {0x7 | (uint64_t{1} << 4) | (uint64_t{pe.did} << 16) | (uint64_t{pasid} << 32), 0, 0, 0};
  return submit(std::span<const std::array<uint64_t, 4>>(d.data(), n));
}

bool VtdDriver::attach(uint16_t rid, uint16_t did) {
  auto it = domains_.find(did);
  if (it == domains_.end()) return false;
  const uint8_t bus = static_cast<uint8_t>(rid >> 8), devfn = static_cast<uint8_t>(rid);
  const uint64_t slptptr = it->second.tables->root();
  // RID_PASID 0: second-stage only (intel_pasid_setup_second_level).
  if (opts_.scalable) return attach_pasid(rid, 0, did);
  const uint64_t table = context_table(bus, devfn);
  if (!table) return false;
  LegacyContextEntry ce;
  ce.present = true;
  ce.tt = LegacyTt::UntranslatedOnly;
  ce.slptptr = slptptr;
  ce.aw = agaw_;
  ce.did = did;
  bus_->memory().write(table + uint64_t{devfn} * kLegacyContextBytes, ce.encode().data(), 16);
  // domain_context_mapping_one(): flush the (possibly cached not-present) context entry.
  flush_context_device(rid, did);
  if (caps_.rwbf) {
    gcmd(bitv(gcmd::kWBF));
    wait_gsts(gcmd::kWBF, false);
  }
  return true;
}

bool VtdDriver::attach_pasid(uint16_t rid, uint32_t pasid, uint16_t did) {
  auto it = domains_.find(did);
  if (!opts_.scalable || !caps_.ssts || it == domains_.end()) return false;
  PasidEntry pe;
  pe.present = true;
  pe.pgtt = static_cast<unsigned>(Pgtt::SecondStage);
  pe.aw = agaw_;
  pe.slptptr = it->second.tables->root();
  pe.did = did;
  return set_pasid_entry(rid, pasid, pe);
}

uint64_t VtdDriver::domain_root(uint16_t did) const {
  auto it = domains_.find(did);
  return it == domains_.end() ? 0 : it->second.tables->root();
}

bool VtdDriver::bind_first_stage(uint16_t rid, uint32_t pasid, uint64_t fs_root, uint16_t did,
                                 bool supervisor) {
  if (!opts_.scalable || !caps_.fsts) return false;
  // intel_pasid_setup_first_level(): PGTT 001b, FLPTPTR, 4-level, SRE for supervisor PASIDs.
  PasidEntry pe;
  pe.present = true;
  pe.pgtt = static_cast<unsigned>(Pgtt::FirstStage);
  pe.flptptr = fs_root;
  pe.did = did;
  pe.sre = supervisor;
  pe.nxe = true;  // process page tables use XD (9.6 NXE: otherwise bit 63 is reserved)
  return set_pasid_entry(rid, pasid, pe);
}

bool VtdDriver::bind_nested(uint16_t rid, uint32_t pasid, uint64_t fs_root_gpa, uint16_t did) {
  auto it = domains_.find(did);
  if (!opts_.scalable || !caps_.nest || it == domains_.end()) return false;
  // intel_pasid_setup_nested(): PGTT 011b, the guest's FLPTPTR over the parent's SLPTPTR.
  PasidEntry pe;
  pe.present = true;
  pe.pgtt = static_cast<unsigned>(Pgtt::Nested);
  pe.aw = agaw_;
  pe.slptptr = it->second.tables->root();
  pe.flptptr = fs_root_gpa;
  pe.did = did;
  pe.nxe = true;
  return set_pasid_entry(rid, pasid, pe);
}

bool VtdDriver::unbind(uint16_t rid, uint32_t pasid, uint16_t did) {
  if (!opts_.scalable || !pasid_dirs_.count(rid)) return false;
  const uint64_t slot = pasid_slot(rid, pasid);
  if (!slot) return false;
  // intel_pasid_tear_down_entry(): clear P, then flush the PASID cache and the PASID's IOTLB.
  const PasidEntry none;
  bus_->memory().write(slot, none.encode().data(), kPasidEntryBytes);
  return submit(
      {{0x7 | (uint64_t{1} << 4) | (uint64_t{did} << 16) | (uint64_t{pasid} << 32), 0, 0, 0},
       {0x6 | (uint64_t{2} << 4) | (uint64_t{did} << 16) | (uint64_t{pasid} << 32), 0, 0, 0}});
}

void VtdDriver::flush_pasid_range(uint16_t did, uint32_t pasid, uint64_t va, uint64_t size) {
  const uint64_t first = va >> 12;
  const uint64_t last = (va + size - 1) >> 12;
  unsigned am = 0;
  while ((first >> am) != (last >> am)) ++am;
  ++counts_.psi;
  submit({{0x6 | (uint64_t{3} << 4) | (uint64_t{did} << 16) | (uint64_t{pasid} << 32),
           ((first >> am) << (am + 12)) | am, 0, 0}});
}

bool VtdDriver::map(uint16_t did, uint64_t iova, uint64_t pa, uint64_t size, bool write) {
  auto it = domains_.find(did);
  if (it == domains_.end()) return false;
  const pt::MapAttrs a = write ? pt::MapAttrs::rw() : pt::MapAttrs::ro();
  if (it->second.tables->map_range(iova, pa, size, a) != pt::MapStatus::Ok) return false;
  ++counts_.maps;
  // CAP.CM = 0: non-present entries are not cached, so a new mapping needs no invalidation;
  // with CM = 1 (a virtual unit) it does.
  if (caps_.cm) flush_range(did, iova, size);
  if (caps_.rwbf) {
    gcmd(bitv(gcmd::kWBF));
    wait_gsts(gcmd::kWBF, false);
  }
  return true;
}

bool VtdDriver::unmap(uint16_t did, uint64_t iova, uint64_t size) {
  auto it = domains_.find(did);
  if (it == domains_.end()) return false;
  if (!it->second.tables->unmap(iova, size).ok()) return false;
  ++counts_.unmaps;
  if (opts_.flush == FlushPolicy::strict)
    flush_range(did, iova, size);
  else
    it->second.pending = true;
  return true;
}

void VtdDriver::flush() {
  for (auto& [did, d] : domains_) {
    if (!d.pending) continue;
    d.pending = false;
    flush_domain(did);
  }
}

void VtdDriver::flush_domain(uint16_t did) {
  // The driver's domains are second-stage only, in both modes: their cached translations go
  // with a domain-selective IOTLB invalidation (VT-d 6.5.2.3; Linux cache_tag_flush_all uses
  // the IOTLB descriptor for second-stage domains and the PASID-based one for first stage).
  flush_iotlb(IotlbGran::Domain, did, 0, 0);
}

bool VtdDriver::invalidate(uint16_t did, uint64_t iova, uint64_t size) {
  auto it = domains_.find(did);
  if (it == domains_.end()) return false;
  if (size == 0) {
    it->second.pending = false;
    flush_domain(did);
  } else {
    flush_range(did, iova, size);
  }
  return true;
}

bool VtdDriver::attach_passthrough(uint16_t rid, uint16_t did) {
  if (!caps_.pt) return false;
  const uint8_t bus = static_cast<uint8_t>(rid >> 8), devfn = static_cast<uint8_t>(rid);
  if (opts_.scalable) {
    // intel_pasid_setup_pass_through(): PGTT 100b, AW, DID.
    PasidEntry pe;
    pe.present = true;
    pe.pgtt = static_cast<unsigned>(Pgtt::PassThrough);
    pe.aw = agaw_;
    pe.did = did;
    return set_pasid_entry(rid, 0, pe);
  }
  const uint64_t table = context_table(bus, devfn);
  if (!table) return false;
  // VT-d 9.3: TT = 10b (pass-through); AW still names a supported AGAW.
  LegacyContextEntry ce;
  ce.present = true;
  ce.tt = LegacyTt::PassThrough;
  ce.aw = agaw_;
  ce.did = did;
  bus_->memory().write(table + uint64_t{devfn} * kLegacyContextBytes, ce.encode().data(), 16);
  flush_context_device(rid, did);
  return true;
}

}  // namespace isim::vtd
