// Vocabulary and small value types shared by every page-table format, the walker and the builder.
//
// Glossary (the full version, with how to add a format, is src/pagetable/README.md):
//   level      Table level. Level 0 holds the smallest (granule-sized) leaf entries; levels count
//              up toward the root. Each format header maps the specification's level names to
//              these numbers.
//   top level  The level of the root table for the configured geometry (e.g. 3 for 4-level x86).
//   VA / OA    Input address / output address of one translation stage. In nested translation
//              the stage-1 OA is an IPA (GPA), which is the stage-2 VA.
//   item       One entry of a table. item_lg2sz(level) = log2 of the VA span one entry covers.
//   _lg2       A base-2 logarithm (page_lg2 = 12 for 4 KiB).
//   last / end An inclusive last address / an exclusive end address.
//   leaf       An entry that maps an OA (a page or a block); a table entry points to a table.
#pragma once

#include <cstdint>

namespace isim::pt {

/// Deepest table hierarchy any format may describe (AMD-Vi v1 Mode 6 uses 6; Arm with 52-bit VAs
/// uses 5). Fixed so walks can keep their per-level state in inline arrays.
inline constexpr unsigned kMaxLevels = 8;

/// Access rights as a set of capabilities, so rights from every level combine by AND whatever
/// the format's encoding: x86 U/S and R/W, VT-d R/W/X, AMD IR/IW, Arm AP/XN and table limits.
class Perms {
 public:
  static constexpr uint8_t kUserRead = 1u << 0;
  static constexpr uint8_t kUserWrite = 1u << 1;
  static constexpr uint8_t kUserExec = 1u << 2;
  static constexpr uint8_t kPrivRead = 1u << 3;
  static constexpr uint8_t kPrivWrite = 1u << 4;
  static constexpr uint8_t kPrivExec = 1u << 5;
  static constexpr uint8_t kUser = kUserRead | kUserWrite | kUserExec;
  static constexpr uint8_t kPriv = kPrivRead | kPrivWrite | kPrivExec;
  static constexpr uint8_t kRead = kUserRead | kPrivRead;
  static constexpr uint8_t kWrite = kUserWrite | kPrivWrite;
  static constexpr uint8_t kExec = kUserExec | kPrivExec;
  static constexpr uint8_t kAllBits = kUser | kPriv;

  constexpr Perms() = default;
  constexpr explicit Perms(uint8_t bits) : bits_(bits & kAllBits) {}
  static constexpr Perms all() { return Perms(kAllBits); }
  static constexpr Perms none() { return Perms(); }
  /// The same rights for user and privileged accesses (formats without a privilege split).
  static constexpr Perms rwx(bool r, bool w, bool x) {
    return Perms(static_cast<uint8_t>((r ? kRead : 0) | (w ? kWrite : 0) | (x ? kExec : 0)));
  }

  constexpr uint8_t bits() const { return bits_; }
  constexpr bool has(Perms p) const { return (bits_ & p.bits_) == p.bits_; }
  constexpr bool any(uint8_t bits) const { return (bits_ & bits) != 0; }
  constexpr Perms without(uint8_t bits) const { return Perms(static_cast<uint8_t>(bits_ & ~bits)); }
  constexpr Perms operator&(Perms o) const { return Perms(static_cast<uint8_t>(bits_ & o.bits_)); }
  constexpr Perms operator|(Perms o) const { return Perms(static_cast<uint8_t>(bits_ | o.bits_)); }
  constexpr bool operator==(const Perms&) const = default;

 private:
  uint8_t bits_ = 0;
};

/// What a request wants to do. read and write may both be set (atomics); exec marks an
/// instruction fetch (PCIe ER); priv marks a supervisor request (PCIe PMR).
struct AccessReq {
  bool read = false;
  bool write = false;
  bool exec = false;
  bool priv = false;

  static constexpr AccessReq r(bool priv = false) { return {true, false, false, priv}; }
  static constexpr AccessReq w(bool priv = false) { return {false, true, false, priv}; }
  static constexpr AccessReq rw(bool priv = false) { return {true, true, false, priv}; }
  static constexpr AccessReq x(bool priv = false) { return {false, false, true, priv}; }

  constexpr Perms needed() const {
    uint8_t b = 0;
    if (read) b |= priv ? Perms::kPrivRead : Perms::kUserRead;
    if (write) b |= priv ? Perms::kPrivWrite : Perms::kUserWrite;
    if (exec) b |= priv ? Perms::kPrivExec : Perms::kUserExec;
    return Perms(b);
  }
};

/// Rights and attributes for a leaf the builder writes. A format grants at least the rights
/// asked for; a right it cannot deny (x86 read, AMD-Vi v1 execute, execute on a configuration
/// without an execute control) comes with the mapping. A combination it cannot express is a
/// MapStatus::AttrsNotSupported error.
struct MapAttrs {
  bool read = true;
  bool write = false;
  bool exec = false;
  bool user = true;  ///< DMA is a user-level access unless the request says privileged.
  /// Format-specific bits ORed into every leaf (x86 PWT/PCD/G, VT-d EMT/SNP, AMD FC/U, ...).
  /// Each format lists the bits it accepts here; any other bit is AttrsNotSupported.
  uint64_t extra = 0;

  static constexpr MapAttrs ro() { return {}; }
  static constexpr MapAttrs rw() { return {true, true, false, true, 0}; }
};

}  // namespace isim::pt
