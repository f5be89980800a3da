// VT-d scalable-mode PASID structures for one requester (VT-d 3.4.3): a PASID directory of
// 2^(PDTS+7) 8-byte entries indexed by PASID[19:6], each pointing at a 4 KiB table of 64
// 64-byte PASID entries indexed by PASID[5:0]. Entries are written with models/vtd/pasid_entry.h.
#pragma once

#include <map>

#include "hw/phys_allocator.h"
#include "hw/phys_mem.h"
#include "models/vtd/pasid_entry.h"
#include "pasid/pasid_table.h"

namespace isim::pasid {

struct VtdTableOptions {
  unsigned pasid_bits = 20;  ///< ECAP.PSS + 1 (or fewer): sizes the directory
  /// Every populated entry starts from this one; set() fills P, FSPTPTR and DID. Default:
  /// first-stage only, 4-level, user-mode (Linux intel_pasid_setup_first_level for SVA).
  vtd::PasidEntry templ = [] {
    vtd::PasidEntry e;
    e.pgtt = static_cast<unsigned>(vtd::Pgtt::FirstStage);
    e.flpm = 0;
    return e;
  }();
};

class VtdPasidTable final : public PasidTable {
 public:
  /// Allocates and zeroes the directory; root() is 0 when that fails.
  VtdPasidTable(PhysMem& mem, PhysAllocator& alloc, const VtdTableOptions& o);
  ~VtdPasidTable() override;

  const char* arch() const override { return "vtd"; }
  uint64_t root() const override { return dir_; }
  unsigned pasid_bits() const override { return o_.pasid_bits; }
  TableError set(uint32_t pasid, const PasidBinding& b) override;
  TableError clear(uint32_t pasid) override;
  uint64_t entries() const override { return entries_; }
  uint64_t table_bytes() const override;

  /// Scalable context entry PDTS: the directory holds 2^(pdts + 7) entries.
  unsigned pdts() const { return pdts_; }

 private:
  PhysMem* mem_;
  PhysAllocator* alloc_;
  VtdTableOptions o_;
  unsigned pdts_ = 0;
  uint64_t dir_ = 0;
  uint64_t dir_bytes_ = 0;
  std::map<uint32_t, std::pair<uint64_t, unsigned>> leaves_;  ///< dir index -> (table, live)
  uint64_t entries_ = 0;
};

}  // namespace isim::pasid
