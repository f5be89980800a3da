// TCE encoding and the architected constants of the PAPR TCE interface, in one place.
//
// Sources (see /work/shared/reference/amdvi-tce-traces-iommufd.md section 2 for the digest):
//  - LoPAPR (Linux on Power Architecture Platform Reference), the "I/O Virtualization" chapter
//    (TCE format, LIOBN, H_PUT_TCE / H_GET_TCE / H_PUT_TCE_INDIRECT / H_STUFF_TCE) and the RTAS
//    chapter (Dynamic DMA Windows: ibm,query-/create-/remove-/reset-pe-dma-window).
//  - IODA2 / IODA3 PHB specifications (POWER8 PHB3 / POWER9 PHB4): two TVEs per PE, the TVE
//    selected by DMA address bit 59, multi-level tables of big-endian TCEs, the TCE kill.
// The table format itself (levels, indirect TCEs, faults) is pt::TceFormat
// (src/pagetable/fmt/tce.h); this header holds what the hypervisor interface adds on top.
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include "base/bits.h"
#include "pagetable/fmt/tce.h"

namespace isim::tce {

// The TCE itself (LoPAPR "I/O Virtualization", TCE format; Linux asm/tce.h TCE_PCI_READ/WRITE)
// bit 0 = the device may read memory, bit 1 = it may write; bits 63:page = real
// page address.
inline constexpr uint64_t kTceRead = pt::TceFormat::kRead;
inline constexpr uint64_t kTceWrite = pt::TceFormat::kWrite;
inline constexpr uint64_t kTcePermMask = kTceRead | kTceWrite;

/// A TCE granting `read`/`write` for the page at real address `addr` (page-aligned).
constexpr uint64_t make_tce(uint64_t addr, bool read, bool write) {
  return addr | (read ? kTceRead : 0) | (write ? kTceWrite : 0);
}
/// Real page address a TCE maps for a window of 2^page_lg2 pages.
constexpr uint64_t tce_page_addr(uint64_t tce, unsigned page_lg2) {
  return tce & ~((uint64_t{1} << page_lg2) - 1);
}
/// R = W = 0 is "no access": the TCE maps nothing (LoPAPR TCE format; QEMU SPAPR_TCE_FAULT).
constexpr bool tce_valid(uint64_t tce) {
  return (tce & kTcePermMask) != 0;
}

// Windows (IODA2/IODA3 TVT; QEMU spapr_pci dma_win_addr / dma64_win_addr)
/// Two translation validation entries per PE: DMA address bit 59 selects TVE #1 (IODA2/IODA3
/// "TVE #1 is selected by PCI address bit 59"; Linux pnv tce_bypass_base = 1 << 59).
inline constexpr unsigned kWindowsPerPe = 2;
inline constexpr unsigned kTveSelectBit = 59;
/// Bus address where each window slot starts: slot 0 (the 32-bit default window) at 0, slot 1
/// (the 64-bit DDW) at 1 << 59.
constexpr uint64_t window_base(unsigned slot) {
  return slot == 0 ? 0 : lg2_size(kTveSelectBit);
}
/// Largest window a slot can hold: everything below the next select bit.
inline constexpr unsigned kMaxWindowLg2 = kTveSelectBit;

// Hypercall limits (LoPAPR H_PUT_TCE_INDIRECT)
/// At most 512 TCEs per H_PUT_TCE_INDIRECT: the list is one 4 KiB page of 8-byte TCEs.
inline constexpr uint64_t kMaxIndirectTces = 512;
inline constexpr unsigned kTceListAlignLg2 = 12;

// RTAS status values (LoPAPR RTAS chapter, call status values; QEMU RTAS_OUT_*)
//
inline constexpr int64_t kRtasSuccess = 0;
inline constexpr int64_t kRtasHwError = -1;
inline constexpr int64_t kRtasParamError = -3;

// hcall status values used here (LoPAPR hypervisor-call return codes; Linux asm/hvcall.h)
//
inline constexpr int64_t kHSuccess = 0;
inline constexpr int64_t kHParameter = -4;
inline constexpr int64_t kHHardware = -1;

// DDW page-size mask (LoPAPR ibm,query-pe-dma-window output "page sizes supported":
// IBM bit numbering, "bit 31 = 4 KiB"; QEMU RTAS_DDW_PGSIZE_*; 2 MiB was added later "out of
// order" as 0x100). 1 GiB has no bit: such windows cannot be requested through DDW.
inline constexpr std::array<std::pair<unsigned, uint32_t>, 9> kDdwPageSizeBits{{
    {12, 0x01},
    {16, 0x02},
    {24, 0x04},
    {25, 0x08},
    {26, 0x10},
    {27, 0x20},
    {28, 0x40},
    {34, 0x80},
    {21, 0x100},
}};

/// The query mask bit for a page size, or 0 when DDW cannot express it.
constexpr uint32_t ddw_page_bit(unsigned page_lg2) {
  for (const auto& [lg2, bit] : kDdwPageSizeBits)
    if (lg2 == page_lg2) return bit;
  return 0;
}

// RTAS PCI configuration address (LoPAPR RTAS PCI configuration address: bus in bits 23:16,
// devfn in bits 15:8, register in bits 7:0 -- a DDW call names a function, so the register is
// ignored).
constexpr uint16_t rid_of_config_addr(uint64_t config_addr) {
  return static_cast<uint16_t>((config_addr >> 8) & 0xffff);
}
constexpr uint32_t config_addr_of_rid(uint16_t rid) {
  return uint32_t{rid} << 8;
}

}  // namespace isim::tce
