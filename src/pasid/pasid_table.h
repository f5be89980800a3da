// One interface over the three architectures' per-device PASID tables, so a host driver (or a
// migration) allocates, populates and tears down PASID entries the same way on VT-d, SMMUv3 and
// AMD-Vi. Each implementation writes the architecture's own encoding with the model's encoder
// (models/<arch>/), in simulated memory, allocating table pages on demand.
//
//   VT-d   scalable-mode PASID directory + 4 KiB PASID tables (VT-d 3.4.3, 9.5, 9.6)
//   SMMUv3 context-descriptor table: linear, or 2-level with 4 KiB / 64 KiB leaves
//          (IHI 0070 3.3.3, 5.2 S1Fmt/S1CDMax, 5.3 L1CD, 5.4 CD)
//   AMD-Vi GCR3 table of 1 or 2 levels (48882 2.2.6, DTE GLX)
//
// A binding is what shared virtual addressing puts in an entry: the process's first-stage
// page-table root and the tag the IOMMU caches it under.
#pragma once

#include <cstdint>

namespace isim::pasid {

struct PasidBinding {
  uint64_t pt_root = 0;  ///< first-stage root: VT-d FSPTPTR, SMMUv3 CD.TTB0, AMD-Vi guest CR3
  uint16_t tag = 0;      ///< VT-d DID, SMMUv3 ASID; AMD-Vi has none (the DTE holds the DomainID)
};

enum class TableError : uint8_t {
  none,
  out_of_range,  ///< the PASID is beyond what the table indexes
  no_memory,     ///< the allocator could not supply a table page
  bus_error,     ///< a table read/write fell outside memory
  not_present,   ///< clearing an entry that is not populated
};
const char* to_string(TableError e);

class PasidTable {
 public:
  virtual ~PasidTable() = default;
  virtual const char* arch() const = 0;
  /// What the device's context entry / STE / DTE points at.
  virtual uint64_t root() const = 0;
  /// PASIDs the table indexes: [0, 2^pasid_bits).
  virtual unsigned pasid_bits() const = 0;
  /// Populates (or replaces) `pasid`'s entry.
  virtual TableError set(uint32_t pasid, const PasidBinding& b) = 0;
  /// Clears `pasid`'s entry; a leaf table left empty is released.
  virtual TableError clear(uint32_t pasid) = 0;
  /// Populated entries.
  virtual uint64_t entries() const = 0;
  /// Bytes of table memory held (root included).
  virtual uint64_t table_bytes() const = 0;
};

}  // namespace isim::pasid
