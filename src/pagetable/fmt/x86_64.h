// x86-64 long-mode paging (4- and 5-level), as used by VT-d first-stage translation (scalable
// mode) and AMD-Vi v2 guest page tables.
//
// Sources: Intel SDM vol. 3A 4.5 "4-Level Paging and 5-Level Paging" (Tables 4-15..4-20),
// VT-d 3.x 9.7 "First-Stage Paging Entries", AMD IOMMU 48882 2.2.6 "I/O Page Tables for Guest
// Translations".
//
//   spec entry                         our level
//   PTE    (maps a 4 KiB page)         0
//   PDE    (2 MiB page, or table)      1
//   PDPTE  (1 GiB page, or table)      2
//   PML4E                              3
//   PML5E  (5-level paging only)       4
//
// Entry bits (SDM Table 4-15..4-20; VT-d 9.7):
//   0 P, 1 R/W, 2 U/S, 3 PWT, 4 PCD, 5 A, 6 D (leaf), 7 PS (PDE/PDPTE) / PAT (PTE), 8 G (leaf),
//   10 EA (VT-d extended-accessed, with EAFE), 12 PAT (2 MiB / 1 GiB leaf),
//   M-1:12 address (M = configured max physical address width), 51:M reserved, 62:52 ignored,
//   63 XD (reserved when NXE = 0).
// Reserved: PS in PML5E/PML4E; PS in a PDPTE without 1 GiB page support (VT-d CAP.FS1GP);
// bits 20:13 of a 2 MiB leaf and 29:13 of a 1 GiB leaf (bit 12 is PAT).
// Rights (SDM 4.6): writes need R/W = 1 at every level (supervisor writes only when WP), user
// accesses need U/S = 1 at every level, execute needs XD = 0 at every level (with NXE); SMEP
// forbids supervisor execute of user pages.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "base/bits.h"
#include "pagetable/format.h"

namespace isim::pt {

struct X86Config {
  unsigned levels = 4;    ///< 4 (48-bit VA) or 5 (57-bit VA): VT-d FSPM, AMD DTE GPM
  unsigned oa_bits = 52;  ///< max physical address width (VT-d HAW): address bits >= this reserved
  bool page_1g = true;    ///< 1 GiB pages (VT-d CAP.FS1GP); PS=1 in a PDPTE is reserved otherwise
  bool nx = true;         ///< NXE: XD honoured; when false XD (bit 63) is reserved
  bool wp = true;         ///< WPE / CR0.WP: supervisor writes honour R/W
  bool smep = false;      ///< SMEP: no supervisor execute of user-accessible pages
  bool eafe = false;      ///< VT-d EAFE: hardware A/D updates also set EA (bit 10)

  /// Empty when valid, else why not.
  std::string validate() const;
};

/// VT-d scalable-mode first-stage configuration (PASID-entry FSPM/WPE/NXE/SMEP/EAFE, CAP.FS1GP).
X86Config vtd_first_stage_config(unsigned levels, unsigned haw, bool fs1gp, bool nxe = true,
                                 bool wpe = true, bool smep = false, bool eafe = false);

class X86Format {
 public:
  static constexpr const char* kName = "x86_64";

  static constexpr uint64_t kP = 1ull << 0;
  static constexpr uint64_t kRW = 1ull << 1;
  static constexpr uint64_t kUS = 1ull << 2;
  static constexpr uint64_t kPWT = 1ull << 3;
  static constexpr uint64_t kPCD = 1ull << 4;
  static constexpr uint64_t kA = 1ull << 5;
  static constexpr uint64_t kD = 1ull << 6;
  static constexpr uint64_t kPS = 1ull << 7;
  static constexpr uint64_t kPat4K = 1ull << 7;
  static constexpr uint64_t kG = 1ull << 8;
  static constexpr uint64_t kEA = 1ull << 10;
  static constexpr uint64_t kPatLarge = 1ull << 12;
  static constexpr uint64_t kXD = 1ull << 63;
  static constexpr unsigned kGranuleLg2 = 12;
  static constexpr unsigned kIndexBits = 9;

  /// Throws std::invalid_argument when cfg.validate() is not empty; guest-controlled
  /// configurations should go through create().
  explicit X86Format(const X86Config& cfg = {});
  static std::optional<X86Format> create(const X86Config& cfg, std::string* why = nullptr);

  const X86Config& config() const { return cfg_; }

  unsigned top_level() const { return cfg_.levels - 1; }
  static constexpr unsigned item_lg2sz(unsigned level) { return kGranuleLg2 + kIndexBits * level; }
  static constexpr unsigned num_items_lg2(unsigned) { return kIndexBits; }
  unsigned oa_lg2() const { return cfg_.oa_bits; }
  uint64_t page_size_bitmap() const;
  bool can_have_leaf(unsigned level) const {
    return level == 0 || level == 1 || (level == 2 && cfg_.page_1g);
  }

  /// SDM 4.5: the VA must be canonical (bits 63:N-1 all equal, N = 48 or 57).
  FaultKind check_input(uint64_t va) const {
    const unsigned top_bit = item_lg2sz(top_level()) + kIndexBits - 1;
    return sign_extend(va, top_bit) == va ? FaultKind::None : FaultKind::AddressSize;
  }

  Decoded decode(uint64_t e, unsigned level) const {
    if (!(e & kP)) return Decoded::make_fault(FaultKind::NotPresent);
    const bool ps = level > 0 && (e & kPS);
    if (e & rsvd_[level][ps]) return Decoded::make_fault(FaultKind::ReservedBit);

    Perms p = Perms::all();
    if (!(e & kRW)) p = p.without(cfg_.wp ? Perms::kWrite : Perms::kUserWrite);
    if (!(e & kUS)) p = p.without(Perms::kUser);
    if (cfg_.nx && (e & kXD)) p = p.without(Perms::kExec);

    if (level == 0 || ps) {
      const unsigned page_lg2 = item_lg2sz(level);
      return Decoded::make_leaf(e & mask(51, page_lg2), page_lg2, p);
    }
    return Decoded::make_table(e & mask(51, kGranuleLg2), level - 1, p);
  }

  /// SMEP (SDM 4.6.1): a page user-accessible at every level is not supervisor-executable.
  Perms finalize_perms(Perms p, uint64_t, unsigned) const {
    return (cfg_.smep && p.any(Perms::kUserRead)) ? p.without(Perms::kPrivExec) : p;
  }

  /// SDM 4.8 / VT-d 3.6.2: A in every entry used, D in the leaf on a write, EA with EAFE.
  uint64_t hw_update(uint64_t e, unsigned, bool is_leaf, const AccessReq& req) const {
    uint64_t n = e | kA | (cfg_.eafe ? kEA : 0);
    if (is_leaf && req.write) n |= kD;
    return n;
  }

  uint64_t encode_table(uint64_t table_pa, unsigned, unsigned) const {
    // Tables grant everything; the leaf carries the mapping's rights.
    return (table_pa & mask(51, kGranuleLg2)) | kP | kRW | kUS;
  }

  /// Accepted in MapAttrs::extra: PWT, PCD, A, D, G, PAT (bit 7 in a PTE, bit 12 in a large
  /// leaf), ignored bits 11:9 and 62:52.
  std::optional<uint64_t> encode_leaf(uint64_t oa, unsigned level, unsigned page_lg2,
                                      const MapAttrs& a) const;

 private:
  X86Config cfg_;
  // Reserved-bit masks per level, indexed by PS (PS=1 only meaningful at levels 1..2).
  std::array<std::array<uint64_t, 2>, 5> rsvd_{};
};

/// AMD-Vi v2 (guest) page tables are x86-64 long-mode tables (AMD IOMMU 48882 2.2.6); the DTE
/// GPM field selects 4 or 5 levels.
using AmdV2Format = X86Format;
X86Config amd_v2_config(unsigned levels = 4, unsigned oa_bits = 52);

}  // namespace isim::pt
