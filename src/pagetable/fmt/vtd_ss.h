// Intel VT-d second-stage (second-level) paging, 3/4/5 levels.
//
// Sources: VT-d 3.x/4.x 3.7 "Second-Stage Translation", 9.8 "Second-Stage Paging Entries",
// 11.4.2 CAP_REG (SAGAW, MGAW, SLLPS), 11.4.3 ECAP_REG (SC, DT, ERS, SLADS).
//
//   spec entry                           our level
//   SS-PTE   (maps a 4 KiB page)         0
//   SS-PDE   (2 MiB page, or table)      1
//   SS-PDPE  (1 GiB page, or table)      2
//   SS-PML4E                             3   (4- and 5-level tables)
//   SS-PML5E                             4   (5-level tables)
// AGAW 39/48/57 bits = 3/4/5 levels (context/PASID-entry AW = levels - 2).
//
// Entry bits (9.8): 0 R, 1 W, 2 X (with execute requests enabled: ECAP.ERS/SLEE), 5:3 EMT and
// 6 IPAT (leaf), 7 PS (SS-PDE/SS-PDPE; reserved in SS-PML4E/SS-PML5E, ignored in SS-PTE),
// 8 A, 9 D (leaf) (both with SLADE), 10 ignored, 11 SNP (leaf, with ECAP.SC; reserved
// otherwise), HAW-1:12 address, 51:HAW reserved, 61:52 ignored, 62 TM (leaf, legacy mode with
// ECAP.DT; reserved otherwise), 63 ignored. A 2 MiB leaf reserves 20:12, a 1 GiB leaf 29:12;
// PS=1 is reserved at a level whose page size CAP.SLLPS does not report.
// An entry is present when R or W is set (no separate present bit).
// Rights: R/W/X at every level are ANDed. Without execute control, an execute request needs read.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "base/bits.h"
#include "pagetable/format.h"

namespace isim::pt {

struct VtdSsConfig {
  unsigned levels = 4;  ///< 3, 4 or 5 (AGAW 39, 48, 57)
  unsigned haw = 52;    ///< host address width: address bits >= haw are reserved
  unsigned mgaw = 0;    ///< CAP.MGAW+1 input width limit; 0 = the AGAW width
  bool sp_2m = true;    ///< CAP.SLLPS bit 0: 2 MiB pages
  bool sp_1g = true;    ///< CAP.SLLPS bit 1: 1 GiB pages
  bool exec = false;    ///< X (bit 2) honoured: ECAP.ERS with SLEE
  bool snp = false;     ///< SNP (bit 11) allowed in leaves: ECAP.SC
  bool tm = false;      ///< TM (bit 62) allowed in leaves: legacy mode with ECAP.DT
  bool ad = false;      ///< SLADE: hardware sets A (bit 8) and D (bit 9)

  std::string validate() const;
  unsigned agaw_bits() const { return 12 + 9 * levels; }
};

class VtdSsFormat {
 public:
  static constexpr const char* kName = "vtd_ss";

  static constexpr uint64_t kR = 1ull << 0;
  static constexpr uint64_t kW = 1ull << 1;
  static constexpr uint64_t kX = 1ull << 2;
  static constexpr uint64_t kPS = 1ull << 7;
  static constexpr uint64_t kA = 1ull << 8;
  static constexpr uint64_t kD = 1ull << 9;
  static constexpr uint64_t kSNP = 1ull << 11;
  static constexpr uint64_t kTM = 1ull << 62;
  static constexpr unsigned kGranuleLg2 = 12;
  static constexpr unsigned kIndexBits = 9;

  explicit VtdSsFormat(const VtdSsConfig& cfg = {});
  static std::optional<VtdSsFormat> create(const VtdSsConfig& cfg, std::string* why = nullptr);

  const VtdSsConfig& config() const { return cfg_; }

  unsigned top_level() const { return cfg_.levels - 1; }
  static constexpr unsigned item_lg2sz(unsigned level) { return kGranuleLg2 + kIndexBits * level; }
  static constexpr unsigned num_items_lg2(unsigned) { return kIndexBits; }
  unsigned oa_lg2() const { return cfg_.haw; }
  uint64_t page_size_bitmap() const;
  bool can_have_leaf(unsigned level) const {
    return level == 0 || (level == 1 && cfg_.sp_2m) || (level == 2 && cfg_.sp_1g);
  }

  /// 3.7 / 7.1.3: input addresses at or above 2^min(MGAW, AGAW) fault.
  FaultKind check_input(uint64_t va) const {
    return (va >> in_bits_) == 0 ? FaultKind::None : FaultKind::AddressSize;
  }

  Decoded decode(uint64_t e, unsigned level) const {
    if (!(e & (kR | kW))) return Decoded::make_fault(FaultKind::NotPresent);
    const bool ps = (level == 1 || level == 2) && (e & kPS);
    if (e & rsvd_[level][ps]) return Decoded::make_fault(FaultKind::ReservedBit);

    const bool r = e & kR;
    const Perms p = Perms::rwx(r, e & kW, cfg_.exec ? (e & kX) != 0 : r);
    if (level == 0 || ps) {
      const unsigned page_lg2 = item_lg2sz(level);
      return Decoded::make_leaf(e & mask(51, page_lg2), page_lg2, p);
    }
    return Decoded::make_table(e & mask(51, kGranuleLg2), level - 1, p);
  }

  /// 3.7.4 (SLADE): A in every entry used, D in the leaf on a write.
  uint64_t hw_update(uint64_t e, unsigned, bool is_leaf, const AccessReq& req) const {
    if (!cfg_.ad) return e;
    return e | kA | ((is_leaf && req.write) ? kD : 0);
  }

  uint64_t encode_table(uint64_t table_pa, unsigned, unsigned) const {
    return (table_pa & mask(51, kGranuleLg2)) | kR | kW | (cfg_.exec ? kX : 0);
  }

  /// Needs read or write (an entry with neither is not present). Accepted in MapAttrs::extra:
  /// EMT (5:3), IPAT (6), A, D, bit 10, SNP (with snp), TM (with tm), ignored 61:52 and 63.
  std::optional<uint64_t> encode_leaf(uint64_t oa, unsigned level, unsigned page_lg2,
                                      const MapAttrs& a) const;

 private:
  VtdSsConfig cfg_;
  unsigned in_bits_ = 48;
  std::array<std::array<uint64_t, 2>, 5> rsvd_{};  // per level, indexed by PS
};

}  // namespace isim::pt
