// AMD-Vi device table entries: 256 bits, one per 16-bit DeviceID, at DevTabBase + DeviceID*32.
//
// Source: AMD IOMMU 48882 rev 3.x, 2.2.2 "Device Table" and 2.2.2.1 "Device Table Entry Format"
// (Figure/Table "Device Table Entry"); cross-checked against the digest section 1.6.
//
//   bit(s)    field                          bit(s)    field
//   0         V                              96        I (IOTLB / ATS enable)
//   1         TV                             97        SE (suppress subsequent IO_PAGE_FAULTs)
//   6:2       reserved                       98        SA (suppress all IO_PAGE_FAULTs)
//   8:7       HAD (host access/dirty)        100:99    IoCtl
//   11:9      Mode (0 none, 1..6 levels)     101       Cache
//   51:12     host page table root           102       SD
//   52        PPR                            103       EX (exclusion range allowed)
//   53        GPRP                           105:104   SysMgt
//   54        GIoV                           106       reserved
//   55        GV                             127:107   GCR3 root [51:31]
//   57:56     GLX (GCR3 levels - 1)          128       IV
//   60:58     GCR3 root [14:12]              132:129   IntTabLen
//   61        IR                             133       IG
//   62        IW                             179:134   interrupt table root [51:6]
//   63        reserved                       181:180   reserved
//   79:64     DomainID                       183:182   GPM (guest paging mode: 0 4-, 1 5-level)
//   95:80     GCR3 root [30:15]              191:184   InitPass, EIntPass, NMIPass, rsvd,
//                                                      IntCtl 189:188, Lint0Pass, Lint1Pass
//   245:192   reserved; 246 AttrV; 247 Mode0FC; 255:248 SnoopAttribute
//
// Feature-dependent fields are reserved without their EFR feature (GV/GLX/GCR3/GPM without
// GTSup, GIoV without GIoSup, PPR without PPRSup, HAD without HASup/HDSup), so a DTE that uses
// an absent feature is an illegal DTE, not silently ignored (fail closed).
#pragma once

#include <array>
#include <cstdint>

#include "base/bits.h"
#include "models/amdvi/regs.h"

namespace isim::amdvi {

/// A 256-bit structure as four little-endian quadwords ([0] = bits 63:0).
using Qw4 = std::array<uint64_t, 4>;

inline constexpr unsigned kDteBytes = 32;
/// DTE Mode 0: no translation (2.2.2.1), 7: reserved.
inline constexpr unsigned kModeNone = 0;
inline constexpr unsigned kModeReserved = 7;

struct Dte {
  // QW0
  bool v = false;
  bool tv = false;
  unsigned had = 0;
  unsigned mode = 0;
  uint64_t pt_root = 0;  ///< host page table root (SPA, 4 KiB aligned)
  bool ppr = false;
  bool gprp = false;
  bool giov = false;
  bool gv = false;
  unsigned glx = 0;        ///< GCR3 table levels minus one
  uint64_t gcr3_root = 0;  ///< GCR3 table root (SPA, 4 KiB aligned), split over three fields
  bool ir = false;
  bool iw = false;
  // QW1
  uint16_t domain_id = 0;
  bool i = false;
  bool se = false;
  bool sa = false;
  unsigned ioctl = 0;
  bool cache = false;
  bool sd = false;
  bool ex = false;
  unsigned sysmgt = 0;
  // QW2 (interrupt remapping: decoded, not applied)
  bool iv = false;
  unsigned int_tab_len = 0;
  bool ig = false;
  uint64_t int_table_root = 0;  ///< 128-byte aligned
  unsigned gpm = 0;
  bool init_pass = false;
  bool eint_pass = false;
  bool nmi_pass = false;
  unsigned int_ctl = 0;
  bool lint0_pass = false;
  bool lint1_pass = false;
  // QW3
  bool attr_v = false;
  bool mode0_fc = false;
  unsigned snoop_attr = 0;

  static Dte decode(const Qw4& q);
  Qw4 encode() const;

  /// Reserved bits of each quadword for a set of features (feature fields without their
  /// feature count as reserved).
  static Qw4 reserved(const Features& f);

  /// GCR3 root pointer split (2.2.2.1): [14:12] in 60:58, [30:15] in 95:80, [51:31] in 127:107.
  static constexpr uint64_t gcr3_from(const Qw4& q) {
    return (bits(q[0], 60, 58) << 12) | (bits(q[1], 31, 16) << 15) | (bits(q[1], 63, 43) << 31);
  }
};

/// Why a DTE with V=1 is illegal (each one an ILLEGAL_DEV_TABLE_ENTRY event; RZ says which
/// kind: 1 reserved bit set, 0 invalid level/mode encoding).
enum class DteProblem : uint8_t {
  None,
  ReservedBit,     ///< a reserved (or unsupported-feature) bit is set          (RZ = 1)
  ModeReserved,    ///< Mode = 7, or above the 4 + HATS levels EFR supports      (RZ = 0)
  GlxUnsupported,  ///< GV with GLX above EFR.GLXSup (or GLX 1xb)                (RZ = 0)
  GpmUnsupported,  ///< GV with GPM above EFR.GATS (or GPM 1xb)                  (RZ = 0)
};
const char* to_string(DteProblem p);

/// Legality of a raw DTE with V=1 (2.2.2.1 field restrictions). With TV=0 only the reserved
/// bits are checked: the translation fields are not in use.
DteProblem check_dte(const Qw4& raw, const Features& f);

}  // namespace isim::amdvi
