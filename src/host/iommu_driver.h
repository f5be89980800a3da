// The domain API every host IOMMU driver implements, shaped after Linux iommufd
// (include/uapi/linux/iommufd.h: IOMMU_GET_HW_INFO, IOMMU_HWPT_ALLOC, attach/replace,
// IOMMU_IOAS_MAP/UNMAP, IOMMU_HWPT_INVALIDATE): the DMA API, hypervisors and devices program
// any IOMMU through it. Pure C++: adapters wrap each vendor's driver (models/<arch>/host_adapter)
// and reach hardware only through a host::HostBus.
//
// Contract:
// - unmap() only clears table entries; the hardware may keep using cached translations until
//   invalidate() returns (so strict and deferred policies are the caller's choice);
// - invalidate() is synchronous: on return the hardware (and any device TLB the driver owns the
//   flushing of) no longer holds translations of the range;
// - a nested domain whose user stage-1 format the IOMMU cannot walk, or nesting on hardware
//   without it, is refused with Status::not_supported: never allocated with a different format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace isim::host {

enum class Vendor : uint8_t { intel_vtd, amd_vi, arm_smmuv3, ibm_tce };

/// Page-table formats (what a domain's tables look like in memory).
enum class PtFormat : uint8_t {
  vtd_second_stage,  ///< VT-d second-stage (9.8)
  x86_64,            ///< IA-32e 4-level: VT-d first stage (9.7), AMD-Vi v2 (guest) tables
  amd_v1,            ///< AMD-Vi v1 host page tables (2.2.3)
  arm_lpae_s1,       ///< Armv8 VMSA stage 1 (SMMUv3 CD tables)
  arm_lpae_s2,       ///< Armv8 VMSA stage 2
  tce,               ///< POWER TCE table
};

enum class DomainType : uint8_t {
  paging,    ///< tables in `format`, filled by map()
  identity,  ///< DMA address = physical address
  blocking,  ///< every DMA blocked
  nested,    ///< a user stage 1 in `format` over a parent paging domain (stage 2)
};

enum class Status : uint8_t {
  ok,
  not_supported,  ///< the hardware cannot do this (format, nesting, PASID, pass-through)
  invalid,        ///< bad argument: unknown domain, misaligned range, wrong domain type
  no_resources,   ///< out of domain IDs or table memory
  hw_error,       ///< the hardware refused or did not complete a command
};

std::string_view to_string(Vendor v);
std::string_view to_string(PtFormat f);
std::string_view to_string(DomainType t);
std::string_view to_string(Status s);

/// IOMMU_GET_HW_INFO: what the hardware is and can walk.
struct HwInfo {
  Vendor vendor = Vendor::intel_vtd;
  /// Raw capability registers by their spec name (VT-d CAP/ECAP, AMD-Vi EFR, ...).
  std::vector<std::pair<std::string, uint64_t>> cap_regs;
  std::vector<PtFormat> paging_formats;  ///< formats a paging domain may use
  std::vector<PtFormat> nest_formats;    ///< user stage-1 formats nestable over a parent
  bool identity = false;                 ///< identity domains without tables (pass-through)
  bool pasid = false;                    ///< attach with a PASID
  unsigned pasid_bits = 0;

  bool can_page(PtFormat f) const;
  bool can_nest(PtFormat f) const;
  /// The paging format a domain attached at a PASID must have, or nullopt without PASIDs or
  /// that format: VT-d second stage (a scalable-mode PASID entry, PGTT 010b, VT-d 9.6), AMD-Vi
  /// v2 / x86-64 (a GCR3 entry holds a guest CR3 only, 48882 2.2.6), SMMUv3 stage 1 (a CD,
  /// IHI 0070 5.4).
  std::optional<PtFormat> pasid_format() const;
};

using DomainId = uint32_t;

/// IOMMU_HWPT_ALLOC.
struct DomainRequest {
  DomainType type = DomainType::paging;
  PtFormat format = PtFormat::vtd_second_stage;  ///< paging: tables; nested: the user stage 1
  DomainId parent = 0;                           ///< nested: the stage-2 paging domain
  /// Nested, vendor data (iommu_hwpt_vtd_s1 / iommu_hwpt_amd_guest): the user stage-1 root as
  /// a stage-2 input address (GPA) and its levels.
  uint64_t s1_root = 0;
  unsigned s1_levels = 4;
  /// Nested, SMMUv3 (iommu_hwpt_arm_smmuv3, the guest's STE): `s1_root` is the guest's linear
  /// CD table (an IPA) and this its SubstreamID bits (S1CDMax; 0: a single CD).
  unsigned s1_pasid_bits = 0;
  /// Paging, TCE only (VFIO_IOMMU_SPAPR_TCE_CREATE window_size / page_shift): the IOVA space
  /// and IO page size the domain needs; 0 takes the default window's. A window larger than the
  /// default one, or another page size, is a Dynamic DMA Window. Other drivers' tables span
  /// their format's whole input range with every page size it has, and ignore both.
  uint64_t aperture = 0;
  unsigned page_lg2 = 0;
};

struct DomainResult {
  Status status = Status::invalid;
  DomainId id = 0;
  std::string why;  ///< for a refusal: what the hardware lacks
  /// Paging: the IOVA range the domain translates (Linux iommu_domain_geometry); size 0: the
  /// format's whole input range.
  uint64_t aperture_base = 0;
  uint64_t aperture_size = 0;
  /// Identity: DMA address = physical address + this (a TCE direct window above the default
  /// window, Linux's dma_offset); 0 elsewhere.
  uint64_t dma_offset = 0;
};

struct Prot {
  bool read = true;
  bool write = true;
};

/// IOMMU_HWPT_INVALIDATE: a range (size 0: the whole domain), optionally one PASID.
struct InvalidateRequest {
  uint64_t iova = 0;
  uint64_t size = 0;
  std::optional<uint32_t> pasid;
};

/// What a driver did (the DMA API and devices report them as stats).
struct DriverCounts {
  uint64_t domains = 0;
  uint64_t attaches = 0;
  uint64_t maps = 0;
  uint64_t unmaps = 0;
  uint64_t invalidations = 0;  ///< invalidate() calls that reached the hardware
  uint64_t refused = 0;        ///< requests answered not_supported
};

class IommuDriver {
 public:
  virtual ~IommuDriver() = default;

  /// Brings the hardware up (idempotent); Status::ok or why not in `why`.
  virtual Status init(std::string* why = nullptr) = 0;
  virtual HwInfo hw_info() = 0;
  virtual DomainResult alloc_domain(const DomainRequest& req) = 0;
  /// Points requester `rid` (and `pasid`, if given) at `domain`, replacing any previous domain
  /// without a window in which the device is unattached (iommufd replace).
  virtual Status attach(DomainId domain, uint16_t rid, std::optional<uint32_t> pasid = {}) = 0;
  virtual Status map(DomainId domain, uint64_t iova, uint64_t pa, uint64_t size, Prot prot) = 0;
  virtual Status unmap(DomainId domain, uint64_t iova, uint64_t size) = 0;
  virtual Status invalidate(DomainId domain, const InvalidateRequest& req) = 0;

  const DriverCounts& counts() const { return counts_; }

 protected:
  DriverCounts counts_;
};

}  // namespace isim::host
