// AMD-Vi GCR3 tables: per-PASID guest CR3 values, in one or two levels of 4 KiB tables of 512
// 64-bit entries, rooted at the DTE's GCR3 table root pointer.
//
// Source: AMD IOMMU 48882 rev 3.x, 2.2.6 "I/O Page Tables for Guest Translations" (GCR3 table
// and its levels), 2.2.2.1 DTE GLX / GCR3 Table Root Pointer; digest section 1.8.
//
//   GLX = 0: one table indexed by PASID[8:0].
//   GLX = 1: a level-1 table indexed by PASID[17:9] whose entries point to level-0 tables
//            indexed by PASID[8:0].
//   entry:   bit 0 V (valid), 11:1 ignored, 51:12 address, 63:52 reserved.
// A level-0 entry's address is the guest CR3: the root of the PASID's v2 (x86-64) page table,
// a GPA when the DTE also enables host translation (Mode 1..6, nested) and an SPA otherwise.
// The GCR3 tables themselves are always in system physical memory.
//
// Interpretations ([UNVERIFIED] against the spec text, fail closed): PASID bits above the ones
// the GLX levels index must be zero, like the skipped VA bits of a v1 level skip; a non-zero
// reserved field is an RZ fault.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bits.h"
#include "hw/phys_mem.h"
#include "pagetable/walk_types.h"

namespace isim::amdvi {

inline constexpr unsigned kGcr3EntryBytes = 8;
inline constexpr unsigned kGcr3IndexBits = 9;

struct Gcr3Entry {
  bool valid = false;
  uint64_t addr = 0;  ///< next GCR3 table (upper level) or guest CR3 (level 0)

  static constexpr Gcr3Entry decode(uint64_t v) { return {bit(v, 0), v & mask(51, 12)}; }
  constexpr uint64_t encode() const { return (addr & mask(51, 12)) | (valid ? 1u : 0u); }
  static constexpr uint64_t kReserved = mask(63, 52);
};

/// Index of `pasid` in the GCR3 table at `level` (0 = the table holding guest CR3 values).
constexpr uint32_t gcr3_index(uint32_t pasid, unsigned level) {
  return (pasid >> (kGcr3IndexBits * level)) & static_cast<uint32_t>(mask(kGcr3IndexBits - 1, 0));
}
/// PASIDs a GCR3 hierarchy of `levels` (GLX + 1) levels can index: 2^(9*levels).
constexpr unsigned gcr3_pasid_bits(unsigned levels) {
  return kGcr3IndexBits * levels;
}

/// Why a GCR3 lookup failed.
enum class Gcr3Fault : uint8_t {
  None,
  PasidOutOfRange,  ///< PASID bits above the indexed ones are non-zero
  NotValid,         ///< an entry on the path has V = 0
  ReservedBit,      ///< an entry has a reserved bit set
  BusError,         ///< a table read fell outside memory
};

struct Gcr3Lookup {
  Gcr3Fault fault = Gcr3Fault::None;
  uint64_t gcr3 = 0;      ///< guest CR3 (the v2 root) on success
  uint64_t entry_pa = 0;  ///< address of the last entry read (the faulting one on failure)
  uint64_t entry = 0;
  unsigned level = 0;  ///< level of that entry
  bool ok() const { return fault == Gcr3Fault::None; }
};

/// Level number written into the log for GCR3 reads (MemAccess::stage == 0; device-table
/// reads use level 0, GCR3 table level n logs as kGcr3LogLevelBase + n).
inline constexpr uint8_t kGcr3LogLevelBase = 1;

/// Looks `pasid` up in the GCR3 hierarchy rooted at `root` with GLX `glx` (0 or 1), logging
/// every read (stage 0).
Gcr3Lookup lookup_gcr3(PhysMem& mem, uint64_t root, unsigned glx, uint32_t pasid, pt::WalkLog& log);

}  // namespace isim::amdvi
