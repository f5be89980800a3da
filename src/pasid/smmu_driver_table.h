// A master's SMMUv3 context-descriptor table as the host driver keeps it: the PasidTable
// interface over smmuv3::Smmuv3Driver's SVA binding, so a migration (or any other user of the
// interface) programs a live SMMU the way Linux's arm-smmu-v3 SVA code does — the CD table
// allocated by the driver, the STE pointed at it (S1ContextPtr, S1CDMax, S1DSS) on the first
// SubstreamID, each CD written with CMD_CFGI_CD + CMD_SYNC, and a teardown followed by
// TLBI_NH_ASID (and ATC_INV with ATS) + CMD_SYNC.
//
// Tags: the ASID a CD carries belongs to the destination SMMU's ASID space, which the driver
// allocates (IHI 0070 5.4: ASID tags the TLB entries of a CD's translations; two CDs of
// different processes must not share one unless they share tables). A binding's `tag` is the
// source's and is not reused; asid() gives the one the driver chose.
#pragma once

#include <map>
#include <optional>

#include "models/smmuv3/driver.h"
#include "pasid/pasid_table.h"

namespace isim::pasid {

class SmmuDriverTable final : public PasidTable {
 public:
  /// `drv` must have been brought up; `sid` is the StreamID whose STE the table hangs off.
  SmmuDriverTable(smmuv3::Smmuv3Driver& drv, uint32_t sid) : drv_(drv), sid_(sid) {}

  const char* arch() const override { return "smmuv3"; }
  /// The driver's CD table for the stream (0 until the first entry is set).
  uint64_t root() const override { return drv_.cd_table(sid_); }
  unsigned pasid_bits() const override { return drv_.master_ssid_bits(); }
  /// Binds SubstreamID `pasid` to the stage-1 table `b.pt_root` under a fresh ASID (Linux
  /// arm_smmu_sva_set_dev_pasid), waiting for each CMD_SYNC. SubstreamID 0 is out of range: it
  /// is CD 0, what requests without a SubstreamID use under STE.S1DSS = 10 (IHI 0070 5.2).
  TableError set(uint32_t pasid, const PasidBinding& b) override;
  /// Clears the CD and drops its ASID's TLB entries (Linux arm_smmu_remove_dev_pasid).
  TableError clear(uint32_t pasid) override;
  uint64_t entries() const override { return asids_.size(); }
  /// The CD table belongs to the driver's pool; this view holds none of its own.
  uint64_t table_bytes() const override { return 0; }

  /// The ASID the driver gave `pasid`'s CD.
  std::optional<uint16_t> asid(uint32_t pasid) const;

 private:
  smmuv3::Smmuv3Driver& drv_;
  uint32_t sid_;
  std::map<uint32_t, uint16_t> asids_;  ///< populated SubstreamIDs and their ASIDs
};

}  // namespace isim::pasid
