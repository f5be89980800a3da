// The ordered list of memory reads one translation made: stream-table and CD-table fetches and
// every page-table read of both stages. A model charges latency per entry; tests check the
// exact sequence.
#pragma once

#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

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
/// Storage is raw and copies move only the entries in use: every translation result carries a
/// log, and zeroing or copying all of it was a third of the cost of a TLB hit.
class ReadLog {
 public:
  static constexpr unsigned kCapacity = 64;

  ReadLog() = default;
  ReadLog(const ReadLog& o) : n_(o.n_) { copy_from(o); }
  ReadLog& operator=(const ReadLog& o) {
    n_ = o.n_;
    copy_from(o);
    return *this;
  }

  void push(const ReadRec& r) {
    if (n_ < kCapacity) std::memcpy(raw_ + n_ * sizeof(ReadRec), &r, sizeof(ReadRec));
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
  const ReadRec& operator[](unsigned i) const { return begin()[i]; }
  const ReadRec* begin() const { return std::launder(reinterpret_cast<const ReadRec*>(raw_)); }
  const ReadRec* end() const { return begin() + size(); }

 private:
  static_assert(std::is_trivially_copyable_v<ReadRec>);
  void copy_from(const ReadLog& o) { std::memcpy(raw_, o.raw_, o.size() * sizeof(ReadRec)); }

  alignas(ReadRec) unsigned char raw_[kCapacity * sizeof(ReadRec)];
  unsigned n_ = 0;
};

}  // namespace isim::smmuv3
