// VT-d context entries: legacy (128-bit, 256 per table, index devfn) and scalable-mode
// (256-bit, 128 per table, index devfn[6:0], the root entry's lower/upper half picks the table).
//
// Sources: VT-d 3.x/4.x 9.3 "Context Entry" and 9.4 "Scalable-Mode Context Entry".
//
// Legacy:   0 P, 1 FPD, 3:2 TT (00 untranslated only, 01 all incl. ATS, 10 pass-through, 11
//           reserved), 11:4 reserved, HAW-1:12 SLPTPTR, 63:HAW reserved;
//           66:64 AW, 70:67 ignored (AVAIL), 71 reserved, 87:72 DID, 127:88 reserved.
// Scalable: 0 P, 1 FPD, 2 DTE, 3 PASIDE, 4 PRE, 8:5 reserved, 11:9 PDTS (directory of
//           2^(PDTS+7) entries), HAW-1:12 PASIDDIRPTR, 63:HAW reserved;
//           83:64 RID_PASID (with ECAP.RPS), 84 RID_PRIV (with ECAP.RPRIVS), 127:85 reserved;
//           255:128 reserved.
// DID bits at or above CAP.ND's width are reserved (11.4.2 ND: "unused DID bits").
#pragma once

#include <array>
#include <cstdint>

#include "base/bits.h"
#include "models/vtd/root_entry.h"

namespace isim::vtd {

using Qw4 = std::array<uint64_t, 4>;

inline constexpr unsigned kLegacyContextBytes = 16;
inline constexpr unsigned kScalableContextBytes = 32;

/// Legacy context-entry TT (9.3).
enum class LegacyTt : uint8_t { UntranslatedOnly = 0, All = 1, PassThrough = 2, Reserved = 3 };

struct LegacyContextEntry {
  bool present = false;
  bool fpd = false;
  LegacyTt tt = LegacyTt::UntranslatedOnly;
  uint64_t slptptr = 0;  ///< second-stage root table
  unsigned aw = 2;       ///< 1: 39-bit/3-level, 2: 48-bit/4-level, 3: 57-bit/5-level
  unsigned avail = 0;    ///< 70:67, ignored by hardware
  uint16_t did = 0;

  static constexpr LegacyContextEntry decode(const Qw2& q) {
    LegacyContextEntry e;
    e.present = bit(q[0], 0);
    e.fpd = bit(q[0], 1);
    e.tt = static_cast<LegacyTt>(bits(q[0], 3, 2));
    e.slptptr = q[0] & mask(63, 12);
    e.aw = static_cast<unsigned>(bits(q[1], 2, 0));
    e.avail = static_cast<unsigned>(bits(q[1], 6, 3));
    e.did = static_cast<uint16_t>(bits(q[1], 23, 8));
    return e;
  }
  constexpr Qw2 encode() const {
    uint64_t lo = (slptptr & mask(63, 12)) | (uint64_t{static_cast<uint8_t>(tt)} << 2);
    lo |= (present ? 1u : 0u) | (fpd ? 2u : 0u);
    const uint64_t hi = (uint64_t{aw} & 7) | ((uint64_t{avail} & 0xf) << 3) | (uint64_t{did} << 8);
    return {lo, hi};
  }
  /// Reserved bits for a host address width and CAP.ND.
  static constexpr Qw2 reserved(unsigned haw, unsigned nd) {
    const unsigned did_bits = 4 + 2 * nd;
    const uint64_t did_rsvd = did_bits >= 16 ? 0 : mask(23, 8 + did_bits);
    return {mask(11, 4) | above_haw(haw), mask(63, 24) | (uint64_t{1} << 7) | did_rsvd};
  }
};

struct ScalableContextEntry {
  bool present = false;
  bool fpd = false;
  bool dte = false;     ///< device-TLB (ATS) enable
  bool paside = false;  ///< requests-with-PASID allowed
  bool pre = false;     ///< page requests allowed
  unsigned pdts = 0;    ///< PASID directory holds 2^(pdts+7) entries
  uint64_t pasid_dir = 0;
  uint32_t rid_pasid = 0;  ///< PASID for requests-without-PASID (ECAP.RPS)
  bool rid_priv = false;   ///< privilege for requests-without-PASID (ECAP.RPRIVS)

  static constexpr ScalableContextEntry decode(const Qw4& q) {
    ScalableContextEntry e;
    e.present = bit(q[0], 0);
    e.fpd = bit(q[0], 1);
    e.dte = bit(q[0], 2);
    e.paside = bit(q[0], 3);
    e.pre = bit(q[0], 4);
    e.pdts = static_cast<unsigned>(bits(q[0], 11, 9));
    e.pasid_dir = q[0] & mask(63, 12);
    e.rid_pasid = static_cast<uint32_t>(bits(q[1], 19, 0));
    e.rid_priv = bit(q[1], 20);
    return e;
  }
  constexpr Qw4 encode() const {
    uint64_t lo = (pasid_dir & mask(63, 12)) | ((uint64_t{pdts} & 7) << 9);
    lo |= (present ? 1u : 0u) | (fpd ? 2u : 0u) | (dte ? 4u : 0u) | (paside ? 8u : 0u) |
          (pre ? 16u : 0u);
    const uint64_t hi = (uint64_t{rid_pasid} & mask(19, 0)) | (rid_priv ? (uint64_t{1} << 20) : 0);
    return {lo, hi, 0, 0};
  }
  /// Reserved bits; RID_PASID / RID_PRIV are reserved without ECAP.RPS / ECAP.RPRIVS.
  static constexpr Qw4 reserved(unsigned haw, bool rps, bool rprivs) {
    uint64_t hi = mask(63, 21);
    if (!rps) hi |= mask(19, 0);
    if (!rprivs) hi |= uint64_t{1} << 20;
    return {mask(8, 5) | above_haw(haw), hi, ~uint64_t{0}, ~uint64_t{0}};
  }
  /// Number of PASID-directory entries (each covers 64 PASIDs).
  constexpr uint64_t dir_entries() const { return uint64_t{1} << (pdts + 7); }
};

}  // namespace isim::vtd
