// The SMMUv3 driver behind the host domain API (src/host/iommu_driver.h), as Linux's
// arm-smmu-v3 iommu_domain ops and iommufd support do (arm-smmu-v3.c, arm-smmu-v3-iommufd.c):
//
// - paging domains: arm-lpae-s1 by default (IDR0.S1P; a stage-1 table under its own ASID,
//   the master's CD 0 and an S1 STE with S1DSS = SSID0), arm-lpae-s2 on request (IDR0.S2P;
//   an S2 STE with its own VMID); any other format is refused as not supported;
// - identity: STE Config = bypass; blocking: STE Config = abort (with PASIDs attached: an S1
//   STE with S1DSS = bypass / terminate keeping the CD table);
// - nested: a user arm-lpae-s1 stage 1 over an arm-lpae-s2 parent, only with IDR0.S1P and
//   S2P: DomainRequest::s1_root is the guest's linear CD table (an IPA) and s1_pasid_bits its
//   S1CDMax (the vSTE of iommu_hwpt_arm_smmuv3); the STE has Config = 111 and the parent's
//   VMID and stage 2;
// - attach with a PASID: stage-1 paging domains only (a CD at that SubstreamID);
// - unmap clears the tables only; invalidate() is TLBI_NH_VA / TLBI_S2_IPA (whole ASID /
//   VMID for size 0; TLBI_NH_VAA / NH_ALL in the parent's VMID for a nested domain) + CMD_SYNC,
//   then ATC_INV + CMD_SYNC for ATS-enabled masters.
#pragma once

#include <map>
#include <memory>

#include "host/iommu_driver.h"
#include "models/smmuv3/driver.h"

namespace isim::smmuv3 {

struct AdapterOptions {
  DriverOptions driver;  ///< `flush` is ignored: invalidation is the caller's
  bool ats = false;      ///< enable ATS (STE.EATS) for attached masters when IDR0.ATS is set
};

class Smmuv3HostAdapter final : public host::IommuDriver {
 public:
  Smmuv3HostAdapter(host::HostBus& bus, const AdapterOptions& opts);

  host::Status init(std::string* why = nullptr) override;
  host::HwInfo hw_info() override;
  host::DomainResult alloc_domain(const host::DomainRequest& req) override;
  host::Status attach(host::DomainId domain, uint16_t rid,
                      std::optional<uint32_t> pasid = {}) override;
  host::Status map(host::DomainId domain, uint64_t iova, uint64_t pa, uint64_t size,
                   host::Prot prot) override;
  host::Status unmap(host::DomainId domain, uint64_t iova, uint64_t size) override;
  host::Status invalidate(host::DomainId domain, const host::InvalidateRequest& req) override;

  Smmuv3Driver& driver() { return drv_; }

 private:
  struct Domain {
    host::DomainType type = host::DomainType::paging;
    uint32_t hw = 0;  ///< the driver's domain (nested: the parent's)
    uint64_t cd_table_ipa = 0;
    unsigned s1cdmax = 0;
  };
  host::DomainResult refuse(std::string why);
  host::Status refused();
  const Domain* find(host::DomainId id) const;

  AdapterOptions opts_;
  Smmuv3Driver drv_;
  bool up_ = false;
  std::map<host::DomainId, Domain> domains_;
  host::DomainId next_ = 1;
};

}  // namespace isim::smmuv3
