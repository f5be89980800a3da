// The hypervisor's handle on one hardware TCE table in simulated memory: it allocates the root
// and the lower levels on demand, stores TCEs by index (big-endian, as the PHB reads them) and
// frees every table when the window goes away. Multi-level tables use indirect TCEs
// (IODA2/IODA3: table address | R | W, as Linux pnv_tce builds them; pt::TceFormat::encode_table).
//
// Written independently of the walker on purpose: the hardware path (pt::walk) reading what
// this class wrote is the cross-check the tests rely on.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "hw/phys_allocator.h"
#include "hw/phys_mem.h"
#include "pagetable/fmt/tce.h"

namespace isim::tce {

class TceTable {
 public:
  /// Allocates and zeroes the root table; nullopt when the table pool is exhausted.
  static std::optional<TceTable> create(const pt::TceFormat& fmt, PhysMem& mem,
                                        PhysAllocator& alloc);
  TceTable(TceTable&&) noexcept;
  TceTable& operator=(TceTable&&) noexcept;
  TceTable(const TceTable&) = delete;
  TceTable& operator=(const TceTable&) = delete;
  ~TceTable();

  uint64_t root() const { return root_; }
  const pt::TceFormat& format() const { return fmt_; }
  uint64_t entries() const { return fmt_.window_entries(); }

  /// The TCE at `index` (0 where no table exists yet); nullopt when index is out of range or
  /// memory cannot be read.
  std::optional<uint64_t> read(uint64_t index) const;
  /// Stores `tce` at `index`, allocating lower tables as needed (a zero TCE allocates nothing).
  /// false: index out of range, pool exhausted or memory error (nothing changed then).
  bool write(uint64_t index, uint64_t tce);
  /// Bytes of simulated memory the table uses.
  uint64_t bytes() const;

 private:
  TceTable(const pt::TceFormat& fmt, PhysMem& mem, PhysAllocator& alloc, uint64_t root);
  uint64_t table_bytes() const;
  uint64_t table_align() const;
  std::optional<uint64_t> alloc_table();
  void release();
  /// Address of the level-0 entry for `index`; nullopt if a lower table is missing (*missing
  /// set; `grow` non-null allocates it instead) or on a memory error.
  std::optional<uint64_t> leaf_pa(uint64_t index, TceTable* grow, bool* missing) const;

  pt::TceFormat fmt_;
  PhysMem* mem_ = nullptr;
  PhysAllocator* alloc_ = nullptr;
  uint64_t root_ = 0;
  std::vector<uint64_t> tables_;  // every table this object allocated (root first)
};

}  // namespace isim::tce
