// VT-d scalable-mode PASID directory entries (8 bytes) and PASID table entries (64 bytes).
//
// Sources: VT-d 3.x/4.x 9.5 "Scalable-Mode PASID Directory Entry" and 9.6 "Scalable-Mode PASID
// Table Entry"; 3.4.3 for the lookup: directory index = PASID[19:6], table index = PASID[5:0].
//
// Directory entry: 0 P, 1 FPD, 11:2 reserved, HAW-1:12 SMPTBLPTR, 63:HAW reserved.
// PASID table entry (bit numbers within the 512-bit entry):
//   0 P, 1 FPD, 4:2 AW (second-stage AGAW), 5 SSEE (SLEE), 8:6 PGTT, 9 SSADE (SLADE),
//   11:10 reserved, HAW-1:12 SSPTPTR (SLPTPTR), 63:HAW reserved;
//   79:64 DID, 86:80 reserved, 87 PWSNP, 88 PGSNP, 89 CD, 90 EMTE, 93:91 EMT, 94 PWT, 95 PCD,
//   127:96 PAT;
//   128 SRE, 129 ERE, 131:130 FSPM (FLPM: 00 4-level, 01 5-level), 132 WPE, 133 NXE, 134 SMEP,
//   135 EAFE, 139:136 reserved, HAW-1+128:140 FSPTPTR (FLPTPTR), 191:HAW+128 reserved;
//   511:192 (QW3..QW7): not interpreted by this model (accepted and ignored; later spec revisions
//   use parts of them), see SPEC_COVERAGE.md.
#pragma once

#include <array>
#include <cstdint>

#include "base/bits.h"
#include "models/vtd/root_entry.h"

namespace isim::vtd {

inline constexpr unsigned kPasidDirEntryBytes = 8;
inline constexpr unsigned kPasidEntryBytes = 64;
inline constexpr unsigned kPasidsPerTable = 64;  ///< 4 KiB / 64 bytes

/// 9.6 PGTT: PASID-granular translation type.
enum class Pgtt : uint8_t {
  FirstStage = 1,   ///< 001b first-stage only
  SecondStage = 2,  ///< 010b second-stage only
  Nested = 3,       ///< 011b nested
  PassThrough = 4,  ///< 100b pass-through
};

using Qw8 = std::array<uint64_t, 8>;

struct PasidDirEntry {
  bool present = false;
  bool fpd = false;
  uint64_t table = 0;  ///< SMPTBLPTR

  static constexpr PasidDirEntry decode(uint64_t v) {
    return {bit(v, 0), bit(v, 1), v & mask(63, 12)};
  }
  constexpr uint64_t encode() const {
    return (table & mask(63, 12)) | (present ? 1u : 0u) | (fpd ? 2u : 0u);
  }
  static constexpr uint64_t reserved(unsigned haw) { return mask(11, 2) | above_haw(haw); }
};

struct PasidEntry {
  // QW0
  bool present = false;
  bool fpd = false;
  unsigned aw = 2;  ///< second-stage AGAW: 1 39-bit, 2 48-bit, 3 57-bit
  bool slee = false;
  unsigned pgtt = 0;  ///< raw 3-bit field; see Pgtt
  bool slade = false;
  uint64_t slptptr = 0;
  // QW1
  uint16_t did = 0;
  bool pwsnp = false;
  bool pgsnp = false;
  bool cd = false;
  bool emte = false;
  unsigned emt = 0;
  bool pwt = false;
  bool pcd = false;
  uint32_t pat = 0;
  // QW2
  bool sre = false;
  bool ere = false;
  unsigned flpm = 0;  ///< 0 4-level, 1 5-level, 2/3 reserved
  bool wpe = false;
  bool nxe = false;
  bool smep = false;
  bool eafe = false;
  uint64_t flptptr = 0;

  static constexpr PasidEntry decode(const Qw8& q) {
    PasidEntry e;
    e.present = bit(q[0], 0);
    e.fpd = bit(q[0], 1);
    e.aw = static_cast<unsigned>(bits(q[0], 4, 2));
    e.slee = bit(q[0], 5);
    e.pgtt = static_cast<unsigned>(bits(q[0], 8, 6));
    e.slade = bit(q[0], 9);
    e.slptptr = q[0] & mask(63, 12);
    e.did = static_cast<uint16_t>(bits(q[1], 15, 0));
    e.pwsnp = bit(q[1], 23);
    e.pgsnp = bit(q[1], 24);
    e.cd = bit(q[1], 25);
    e.emte = bit(q[1], 26);
    e.emt = static_cast<unsigned>(bits(q[1], 29, 27));
    e.pwt = bit(q[1], 30);
    e.pcd = bit(q[1], 31);
    e.pat = static_cast<uint32_t>(bits(q[1], 63, 32));
    e.sre = bit(q[2], 0);
    e.ere = bit(q[2], 1);
    e.flpm = static_cast<unsigned>(bits(q[2], 3, 2));
    e.wpe = bit(q[2], 4);
    e.nxe = bit(q[2], 5);
    e.smep = bit(q[2], 6);
    e.eafe = bit(q[2], 7);
    e.flptptr = q[2] & mask(63, 12);
    return e;
  }

  constexpr Qw8 encode() const {
    Qw8 q{};
    q[0] = set_bit(q[0], 0, present);
    q[0] = set_bit(q[0], 1, fpd);
    q[0] = set_bits(q[0], 4, 2, aw);
    q[0] = set_bit(q[0], 5, slee);
    q[0] = set_bits(q[0], 8, 6, pgtt);
    q[0] = set_bit(q[0], 9, slade);
    q[0] |= slptptr & mask(63, 12);
    q[1] = set_bits(q[1], 15, 0, did);
    q[1] = set_bit(q[1], 23, pwsnp);
    q[1] = set_bit(q[1], 24, pgsnp);
    q[1] = set_bit(q[1], 25, cd);
    q[1] = set_bit(q[1], 26, emte);
    q[1] = set_bits(q[1], 29, 27, emt);
    q[1] = set_bit(q[1], 30, pwt);
    q[1] = set_bit(q[1], 31, pcd);
    q[1] = set_bits(q[1], 63, 32, pat);
    q[2] = set_bit(q[2], 0, sre);
    q[2] = set_bit(q[2], 1, ere);
    q[2] = set_bits(q[2], 3, 2, flpm);
    q[2] = set_bit(q[2], 4, wpe);
    q[2] = set_bit(q[2], 5, nxe);
    q[2] = set_bit(q[2], 6, smep);
    q[2] = set_bit(q[2], 7, eafe);
    q[2] |= flptptr & mask(63, 12);
    return q;
  }

  /// Reserved bits of QW0..QW2 for a host address width and CAP.ND (QW3..QW7 not checked).
  static constexpr std::array<uint64_t, 3> reserved(unsigned haw, unsigned nd) {
    const unsigned did_bits = 4 + 2 * nd;
    const uint64_t did_rsvd = did_bits >= 16 ? 0 : mask(15, did_bits);
    return {mask(11, 10) | above_haw(haw), mask(22, 16) | did_rsvd, mask(11, 8) | above_haw(haw)};
  }

  /// Directory index and table index of a PASID (3.4.3).
  static constexpr uint32_t dir_index(uint32_t pasid) { return (pasid >> 6) & 0x3fff; }
  static constexpr uint32_t table_index(uint32_t pasid) { return pasid & 0x3f; }
};

}  // namespace isim::vtd
