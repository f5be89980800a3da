// PCIe messages between an IOMMU and the functions below it that are not DMA: ATS
// invalidation (IOMMU -> device ATC and the completion back), and PRI page requests
// (device -> IOMMU) with their group responses (IOMMU -> device).
//
// Sources: PCI Express Base Specification 6.0, 10.3 "ATS Invalidation" (Invalidate Request and
// Completion messages, the S-bit range encoding of the untranslated address, ITags) and 10.4
// "Page Request Services" (Page Request message fields, Stop Marker, PRG Response codes).
// The translation request and its completion travel as a DMA (DmaAttrs.ats / .completion).
//
// Each IOMMU architecture encodes these in its own descriptors (VT-d device-TLB invalidate and
// page group response descriptors, SMMUv3 CMD_ATC_INV / CMD_PRI_RESP and PRI queue records,
// AMD-Vi INVALIDATE_IOTLB_PAGES / COMPLETE_PPR_REQUEST and PPR log entries); models decode
// them into these structs, which are the messages on the link.
#pragma once

#include <cstdint>

#include "base/time.h"

namespace isim {

/// PCIe 6.0 10.3.1: an Invalidate Request, decoded.
struct AtsInvalidation {
  uint16_t rid = 0;        ///< the function whose ATC is invalidated (the message's Device ID)
  bool has_pasid = false;  ///< a PASID TLP prefix is present: only that PASID's entries
  uint32_t pasid = 0;
  bool global = false;     ///< Global Invalidate: entries of every PASID (with has_pasid)
  uint64_t addr = 0;       ///< first untranslated address of the range, aligned to its size
  unsigned size_lg2 = 12;  ///< range size: 12 = one 4 KiB page ... 64 = the whole address space
  uint8_t itag = 0;        ///< ITag (0..31) the completion reports

  static constexpr unsigned kPageLg2 = 12;
  static constexpr unsigned kAllLg2 = 64;

  /// The message's address field: Untranslated Address[63:12] with the S bit (bit 11). S=0 is
  /// one 4 KiB page; with S=1 the lowest clear bit at or above bit 12 marks the range size
  /// (bit 12 clear: 8 KiB, bits 12 set and 13 clear: 16 KiB, ...), and bits 62:12 all set
  /// with bit 63 clear means the whole 2^64 space.
  uint64_t wire_address() const;
  /// Decodes an address field (S bit at bit 11; bits 10:0 ignored).
  static AtsInvalidation from_wire(uint64_t field);
  /// The range covers [a, a + 2^lg2)?
  bool covers(uint64_t a, unsigned lg2) const;
  /// The range overlaps [a, a + 2^lg2)?
  bool overlaps(uint64_t a, unsigned lg2) const;
};

/// PCIe 6.0 10.4.1: a Page Request message. With `last`, `read` and `write` all as in a Stop
/// Marker (L=1, R=W=0 with a PASID), it asks nothing and ends the PASID's requests.
struct PageRequest {
  uint16_t rid = 0;
  bool has_pasid = false;
  uint32_t pasid = 0;
  bool priv = false;   ///< PASID prefix Privileged Mode Requested
  bool exec = false;   ///< PASID prefix Execute Requested
  uint64_t addr = 0;   ///< page address (bits 63:12; low bits ignored)
  bool read = false;   ///< R: read access requested
  bool write = false;  ///< W: write access requested
  bool last = false;   ///< L: last request of its page request group
  uint16_t group = 0;  ///< Page Request Group Index (9 bits)

  static constexpr uint16_t kGroupMask = 0x1ff;
  bool stop_marker() const { return last && !read && !write && has_pasid; }
};

/// PCIe 6.0 10.4.2.1: PRG Response Message response codes.
enum class PrgResponseCode : uint8_t {
  success = 0x0,           ///< all pages of the group are resident; retry the accesses
  invalid_request = 0x1,   ///< one or more pages could not be made resident
  response_failure = 0xf,  ///< catastrophic: the function disables its page request interface
};

/// PCIe 6.0 10.4.2: a PRG Response message.
struct PageGroupResponse {
  uint16_t rid = 0;
  bool has_pasid = false;  ///< response carries a PASID prefix (PRG Response PASID Required)
  uint32_t pasid = 0;
  uint16_t group = 0;  ///< Page Request Group Index answered
  uint8_t code = 0;    ///< PrgResponseCode value (the 4-bit field as sent)
};

/// What a PCIe function offers the IOMMU above it for routed-by-ID messages. `now` is the
/// simulated time (ps) at which the message reaches the function.
class PcieEndpoint {
 public:
  virtual ~PcieEndpoint() = default;
  /// An Invalidate Request; returns the time the function's Invalidate Completion reaches
  /// the IOMMU (>= now). The function must not use the invalidated entries after `now`.
  virtual Tick ats_invalidate(const AtsInvalidation& inv, Tick now) = 0;
  /// A PRG Response.
  virtual void page_response(const PageGroupResponse& r, Tick now) = 0;
};

}  // namespace isim
