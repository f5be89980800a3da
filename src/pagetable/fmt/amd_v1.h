// AMD-Vi host (v1) I/O page tables, Mode 1..6.
//
// Source: AMD I/O Virtualization Technology (IOMMU) Specification 48882, 2.2.3 "I/O Page Tables
// for Host Translations" (PDE and PTE field tables, page-size encoding table, level skipping),
// 2.2.2 DTE Mode field.
//
//   spec level (1-based)                 our level
//   level 1 table (4 KiB PTEs)           0
//   level 2 table (2 MiB natural size)   1
//   ...                                  ...
//   level 6 table (Mode 6 root)          5     covers VA bits 63:57, so 128 entries
// The DTE Mode field (1..6) is the number of levels; the root table is our level Mode-1, and a
// Mode-m table covers VAs below 2^(12+9m) (Mode 6: the whole 64-bit space).
//
// PDE (2.2.3): 0 PR, 4:1 ignored, 5 A, 8:6 ignored, 11:9 NextLevel (1..6: level of the table
//   pointed to), 51:12 next-table address, 60:52 reserved, 61 IR, 62 IW, 63 ignored.
// PTE (2.2.3): 0 PR, 4:1 ignored, 5 A, 6 D, 8:7 ignored, 11:9 NextLevel = 0 (page of the
//   level's natural size) or 7 (page-size override), 51:12 page address, 58:52 reserved, 59 U,
//   60 FC, 61 IR, 62 IW, 63 ignored.
// NextLevel = 7: the page size is encoded in the address field as a run of n one-bits from
//   bit 12 followed by a zero: size = 2^(13+n). Sizes between two natural level sizes are
//   written as 2^(size_lg2 - item_lg2sz) identical entries in the lower level's table.
// Level skipping: a PDE at spec level L whose NextLevel is below L-1 skips the levels between;
//   the VA bits that would index them must be zero, else the IOMMU raises IO_PAGE_FAULT. We
//   report that as FaultKind::SkippedBitsNonZero (a distinct kind so a model can tell it from a
//   not-present entry; both become IO_PAGE_FAULT events).
// Rights: IR/IW are ANDed at every level (the DTE's IR/IW come in as WalkStart::perms). There is
//   no execute control in host tables: an execute request needs read.
//
// Fail-closed choices where the spec leaves behaviour undefined (documented, [UNVERIFIED]):
//   - a PDE whose NextLevel is not below the current level -> ReservedBit;
//   - a NextLevel=7 size outside [natural size of this level, natural size of the next) ->
//   ReservedBit;
//   - any leaf in the Mode 6 root (it would be 2^57 bytes or more) -> ReservedBit.
//   Low address bits of a natural-size large page (NextLevel=0 above level 0) are ignored.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <string>

#include "base/bits.h"
#include "pagetable/format.h"

namespace isim::pt {

struct AmdV1Config {
  unsigned mode = 4;  ///< DTE Mode: number of levels, 1..6
  /// Page sizes the builder may use (bit k = 2^k bytes); 0 = every size the format can express
  /// for this Mode. Must be a subset of the expressible sizes.
  uint64_t page_sizes = 0;
  bool hw_ad = false;  ///< hardware sets A (bit 5) in every entry and D (bit 6) in the leaf

  std::string validate() const;
};

class AmdV1Format {
 public:
  static constexpr const char* kName = "amd_v1";

  static constexpr uint64_t kPR = 1ull << 0;
  static constexpr uint64_t kA = 1ull << 5;
  static constexpr uint64_t kD = 1ull << 6;
  static constexpr uint64_t kU = 1ull << 59;
  static constexpr uint64_t kFC = 1ull << 60;
  static constexpr uint64_t kIR = 1ull << 61;
  static constexpr uint64_t kIW = 1ull << 62;
  static constexpr unsigned kNextLevelHi = 11;
  static constexpr unsigned kNextLevelLo = 9;
  static constexpr unsigned kNlDefault = 0;
  static constexpr unsigned kNlSize = 7;
  static constexpr uint64_t kAddrMask = mask(51, 12);
  static constexpr uint64_t kPdeRsvd = mask(60, 52);
  static constexpr uint64_t kPteRsvd = mask(58, 52);
  static constexpr unsigned kGranuleLg2 = 12;
  static constexpr unsigned kIndexBits = 9;
  static constexpr unsigned kMaxMode = 6;
  /// Largest page: the address field (51:12) must hold the size run and its terminating zero.
  static constexpr unsigned kMaxPageLg2 = 51;

  explicit AmdV1Format(const AmdV1Config& cfg = {});
  static std::optional<AmdV1Format> create(const AmdV1Config& cfg, std::string* why = nullptr);

  const AmdV1Config& config() const { return cfg_; }

  unsigned top_level() const { return cfg_.mode - 1; }
  static constexpr unsigned item_lg2sz(unsigned level) { return kGranuleLg2 + kIndexBits * level; }
  static constexpr unsigned num_items_lg2(unsigned level) {
    return level == kMaxMode - 1 ? 64 - item_lg2sz(level) : kIndexBits;
  }
  static constexpr unsigned oa_lg2() { return 52; }
  uint64_t page_size_bitmap() const { return sizes_; }
  bool can_have_leaf(unsigned level) const { return level < kMaxMode - 1; }
  static constexpr bool supports_level_skip() { return true; }

  /// Every page size the format can express with `mode` levels (ignores config.page_sizes).
  static uint64_t expressible_sizes(unsigned mode);

  /// Size of a NextLevel=7 page from its entry: n one-bits from bit 12, then a zero.
  static constexpr unsigned size_override_lg2(uint64_t e) {
    return 13 + static_cast<unsigned>(std::countr_one(bits(e, 51, 12)));
  }

  Decoded decode(uint64_t e, unsigned level) const {
    if (!(e & kPR)) return Decoded::make_fault(FaultKind::NotPresent);
    const unsigned nl = static_cast<unsigned>(bits(e, kNextLevelHi, kNextLevelLo));
    const bool r = e & kIR;
    const Perms p = Perms::rwx(r, e & kIW, r);

    if (nl == kNlDefault || nl == kNlSize) {
      if ((e & kPteRsvd) || level >= kMaxMode - 1)
        return Decoded::make_fault(FaultKind::ReservedBit);
      unsigned page_lg2 = item_lg2sz(level);
      if (nl == kNlSize) {
        page_lg2 = size_override_lg2(e);
        if (page_lg2 < item_lg2sz(level) || page_lg2 >= item_lg2sz(level) + kIndexBits ||
            page_lg2 > kMaxPageLg2) {
          return Decoded::make_fault(FaultKind::ReservedBit);
        }
      }
      return Decoded::make_leaf(e & mask(51, page_lg2), page_lg2, p);
    }
    if ((e & kPdeRsvd) || nl > level) return Decoded::make_fault(FaultKind::ReservedBit);
    return Decoded::make_table(e & kAddrMask, nl - 1, p);
  }

  uint64_t hw_update(uint64_t e, unsigned, bool is_leaf, const AccessReq& req) const {
    if (!cfg_.hw_ad) return e;
    return e | kA | ((is_leaf && req.write) ? kD : 0);
  }

  /// PDE at `level` pointing to a table at `next_level` (NextLevel = next_level + 1). Tables
  /// grant IR|IW; the leaf carries the mapping's rights.
  uint64_t encode_table(uint64_t table_pa, unsigned, unsigned next_level) const {
    return (table_pa & kAddrMask) | (uint64_t{next_level + 1} << kNextLevelLo) | kPR | kIR | kIW;
  }

  /// Execute comes with read. Accepted in MapAttrs::extra: A, D, U, FC, ignored bits 4:1, 8:7, 63.
  std::optional<uint64_t> encode_leaf(uint64_t oa, unsigned level, unsigned page_lg2,
                                      const MapAttrs& a) const;

 private:
  AmdV1Config cfg_;
  uint64_t sizes_ = 0;
};

}  // namespace isim::pt
