// The VT-d driver behind the host domain API (src/host/iommu_driver.h), as Linux's intel
// iommufd ops do (drivers/iommu/intel/iommu.c, nested.c):
//
// - paging domains use second-stage tables (the driver's own domains, a DID each);
// - identity domains are hardware pass-through (legacy TT = 10b, scalable PGTT = 100b) and
//   need ECAP.PT; blocking domains are empty second-stage tables (every DMA faults);
// - nested domains take a user IA-32e first stage (iommu_hwpt_vtd_s1) over a second-stage
//   parent and need scalable mode with ECAP.NEST (and first-stage support); anything else is
//   refused as not supported;
// - unmap clears the tables only (the driver runs with its deferred policy); invalidate() is a
//   page- or domain-selective IOTLB invalidation waited for.
#pragma once

#include <map>
#include <memory>

#include "host/iommu_driver.h"
#include "models/vtd/driver.h"

namespace isim::vtd {

class VtdHostAdapter final : public host::IommuDriver {
 public:
  /// `opts.flush` is ignored: invalidation is the caller's, through invalidate().
  VtdHostAdapter(host::HostBus& bus, DriverOptions opts);

  host::Status init(std::string* why = nullptr) override;
  host::HwInfo hw_info() override;
  host::DomainResult alloc_domain(const host::DomainRequest& req) override;
  host::Status attach(host::DomainId domain, uint16_t rid,
                      std::optional<uint32_t> pasid = {}) override;
  host::Status map(host::DomainId domain, uint64_t iova, uint64_t pa, uint64_t size,
                   host::Prot prot) override;
  host::Status unmap(host::DomainId domain, uint64_t iova, uint64_t size) override;
  host::Status invalidate(host::DomainId domain, const host::InvalidateRequest& req) override;

  VtdDriver& driver() { return drv_; }

 private:
  struct Domain {
    host::DomainType type;
    uint16_t did;          ///< the hardware domain ID (nested: the parent's, as Linux tags it)
    uint64_t s1_root = 0;  ///< nested: the user first-stage root (GPA)
  };
  host::DomainResult refuse(std::string why);
  const Domain* find(host::DomainId id) const;

  host::HostBus& bus_;
  DriverOptions opts_;
  VtdDriver drv_;
  bool up_ = false;
  std::map<host::DomainId, Domain> domains_;
  std::map<uint32_t, uint16_t> attached_;  ///< (rid << 20 | pasid) -> DID it translates with
  host::DomainId next_ = 1;
};

}  // namespace isim::vtd
