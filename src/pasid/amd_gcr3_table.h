// AMD-Vi GCR3 table for one device (48882 2.2.6): guest CR3 values indexed by PASID in one
// (GLX = 0, PASID[8:0]) or two (GLX = 1, PASID[17:9] then PASID[8:0]) levels of 4 KiB tables of
// 512 8-byte entries. Entries are written with models/amdvi/gcr3.h's encoder.
#pragma once

#include <map>

#include "hw/phys_allocator.h"
#include "hw/phys_mem.h"
#include "models/amdvi/gcr3.h"
#include "pasid/pasid_table.h"

namespace isim::pasid {

struct AmdTableOptions {
  unsigned levels = 1;       ///< 1 or 2 (DTE GLX = levels - 1)
  unsigned pasid_bits = 16;  ///< EFR.PASmax + 1 (or fewer); at most 9 * levels are indexed
};

/// GCR3 levels Linux chooses for `pasid_bits` (get_gcr3_levels): 9 bits per level.
constexpr unsigned gcr3_levels_for(unsigned pasid_bits) {
  return pasid_bits <= amdvi::kGcr3IndexBits ? 1 : 2;
}

class AmdGcr3Table final : public PasidTable {
 public:
  /// Allocates and zeroes the top table; root() is 0 when that fails.
  AmdGcr3Table(PhysMem& mem, PhysAllocator& alloc, const AmdTableOptions& o);
  ~AmdGcr3Table() override;

  const char* arch() const override { return "amdvi"; }
  uint64_t root() const override { return root_; }
  unsigned pasid_bits() const override;
  TableError set(uint32_t pasid, const PasidBinding& b) override;
  TableError clear(uint32_t pasid) override;
  uint64_t entries() const override { return entries_; }
  uint64_t table_bytes() const override;

  /// DTE.GLX for this table.
  unsigned glx() const { return o_.levels - 1; }

 private:
  uint64_t slot(uint32_t pasid, bool create, TableError* err);

  PhysMem* mem_;
  PhysAllocator* alloc_;
  AmdTableOptions o_;
  uint64_t root_ = 0;
  std::map<uint32_t, std::pair<uint64_t, unsigned>> leaves_;  ///< level-1 index -> (table, live)
  uint64_t entries_ = 0;
};

}  // namespace isim::pasid
