// Stream Table Entry: the 64-byte per-StreamID configuration (IHI 0070 5.2 "Stream Table
// Entry"), its validity rules (5.2.2 "Validity of STE", pseudocode SteIllegal) and the stage-2
// translation configuration it selects.
//
// Layout (word:bits; absolute bit = 64 * word + bit), IHI 0070 5.2:
//   0:0 V, 0:3:1 Config, 0:5:4 S1Fmt, 0:55:6 S1ContextPtr, 0:63:59 S1CDMax,
//   1:1:0 S1DSS, 1:3:2 S1CIR, 1:5:4 S1COR, 1:7:6 S1CSH, 1:12 DRE, 1:16:13 CONT, 1:17 DCP,
//   1:18 PPAR, 1:19 MEV, 1:25 S2FWB, 1:27 S1STALLD, 1:29:28 EATS, 1:31:30 STRW,
//   1:35:32 MemAttr, 1:36 MTCFG, 1:40:37 ALLOCCFG, 1:45:44 SHCFG, 1:47:46 NSCFG,
//   1:49:48 PRIVCFG, 1:51:50 INSTCFG,
//   2:15:0 S2VMID, 2:37:32 S2T0SZ, 2:39:38 S2SL0, 2:41:40 S2IR0, 2:43:42 S2OR0, 2:45:44 S2SH0,
//   2:47:46 S2TG, 2:50:48 S2PS, 2:51 S2AA64, 2:52 S2ENDI, 2:53 S2AFFD, 2:54 S2PTW, 2:55 S2HD,
//   2:56 S2HA, 2:57 S2S, 2:58 S2R,
//   3:55:4 S2TTB.
// (QEMU's smmuv3-internal.h reads S2HD/S2HA/S2S one bit higher; the spec text "S2R, bit [186]"
// confirms the positions above.) Fields not listed are stored as 0 by encode_ste and not read.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "models/smmuv3/fields.h"
#include "models/smmuv3/regs.h"
#include "pagetable/fmt/arm_lpae.h"

namespace isim::smmuv3 {

inline constexpr unsigned kSteBytes = 64;
using SteWords = std::array<uint64_t, kSteBytes / 8>;

namespace ste {
inline constexpr WordField V{0, 0, 0}, CONFIG{0, 3, 1}, S1FMT{0, 5, 4}, S1CTXPTR{0, 55, 6},
    S1CDMAX{0, 63, 59};
inline constexpr WordField S1DSS{1, 1, 0}, S1CIR{1, 3, 2}, S1COR{1, 5, 4}, S1CSH{1, 7, 6},
    DRE{1, 12, 12}, CONT{1, 16, 13}, DCP{1, 17, 17}, PPAR{1, 18, 18}, MEV{1, 19, 19},
    S2FWB{1, 25, 25}, S1STALLD{1, 27, 27}, EATS{1, 29, 28}, STRW{1, 31, 30}, MEMATTR{1, 35, 32},
    MTCFG{1, 36, 36}, ALLOCCFG{1, 40, 37}, SHCFG{1, 45, 44}, NSCFG{1, 47, 46}, PRIVCFG{1, 49, 48},
    INSTCFG{1, 51, 50};
inline constexpr WordField S2VMID{2, 15, 0}, S2T0SZ{2, 37, 32}, S2SL0{2, 39, 38}, S2IR0{2, 41, 40},
    S2OR0{2, 43, 42}, S2SH0{2, 45, 44}, S2TG{2, 47, 46}, S2PS{2, 50, 48}, S2AA64{2, 51, 51},
    S2ENDI{2, 52, 52}, S2AFFD{2, 53, 53}, S2PTW{2, 54, 54}, S2HD{2, 55, 55}, S2HA{2, 56, 56},
    S2S{2, 57, 57}, S2R{2, 58, 58};
inline constexpr WordField S2TTB{3, 55, 4};
}  // namespace ste

/// STE.Config (5.2): 0b0xx abort, 100 bypass, 101 stage 1, 110 stage 2, 111 nested.
enum class SteConfig : uint8_t {
  kAbort = 0b000,
  kBypass = 0b100,
  kS1 = 0b101,
  kS2 = 0b110,
  kNested = 0b111,
};
/// STE.S1Fmt (5.2): 00 linear, 01 2-level with 4 KiB leaf tables, 10 with 64 KiB leaves.
enum class S1Fmt : uint8_t { kLinear = 0, k2Level4K = 1, k2Level64K = 2, kReserved = 3 };
/// STE.S1DSS (5.2): behaviour of traffic without a SubstreamID when S1CDMax > 0.
enum class S1Dss : uint8_t { kTerminate = 0, kBypass = 1, kSubstream0 = 2, kReserved = 3 };
/// STE.EATS (5.2): 00 ATS disabled, 01 full ATS, 10 split-stage, 11 full ATS with DPT checks.
enum class Eats : uint8_t { kAbort = 0, kTrans = 1, kSplit = 2, kTransDpt = 3 };

struct Ste {
  bool v = false;
  uint8_t config = 0;  ///< raw 3-bit Config; use the helpers below
  uint8_t s1fmt = 0;
  uint64_t s1_context_ptr = 0;  ///< bits 55:6 in place (an IPA when stage 2 is enabled)
  uint8_t s1cdmax = 0;
  uint8_t s1dss = 0;
  uint8_t s1cir = 0, s1cor = 0, s1csh = 0;
  bool dre = false;
  uint8_t cont = 0;
  bool dcp = false, ppar = false, mev = false, s2fwb = false, s1stalld = false;
  uint8_t eats = 0;
  uint8_t strw = 0;
  uint8_t memattr = 0;
  bool mtcfg = false;
  uint8_t alloccfg = 0, shcfg = 0, nscfg = 0, privcfg = 0, instcfg = 0;
  uint16_t s2vmid = 0;
  uint8_t s2t0sz = 0, s2sl0 = 0, s2ir0 = 0, s2or0 = 0, s2sh0 = 0, s2tg = 0, s2ps = 0;
  bool s2aa64 = false, s2endi = false, s2affd = false, s2ptw = false, s2hd = false, s2ha = false,
       s2s = false, s2r = false;
  uint64_t s2ttb = 0;  ///< bits 55:4 in place

  bool operator==(const Ste&) const = default;

  bool abort() const { return (config & 0b100) == 0; }
  bool bypass() const { return config == static_cast<uint8_t>(SteConfig::kBypass); }
  /// Config 1x1.
  bool s1_enabled() const { return (config & 0b101) == 0b101; }
  /// Config 11x.
  bool s2_enabled() const { return (config & 0b110) == 0b110; }
  SteConfig cfg() const { return abort() ? SteConfig::kAbort : static_cast<SteConfig>(config); }
  S1Dss dss() const { return static_cast<S1Dss>(s1dss); }
  /// 5.2 S1Fmt: 11 is reserved and behaves as 00.
  S1Fmt fmt() const { return s1fmt == 3 ? S1Fmt::kLinear : static_cast<S1Fmt>(s1fmt); }
  /// 5.2 EATS: treated as 00 when Config is bypass.
  Eats effective_eats() const { return bypass() ? Eats::kAbort : static_cast<Eats>(eats); }
};

Ste decode_ste(const SteWords& w);
SteWords encode_ste(const Ste& s);

/// Why an STE is ILLEGAL (IHI 0070 5.2.2 SteIllegal; each is a C_BAD_STE).
enum class SteError : uint8_t {
  kNone,
  kNotValid,        ///< V == 0
  kS1NotSupported,  ///< Config 1x1 without IDR0.S1P
  kS2NotSupported,  ///< Config 11x without IDR0.S2P
  kEatsSplit,       ///< EATS 10 without Config 111 / with S2S / with IDR0.NS1ATS
  kEatsStall,       ///< EATS 01 with S2S and stage 2 enabled
  kStrw,            ///< reserved StreamWorld (STRW x1) while STRW is used
  kS1Stalld,        ///< S1STALLD with STALL_MODEL != 00
  kS1CdMax,         ///< S1CDMax > IDR1.SSIDSIZE
  kS1Fmt,           ///< 2-level CD table without IDR0.CD2L
  kS1ContextPtr,    ///< S1ContextPtr beyond the PA/IPA size
  kS2Stall,         ///< S2S inconsistent with STALL_MODEL
  kS2AArch32,       ///< S2AA64 == 0 (VMSAv8-32 LPAE tables: IDR0.TTF says AArch64 only)
  kS2Httu,          ///< S2HA/S2HD beyond IDR0.HTTU
  kS2Granule,       ///< S2TG reserved or not implemented
  kS2Ttb,           ///< S2TTB beyond the effective S2PS
  kS2T0sz,          ///< S2T0SZ out of range
  kS2Sl0,           ///< S2SL0 invalid or inconsistent with S2T0SZ / S2TG
  kS2Endian,        ///< S2ENDI = 1 on a little-endian-only SMMU (IDR0.TTENDIAN = 10)
  kS2Vmid,          ///< VMID[15:8] != 0 without IDR0.VMID16
};
const char* to_string(SteError e);

/// IHI 0070 5.2.2: the first ILLEGAL condition found, in the pseudocode's order.
SteError check_ste(const Ste& s, const IdParams& caps);

/// Effective output/PA size of stage 2: min(S2PS, IDR5.OAS) (5.2 S2PS). A reserved S2PS
/// encoding (110/111: 52/56 bits, not modelled) is taken as the IDR5.OAS size.
unsigned ste_s2_ps_bits(const Ste& s, const IdParams& caps);

/// The stage-2 page-table configuration (S2TG/S2T0SZ/S2SL0/S2PS/S2AFFD/S2HA), or nullopt with
/// `why` when it cannot describe a walk (check_ste reports those STEs as ILLEGAL first).
std::optional<pt::ArmLpaeFormat> ste_s2_format(const Ste& s, const IdParams& caps,
                                               std::string* why = nullptr);

}  // namespace isim::smmuv3
