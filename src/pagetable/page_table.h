// Runtime-selected formats: the only place with virtual dispatch. Models that pick a format
// from guest-programmed state (VT-d PGTT/AW, AMD DTE Mode/GPM, SMMU STE/CD) hold a
// FormatVariant; software models hold a PageTable.
#pragma once

#include <cstdint>
#include <memory>
#include <variant>
#include <vector>

#include "hw/phys_allocator.h"
#include "hw/phys_mem.h"
#include "pagetable/builder.h"
#include "pagetable/fmt/amd_v1.h"
#include "pagetable/fmt/arm_lpae.h"
#include "pagetable/fmt/tce.h"
#include "pagetable/fmt/vtd_ss.h"
#include "pagetable/fmt/x86_64.h"
#include "pagetable/walk_types.h"

namespace isim::pt {

/// Every format of the library (AMD-Vi v2 and VT-d first stage are X86Format).
using FormatVariant = std::variant<X86Format, VtdSsFormat, AmdV1Format, ArmLpaeFormat, TceFormat>;

const char* format_name(const FormatVariant& f);
unsigned top_level(const FormatVariant& f);
uint64_t page_size_bitmap(const FormatVariant& f);

/// walk<Fmt>() on whichever format `f` holds.
WalkResult walk(const FormatVariant& f, PhysMem& mem, const WalkStart& start, uint64_t va,
                const AccessReq& req, const WalkOptions& opts = {});

/// walk_nested() with the default stage-2 walker, on whichever formats s1 and s2 hold.
WalkResult walk_nested(const FormatVariant& s1, const FormatVariant& s2, PhysMem& mem,
                       const WalkStart& s1_start, const WalkStart& s2_root, uint64_t va,
                       const AccessReq& req, const WalkOptions& s1_opts = {},
                       const WalkOptions& s2_opts = {});

/// A page table in simulated memory: one format, one root, map/unmap/protect/translate.
class PageTable {
 public:
  virtual ~PageTable() = default;

  virtual const FormatVariant& format() const = 0;
  virtual uint64_t root() const = 0;
  virtual uint64_t table_count() const = 0;

  virtual WalkResult translate(uint64_t va, const AccessReq& req, const WalkOptions& opts) = 0;
  virtual MapStatus map(uint64_t va, uint64_t oa, uint64_t size, const MapAttrs& attrs) = 0;
  virtual MapStatus map_range(uint64_t va, uint64_t oa, uint64_t len, const MapAttrs& attrs) = 0;
  virtual UnmapResult unmap(uint64_t va, uint64_t len) = 0;
  virtual MapStatus protect(uint64_t va, uint64_t len, const MapAttrs& attrs) = 0;
  virtual std::vector<Mapping> mappings() const = 0;
};

/// A new, empty page table of format `f` with its root allocated from `alloc`; nullptr when the
/// root cannot be allocated. The tables are freed when the PageTable is destroyed.
std::unique_ptr<PageTable> make_page_table(const FormatVariant& f, PhysMem& mem,
                                           PhysAllocator& alloc, const BuilderOptions& opts = {});

}  // namespace isim::pt
