// IBM POWER TCE (Translation Control Entry) tables: single-level (sPAPR / PAPR, IODA1) and
// multi-level (IODA2/IODA3 PHB3/PHB4, 1..5 levels), big-endian 64-bit entries.
//
// Sources: LoPAPR (Linux on Power Architecture Platform Reference) chapter "I/O Virtualization"
// (TCE format, H_PUT_TCE, DMA windows); IODA2/IODA3 PHB specifications (TVE fields TABLE_ADDR,
// NUM_LEVELS, TCE_TABLE_SIZE, IO_PSIZE; indirect TCEs); cross-checked against the public
// implementations summarised in /work/shared/reference/amdvi-tce-traces-iommufd.md section 2
// (Linux arch/powerpc/include/asm/tce.h, powernv/pci-ioda-tce.c, QEMU hw/ppc/spapr_iommu.c,
// hw/pci-host/pnv_phb4.c).
//
//   table                                   our level   index (offset = DMA address - window base)
//   single-level TCE table / last level     0           offset[page + bits - 1 : page]
//   next table up (indirect TCEs)           1           offset[page + 2*bits - 1 : page + bits]
//   ...                                     ...
//   root (TVE TABLE_ADDR), levels - 1       levels - 1
// Every table has 2^bits entries (IODA3 TCE_TABLE_SIZE is per level: bits = log2(bytes) - 3);
// the IO page size is page_lg2 (IODA3 IO_PSIZE: 4 KiB, 64 KiB, 2 MiB, 16 MiB, 256 MiB, 1 GiB;
// 16 GiB is a DDW page size, LoPAPR ibm,query-pe-dma-window).
//
// Entries are stored big-endian (the PHB and the hypervisor read them as big-endian u64).
//   final TCE:    bit 0 read (device may read memory), bit 1 write (device may write);
//                 bits 63:page = real page number << page; bits page-1:2 are ignored (bit 10
//                 TCE_ALLIO / bit 11 TCE_VALID are legacy software bits).
//   indirect TCE: bit 0 / bit 1 as above, one of them set (else the PHB reports "invalid
//                 indirect TCE"); bits 63:12 = 4 KiB-aligned address of the next-level table.
// Faults:
//   - final TCE with R = W = 0: not mapped -> NotPresent; a direction it does not grant ->
//     Permission (from the walker). There is no execute or privilege control: an execute request
//     needs read.
//   - indirect TCE with R = W = 0 -> NotPresent (Linux leaves unallocated lower levels zero).
//   - offset at or beyond the window (2^window_lg2 bytes) -> AddressSize: the library's fault for
//     an input outside the configured range.
//   - a real address at or above 2^oa_bits -> AddressSize [UNVERIFIED: the PHB documents no such
//     check; fail closed].
//   - table read outside memory -> BusError.
// The walked "VA" is the offset of the DMA address inside its window: the model subtracts the
// window base (bus offset, DDW start) and selects the TVE before walking.
// Assumed, not checked: tables aligned to their size (the walker adds the scaled index to the
// base; a PHB ORs it, which only differs for misaligned tables).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bits.h"
#include "pagetable/format.h"

namespace isim::pt {

struct TceConfig {
  unsigned page_lg2 = 12;    ///< IO page size: 12, 16, 21, 24, 28, 30 or 34
  unsigned levels = 1;       ///< table levels, 1..5 (IODA3 TVE NUM_LEVELS + 1)
  unsigned window_lg2 = 31;  ///< DMA window size in bytes: 2^(window_lg2 - page_lg2) TCEs
  /// log2 bytes of each table (entries = 2^(level_shift - 3)); 0 = derive: one table covering
  /// the window for a single level, else ceil(index bits / levels) per level with at least
  /// 4 KiB tables (as Linux pnv_pci_ioda2_table_alloc_pages sizes them).
  unsigned level_shift = 0;
  unsigned oa_bits = 52;  ///< real address width (Linux TCE_RPN_MASK: 40-bit RPN of 4 KiB)

  std::string validate() const;
  /// Index bits per table after derivation.
  unsigned level_bits() const;
};

class TceFormat {
 public:
  static constexpr const char* kName = "tce";

  static constexpr uint64_t kRead = 1ull << 0;
  static constexpr uint64_t kWrite = 1ull << 1;
  static constexpr uint64_t kAllIo = 1ull << 10;  ///< legacy TCE_ALLIO, ignored
  static constexpr uint64_t kValid = 1ull << 11;  ///< legacy TCE_VALID, ignored
  /// Indirect TCEs point to 4 KiB-aligned tables (IODA2/3; QEMU pnv_phb4 masks ~0xfff).
  static constexpr unsigned kTableAlignLg2 = 12;

  /// Throws std::invalid_argument when cfg.validate() is not empty; guest-controlled
  /// configurations should go through create().
  explicit TceFormat(const TceConfig& cfg = {});
  static std::optional<TceFormat> create(const TceConfig& cfg, std::string* why = nullptr);

  const TceConfig& config() const { return cfg_; }
  /// Number of TCEs the window holds.
  uint64_t window_entries() const { return lg2_size(cfg_.window_lg2 - cfg_.page_lg2); }

  unsigned top_level() const { return cfg_.levels - 1; }
  unsigned item_lg2sz(unsigned level) const { return cfg_.page_lg2 + bits_ * level; }
  unsigned num_items_lg2(unsigned) const { return bits_; }
  unsigned oa_lg2() const { return cfg_.oa_bits; }
  uint64_t page_size_bitmap() const { return lg2_size(cfg_.page_lg2); }
  bool can_have_leaf(unsigned level) const { return level == 0; }

  std::optional<uint64_t> load_entry(PhysMem& mem, uint64_t pa) const { return mem.read_be64(pa); }
  bool store_entry(PhysMem& mem, uint64_t pa, uint64_t v) const { return mem.write_be64(pa, v); }

  /// Offsets at or beyond the window are outside the table.
  FaultKind check_input(uint64_t offset) const {
    return (offset >> cfg_.window_lg2) == 0 ? FaultKind::None : FaultKind::AddressSize;
  }

  Decoded decode(uint64_t e, unsigned level) const {
    const bool r = e & kRead;
    const bool w = e & kWrite;
    if (!r && !w) return Decoded::make_fault(FaultKind::NotPresent);
    if (level > 0) {
      const uint64_t next = e & mask(63, kTableAlignLg2);
      if (above_oa(next)) return Decoded::make_fault(FaultKind::AddressSize);
      // Indirect TCE bits do not limit the final TCE's rights.
      return Decoded::make_table(next, level - 1, Perms::all());
    }
    const uint64_t oa = e & mask(63, cfg_.page_lg2);
    if (above_oa(oa)) return Decoded::make_fault(FaultKind::AddressSize);
    return Decoded::make_leaf(oa, cfg_.page_lg2, Perms::rwx(r, w, r));
  }

  /// Tables at least 4 KiB-aligned, and aligned to their size.
  unsigned table_align_lg2(unsigned) const {
    const unsigned size = bits_ + 3;
    return size < kTableAlignLg2 ? kTableAlignLg2 : size;
  }

  /// Indirect TCEs carry R|W, as Linux builds them.
  uint64_t encode_table(uint64_t table_pa, unsigned, unsigned) const {
    return (table_pa & mask(63, kTableAlignLg2)) | kRead | kWrite;
  }

  /// Needs read or write (R = W = 0 is "not mapped"); execute comes with read; user and
  /// privileged are not distinguished. Accepted in MapAttrs::extra: bits 11:2 (ignored by the
  /// PHB; TCE_ALLIO, TCE_VALID).
  std::optional<uint64_t> encode_leaf(uint64_t oa, unsigned level, unsigned page_lg2,
                                      const MapAttrs& a) const;

 private:
  bool above_oa(uint64_t a) const { return cfg_.oa_bits < 64 && (a >> cfg_.oa_bits) != 0; }

  TceConfig cfg_;
  unsigned bits_ = 0;
};

}  // namespace isim::pt
