// VT-d root entries (16 bytes, one per PCI bus, 256 per 4 KiB root table).
//
// Sources: VT-d 3.x/4.x 9.1 "Root Entry" (legacy mode, RTADDR.TTM=00b) and 9.2 "Scalable-Mode
// Root Entry" (TTM=01b).
//
//   legacy   bits 0 P, 11:1 reserved, HAW-1:12 CTP (context table), 63:HAW reserved;
//            bits 127:64 reserved.
//   scalable bits 0 LP, 11:1 reserved, HAW-1:12 LCTP (context table for devfn 0x00-0x7F);
//            bits 64 UP, 75:65 reserved, HAW-1+64:76 UCTP (context table for devfn 0x80-0xFF).
// Address bits at or above the host address width are reserved (non-zero: LRT.3 / SRT.3).
#pragma once

#include <array>
#include <cstdint>

#include "base/bits.h"

namespace isim::vtd {

/// A 128-bit structure as two little-endian quadwords: [0] = bits 63:0, [1] = bits 127:64.
using Qw2 = std::array<uint64_t, 2>;

inline constexpr unsigned kRootEntryBytes = 16;
inline constexpr unsigned kRootEntries = 256;

/// Address bits HAW..63 of a pointer field (reserved).
constexpr uint64_t above_haw(unsigned haw) {
  return haw >= 64 ? 0 : mask(63, haw);
}

struct LegacyRootEntry {
  bool present = false;
  uint64_t ctp = 0;  ///< context table address (4 KiB aligned)

  static constexpr LegacyRootEntry decode(const Qw2& q) {
    return {bit(q[0], 0), q[0] & mask(63, 12)};
  }
  constexpr Qw2 encode() const { return {(ctp & mask(63, 12)) | (present ? 1u : 0u), 0}; }
  /// Reserved bits of each quadword for a given host address width.
  static constexpr Qw2 reserved(unsigned haw) {
    return {mask(11, 1) | above_haw(haw), ~uint64_t{0}};
  }
};

struct ScalableRootEntry {
  bool lower_present = false;  ///< LP
  uint64_t lower_ctp = 0;      ///< LCTP: devfn 0x00-0x7F
  bool upper_present = false;  ///< UP
  uint64_t upper_ctp = 0;      ///< UCTP: devfn 0x80-0xFF

  static constexpr ScalableRootEntry decode(const Qw2& q) {
    return {bit(q[0], 0), q[0] & mask(63, 12), bit(q[1], 0), q[1] & mask(63, 12)};
  }
  constexpr Qw2 encode() const {
    return {(lower_ctp & mask(63, 12)) | (lower_present ? 1u : 0u),
            (upper_ctp & mask(63, 12)) | (upper_present ? 1u : 0u)};
  }
  static constexpr Qw2 reserved(unsigned haw) {
    return {mask(11, 1) | above_haw(haw), mask(11, 1) | above_haw(haw)};
  }
  /// The half that serves `devfn`: present bit and context-table pointer.
  constexpr bool present_for(uint8_t devfn) const {
    return devfn < 0x80 ? lower_present : upper_present;
  }
  constexpr uint64_t ctp_for(uint8_t devfn) const { return devfn < 0x80 ? lower_ctp : upper_ctp; }
};

}  // namespace isim::vtd
