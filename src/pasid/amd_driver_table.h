// A device's AMD-Vi GCR3 table as the host driver keeps it: the PasidTable interface over
// amdvi::AmdviHostAdapter's native GCR3 calls, so a migration (or any other user of the
// interface) programs a live unit the way Linux's amd_iommu SVA code does (pasid.c
// iommu_sva_set_dev_pasid -> amd_iommu_set_gcr3 / amd_iommu_clear_gcr3): the GCR3 table
// allocated by the driver, the DTE pointed at it (GV, GLX, GCR3 Table Root Pointer; 48882
// 2.2.2.1) with INVALIDATE_DEVTAB_ENTRY when that changes, each entry change followed by
// INVALIDATE_IOMMU_PAGES of the PASID (GN = 1) and COMPLETION_WAIT, polled.
//
// A device whose requests without a PASID have no domain yet is first attached to an empty v2
// domain (as the swq and mdev-parent set-ups do): its DTE then has a GCR3 table, and
// requests without a PASID fault rather than pass through. The binding's `tag` is unused: the
// IOTLB tag of a guest translation is the DTE's DomainID with the PASID (48882 2.2.6), which the
// driver gives each device's GCR3 table.
#pragma once

#include <map>

#include "models/amdvi/host_adapter.h"
#include "pasid/pasid_table.h"

namespace isim::pasid {

class AmdDriverTable final : public PasidTable {
 public:
  /// `drv` must have been brought up; `rid` is the DeviceID whose DTE the table hangs off.
  AmdDriverTable(amdvi::AmdviHostAdapter& drv, uint16_t rid) : drv_(drv), rid_(rid) {}

  const char* arch() const override { return "amdvi"; }
  /// The driver's GCR3 table for the device (0 until the first entry is set).
  uint64_t root() const override { return drv_.gcr3_root(rid_); }
  unsigned pasid_bits() const override { return drv_.gcr3_pasid_bits(); }
  /// Points `pasid`'s GCR3 entry at guest CR3 `b.pt_root` (a 4-level x86-64 table), waiting for
  /// the flush. PASID 0 is out of range: it is what requests without a PASID use (DTE.GIoV).
  TableError set(uint32_t pasid, const PasidBinding& b) override;
  /// Zeroes the entry and flushes the PASID's translations.
  TableError clear(uint32_t pasid) override;
  uint64_t entries() const override { return cr3s_.size(); }
  /// The GCR3 table belongs to the driver's pool; this view holds none of its own.
  uint64_t table_bytes() const override { return 0; }

 private:
  amdvi::AmdviHostAdapter& drv_;
  uint16_t rid_;
  std::map<uint32_t, uint64_t> cr3s_;  ///< populated PASIDs and their guest CR3s
};

}  // namespace isim::pasid
