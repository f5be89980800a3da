// SMMUv3 context-descriptor table for one stream (IHI 0070 3.3.3): CDs indexed by SubstreamID
// (the PCIe PASID), linear or 2-level (5.2 S1Fmt): an L1 table of 8-byte L1CDs (5.3) indexed by
// SSID[S1CDMax-1:split], each pointing at a leaf of 2^split 64-byte CDs (split 6: 4 KiB
// leaves, 10: 64 KiB leaves). CDs are written with models/smmuv3/cd.h's encoder.
#pragma once

#include <functional>
#include <map>

#include "hw/phys_allocator.h"
#include "hw/phys_mem.h"
#include "models/smmuv3/cd.h"
#include "models/smmuv3/cd_table.h"
#include "models/smmuv3/ste.h"
#include "pasid/pasid_table.h"

namespace isim::pasid {

struct SmmuTableOptions {
  unsigned ssid_bits = 20;                        ///< STE.S1CDMax (<= IDR1.SSIDSIZE)
  smmuv3::S1Fmt fmt = smmuv3::S1Fmt::k2Level64K;  ///< Linux uses 64 KiB leaves (CTXDESC_SPLIT 10)
  /// Every populated CD starts from this one; set() fills V, TTB0 and ASID. Default: what Linux
  /// writes for an SVA mm (arm_smmu_alloc_shared_cd / arm_smmu_make_s1_cd): T0SZ = 64 - 48 VA
  /// bits, 4 KiB TG0, WBWA inner/outer walks, inner shareable, EPD1, AA64, R, A, ASET; IPS is
  /// the CPU's PARange there (48 bits here); MAIR (the CPU's MAIR_EL1 there) is left 0.
  smmuv3::Cd templ = [] {
    smmuv3::Cd c;
    c.t0sz = 16;  // 64 - 48 VA bits
    c.tg0 = 0;    // 4 KiB
    c.ir0 = 1;    // write-back, read/write-allocate
    c.or0 = 1;
    c.sh0 = 3;  // inner shareable
    c.epd1 = true;
    c.ips = 5;  // 48 bits
    c.aa64 = true;
    c.r = true;
    c.a = true;
    c.aset = true;  // shared with the CPU's ASID space (SVA)
    return c;
  }();
  /// How a CD reaches memory: a driver orders the stores and invalidates the SMMU's copy
  /// (CMD_CFGI_CD + CMD_SYNC). Unset: one 64-byte store. Returns false on a bus error.
  std::function<bool(uint32_t ssid, uint64_t pa, const smmuv3::CdWords& w)> write_cd;
};

class SmmuCdTable final : public PasidTable {
 public:
  /// Allocates and zeroes the linear table or the L1 table; root() is 0 when that fails.
  SmmuCdTable(PhysMem& mem, PhysAllocator& alloc, const SmmuTableOptions& o);
  ~SmmuCdTable() override;

  const char* arch() const override { return "smmuv3"; }
  uint64_t root() const override { return root_; }
  unsigned pasid_bits() const override { return o_.ssid_bits; }
  TableError set(uint32_t pasid, const PasidBinding& b) override;
  /// Populates (or replaces) `ssid`'s entry with a complete CD (V must be set).
  TableError set_cd(uint32_t ssid, const smmuv3::Cd& cd);
  TableError clear(uint32_t pasid) override;
  uint64_t entries() const override { return entries_; }
  uint64_t table_bytes() const override;

  /// Writes S1ContextPtr, S1Fmt and S1CDMax into an STE (the caller sets the rest).
  void describe(smmuv3::Ste& ste) const;

 private:
  bool linear() const { return o_.fmt == smmuv3::S1Fmt::kLinear; }
  unsigned split() const;
  /// Address of the CD slot for `ssid`, allocating a leaf when `create`; 0 if none.
  uint64_t slot(uint32_t ssid, bool create, TableError* err);
  bool store(uint32_t ssid, uint64_t pa, const smmuv3::CdWords& w);

  PhysMem* mem_;
  PhysAllocator* alloc_;
  SmmuTableOptions o_;
  uint64_t root_ = 0;
  uint64_t root_bytes_ = 0;
  std::map<uint32_t, std::pair<uint64_t, unsigned>> leaves_;  ///< L1 index -> (leaf, live)
  uint64_t entries_ = 0;
};

}  // namespace isim::pasid
