// Constants and helpers shared by the SMMUv3 driver's source files (driver.cpp,
// driver_entries.cpp, driver_domains.cpp): Linux arm-smmu-v3 choices, and queue pointer math.
// Internal to the driver.
#pragma once

#include <cstdint>

#include "models/smmuv3/commands.h"

namespace isim::smmuv3::drv {

inline constexpr unsigned kPageLg2 = 12;
inline constexpr uint64_t kPage = uint64_t{1} << kPageLg2;
// Linux STRTAB_SPLIT: level-2 arrays of 256 STEs; STRTAB_MAX_L1_ENTRIES caps the L1 table.
inline constexpr unsigned kStrtabSplit = 8;
inline constexpr unsigned kMaxL1Lg2 = 17;
inline constexpr unsigned kL1StdBytes = 8;
// Linux CMDQ_BATCH_ENTRIES (BITS_PER_LONG): a command queue must hold more than one batch.
inline constexpr unsigned kMinCmdqLg2 = 7;
// Linux CTXDESC_L2_ENTRIES: up to 2^10 SubstreamIDs the CD table stays linear.
inline constexpr unsigned kCdLinearMaxBits = 10;
// Linux CMDQ_MAX_TLBI_OPS (1 << (PAGE_SHIFT - 3)): beyond this many per-page commands the
// whole ASID / VMID is invalidated instead.
inline constexpr uint64_t kMaxTlbiOps = uint64_t{1} << (kPageLg2 - 3);
// Stage-1 domains resolve 48-bit VAs (Linux VA_BITS): T0SZ = 64 - 48.
inline constexpr unsigned kVaBits = 48;
// 4.5.1 CMD_ATC_INV Size 52: the whole address space (Linux ATC_INV_SIZE_ALL).
inline constexpr uint8_t kAtcSizeAll = 52;
// Range TLBI (4.4.1): TG 01 = 4 KiB; NUM holds 5 bits.
inline constexpr uint8_t kTg4K = 1;
inline constexpr uint64_t kRangeNumMax = 31;
// Cacheable, inner-shareable walks (Linux: CR1/STE/CD attributes, io-pgtable MAIR index 0).
inline constexpr uint8_t kCacheWbra = 1;  // STE.S1CIR/S1COR, CD.IR0/OR0, STE.S2IR0/S2OR0: WB, RA/WA
inline constexpr uint8_t kShIsh = 3;
inline constexpr uint64_t kMair =
    0xff;  // index 0: Normal, Write-Back; the model ignores attributes
inline constexpr uint64_t kLeafShIsh = uint64_t{kShIsh} << 8;
inline constexpr uint64_t kS2MemAttrNormalWb = uint64_t{0xf} << 2;
// CMD_SYNC with CS = SIG_IRQ (Linux msipoll): MSH inner shareable, MSIAttr Inner+Outer WB.
inline constexpr uint8_t kMsiAttrOiwb = 0xf;
// GBPA.SHCFG / STE.SHCFG 01: use the incoming shareability.
inline constexpr uint8_t kShcfgIncoming = 1;

inline Command op(Opcode o) {
  Command c;
  c.opcode = static_cast<uint8_t>(o);
  return c;
}

/// Queue pointers: index in bits lg2-1:0, wrap flag in bit lg2 (3.5.1).
inline uint32_t ptr_mask(unsigned lg2) {
  return (uint32_t{2} << lg2) - 1;
}
inline uint32_t idx(uint32_t p, unsigned lg2) {
  return p & ((uint32_t{1} << lg2) - 1);
}
inline uint32_t next_ptr(uint32_t p, unsigned lg2) {
  return (p + 1) & ptr_mask(lg2);
}
/// Linux queue_consumed(): CONS has moved past entry `prod`.
inline bool consumed(uint32_t cons, uint32_t prod, unsigned lg2) {
  const uint32_t wrap = uint32_t{1} << lg2;
  const bool same_wrap = (cons & wrap) == (prod & wrap);
  return same_wrap ? idx(cons, lg2) > idx(prod, lg2) : idx(cons, lg2) <= idx(prod, lg2);
}

}  // namespace isim::smmuv3::drv
