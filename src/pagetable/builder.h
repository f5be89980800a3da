// The one page-table builder: map / unmap / change protection for any PageTableFormat, writing
// real entries into simulated memory through PhysMem and taking table pages from a
// PhysAllocator. Software models (drivers, the hypervisor, test harnesses) use it; hardware
// models only walk.
//
// Member definitions live in builder_impl.h and are instantiated once per format in
// builder_instances.cpp (add a line there for a new format).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "hw/phys_allocator.h"
#include "hw/phys_mem.h"
#include "pagetable/format.h"

namespace isim::pt {

enum class MapStatus : uint8_t {
  Ok,
  Misaligned,         ///< va/oa/length not aligned to the page size (or to the granule)
  SizeNotSupported,   ///< not a page size this configuration can map
  AlreadyMapped,      ///< the range overlaps an existing mapping
  NoTableMemory,      ///< the PhysAllocator could not supply a table
  VaOutOfRange,       ///< input range outside what the format translates
  OaOutOfRange,       ///< output range above the format's OA width
  AttrsNotSupported,  ///< MapAttrs the format cannot express
  PartialLeaf,        ///< unmap/protect would cut a larger page (splitting is not supported)
  BusError,           ///< a table access fell outside simulated memory
  BadTable,           ///< an existing entry on the path is malformed (reserved bits set)
};

const char* to_string(MapStatus s);

/// One mapping (a leaf; replicated AMD entries count once).
struct Mapping {
  uint64_t va = 0;
  uint64_t oa = 0;
  uint8_t page_lg2 = 0;
  uint8_t level = 0;
  uint64_t entry = 0;

  bool operator==(const Mapping&) const = default;
};

struct UnmapResult {
  MapStatus status = MapStatus::Ok;
  uint64_t bytes = 0;            ///< bytes unmapped
  std::vector<Mapping> removed;  ///< what was removed, in VA order
  bool ok() const { return status == MapStatus::Ok; }
};

struct BuilderOptions {
  /// Free table pages that become empty after unmap (and clear the entry pointing to them).
  bool free_empty_tables = true;
  /// For formats that allow it (AMD-Vi v1): when a new table is needed and the VA indexes at
  /// the intermediate levels are zero, point straight to a lower-level table.
  bool level_skip = false;
};

template <PageTableFormat Fmt>
class Builder {
 public:
  /// A builder with a fresh, zeroed root table; nullopt when the root cannot be allocated.
  static std::optional<Builder> create(const Fmt& fmt, PhysMem& mem, PhysAllocator& alloc,
                                       const BuilderOptions& opts = {});
  /// Adopt an existing root table (tables reached from it must come from `alloc`).
  Builder(const Fmt& fmt, PhysMem& mem, PhysAllocator& alloc, uint64_t root_pa,
          const BuilderOptions& opts = {});

  const Fmt& format() const { return fmt_; }
  uint64_t root() const { return root_; }
  /// Tables allocated by this builder and still in use (including the root).
  uint64_t table_count() const { return tables_; }

  /// Map one page of `size` bytes (a size in the format's page_size_bitmap()).
  MapStatus map(uint64_t va, uint64_t oa, uint64_t size, const MapAttrs& attrs);
  /// Map [va, va+len) to [oa, oa+len) with the largest pages alignment allows; on error
  /// nothing stays mapped.
  MapStatus map_range(uint64_t va, uint64_t oa, uint64_t len, const MapAttrs& attrs);
  /// Remove every mapping inside [va, va+len). Holes are skipped. A page that straddles the
  /// range boundary is an error (PartialLeaf) and nothing is removed.
  UnmapResult unmap(uint64_t va, uint64_t len);
  /// Rewrite the rights/attributes of every mapping inside [va, va+len) (same rules as unmap).
  MapStatus protect(uint64_t va, uint64_t len, const MapAttrs& attrs);
  /// Every mapping, in VA order.
  std::vector<Mapping> mappings() const;
  /// Free every table including the root; the builder is unusable afterwards.
  void destroy();

 private:
  struct Hop {
    uint64_t table;
    uint64_t slot_pa;  // entry in `table` that was followed
    unsigned level;    // level of `table`
  };
  /// Outcome of descending toward one VA.
  struct Found {
    MapStatus status = MapStatus::Ok;
    uint64_t va = 0;       // the VA looked up
    bool leaf = false;     // a leaf maps the VA
    unsigned level = 0;    // leaf: its level; hole: the level whose slot is empty
    uint64_t slot_pa = 0;  // leaf: the entry for the VA
    Decoded d;
    uint64_t entry = 0;
    unsigned hops = 0;  // tables on the path (path[0] = root)
    Hop path[kMaxLevels];
  };

  Found locate(uint64_t va) const;
  std::optional<uint64_t> alloc_table(unsigned level, MapStatus* err);
  void free_table(uint64_t pa, unsigned level);
  bool zero(uint64_t pa, uint64_t bytes);
  bool table_empty(uint64_t pa, unsigned level) const;
  MapStatus insert_intermediate(uint64_t slot_pa, unsigned level, const Decoded& skip);
  MapStatus collect(uint64_t va, uint64_t len, std::vector<Found>* leaves) const;
  uint64_t leaf_va(const Found& f) const { return align_down(f.va, f.d.page_lg2); }
  /// First entry and entry count of the (possibly replicated) leaf `f` found.
  uint64_t leaf_first_slot(const Found& f) const;
  uint64_t leaf_count(const Found& f) const {
    return lg2_size(f.d.page_lg2 - fmt_.item_lg2sz(f.level));
  }
  void prune(const Found& f);
  void free_subtree(uint64_t table, unsigned level);
  void list_subtree(uint64_t table, unsigned level, uint64_t va_base,
                    std::vector<Mapping>* out) const;

  Fmt fmt_;
  PhysMem* mem_;
  PhysAllocator* alloc_;
  uint64_t root_ = 0;
  uint64_t tables_ = 0;
  BuilderOptions opts_;
};

}  // namespace isim::pt
