// A hypervisor's emulated IOMMU (vIOMMU): a guest programs what it believes is an IOMMU of type
// `guest` (VT-d, AMD-Vi or SMMUv3: page tables of that IOMMU's first-stage format in guest
// memory, invalidations through its registers or queues), and the hypervisor makes the host
// IOMMU honour it through the host domain API (host/iommu_driver.h), with one of three
// strategies:
//
//   nested    the guest's tables are walked by the host hardware as a user stage 1 over a
//             stage-2 paging domain mapping guest RAM (GPA -> HPA): IOMMU_HWPT_ALLOC of a
//             nested domain with the guest's table root (a GPA). Guest PTE writes cost no exit;
//             each guest invalidation traps and becomes one host invalidation of the nested
//             domain (IOMMU_HWPT_INVALIDATE), as QEMU's intel_iommu / arm smmuv3 accel do.
//             When the host refuses (Status::not_supported: a format it cannot walk, or no
//             nesting) the vIOMMU falls back to shadow and keeps the reason.
//   shadow    the emulated IOMMU asks the guest to invalidate after every change, maps
//             included (VT-d CAP.CM = 1, caching mode); each invalidation traps, the hypervisor
//             walks the guest tables over the range, composes GPA -> HPA and maps or unmaps
//             the result in a host paging domain (IOVA -> HPA), then invalidates the host
//             domain for what it removed (QEMU vtd_sync_shadow_page_table over VFIO).
//   paravirt  no guest tables: the guest sends virtio-iommu requests (VIRTIO_IOMMU_T_MAP 0x03,
//             VIRTIO_IOMMU_T_UNMAP 0x04), one hypercall each; the hypervisor maps GPA -> HPA
//             composed into a host paging domain, and UNMAP returns after the host
//             invalidation (the device must not reach the range once the request completes).
//
// Guest RAM is one linear range: GPA [0, ram_size) at HPA [ram_hpa, ram_hpa + ram_size).
// Software costs (traps, hypercalls, guest PTE stores, the hypervisor's walks and host map
// calls) are charged through HostBus::pause; the host driver's own register time is whatever
// the bus charges. Pure C++.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/time.h"
#include "host/host_bus.h"
#include "host/iommu_driver.h"
#include "hw/phys_allocator.h"

namespace isim::pt {
class PageTable;
}

namespace isim::host {

enum class ViommuMode : uint8_t { nested, shadow, paravirt };

/// The IOMMU the guest sees (its first-stage table format: VT-d first stage and AMD-Vi v2 are
/// IA-32e tables, SMMUv3 stage 1 is Armv8 VMSA with a 4 KiB granule and 48-bit input).
enum class GuestIommu : uint8_t { vtd, amdvi, smmuv3 };

std::string_view to_string(ViommuMode m);
std::string_view to_string(GuestIommu g);
std::optional<ViommuMode> viommu_mode_from_string(std::string_view s);
std::optional<GuestIommu> guest_iommu_from_string(std::string_view s);
/// The domain-API format of the guest's tables.
PtFormat guest_format(GuestIommu g);

/// Costs are ESTIMATES (docs/host.md): a VM exit handled in the kernel is about 1 us on current
/// x86 servers, one that reaches the VMM in user space several.
struct ViommuParams {
  ViommuMode mode = ViommuMode::nested;       ///< strategy asked for (nested may fall back)
  GuestIommu guest = GuestIommu::vtd;         ///< the IOMMU the guest programs
  uint64_t ram_size = uint64_t{256} << 20;    ///< guest RAM: GPA [0, ram_size)
  uint64_t ram_hpa = uint64_t{1} << 30;       ///< host physical address of GPA 0
  uint64_t table_base = uint64_t{128} << 20;  ///< GPA of the guest driver's table pool
  uint64_t table_size = uint64_t{16} << 20;   ///< size of that pool
  Tick trap_cost = 2'000'000;       ///< one trapped guest invalidation (exit, emulate, resume)
  Tick hypercall_cost = 1'500'000;  ///< one MAP/UNMAP request (kick, handle, complete)
  Tick guest_pte_cost = 10'000;     ///< guest driver: per guest PTE page written or cleared
  Tick walk_cost = 20'000;          ///< hypervisor: per guest table entry read while shadowing
  Tick host_map_cost = 100'000;     ///< hypervisor: per host map or unmap call it makes
  /// Guest SMMUv3, nested: writes the guest driver's context descriptor for its stage-1 table
  /// `s1_root` (a GPA) at GPA `cd_gpa` (IHI 0070 5.4, one 64-byte CD) into guest memory; false
  /// when it cannot. The encoding is the architecture model's, so the caller supplies it
  /// (viommu-dma does); without one a guest SMMUv3 is shadowed instead of nested.
  std::function<bool(PhysMem& guest, uint64_t cd_gpa, uint64_t s1_root)> write_guest_cd;
};

struct ViommuCounts {
  uint64_t fallbacks = 0;           ///< nested refused by the host: shadowing instead
  uint64_t traps = 0;               ///< guest invalidations trapped
  Tick trap_time = 0;               ///< time charged for them (trap_cost each)
  uint64_t hypercalls = 0;          ///< paravirt MAP/UNMAP requests
  Tick hypercall_time = 0;          ///< time charged for them
  uint64_t guest_pte_writes = 0;    ///< guest pages mapped or unmapped in guest tables
  uint64_t shadow_walks = 0;        ///< guest table walks by the hypervisor (one per page)
  uint64_t shadow_reads = 0;        ///< guest table entries those walks read
  uint64_t shadow_maps = 0;         ///< pages installed in the shadow domain
  uint64_t shadow_unmaps = 0;       ///< pages removed from the shadow domain
  uint64_t shadow_skipped = 0;      ///< guest mappings of a GPA outside guest RAM (not shadowed)
  uint64_t host_maps = 0;           ///< host map calls by the hypervisor
  uint64_t host_unmaps = 0;         ///< host unmap calls by the hypervisor
  uint64_t host_invalidations = 0;  ///< host invalidations by the hypervisor
  uint64_t errors = 0;              ///< guest requests refused (bad range, host error)
};

class Viommu {
 public:
  Viommu(IommuDriver& host, HostBus& bus, const ViommuParams& p);
  ~Viommu();
  Viommu(const Viommu&) = delete;
  Viommu& operator=(const Viommu&) = delete;

  /// Builds the host side for the guest's device `rid` (domains, attach) and the guest's empty
  /// table. The host driver must be initialised. Empty on success, else why not. A nested
  /// refusal is not an error: mode() says shadow and fallback_reason() why.
  std::string setup(uint16_t rid);

  ViommuMode requested_mode() const { return p_.mode; }
  /// The strategy in use (after any fallback).
  ViommuMode mode() const { return mode_; }
  /// The host's refusal of nesting ("" when none).
  const std::string& fallback_reason() const { return fallback_why_; }
  /// The emulated IOMMU reports caching mode: the guest invalidates after maps too.
  bool caching_mode() const { return mode_ == ViommuMode::shadow; }

  // --- What a correct guest driver does (strict: unmap returns after the invalidation). ---
  /// Maps IOVA [iova, iova + size) to GPA [gpa, ...): guest PTEs (plus an invalidation under
  /// caching mode), or a MAP request.
  Status map(uint64_t iova, uint64_t gpa, uint64_t size, Prot prot = {});
  /// Unmaps and invalidates: guest PTEs cleared then an invalidation, or an UNMAP request.
  Status unmap(uint64_t iova, uint64_t size);

  // --- The guest's individual steps (nested/shadow only), for stale-translation studies. ---
  /// Guest PTE stores only: no exit, the host sees nothing yet.
  Status write_ptes(uint64_t iova, uint64_t gpa, uint64_t size, Prot prot = {});
  Status clear_ptes(uint64_t iova, uint64_t size);
  /// The guest's IOTLB invalidation of [iova, iova + size) (size 0: everything): one trap.
  Status invalidate(uint64_t iova, uint64_t size);

  /// The guest's table root (a GPA; 0 in paravirt mode).
  uint64_t guest_root() const;
  /// The host domain the device is attached to.
  DomainId device_domain() const { return device_domain_; }
  const ViommuCounts& counts() const { return counts_; }

 private:
  struct Shadow {
    uint64_t hpa;
    bool write;
  };
  bool gpa_in_ram(uint64_t gpa, uint64_t size) const;
  void charge(Tick t) { bus_.pause(t); }
  Status host_map(DomainId d, uint64_t iova, uint64_t hpa, uint64_t size, Prot prot);
  Status host_unmap_invalidate(uint64_t iova, uint64_t size);
  std::string fall_back(std::string why);
  std::string setup_nested();
  std::string setup_paging();
  /// Shadow: re-reads the guest tables over [iova, iova + size) and brings the shadow domain in
  /// line with them.
  Status sync_shadow(uint64_t iova, uint64_t size);
  Status sync_page(uint64_t iova, bool* removed);

  IommuDriver& host_;
  HostBus& bus_;
  ViommuParams p_;
  ViommuMode mode_;
  std::string fallback_why_;
  std::unique_ptr<PhysMem> guest_mem_;  ///< GPA view of guest RAM
  PhysAllocator guest_alloc_;
  std::unique_ptr<pt::PageTable> guest_pt_;
  DomainId s2_domain_ = 0;             ///< nested: the stage-2 parent (GPA -> HPA)
  DomainId device_domain_ = 0;         ///< nested domain, shadow domain or paravirt domain
  std::map<uint64_t, Shadow> shadow_;  ///< shadow: IOVA page -> what the host domain maps
  std::map<uint64_t, uint64_t> pv_;    ///< paravirt: IOVA -> mapped bytes
  /// sync_shadow's pages (a member: a host call that is waiting when a run ends is never
  /// unwound, so its caller's heap state must not live on the stack).
  std::set<uint64_t> sync_pages_;
  ViommuCounts counts_;
};

}  // namespace isim::host
