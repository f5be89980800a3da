// AMD-Vi PPR (peripheral page request) log entries: what the IOMMU writes for a PCIe PRI page
// request, for software to service and answer with COMPLETE_PPR_REQUEST.
//
// Source: AMD IOMMU 48882 rev 3.x, 2.6 "Peripheral Page Service Request Log" (PPR log entry
// format); digest section 1.11 (Linux amd_iommu_types.h PPR_* field macros and PPR_FLAG_*).
//
//   bits     field
//   15:0     DeviceID
//   31:16    PASID[15:0]
//   41:32    Tag: 40:32 the PRI page request group index, 41 the request's "last in group"
//   45:42    PASID[19:16]
//   59:48    flags: 49 EXEC, 50 READ, 53 WRITE, 54 US (user), 55 RVSD, 56 GN (PASID valid)
//   63:60    type: 1 = page service request
//   127:64   address (the page; bits 11:0 zero)
// Tag bit 9 as "last in group": Linux reads the 10-bit tag (PPR_TAG, 41:32) and takes bit 9 as
// the group's end (iommu_v2.c ppr_notifier `finish = (tag >> 9) & 1`, ppr.c
// PPR_TAG_LAST_PAGE), answering with the 9-bit group index (COMPLETE_PPR_REQUEST tag & 0x1ff).
#pragma once

#include <cstdint>

#include "base/bits.h"
#include "models/amdvi/events.h"

namespace isim::amdvi {

inline constexpr unsigned kPprEntryBytes = 16;
inline constexpr unsigned kPprTypeRequest = 0x1;
inline constexpr unsigned kPprTypeLo = 60, kPprTypeHi = 63;

struct PprEntry {
  uint16_t device_id = 0;
  bool gn = false;  ///< a PASID came with the request
  uint32_t pasid = 0;
  uint16_t tag = 0;   ///< 9-bit page request group index
  bool last = false;  ///< the last request of its page request group
  bool exec = false;
  bool read = false;
  bool write = false;
  bool user = false;
  uint64_t addr = 0;

  static constexpr unsigned kLast = 41, kExec = 49, kRead = 50, kWrite = 53, kUser = 54, kGN = 56;

  constexpr Qw2 encode() const {
    uint64_t q = device_id | (bits(pasid, 15, 0) << 16) | ((uint64_t{tag} & mask(8, 0)) << 32) |
                 (bits(pasid, 19, 16) << 42) | (uint64_t{kPprTypeRequest} << kPprTypeLo);
    q = set_bit(q, kLast, last);
    q = set_bit(q, kExec, exec);
    q = set_bit(q, kRead, read);
    q = set_bit(q, kWrite, write);
    q = set_bit(q, kUser, user);
    q = set_bit(q, kGN, gn);
    return {q, addr & mask(63, 12)};
  }
  static constexpr PprEntry decode(const Qw2& w) {
    PprEntry e;
    const uint64_t q = w[0];
    e.device_id = static_cast<uint16_t>(bits(q, 15, 0));
    e.pasid = static_cast<uint32_t>((bits(q, 45, 42) << 16) | bits(q, 31, 16));
    e.tag = static_cast<uint16_t>(bits(q, 40, 32));
    e.last = bit(q, kLast);
    e.exec = bit(q, kExec);
    e.read = bit(q, kRead);
    e.write = bit(q, kWrite);
    e.user = bit(q, kUser);
    e.gn = bit(q, kGN);
    e.addr = w[1];
    return e;
  }
  bool operator==(const PprEntry&) const = default;
};

}  // namespace isim::amdvi
