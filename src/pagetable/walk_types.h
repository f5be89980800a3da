// What a walk takes and returns: where it starts, its options, the translation or precise fault
// (faults are values, never exceptions), and the ordered log of the memory accesses it made.
#pragma once

#include <array>
#include <cstdint>

#include "pagetable/pt_types.h"

namespace isim::pt {

/// Capacity of the read log: a nested 6+6-level AMD-Vi walk makes 6 x (6 + 1) + 6 = 48 reads,
/// a 5+5-level one 35.
inline constexpr unsigned kMaxLogReads = 64;
/// Capacity of the write log (hardware accessed/dirty updates, at most one per entry read).
inline constexpr unsigned kMaxLogWrites = kMaxLogReads;

enum class FaultKind : uint8_t {
  None,
  NotPresent,          ///< entry not present / invalid (x86 P=0, VT-d R=W=0, AMD PR=0, Arm invalid)
  Permission,          ///< the combined rights do not allow the request
  ReservedBit,         ///< a reserved field is non-zero, or an encoding the format forbids
  AddressSize,         ///< input address outside the configured range, or an OA too wide (Arm)
  BusError,            ///< a table read or write fell outside simulated memory
  AccessFlag,          ///< Arm AF=0 without hardware update
  SkippedBitsNonZero,  ///< AMD-Vi level skip with non-zero VA bits for the skipped levels
};

const char* to_string(FaultKind k);

/// Where a walk starts: the root table, or an intermediate table found in a paging-structure
/// cache (then `perms` carries the rights the skipped upper levels allowed).
struct WalkStart {
  static constexpr unsigned kTopLevel = ~0u;

  uint64_t table = 0;          ///< table base address (an IPA in nested walks, see table_is_pa)
  unsigned level = kTopLevel;  ///< level of that table; kTopLevel = the format's top level
  Perms perms = Perms::all();  ///< rights already granted by the levels above `level`
  bool table_is_pa = false;    ///< nested walks: `table` is already a host PA (skip stage 2)
};

struct WalkOptions {
  /// Set accessed/dirty flags the way hardware does (x86 first-stage A/D, VT-d SLADE, AMD HAD),
  /// after the translation succeeded: A in every entry used, D in the leaf for writes.
  bool update_ad = false;
  /// Stage number written into the log and faults (1 or 2). A second-stage-only walk (VT-d
  /// PGTT=010, SMMU S2-only) may say 2 so its faults read as second-stage faults.
  uint8_t stage = 1;
};

/// One memory access of a walk, in the order it was made.
struct MemAccess {
  uint64_t pa;     ///< physical address accessed
  uint64_t value;  ///< entry value read or written (0 when the access failed)
  uint8_t level;   ///< table level of the entry
  uint8_t stage;   ///< 1 or 2
  bool ok;         ///< false: the access fell outside memory (a BusError fault follows)
};

/// Fixed-capacity, allocation-free log. Entries beyond the capacity are counted but dropped.
template <unsigned N>
class AccessLog {
 public:
  // User-provided, so that value-initialising a result (`WalkResult r{}`) does not zero the
  // whole array, and copies move only the entries in use: a WalkResult is ~3 KiB and models
  // copy one per translation.
  AccessLog() noexcept {}
  AccessLog(const AccessLog& o) noexcept : n_(o.n_) { copy_from(o); }
  AccessLog& operator=(const AccessLog& o) noexcept {
    n_ = o.n_;
    copy_from(o);
    return *this;
  }

  void push(const MemAccess& a) {
    if (n_ < N) e_[n_] = a;
    ++n_;
  }
  void clear() { n_ = 0; }
  unsigned size() const { return n_ < N ? n_ : N; }
  bool empty() const { return n_ == 0; }
  bool overflowed() const { return n_ > N; }
  const MemAccess& operator[](unsigned i) const { return e_[i]; }
  const MemAccess* begin() const { return e_.data(); }
  const MemAccess* end() const { return e_.data() + size(); }

 private:
  void copy_from(const AccessLog& o) {
    for (unsigned i = 0; i < o.size(); ++i) e_[i] = o.e_[i];
  }

  std::array<MemAccess, N> e_;  // deliberately not value-initialised: walks stay cheap
  unsigned n_ = 0;
};

struct WalkLog {
  AccessLog<kMaxLogReads> reads;
  AccessLog<kMaxLogWrites> writes;  ///< hardware A/D updates
  void clear() {
    reads.clear();
    writes.clear();
  }
};

/// A successful translation of one stage (or the combination of two).
struct Translation {
  uint64_t oa = 0;       ///< output address for the input address (page base + offset)
  uint64_t leaf = 0;     ///< raw leaf entry value (before any A/D update)
  uint64_t leaf_pa = 0;  ///< where the leaf entry was read
  Perms perms;           ///< effective rights, combined across levels
  uint8_t page_lg2 = 0;  ///< size of the page/block the leaf maps
  uint8_t level = 0;     ///< level of the leaf entry

  uint64_t page_base() const { return oa & ~((uint64_t{1} << page_lg2) - 1); }
};

/// A precise fault.
struct Fault {
  FaultKind kind = FaultKind::None;
  uint8_t stage = 0;  ///< stage that faulted (1 or 2)
  uint8_t level = 0;  ///< level of the faulting entry; for input-address faults the start level
  /// Stage-2 fault while fetching a stage-1 table entry (Arm S1PTW; VT-d/AMD nested table faults)
  /// rather than while translating the final stage-1 output.
  bool on_s1_table = false;
  uint8_t s1_level = 0;   ///< on_s1_table: level of the stage-1 entry being fetched
  uint64_t va = 0;        ///< input address of the whole translation
  uint64_t ipa = 0;       ///< stage-2 faults: the IPA/GPA stage 2 was translating
  uint64_t entry_pa = 0;  ///< address of the faulting entry (0 for input-address faults)
  uint64_t entry = 0;     ///< value of the faulting entry
  Perms missing;          ///< Permission: the rights the request needed and did not get
};

/// Result of one stage; a stage-2 translator returns this to a nested walk.
struct StageResult {
  Translation tr;
  Fault fault;
  bool ok() const { return fault.kind == FaultKind::None; }
};

/// Result of a complete walk (single-stage or nested).
struct WalkResult {
  /// Single stage: the translation. Nested: OA = final PA, page_lg2 = the smaller of the two
  /// stages' pages, perms = stage-1 AND stage-2, leaf fields = the final stage-2 leaf.
  Translation tr;
  Fault fault;
  WalkLog log;
  Translation s1;  ///< nested walks only: the stage-1 translation (oa = IPA)
  Translation s2;  ///< nested walks only: the stage-2 translation of that IPA

  bool ok() const { return fault.kind == FaultKind::None; }
};

}  // namespace isim::pt
