#include "host/viommu.h"

#include <array>
#include <set>
#include <utility>

#include "base/bits.h"
#include "hw/guest_ram.h"
#include "pagetable/page_table.h"

namespace isim::host {

namespace {

constexpr unsigned kPageLg2 = 12;       // vIOMMU mappings are in 4 KiB pages (every guest format's)
constexpr uint64_t kGuestCdBytes = 64;  // IHI 0070 5.4: a context descriptor
constexpr uint64_t kPage = uint64_t{1} << kPageLg2;

pt::FormatVariant guest_pt_format(GuestIommu g) {
  switch (g) {
    case GuestIommu::vtd:
      // VT-d 9.7 / 3.6: a 4-level first stage; 48-bit guest addresses, 1 GiB pages (FS1GP).
      return pt::X86Format(pt::vtd_first_stage_config(4, 48, true));
    case GuestIommu::amdvi:
      // AMD IOMMU 2.2.6: guest (v2) tables are 4-level x86-64 tables.
      return pt::X86Format(pt::amd_v2_config(4));
    case GuestIommu::smmuv3:
      // IHI 0070 5.4 (CD): TG0 = 4 KiB, T0SZ = 16 (48-bit input), IPS 48 bits: 4 levels.
      return pt::ArmLpaeFormat(pt::arm_s1_config(12, 16, 48));
  }
  return pt::X86Format();
}

/// The host format for GPA -> HPA and IOVA -> HPA domains: the hardware's stage-2 format when
/// it has one (a nested parent must be stage 2), else the first it pages with.
std::optional<PtFormat> host_format(const HwInfo& hw) {
  for (PtFormat f : {PtFormat::vtd_second_stage, PtFormat::amd_v1, PtFormat::arm_lpae_s2})
    if (hw.can_page(f)) return f;
  if (hw.paging_formats.empty()) return std::nullopt;
  return hw.paging_formats.front();
}

bool aligned(uint64_t v) {
  return (v & (kPage - 1)) == 0;
}

std::string status_why(const char* what, Status s) {
  return std::string(what) + ": " + std::string(to_string(s));
}

}  // namespace

std::string_view to_string(ViommuMode m) {
  switch (m) {
    case ViommuMode::nested:
      return "nested";
    case ViommuMode::shadow:
      return "shadow";
    case ViommuMode::paravirt:
      return "paravirt";
  }
  return "?";
}

std::string_view to_string(GuestIommu g) {
  switch (g) {
    case GuestIommu::vtd:
      return "vtd";
    case GuestIommu::amdvi:
      return "amdvi";
    case GuestIommu::smmuv3:
      return "smmuv3";
  }
  return "?";
}

std::optional<ViommuMode> viommu_mode_from_string(std::string_view s) {
  for (ViommuMode m : {ViommuMode::nested, ViommuMode::shadow, ViommuMode::paravirt})
    if (to_string(m) == s) return m;
  return std::nullopt;
}

std::optional<GuestIommu> guest_iommu_from_string(std::string_view s) {
  for (GuestIommu g : {GuestIommu::vtd, GuestIommu::amdvi, GuestIommu::smmuv3})
    if (to_string(g) == s) return g;
  return std::nullopt;
}

PtFormat guest_format(GuestIommu g) {
  return g == GuestIommu::smmuv3 ? PtFormat::arm_lpae_s1 : PtFormat::x86_64;
}

Viommu::Viommu(IommuDriver& host, HostBus& bus, const ViommuParams& p)
    : host_(host),
      bus_(bus),
      p_(p),
      mode_(p.mode),
      guest_mem_(std::make_unique<GuestRam>(bus.memory(), p.ram_hpa, p.ram_size)),
      guest_alloc_(p.table_base, p.table_base + p.table_size) {}

Viommu::~Viommu() = default;

uint64_t Viommu::guest_root() const {
  return guest_pt_ ? guest_pt_->root() : 0;
}

bool Viommu::gpa_in_ram(uint64_t gpa, uint64_t size) const {
  return gpa < p_.ram_size && size <= p_.ram_size - gpa;
}

std::string Viommu::setup(uint16_t rid) {
  if (mode_ != ViommuMode::paravirt) {
    guest_pt_ = pt::make_page_table(guest_pt_format(p_.guest), *guest_mem_, guest_alloc_);
    if (!guest_pt_) return "no room for the guest's root table in its table pool";
  }
  std::string why = mode_ == ViommuMode::nested ? setup_nested() : setup_paging();
  if (!why.empty()) return why;
  const Status s = host_.attach(device_domain_, rid);
  return s == Status::ok ? std::string() : status_why("attaching the device", s);
}

std::string Viommu::setup_nested() {
  const HwInfo hw = host_.hw_info();
  const std::optional<PtFormat> f = host_format(hw);
  if (!f) return "the host IOMMU has no paging format";
  DomainRequest s2;
  s2.format = *f;
  const DomainResult parent = host_.alloc_domain(s2);
  if (parent.status != Status::ok) return "stage-2 domain: " + parent.why;
  s2_domain_ = parent.id;
  // The VM's memory map: GPA -> HPA, the stage 2 every guest table pointer and output goes
  // through.
  if (host_map(s2_domain_, 0, p_.ram_hpa, p_.ram_size, {}) != Status::ok)
    return "cannot map guest RAM in the stage-2 domain";
  DomainRequest n;
  n.type = DomainType::nested;
  n.format = guest_format(p_.guest);
  n.parent = s2_domain_;
  n.s1_root = guest_pt_->root();
  n.s1_levels = 4;
  DomainResult nd{Status::not_supported, 0, "no writer for the guest's context descriptor"};
  if (p_.guest == GuestIommu::smmuv3 && hw.can_nest(PtFormat::arm_lpae_s1)) {
    // iommu_hwpt_arm_smmuv3: the vendor data is the guest's STE, whose S1ContextPtr names its
    // CD table (IHI 0070 5.2); a single CD (S1CDMax = 0) over the guest's stage-1 table.
    const auto cd = guest_alloc_.alloc(kGuestCdBytes, kGuestCdBytes);
    if (!cd) return "no room for the guest's context descriptor in its table pool";
    if (p_.write_guest_cd && p_.write_guest_cd(*guest_mem_, *cd, n.s1_root)) {
      n.s1_root = *cd;
      n.s1_pasid_bits = 0;
      nd = host_.alloc_domain(n);
    }
  } else {
    nd = host_.alloc_domain(n);
  }
  if (nd.status == Status::not_supported) {
    // The stage-2 domain is not attached yet: emptied, it becomes the shadow domain.
    const Status s = host_.unmap(s2_domain_, 0, p_.ram_size);
    ++counts_.host_unmaps;
    if (s != Status::ok) return status_why("emptying the stage-2 domain", s);
    device_domain_ = s2_domain_;
    s2_domain_ = 0;
    return fall_back(nd.why.empty() ? std::string("nesting not supported") : nd.why);
  }
  if (nd.status != Status::ok) return "nested domain: " + nd.why;
  device_domain_ = nd.id;
  return {};
}

std::string Viommu::fall_back(std::string why) {
  mode_ = ViommuMode::shadow;
  fallback_why_ = std::move(why);
  ++counts_.fallbacks;
  return {};
}

std::string Viommu::setup_paging() {
  const std::optional<PtFormat> f = host_format(host_.hw_info());
  if (!f) return "the host IOMMU has no paging format";
  DomainRequest r;
  r.format = *f;
  const DomainResult d = host_.alloc_domain(r);
  if (d.status != Status::ok) return "host domain: " + d.why;
  device_domain_ = d.id;
  return {};
}

Status Viommu::host_map(DomainId d, uint64_t iova, uint64_t hpa, uint64_t size, Prot prot) {
  charge(p_.host_map_cost);
  ++counts_.host_maps;
  return host_.map(d, iova, hpa, size, prot);
}

Status Viommu::host_unmap_invalidate(uint64_t iova, uint64_t size) {
  charge(p_.host_map_cost);
  ++counts_.host_unmaps;
  Status s = host_.unmap(device_domain_, iova, size);
  if (s != Status::ok) return s;
  ++counts_.host_invalidations;
  return host_.invalidate(device_domain_, {iova, size, std::nullopt});
}

Status Viommu::map(uint64_t iova, uint64_t gpa, uint64_t size, Prot prot) {
  if (mode_ == ViommuMode::paravirt) {
    // virtio-iommu VIRTIO_IOMMU_T_MAP: one request, the device (the hypervisor) maps it.
    ++counts_.hypercalls;
    counts_.hypercall_time += p_.hypercall_cost;
    charge(p_.hypercall_cost);
    if (size == 0 || !aligned(iova) || !aligned(gpa) || !aligned(size) || !gpa_in_ram(gpa, size) ||
        pv_.count(iova)) {
      ++counts_.errors;
      return Status::invalid;
    }
    const Status s = host_map(device_domain_, iova, p_.ram_hpa + gpa, size, prot);
    if (s != Status::ok) {
      ++counts_.errors;
      return s;
    }
    pv_[iova] = size;
    return Status::ok;
  }
  const Status s = write_ptes(iova, gpa, size, prot);
  if (s != Status::ok || !caching_mode()) return s;
  // VT-d 11.4.2 CAP.CM (caching mode): non-present entries may be cached, so the guest invalidates
  // after making an entry present, and that is where the hypervisor learns of the map.
  return invalidate(iova, size);
}

Status Viommu::unmap(uint64_t iova, uint64_t size) {
  if (mode_ == ViommuMode::paravirt) {
    // VIRTIO_IOMMU_T_UNMAP: completes once the device can no longer reach the range.
    ++counts_.hypercalls;
    counts_.hypercall_time += p_.hypercall_cost;
    charge(p_.hypercall_cost);
    auto it = pv_.find(iova);
    if (it == pv_.end() || it->second != size) {
      ++counts_.errors;
      return Status::invalid;
    }
    pv_.erase(it);
    const Status s = host_unmap_invalidate(iova, size);
    if (s != Status::ok) ++counts_.errors;
    return s;
  }
  const Status s = clear_ptes(iova, size);
  if (s != Status::ok) return s;
  return invalidate(iova, size);
}

Status Viommu::write_ptes(uint64_t iova, uint64_t gpa, uint64_t size, Prot prot) {
  if (!guest_pt_ || size == 0 || !aligned(iova) || !aligned(gpa) || !aligned(size)) {
    ++counts_.errors;
    return Status::invalid;
  }
  pt::MapAttrs a;
  a.read = prot.read;
  a.write = prot.write;
  const uint64_t pages = size >> kPageLg2;
  counts_.guest_pte_writes += pages;
  charge(p_.guest_pte_cost * pages);
  if (guest_pt_->map_range(iova, gpa, size, a) != pt::MapStatus::Ok) {
    ++counts_.errors;
    return Status::invalid;
  }
  return Status::ok;
}

Status Viommu::clear_ptes(uint64_t iova, uint64_t size) {
  if (!guest_pt_ || size == 0 || !aligned(iova) || !aligned(size)) {
    ++counts_.errors;
    return Status::invalid;
  }
  const uint64_t pages = size >> kPageLg2;
  counts_.guest_pte_writes += pages;
  charge(p_.guest_pte_cost * pages);
  if (!guest_pt_->unmap(iova, size).ok()) {
    ++counts_.errors;
    return Status::invalid;
  }
  return Status::ok;
}

Status Viommu::invalidate(uint64_t iova, uint64_t size) {
  if (mode_ == ViommuMode::paravirt) {
    ++counts_.errors;
    return Status::invalid;
  }
  // The guest's invalidation (a VT-d invalidation-queue tail write, an SMMU CMDQ PROD write,
  // an AMD-Vi command-buffer tail write) exits to the hypervisor.
  ++counts_.traps;
  counts_.trap_time += p_.trap_cost;
  charge(p_.trap_cost);
  if (mode_ == ViommuMode::shadow) return sync_shadow(iova, size);
  ++counts_.host_invalidations;
  const Status s = host_.invalidate(device_domain_, {iova, size, std::nullopt});
  if (s != Status::ok) ++counts_.errors;
  return s;
}

Status Viommu::sync_shadow(uint64_t iova, uint64_t size) {
  std::set<uint64_t>& pages = sync_pages_;
  pages.clear();
  if (size == 0) {
    // A global invalidation: every page either side knows of.
    for (const auto& [va, sh] : shadow_) pages.insert(va);
    for (const pt::Mapping& m : guest_pt_->mappings())
      for (uint64_t off = 0; off < (uint64_t{1} << m.page_lg2); off += kPage)
        pages.insert(m.va + off);
  } else {
    const uint64_t first = align_down(iova, kPageLg2);
    const uint64_t end = align_up(iova + size, kPageLg2);
    for (uint64_t va = first; va < end; va += kPage) pages.insert(va);
  }
  bool removed = false;
  Status worst = Status::ok;
  for (uint64_t va : pages) {
    const Status s = sync_page(va, &removed);
    if (s != Status::ok) worst = s;
  }
  if (removed) {
    ++counts_.host_invalidations;
    const uint64_t first = size ? align_down(iova, kPageLg2) : 0;
    const uint64_t len = size ? align_up(iova + size, kPageLg2) - first : 0;
    const Status s = host_.invalidate(device_domain_, {first, len, std::nullopt});
    if (s != Status::ok) worst = s;
  }
  if (worst != Status::ok) ++counts_.errors;
  return worst;
}

Status Viommu::sync_page(uint64_t iova, bool* removed) {
  // The hypervisor reads the guest's entries as the IOMMU would (no access asked: any
  // present leaf is shadowed with the rights it grants).
  const pt::WalkResult r = guest_pt_->translate(iova, pt::AccessReq{}, {});
  ++counts_.shadow_walks;
  counts_.shadow_reads += r.log.reads.size();
  charge(p_.walk_cost * r.log.reads.size());
  std::optional<Shadow> want;
  if (r.ok()) {
    const uint64_t gpa = align_down(r.tr.oa, kPageLg2);
    if (gpa_in_ram(gpa, kPage))
      want = Shadow{p_.ram_hpa + gpa, r.tr.perms.any(pt::Perms::kWrite)};
    else
      ++counts_.shadow_skipped;  // hardware would fault at stage 2: so does the shadow
  }
  auto it = shadow_.find(iova);
  if (it != shadow_.end() && want && it->second.hpa == want->hpa && it->second.write == want->write)
    return Status::ok;
  if (it != shadow_.end()) {
    charge(p_.host_map_cost);
    ++counts_.host_unmaps;
    ++counts_.shadow_unmaps;
    shadow_.erase(it);
    *removed = true;
    const Status s = host_.unmap(device_domain_, iova, kPage);
    if (s != Status::ok) return s;
  }
  if (!want) return Status::ok;
  ++counts_.shadow_maps;
  const Status s = host_map(device_domain_, iova, want->hpa, kPage, Prot{true, want->write});
  if (s == Status::ok) shadow_[iova] = *want;
  return s;
}

}  // namespace isim::host
