// A requester's VT-d PASID table as the host driver keeps it: the PasidTable interface over
// vtd::VtdDriver, so a migration (or any other user of the interface) programs a live unit the
// way Linux does — PASID directory and table allocated by the driver, the scalable-mode context
// entry pointed at the directory on first use, and every entry change followed by the
// invalidations the driver issues for it (context cache for a new context entry, PASID cache,
// PASID-based IOTLB on teardown), submitted and waited for through the invalidation queue.
// The standalone VtdPasidTable writes the same encodings without a unit behind them.
#pragma once

#include <map>

#include "models/vtd/driver.h"
#include "pasid/pasid_table.h"

namespace isim::pasid {

class VtdDriverTable final : public PasidTable {
 public:
  /// `drv` must have been brought up in scalable mode; `rid` is the requester whose context
  /// entry the table hangs off.
  VtdDriverTable(vtd::VtdDriver& drv, uint16_t rid) : drv_(drv), rid_(rid) {}

  const char* arch() const override { return "vtd"; }
  /// The driver's PASID directory for the requester (0 until the first entry is set).
  uint64_t root() const override { return drv_.pasid_directory(rid_); }
  unsigned pasid_bits() const override { return drv_.caps().pasid_bits(); }
  /// Binds the PASID to the first-stage table `b.pt_root` under domain ID `b.tag`
  /// (intel_pasid_setup_first_level), waiting for the invalidations.
  TableError set(uint32_t pasid, const PasidBinding& b) override;
  /// Tears the binding down (intel_pasid_tear_down_entry), waiting for the invalidations.
  TableError clear(uint32_t pasid) override;
  uint64_t entries() const override { return tags_.size(); }
  /// The directory and tables belong to the driver's pool and are shared by its requesters;
  /// this view holds none of its own.
  uint64_t table_bytes() const override { return 0; }

 private:
  vtd::VtdDriver& drv_;
  uint16_t rid_;
  std::map<uint32_t, uint16_t> tags_;  ///< populated PASIDs and their domain IDs
};

}  // namespace isim::pasid
