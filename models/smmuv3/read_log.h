// The ordered list of memory reads one translation made: stream-table and CD-table fetches and
// every page-table read of both stages. A model charges latency per entry; tests check the
// exact sequence.
#pragma once

#include <array>
#include <cstdint>

#include "pagetable/walk_types.h"

namespace isim::smmuv3 {

enum class ReadKind : uint8_t {
  kL1Std,    ///< level-1 stream table descriptor (8 bytes)
  kSte,      ///< stream table entry (64 bytes)
  kL1Cd,     ///< level-1 context descriptor (8 bytes)
  kCd,       ///< context descriptor (64 bytes)
  kS1Table,  ///< stage-1 translation table descriptor
  kS2Table,  ///< stage-2 translation table descriptor (including those serving CD fetches)
};
const char* to_string(ReadKind k);

struct ReadRec {
  uint64_t pa = 0;
  uint64_t value = 0;  ///< first 64-bit word read (0 when the read failed)
  uint8_t bytes = 0;
  ReadKind kind = ReadKind::kSte;
  uint8_t level = 0;  ///< page-table reads: our level (pagetable/README.md)
  bool ok = false;
};

/// Fixed capacity: 2 stream-table reads, 2 CD fetches each behind a stage-2 walk (2 x (4 + 1)),
/// and a 4+4 nested walk (24) stay far below it. Entries beyond it are counted, not stored.
class ReadLog {
 public:
  static constexpr unsigned kCapacity = 64;

  void push(const ReadRec& r) {
    if (n_ < kCapacity) e_[n_] = r;
    ++n_;
  }
  /// Appends a walk's reads with their stage as the kind.
  void append(const pt::WalkLog& w) {
    for (const pt::MemAccess& a : w.reads) {
      push({a.pa, a.value, 8, a.stage == 2 ? ReadKind::kS2Table : ReadKind::kS1Table, a.level,
            a.ok});
    }
  }
  void clear() { n_ = 0; }
  unsigned size() const { return n_ < kCapacity ? n_ : kCapacity; }
  bool overflowed() const { return n_ > kCapacity; }
  const ReadRec& operator[](unsigned i) const { return e_[i]; }
  const ReadRec* begin() const { return e_.data(); }
  const ReadRec* end() const { return e_.data() + size(); }

 private:
  std::array<ReadRec, kCapacity> e_{};
  unsigned n_ = 0;
};

}  // namespace isim::smmuv3
