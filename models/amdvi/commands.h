// AMD-Vi command buffer entries (128 bits; opcode in bits 63:60), their field decode, the
// invalidation address/size encoding, and the legality checks whose failure is an
// ILLEGAL_COMMAND_ERROR.
//
// Source: AMD IOMMU 48882 rev 3.x, 2.4 "Commands" (2.4.1 COMPLETION_WAIT, 2.4.2
// INVALIDATE_DEVTAB_ENTRY, 2.4.3 INVALIDATE_IOMMU_PAGES, 2.4.4 INVALIDATE_IOTLB_PAGES, 2.4.5
// INVALIDATE_INTERRUPT_TABLE, 2.4.6 PREFETCH_IOMMU_PAGES, 2.4.7 COMPLETE_PPR_REQUEST, 2.4.8
// INVALIDATE_IOMMU_ALL); digest section 1.9 (Linux build_* helpers, QEMU reserved-bit checks,
// VirtualBox iommu-amd.h valid masks).
//
// Layouts (bit numbers within the 128-bit command):
//   COMPLETION_WAIT            0 S, 1 I, 2 F, 51:3 store address [51:3], 59:52 rsvd,
//                              127:64 store data
//   INVALIDATE_DEVTAB_ENTRY    15:0 DeviceID; rest reserved
//   INVALIDATE_IOMMU_PAGES     19:0 PASID, 31:20 rsvd, 47:32 DomainID, 59:48 rsvd, 64 S,
//                              65 PDE, 66 GN, 75:67 rsvd, 127:76 address [63:12]
//   INVALIDATE_IOTLB_PAGES     15:0 DeviceID, 23:16 PASID[15:8], 31:24 Maxpend, 47:32 QueueID,
//                              55:48 PASID[7:0], 59:56 PASID[19:16], 64 S, 66 GN,
//                              69:68 Type, 127:76 address; rsvd 65, 67, 75:70
//   INVALIDATE_INTERRUPT_TABLE 15:0 DeviceID; rest reserved
//   PREFETCH_IOMMU_PAGES       15:0 DeviceID, 23:16 rsvd, 31:24 PFCount, 51:32 PASID,
//                              59:52 rsvd, 64 S, 66 GN, 68 Inval, 127:76 address;
//                              rsvd 65, 67, 75:69
//   COMPLETE_PPR_REQUEST       15:0 DeviceID, 31:16 rsvd, 51:32 PASID, 59:52 rsvd, 66 GN,
//                              111:96 CompletionTag; rsvd 65:64, 95:67, 127:112
//   INVALIDATE_IOMMU_ALL       everything but the opcode reserved
// INVALIDATE_IOTLB_PAGES PASID placement: AMD's own Linux fix (commit e8d2d82d4a73, "iommu/amd:
// Fix PASID format in INVALIDATE_IOTLB_PAGES command") states the spec corrected the v2.01
// layout (PASID[7:0] in 23:16) from rev 2.02 on to PASID[15:8] in 23:16 and PASID[7:0] in
// 55:48; FreeBSD's amdiommu command structure (transcribed from rev 3.x) agrees and puts
// PASID[19:16] in 59:56. Older Linux/Xen code written from v2.01 is superseded.
// COMPLETE_PPR_REQUEST CompletionTag is one 16-bit field (VirtualBox and FreeBSD structures);
// Linux fills it with the PRG index in 8:0 and the PRG response code in 15:12
// (build_complete_ppr: PPR_STATUS_SHIFT 12), which is how the model reads it back.
#pragma once

#include <array>
#include <cstdint>

#include "models/amdvi/events.h"
#include "models/amdvi/regs.h"

namespace isim::amdvi {

inline constexpr unsigned kCommandBytes = 16;

/// Host drivers keep the head they last read and read the CmdHead register again only when at
/// most this much room seems left (Linux __iommu_queue_command_sync: two commands' worth).
inline constexpr uint64_t kHeadRefreshRoom = 2 * kCommandBytes;
/// Bytes free from `next_tail` (the tail once the next command is in) up to `head`, in a ring
/// of `ring_bytes`: 0 when that command would fill the ring.
constexpr uint64_t ring_room(uint64_t head, uint64_t next_tail, uint64_t ring_bytes) {
  return (head + ring_bytes - next_tail) % ring_bytes;
}

enum class Opcode : uint8_t {
  CompletionWait = 0x1,
  InvalidateDevtabEntry = 0x2,
  InvalidateIommuPages = 0x3,
  InvalidateIotlbPages = 0x4,
  InvalidateInterruptTable = 0x5,
  PrefetchIommuPages = 0x6,
  CompletePprRequest = 0x7,
  InvalidateIommuAll = 0x8,
};
const char* to_string(Opcode op);

/// An invalidation range (2.4.3): S = 0 is the single 4 KiB page at the address; S = 1 takes
/// the lowest clear address bit at or above bit 12, say bit n: the range is the naturally
/// aligned 2^(n+1) bytes containing the address. With bits 62:12 all set (the "all pages"
/// address 0x7FFF_FFFF_FFFF_F000) it covers every address.
struct InvRange {
  uint64_t base = 0;
  unsigned size_lg2 = 12;  ///< 64 = the whole address space
  bool all() const { return size_lg2 >= 64; }
  uint64_t last() const { return all() ? ~uint64_t{0} : base + (uint64_t{1} << size_lg2) - 1; }
  bool contains(uint64_t a) const { return a >= base && a <= last(); }
  /// True when [va, va + 2^lg2) overlaps the range (an IOTLB entry of that page size).
  bool overlaps(uint64_t va, unsigned lg2) const {
    const uint64_t lo = lg2 >= 64 ? 0 : va & ~((uint64_t{1} << lg2) - 1);
    const uint64_t hi = lg2 >= 64 ? ~uint64_t{0} : lo + (uint64_t{1} << lg2) - 1;
    return lo <= last() && hi >= base;
  }
};

/// Decodes an address field (bits 63:12 in place) and S into the range it names.
InvRange decode_inv_range(uint64_t address, bool s);
/// The address field and S that name the smallest encodable range covering [start, start+len).
struct InvAddress {
  uint64_t address = 0;
  bool s = false;
};
InvAddress encode_inv_range(uint64_t start, uint64_t len);
/// The "invalidate all pages" address (S = 1).
inline constexpr uint64_t kInvAllPagesAddress = 0x7FFF'FFFF'FFFF'F000ull;

/// COMPLETE_PPR_REQUEST CompletionTag as Linux composes it: PRG index in 8:0, PRG response code
/// (PCIe 10.4.2.1) in 15:12.
inline constexpr unsigned kPprTagGroupBits = 9;
inline constexpr unsigned kPprTagCodeLo = 12;
constexpr uint16_t ppr_completion_tag(uint16_t group, uint8_t code) {
  return static_cast<uint16_t>((group & mask(kPprTagGroupBits - 1, 0)) |
                               ((uint64_t{code} & 0xf) << kPprTagCodeLo));
}
constexpr uint16_t ppr_tag_group(uint16_t tag) {
  return static_cast<uint16_t>(tag & mask(kPprTagGroupBits - 1, 0));
}
constexpr uint8_t ppr_tag_code(uint16_t tag) {
  return static_cast<uint8_t>((tag >> kPprTagCodeLo) & 0xf);
}

/// One command, every field of every command type (unused fields stay zero).
struct Command {
  Opcode op = Opcode::CompletionWait;
  // COMPLETION_WAIT
  bool store = false;
  bool interrupt = false;
  bool flush = false;
  uint64_t store_addr = 0;  ///< 8-byte aligned SPA
  uint64_t store_data = 0;
  // Device / domain / PASID scope
  uint16_t device_id = 0;
  uint16_t domain_id = 0;
  uint32_t pasid = 0;
  bool s = false;
  bool pde = false;
  bool gn = false;
  uint64_t address = 0;  ///< address field, bits 63:12 in place
  // INVALIDATE_IOTLB_PAGES
  uint8_t maxpend = 0;
  uint16_t queue_id = 0;
  uint8_t iotlb_type = 0;
  // PREFETCH_IOMMU_PAGES
  uint8_t pf_count = 0;
  bool inval = false;
  // COMPLETE_PPR_REQUEST
  uint16_t completion_tag = 0;  ///< the whole 16-bit field (see ppr_completion_tag())

  Qw2 encode() const;
  InvRange range() const { return decode_inv_range(address, s); }
  bool operator==(const Command&) const = default;

  // Builders, as a driver writes them.
  static Command completion_wait(bool store, bool interrupt, bool flush, uint64_t store_addr,
                                 uint64_t store_data);
  static Command invalidate_devtab_entry(uint16_t device_id);
  static Command invalidate_iommu_pages(uint16_t domain_id, uint64_t start, uint64_t len, bool pde,
                                        bool gn = false, uint32_t pasid = 0);
  static Command invalidate_iotlb_pages(uint16_t device_id, uint8_t maxpend, uint64_t start,
                                        uint64_t len, bool gn = false, uint32_t pasid = 0);
  static Command invalidate_interrupt_table(uint16_t device_id);
  static Command prefetch_iommu_pages(uint16_t device_id, uint64_t addr, uint8_t count, bool s,
                                      bool inval, bool gn = false, uint32_t pasid = 0);
  /// `group`: the PRG index the PPR log entry carried; `status`: the PRG response code.
  static Command complete_ppr_request(uint16_t device_id, uint16_t group, uint8_t status,
                                      bool gn = false, uint32_t pasid = 0);
  static Command invalidate_iommu_all();
};

/// Why a command is illegal (each one an ILLEGAL_COMMAND_ERROR with the command's address).
enum class CommandError : uint8_t {
  None,
  BadOpcode,    ///< opcode 0 or above 8
  ReservedBit,  ///< a reserved field is non-zero
  Unsupported,  ///< the command or a field needs a feature EFR does not report
};
const char* to_string(CommandError e);

struct DecodedCommand {
  Command cmd;
  CommandError error = CommandError::None;
  bool ok() const { return error == CommandError::None; }
};

/// Reserved bits of a command type, per quadword.
Qw2 command_reserved(Opcode op);
/// Decodes and checks one command: PREFETCH needs EFR.PreFSup, INVALIDATE_IOMMU_ALL EFR.IASup,
/// COMPLETE_PPR_REQUEST EFR.PPRSup, GN = 1 EFR.GTSup.
DecodedCommand decode_command(const Qw2& raw, const Features& f);

}  // namespace isim::amdvi
