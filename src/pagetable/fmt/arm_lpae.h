// Arm VMSAv8-64 translation tables (64-bit descriptors), stage 1 and stage 2, 4/16/64 KiB
// granules, as walked by an Arm PE and by an SMMUv3 from CD.TTB0 (stage 1) and STE.S2TTB
// (stage 2).
//
// Sources: Arm ARM DDI 0487 D8.2 "Translation process" (D8.2.2 concatenated tables, D8.2.3 TTBR
// and its Address size fault, D8.2.5.2 table alignment, D8.2.8-D8.2.10 per-granule walks),
// D8.3.1 "VMSAv8-64 descriptor formats" (Tables D8-48, D8-50..D8-53), D8.4 "Memory access
// control" (Tables D8-63..D8-66 stage 1, D8-76..D8-78 stage 2), the AArch64.S1Walk /
// AArch64.S2Walk pseudocode (S2InvalidSL, S2InconsistentSL, VAIsOutOfRange, OAOutOfRange);
// SMMUv3 IHI 0070 5.2 (STE S2T0SZ/S2SL0/S2TG/S2PS/S2AFFD/S2HA), 5.4 (CD T0SZ/TG0/IPS/AFFD/HA/
// HAD0/WXN/PAN/TBI0). Digest: /work/shared/reference/vtd-smmuv3-encodings.md section 3.
//
//   spec lookup level    our level   4 KiB granule      16 KiB granule     64 KiB granule
//   level 3 (pages)      0           4 KiB page         16 KiB page        64 KiB page
//   level 2              1           2 MiB block        32 MiB block       512 MiB block
//   level 1              2           1 GiB block        table only         table only (no LPA)
//   level 0              3           table only         table (2 entries)  -
//   level -1 (LPA2)      -           not modelled
// item_lg2sz(level) = granule + (granule - 3) * level; a table holds 2^(granule - 3) entries,
// except the initial one: it resolves what is left of the input address (fewer entries), and at
// stage 2 up to 16 initial tables may be concatenated (D8.2.2), so num_items_lg2(top) is up to
// (granule - 3) + 4.
//
// Start level (D8.2.8-D8.2.10): stage 1 derives it from T0SZ (IA = 64 - T0SZ bits): the fewest
// levels that resolve IA. Stage 2 takes it from SL0 (VTCR_EL2.SL0 / STE.S2SL0):
//   SL0    4 KiB                   16 KiB                  64 KiB
//   00     level 2                 level 3                 level 3
//   01     level 1                 level 2                 level 2
//   10     level 0 (PAMax >= 44)   level 1 (PAMax >= 42)   level 1 (PAMax >= 44)
//   11     level 3 (FEAT_TTST)     level 0 (needs DS)      reserved
// S2InvalidSL (a reserved encoding) or S2InconsistentSL (the start level resolves fewer than 1
// or more than (granule - 3) + 4 IA bits) make every walk a stage-2 Translation fault at level 0.
// Such a configuration stays constructible because the pseudocode faults it per translation (an
// SMMU reports F_TRANSLATION with S2 = 1): walkable() is false and check_input() faults every
// address. T0SZ outside the architected range is a validate() error instead (an ILLEGAL STE/CD).
//
// Descriptors (D8.3.1, Table D8-48): bit 0 valid; bit 1 = 1: table (levels < 3) / page
// (level 3), = 0: block (levels < 3; only where the granule allows one, else invalid) / reserved
// and treated as invalid (level 3).
//   Table:  47:g next-level table address, 11:2 and 58:51 ignored; stage 1: 59 PXNTable,
//           60 UXNTable, 62:61 APTable (Tables D8-50, D8-64; ignored when hierarchical
//           permissions are disabled, CD.HAD0 / TCR.HPD0), 63 NSTable (RES0 non-secure); stage 2:
//           63:59 RES0 (Table D8-51).
//   Leaf:   47:n output address (n = page/block size), 10 AF, 9:8 SH, 51 DBM, 52 Contiguous,
//           58:55 software; stage 1: 4:2 AttrIndx, 5 NS (RES0 non-secure), 7:6 AP[2:1], 11 nG,
//           53 PXN, 54 UXN, 62:59 PBHA/ignored, 63 software (Table D8-52); stage 2: 5:2 MemAttr,
//           7:6 S2AP, 53 RES0 or XN[0] (FEAT_XNX), 54 XN, 63 RES0 (Table D8-53).
//   RES0:   50 in tables and stage-2 leaves (a stage-1 leaf's bit 50 is GP, FEAT_BTI, and is
//           ignored), 49:48 (no DS), bits g-1:12 of 16/64 KiB tables and pages, and in a block
//           every bit from 12 below the block size (the OA low bits, 16 nT without FEAT_BBML1,
//           15:12 without FEAT_LPA).
//
// Faults (precedence as in AArch64.S1Walk/S2Walk, then the permission check):
//   - input address outside the range (VA bits [63:IA] non-zero, [55:IA] with TBI; IPA bits
//     above IA), bad SL0: Arm "Translation fault, level 0" -> FaultKind::NotPresent. The walker
//     records input faults at the start level (the library's convention); an SMMU event carries
//     no level, a PE-style model reports level 0.
//   - invalid descriptor, block where none is allowed, reserved level-3 encoding: Translation
//     fault -> NotPresent at that level.
//   - RES0 bit set: the Arm ARM defines no fault for it; we fail closed with
//     FaultKind::ReservedBit (an SMMU model reports F_TRANSLATION). strict_res0 = false ignores
//     RES0 bits instead, as implementations commonly do.
//   - next-table address or OA at or above the output size (min(IPS/S2PS, PAMax)): Address size
//     fault at that level -> AddressSize. A TTB above it: check_root() (the Arm ARM reports
//     level 0).
//   - AF = 0 in the leaf without AFFD or hardware AF (HA): Access flag fault -> AccessFlag.
//   - rights: Permission (from the walker).
// Stage-1 rights (Table D8-65, two privilege levels, the EL1&0 regime): AP[2:1] 00 priv RW,
//   01 priv+unpriv RW, 10 priv RO, 11 priv+unpriv RO; PXN/UXN remove privileged/unprivileged
//   execute; unprivileged-writable memory is never privileged-executable (R VWLLR); WXN removes
//   execute from writable memory; PAN removes privileged data access to unprivileged-accessible
//   memory. APTable/UXNTable/PXNTable limit every later level (Table D8-64). Stage-2 rights
//   (Tables D8-76..78): S2AP 00 none, 01 RO, 10 WO, 11 RW for both privileges; XN (or XN[1:0]
//   with FEAT_XNX: 00 both execute, 01 no EL1, 10 none, 11 no EL0).
//
// Not modelled (documented): 52-bit addresses (FEAT_LPA/LPA2, DS, level -1, TTB/descriptor OA
// bits 51:48), the upper VA range (TTB1: the model selects TTB0/TTB1 by VA[55] and walks a TTB1
// table with the low IA bits), single-privilege regimes (EL2/EL3 XN layout), hardware dirty state
// (DBM is ignored), Table-descriptor AF (HAFT), indirect/overlay permissions, memory attributes
// (carried in the entry, not interpreted), the Contiguous bit (a TLB hint: recognised and ignored
// by the walk; the builder never sets it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bits.h"
#include "pagetable/format.h"

namespace isim::pt {

enum class ArmStage : uint8_t { kStage1 = 1, kStage2 = 2 };

struct ArmLpaeConfig {
  ArmStage stage = ArmStage::kStage1;
  unsigned granule_lg2 = 12;  ///< 12, 14 or 16 (CD.TG0 / STE.S2TG, decoded)
  unsigned tsz = 16;          ///< T0SZ / S2T0SZ: the input address has 64 - tsz bits
  unsigned sl0 = 2;           ///< stage 2 only: VTCR_EL2.SL0 / STE.S2SL0 encoding
  unsigned oas_bits = 48;     ///< configured output size (CD.IPS / STE.S2PS, decoded): 32..48
  unsigned pa_max_bits = 48;  ///< implemented PA size (PAMax / SMMU_IDR5.OAS): 32..48
  bool ttst = false;          ///< FEAT_TTST (SMMU_IDR3.STT): T0SZ up to 48 (47 for 64 KiB)
  bool tbi = false;           ///< stage 1: top byte ignore (CD.TBI0): VA[63:56] not checked
  bool hpd = false;           ///< stage 1: hierarchical permissions disabled (CD.HAD0)
  bool affd = false;          ///< AF fault disable (CD.AFFD / STE.S2AFFD): AF treated as 1
  bool hw_af = false;         ///< hardware Access flag update (CD.HA / STE.S2HA)
  bool wxn = false;           ///< stage 1: writable implies execute-never (CD.WXN)
  bool pan = false;           ///< stage 1: privileged access never (CD.PAN)
  bool xnx = false;           ///< stage 2: FEAT_XNX, bits 54:53 are XN[1:0]
  bool strict_res0 = true;    ///< RES0 descriptor bits fault (ReservedBit); false: ignored

  /// Empty when valid, else why not. A stage-2 SL0 inconsistent with T0SZ is valid here (it
  /// faults every walk, see ArmLpaeFormat::walkable()).
  std::string validate() const;
  unsigned ia_bits() const { return 64 - tsz; }
};

/// Stage-1 configuration (CD.TG0/T0SZ/IPS).
ArmLpaeConfig arm_s1_config(unsigned granule_lg2, unsigned t0sz, unsigned ips_bits = 48);
/// Stage-2 configuration (STE.S2TG/S2T0SZ/S2SL0/S2PS).
ArmLpaeConfig arm_s2_config(unsigned granule_lg2, unsigned t0sz, unsigned sl0,
                            unsigned ps_bits = 48);

/// Index bits per table: granule - 3 (8-byte descriptors).
constexpr unsigned arm_stride(unsigned granule_lg2) {
  return granule_lg2 - 3;
}
/// Stage-1 initial lookup level (spec numbering, 0..3) for an IA of `ia_bits`: 4 minus the
/// number of levels needed to resolve IA (D8.2.8-D8.2.10).
int arm_s1_start_level(unsigned granule_lg2, unsigned ia_bits);
/// Stage-2 initial lookup level (spec numbering) for an SL0 encoding, or nullopt when the
/// encoding is invalid for this granule, FEAT_TTST and PAMax (AArch64.S2InvalidSL).
std::optional<int> arm_s2_sl0_level(unsigned granule_lg2, unsigned sl0, bool ttst,
                                    unsigned pa_max_bits);
/// SL0 encoding of a stage-2 initial lookup level (spec numbering), or nullopt.
std::optional<unsigned> arm_s2_sl0_encode(unsigned granule_lg2, int spec_level);
/// AArch64.S2InconsistentSL negated: starting at `spec_level` resolves between 1 and
/// (granule - 3) + 4 bits of an `ia_bits` IPA at the initial lookup.
bool arm_s2_sl_consistent(unsigned granule_lg2, int spec_level, unsigned ia_bits);

class ArmLpaeFormat {
 public:
  static constexpr const char* kName = "arm_lpae";

  static constexpr uint64_t kValid = 1ull << 0;
  static constexpr uint64_t kTableOrPage = 1ull << 1;  ///< 1 = table (levels 0-2) / page (3)
  static constexpr uint64_t kAttrIndx = mask(4, 2);    ///< stage 1
  static constexpr uint64_t kMemAttr = mask(5, 2);     ///< stage 2
  static constexpr uint64_t kNS = 1ull << 5;           ///< stage 1, RES0 in non-secure state
  static constexpr uint64_t kAP1 = 1ull << 6;          ///< stage 1 AP[1]: unprivileged access
  static constexpr uint64_t kAP2 = 1ull << 7;          ///< stage 1 AP[2]: read-only
  static constexpr uint64_t kS2APR = 1ull << 6;        ///< stage 2 S2AP[0]: read
  static constexpr uint64_t kS2APW = 1ull << 7;        ///< stage 2 S2AP[1]: write
  static constexpr uint64_t kSH = mask(9, 8);
  static constexpr uint64_t kAF = 1ull << 10;
  static constexpr uint64_t kNG = 1ull << 11;  ///< stage 1
  static constexpr uint64_t kDBM = 1ull << 51;
  static constexpr uint64_t kContiguous = 1ull << 52;
  static constexpr uint64_t kPXN = 1ull << 53;  ///< stage 1; stage 2 XN[0] with FEAT_XNX
  static constexpr uint64_t kUXN = 1ull << 54;  ///< stage 1; stage 2 XN / XN[1]
  static constexpr uint64_t kSoftware = mask(58, 55);
  static constexpr uint64_t kPXNTable = 1ull << 59;
  static constexpr uint64_t kUXNTable = 1ull << 60;
  static constexpr uint64_t kAPTable0 = 1ull << 61;  ///< no unprivileged data access below
  static constexpr uint64_t kAPTable1 = 1ull << 62;  ///< no write below
  static constexpr uint64_t kNSTable = 1ull << 63;
  /// Top bit of the address fields without FEAT_LPA/LPA2.
  static constexpr unsigned kAddrTop = 47;
  /// D8.2.5.2: tables of fewer than 8 entries are still 64-byte aligned.
  static constexpr unsigned kMinTableAlignLg2 = 6;

  /// Throws std::invalid_argument when cfg.validate() is not empty; guest-controlled
  /// configurations should go through create().
  explicit ArmLpaeFormat(const ArmLpaeConfig& cfg = {});
  static std::optional<ArmLpaeFormat> create(const ArmLpaeConfig& cfg, std::string* why = nullptr);

  const ArmLpaeConfig& config() const { return cfg_; }
  bool stage2() const { return cfg_.stage == ArmStage::kStage2; }
  /// False for a stage-2 SL0 that is invalid or inconsistent with T0SZ: every walk faults.
  bool walkable() const { return walkable_; }
  /// The initial lookup level in the specification's numbering (3 - top_level()).
  int start_level() const { return 3 - static_cast<int>(top_); }
  /// Number of concatenated initial tables (1 when there is no concatenation).
  unsigned concatenated_tables() const {
    return top_bits_ > stride() ? 1u << (top_bits_ - stride()) : 1u;
  }
  unsigned ia_bits() const { return cfg_.ia_bits(); }
  unsigned stride() const { return arm_stride(cfg_.granule_lg2); }

  /// D8.2.3: a table base (TTB0 / S2TTB) above the output size is an Address size fault
  /// reported at level 0; the walk must not start.
  FaultKind check_root(uint64_t ttb) const {
    return (ttb >> oa_bits_) == 0 ? FaultKind::None : FaultKind::AddressSize;
  }

  unsigned top_level() const { return top_; }
  unsigned item_lg2sz(unsigned level) const { return cfg_.granule_lg2 + stride() * level; }
  unsigned num_items_lg2(unsigned level) const { return level == top_ ? top_bits_ : stride(); }
  unsigned oa_lg2() const { return oa_bits_; }
  uint64_t page_size_bitmap() const;
  bool can_have_leaf(unsigned level) const { return level == 0 || block_allowed(level); }

  /// D8.2.4 / AArch64.VAIsOutOfRange, AArch64.IPAIsOutOfRange: a Translation fault.
  FaultKind check_input(uint64_t va) const {
    if (!walkable_) return FaultKind::NotPresent;
    const uint64_t checked = (cfg_.tbi && !stage2()) ? (va & mask(55, 0)) : va;
    return (checked >> ia_bits()) == 0 ? FaultKind::None : FaultKind::NotPresent;
  }

  Decoded decode(uint64_t e, unsigned level) const {
    if (!(e & kValid)) return Decoded::make_fault(FaultKind::NotPresent);
    if (level > 0 && (e & kTableOrPage)) {
      if (e & rsvd_table_) return Decoded::make_fault(FaultKind::ReservedBit);
      const uint64_t next = e & mask(kAddrTop, cfg_.granule_lg2);
      if (next >> oa_bits_) return Decoded::make_fault(FaultKind::AddressSize);
      return Decoded::make_table(next, level - 1, table_perms(e));
    }
    // Table D8-48: a level-3 descriptor with bit 1 = 0 is reserved and treated as invalid; a
    // block where the granule allows none is invalid too.
    if (level == 0 ? !(e & kTableOrPage) : !block_allowed(level)) {
      return Decoded::make_fault(FaultKind::NotPresent);
    }
    const unsigned page_lg2 = item_lg2sz(level);
    if (e & rsvd_leaf_[level]) return Decoded::make_fault(FaultKind::ReservedBit);
    const uint64_t oa = e & mask(kAddrTop, page_lg2);
    if (oa >> oa_bits_) return Decoded::make_fault(FaultKind::AddressSize);
    if (!(e & kAF) && !cfg_.affd && !cfg_.hw_af) return Decoded::make_fault(FaultKind::AccessFlag);
    return Decoded::make_leaf(oa, page_lg2, stage2() ? s2_leaf_perms(e) : s1_leaf_perms(e));
  }

  /// Stage-1 rules that depend on the combined rights (Table D8-65): unprivileged-writable is
  /// never privileged-executable (R VWLLR), WXN, then PAN.
  Perms finalize_perms(Perms p, uint64_t, unsigned) const {
    if (stage2()) return p;
    if (p.any(Perms::kUserWrite)) p = p.without(Perms::kPrivExec);
    if (cfg_.wxn) {
      if (p.any(Perms::kUserWrite)) p = p.without(Perms::kUserExec);
      if (p.any(Perms::kPrivWrite)) p = p.without(Perms::kPrivExec);
    }
    if (cfg_.pan && p.any(Perms::kUserRead | Perms::kUserWrite)) {
      p = p.without(Perms::kPrivRead | Perms::kPrivWrite);
    }
    return p;
  }

  /// Hardware Access flag management (D8.4 "Hardware management of the Access flag"): AF set in
  /// the leaf. Table-descriptor AF (HAFT) and dirty state (DBM) are not modelled.
  uint64_t hw_update(uint64_t e, unsigned, bool is_leaf, const AccessReq&) const {
    return (cfg_.hw_af && is_leaf) ? (e | kAF) : e;
  }

  /// D8.2.5.2: a table is aligned to its size, and to at least 64 bytes when it has fewer than
  /// 8 entries; concatenated tables are aligned to their total size.
  unsigned table_align_lg2(unsigned level) const {
    const unsigned size = num_items_lg2(level) + 3;
    return size < kMinTableAlignLg2 ? kMinTableAlignLg2 : size;
  }

  /// Tables grant everything (no APTable/XNTable limits): the leaf carries the rights.
  uint64_t encode_table(uint64_t table_pa, unsigned, unsigned) const {
    return (table_pa & mask(kAddrTop, cfg_.granule_lg2)) | kValid | kTableOrPage;
  }

  /// Sets AF. Stage 1: AP from write/user, UXN/PXN from exec/user; privileged read always comes
  /// with a mapping; unsupported (nullopt): user+write+exec (R VWLLR), write+exec under WXN, and
  /// user data access under PAN. Stage 2: S2AP from read/write, XN from exec (with FEAT_XNX a
  /// non-user exec mapping denies EL0 execute). Accepted in MapAttrs::extra: stage 1 AttrIndx,
  /// SH, nG, software bits 58:55 and 63; stage 2 MemAttr, SH, software bits 58:55, 62:60.
  /// The Contiguous bit is never set.
  std::optional<uint64_t> encode_leaf(uint64_t oa, unsigned level, unsigned page_lg2,
                                      const MapAttrs& a) const;

 private:
  bool block_allowed(unsigned level) const {
    // Table D8-52 / D8-53 without DS or FEAT_LPA: 4 KiB blocks at levels 1-2, 16/64 KiB at 2.
    return cfg_.granule_lg2 == 12 ? (level == 1 || level == 2) : level == 1;
  }
  Perms table_perms(uint64_t e) const {
    if (stage2() || cfg_.hpd) return Perms::all();
    Perms p = Perms::all();
    if (e & kAPTable0) p = p.without(Perms::kUserRead | Perms::kUserWrite);
    if (e & kAPTable1) p = p.without(Perms::kWrite);
    if (e & kUXNTable) p = p.without(Perms::kUserExec);
    if (e & kPXNTable) p = p.without(Perms::kPrivExec);
    return p;
  }
  static Perms s1_leaf_perms(uint64_t e) {
    const bool ro = e & kAP2;
    const bool el0 = e & kAP1;
    uint8_t b = Perms::kPrivRead;
    if (!ro) b |= Perms::kPrivWrite;
    if (el0) b |= Perms::kUserRead | (ro ? 0 : Perms::kUserWrite);
    if (!(e & kUXN)) b |= Perms::kUserExec;
    if (!(e & kPXN)) b |= Perms::kPrivExec;
    return Perms(b);
  }
  Perms s2_leaf_perms(uint64_t e) const {
    uint8_t b = 0;
    if (e & kS2APR) b |= Perms::kRead;
    if (e & kS2APW) b |= Perms::kWrite;
    if (!cfg_.xnx) {
      if (!(e & kUXN)) b |= Perms::kExec;
    } else {
      switch (bits(e, 54, 53)) {
        case 0:
          b |= Perms::kExec;
          break;
        case 1:
          b |= Perms::kUserExec;
          break;  // no EL1 execute
        case 2:
          break;
        case 3:
          b |= Perms::kPrivExec;
          break;  // no EL0 execute
      }
    }
    return Perms(b);
  }

  ArmLpaeConfig cfg_;
  unsigned top_ = 0;       // our level of the initial lookup
  unsigned top_bits_ = 0;  // index bits resolved by the initial lookup (with concatenation)
  unsigned oa_bits_ = 48;  // effective output size: min(oas_bits, pa_max_bits)
  bool walkable_ = true;
  uint64_t rsvd_table_ = 0;
  uint64_t rsvd_leaf_[4] = {};  // per our level (block levels and the page level)
};

}  // namespace isim::pt
