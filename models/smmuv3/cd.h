// Context Descriptor: the 64-byte stage-1 configuration selected by SubstreamID (IHI 0070 5.4
// "CD, Context Descriptor"), its validity rules (5.4.2 "Validity of CD", pseudocode CdIllegal)
// and the stage-1 translation configuration of its two VA ranges.
//
// Layout (word:bits), IHI 0070 5.4:
//   0:5:0 T0SZ, 0:7:6 TG0, 0:9:8 IR0, 0:11:10 OR0, 0:13:12 SH0, 0:14 EPD0, 0:15 ENDI,
//   0:21:16 T1SZ, 0:23:22 TG1, 0:25:24 IR1, 0:27:26 OR1, 0:29:28 SH1, 0:30 EPD1, 0:31 V,
//   0:34:32 IPS, 0:35 AFFD, 0:36 WXN, 0:37 UWXN, 0:38 TBI0, 0:39 TBI1, 0:40 PAN, 0:41 AA64,
//   0:42 HD, 0:43 HA, 0:44 S, 0:45 R, 0:46 A, 0:47 ASET, 0:63:48 ASID,
//   1:0 NSCFG0, 1:1 HAD0, 1:55:4 TTB0, 2:0 NSCFG1, 2:1 HAD1, 2:55:4 TTB1,
//   3:63:0 MAIR (MAIR0 31:0, MAIR1 63:32), 4:63:0 AMAIR.
// TG1 uses the TCR_EL1.TG1 encoding (01 16K, 10 4K, 11 64K), unlike TG0 (00 4K, 01 64K, 10 16K).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "models/smmuv3/fields.h"
#include "models/smmuv3/regs.h"
#include "models/smmuv3/ste.h"
#include "pagetable/fmt/arm_lpae.h"

namespace isim::smmuv3 {

inline constexpr unsigned kCdBytes = 64;
using CdWords = std::array<uint64_t, kCdBytes / 8>;

namespace cd {
inline constexpr WordField T0SZ{0, 5, 0}, TG0{0, 7, 6}, IR0{0, 9, 8}, OR0{0, 11, 10},
    SH0{0, 13, 12}, EPD0{0, 14, 14}, ENDI{0, 15, 15}, T1SZ{0, 21, 16}, TG1{0, 23, 22},
    IR1{0, 25, 24}, OR1{0, 27, 26}, SH1{0, 29, 28}, EPD1{0, 30, 30}, V{0, 31, 31}, IPS{0, 34, 32},
    AFFD{0, 35, 35}, WXN{0, 36, 36}, UWXN{0, 37, 37}, TBI0{0, 38, 38}, TBI1{0, 39, 39},
    PAN{0, 40, 40}, AA64{0, 41, 41}, HD{0, 42, 42}, HA{0, 43, 43}, S{0, 44, 44}, R{0, 45, 45},
    A{0, 46, 46}, ASET{0, 47, 47}, ASID{0, 63, 48};
inline constexpr WordField NSCFG0{1, 0, 0}, HAD0{1, 1, 1}, TTB0{1, 55, 4};
inline constexpr WordField NSCFG1{2, 0, 0}, HAD1{2, 1, 1}, TTB1{2, 55, 4};
inline constexpr WordField MAIR{3, 63, 0}, AMAIR{4, 63, 0};
}  // namespace cd

struct Cd {
  bool v = false;
  uint8_t t0sz = 0, tg0 = 0, ir0 = 0, or0 = 0, sh0 = 0;
  bool epd0 = false, endi = false;
  uint8_t t1sz = 0, tg1 = 0, ir1 = 0, or1 = 0, sh1 = 0;
  bool epd1 = false;
  uint8_t ips = 0;
  bool affd = false, wxn = false, uwxn = false, tbi0 = false, tbi1 = false, pan = false,
       aa64 = false, hd = false, ha = false, s = false, r = false, a = false, aset = false;
  uint16_t asid = 0;
  bool nscfg0 = false, had0 = false, nscfg1 = false, had1 = false;
  uint64_t ttb0 = 0;  ///< bits 55:4 in place
  uint64_t ttb1 = 0;
  uint64_t mair = 0;
  uint64_t amair = 0;

  bool operator==(const Cd&) const = default;
};

Cd decode_cd(const CdWords& w);
CdWords encode_cd(const Cd& c);

/// Why a CD is ILLEGAL (IHI 0070 5.4.2 CdIllegal; each is a C_BAD_CD).
enum class CdError : uint8_t {
  kNone,
  kNotValid,   ///< V == 0
  kStallD,     ///< STE.S1STALLD with CD.S
  kTermModel,  ///< IDR0.TERM_MODEL with CD.A == 0
  kStall,      ///< CD.S inconsistent with STALL_MODEL
  kEndian,     ///< ENDI = 1 on a little-endian-only SMMU
  kAArch32,    ///< AA64 == 0 (VMSAv8-32 LPAE not implemented: IDR0.TTF = AArch64 only)
  kHttu,       ///< HA/HD beyond IDR0.HTTU
  kAsid,       ///< ASID[15:8] != 0 without IDR0.ASID16
  kTxSz,       ///< T0SZ/T1SZ out of range for an enabled range
  kGranule,    ///< TG0/TG1 reserved or not implemented for an enabled range
  kTtb,        ///< TTB0/TTB1 beyond the effective IPS for an enabled range
};
const char* to_string(CdError e);

/// IHI 0070 5.4.2: the first ILLEGAL condition found.
CdError check_cd(const Cd& c, const Ste& s, const IdParams& caps);

/// Effective stage-1 output size: min(IPS, IDR5.OAS) (5.4 CD.IPS).
unsigned cd_ips_bits(const Cd& c, const IdParams& caps);

/// The stage-1 page-table configuration of range `ttb` (0: TTB0/T0SZ/TG0/TBI0/HAD0, 1: TTB1),
/// or nullopt (with `why`) when it describes no walk.
std::optional<pt::ArmLpaeFormat> cd_s1_format(const Cd& c, unsigned ttb, const IdParams& caps,
                                              std::string* why = nullptr);

}  // namespace isim::smmuv3
