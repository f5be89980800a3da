// Rings of fixed-size entries in simulated memory: command queues, event logs, fault and
// page-request queues. The ring lives at an address software programs, and producer and
// consumer exchange positions through registers. Two pointer styles exist:
//
//   - WrapIndexRing, the Arm SMMUv3 style (IHI 0070 3.5 "Command and Event queues"; PROD/CONS
//     register fields, e.g. 6.3.27 SMMU_CMDQ_PROD): a queue of 2^QS entries; a pointer holds
//     the entry index in bits [QS-1:0] and a wrap flag in bit [QS]. Equal index and wrap is
//     empty, equal index with different wrap is full, so every entry is usable.
//   - ByteOffsetRing, the Intel VT-d and AMD-Vi style: head and tail registers hold byte
//     offsets into the ring (VT-d 6.5.2 IQH_REG/IQT_REG with 16- or 32-byte descriptors, and
//     the page-request queue's PQH_REG/PQT_REG; AMD IOMMU 48882 3.3 command buffer, event log
//     and PPR log head/tail). Head == tail is empty; without a wrap flag one entry stays unused, so
//     the ring is full when advancing the tail would make it equal the head.
//
// Pointers arrive from guest-controlled registers. Each class says which values are valid;
// the model turns an invalid one into its architected error (VT-d IQE, SMMU CMDQ error, AMD
// ILLEGAL_COMMAND / overflow...), which is why validation is a query and never an assert.
// The base address is taken as given: the model applies the architecture's alignment rules
// to the register value first (e.g. SMMUv3 aligns Q_BASE to the queue size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "hw/phys_mem.h"

namespace isim {

/// Where each of the 2^log2_entries slots of a ring lies in memory, and access to one slot.
class RingGeometry {
 public:
  /// The largest ring accepted (2^31 entries is far above any architected queue).
  static constexpr unsigned kMaxLog2Entries = 31;

  /// Throws std::invalid_argument when entry_bytes is 0 or log2_entries > kMaxLog2Entries
  /// (model bugs: architected size fields are range-checked before a ring is built).
  RingGeometry(uint64_t base, unsigned log2_entries, uint32_t entry_bytes);

  uint64_t base() const { return base_; }
  unsigned log2_entries() const { return log2_entries_; }
  uint64_t entries() const { return uint64_t{1} << log2_entries_; }
  uint32_t entry_bytes() const { return entry_bytes_; }
  uint64_t size_bytes() const { return entries() * entry_bytes_; }

  /// Address of slot number `slot` (taken modulo the number of entries).
  uint64_t slot_addr(uint64_t slot) const {
    return base_ + (slot & (entries() - 1)) * entry_bytes_;
  }

  /// Copies slot `slot` into `dst`, whose size must be entry_bytes() (else
  /// std::invalid_argument). Returns false on a bus error (nothing copied).
  bool read_slot(PhysMem& mem, uint64_t slot, std::span<std::byte> dst) const;
  /// Same, into little-endian 64-bit words (entry_bytes() must be 8 * dst.size()).
  bool read_slot(PhysMem& mem, uint64_t slot, std::span<uint64_t> dst) const;
  /// Copies `src` (exactly entry_bytes() long) into slot `slot`. Returns false on a bus error.
  bool write_slot(PhysMem& mem, uint64_t slot, std::span<const std::byte> src) const;
  bool write_slot(PhysMem& mem, uint64_t slot, std::span<const uint64_t> src) const;

 private:
  uint64_t base_;
  unsigned log2_entries_;
  uint32_t entry_bytes_;
};

/// Arm SMMUv3 queue pointers: index in bits [QS-1:0], wrap flag in bit [QS] (IHI 0070 3.5).
class WrapIndexRing : public RingGeometry {
 public:
  using RingGeometry::RingGeometry;

  uint32_t index_mask() const { return static_cast<uint32_t>(entries() - 1); }
  uint32_t wrap_flag() const { return static_cast<uint32_t>(entries()); }
  /// The bits of a pointer that mean something: index and wrap flag.
  uint32_t ptr_mask() const { return index_mask() | wrap_flag(); }

  /// IHI 0070 6.3.27/6.3.28: bits of the PROD/CONS field above the wrap flag are RES0 and have
  /// no effect, so the model drops them with canonical(); has_extra_bits() lets it notice.
  uint32_t canonical(uint32_t ptr) const { return ptr & ptr_mask(); }
  bool has_extra_bits(uint32_t ptr) const { return (ptr & ~ptr_mask()) != 0; }

  uint32_t index(uint32_t ptr) const { return ptr & index_mask(); }
  bool wrap(uint32_t ptr) const { return (ptr & wrap_flag()) != 0; }

  bool empty(uint32_t prod, uint32_t cons) const { return canonical(prod ^ cons) == 0; }
  bool full(uint32_t prod, uint32_t cons) const { return canonical(prod ^ cons) == wrap_flag(); }
  /// Entries written by the producer and not yet consumed (0 .. entries()).
  uint32_t used(uint32_t prod, uint32_t cons) const {
    // Pointers count modulo 2 * entries: the difference, taken in that modulus, is the fill.
    return (prod - cons) & ptr_mask();
  }
  uint32_t space(uint32_t prod, uint32_t cons) const {
    return static_cast<uint32_t>(entries()) - used(prod, cons);
  }

  /// The pointer after `ptr`: the index wraps to 0 and toggles the wrap flag at the end.
  uint32_t next(uint32_t ptr) const { return canonical(ptr + 1); }
  uint32_t advance(uint32_t ptr, uint32_t n) const { return canonical(ptr + n); }

  uint64_t entry_addr(uint32_t ptr) const { return slot_addr(index(ptr)); }
  bool read_entry(PhysMem& mem, uint32_t ptr, std::span<std::byte> dst) const {
    return read_slot(mem, index(ptr), dst);
  }
  bool read_entry(PhysMem& mem, uint32_t ptr, std::span<uint64_t> dst) const {
    return read_slot(mem, index(ptr), dst);
  }
  bool write_entry(PhysMem& mem, uint32_t ptr, std::span<const std::byte> src) const {
    return write_slot(mem, index(ptr), src);
  }
  bool write_entry(PhysMem& mem, uint32_t ptr, std::span<const uint64_t> src) const {
    return write_slot(mem, index(ptr), src);
  }
};

/// Why a byte offset supplied by software cannot be used.
enum class RingOffsetError : uint8_t {
  none,
  out_of_range,  ///< at or beyond the end of the ring (VT-d IQEI 1 "invalid tail pointer")
  misaligned,    ///< not a multiple of the entry size (VT-d IQEI 6 with 256-bit descriptors)
};

/// VT-d / AMD-Vi head and tail pointers: byte offsets of entries from the ring base.
class ByteOffsetRing : public RingGeometry {
 public:
  using RingGeometry::RingGeometry;

  /// Whether `offset` names an entry of this ring.
  RingOffsetError check(uint64_t offset) const {
    if (offset >= size_bytes()) return RingOffsetError::out_of_range;
    if (offset % entry_bytes() != 0) return RingOffsetError::misaligned;
    return RingOffsetError::none;
  }
  bool valid(uint64_t offset) const { return check(offset) == RingOffsetError::none; }

  // The queries below expect valid offsets (check() first).
  bool empty(uint64_t head, uint64_t tail) const { return head == tail; }
  bool full(uint64_t head, uint64_t tail) const { return next(tail) == head; }
  /// Entries between head (inclusive) and tail (exclusive): 0 .. entries()-1.
  uint64_t used(uint64_t head, uint64_t tail) const {
    return ((tail + size_bytes() - head) % size_bytes()) / entry_bytes();
  }
  /// Entries the producer may still add before the ring is full.
  uint64_t space(uint64_t head, uint64_t tail) const { return entries() - 1 - used(head, tail); }

  /// The offset of the entry after `offset`, wrapping to 0 at the end of the ring.
  uint64_t next(uint64_t offset) const { return (offset + entry_bytes()) % size_bytes(); }

  uint64_t entry_addr(uint64_t offset) const { return slot_addr(offset / entry_bytes()); }
  bool read_entry(PhysMem& mem, uint64_t offset, std::span<std::byte> dst) const {
    return read_slot(mem, offset / entry_bytes(), dst);
  }
  bool read_entry(PhysMem& mem, uint64_t offset, std::span<uint64_t> dst) const {
    return read_slot(mem, offset / entry_bytes(), dst);
  }
  bool write_entry(PhysMem& mem, uint64_t offset, std::span<const std::byte> src) const {
    return write_slot(mem, offset / entry_bytes(), src);
  }
  bool write_entry(PhysMem& mem, uint64_t offset, std::span<const uint64_t> src) const {
    return write_slot(mem, offset / entry_bytes(), src);
  }
};

}  // namespace isim
