// VT-d invalidation descriptors (queued invalidation, 128- or 256-bit) and the invalidation
// queue error codes.
//
// Source: Intel VT-d specification (rev 3.x/4.x) 6.5.2 "Queued Invalidation": 6.5.2.1
// context-cache, 6.5.2.2 PASID-cache, 6.5.2.3 IOTLB, 6.5.2.4 PASID-based IOTLB, 6.5.2.5
// device-TLB, 6.5.2.6 PASID-based device-TLB, 6.5.2.7 interrupt entry cache, 6.5.2.8
// invalidation wait, 6.5.2.10 IQE (IQERCD.IQEI, 11.4.10.9); 7.7.1 page group response.
//
// Descriptor type: 7 bits, type[3:0] in QW0 bits 3:0 and type[6:4] in QW0 bits 11:9.
//   1 context-cache  QW0: G 5:4 (1 global, 2 domain, 3 device), DID 31:16, SID 47:32, FM 49:48
//   2 IOTLB          QW0: G 5:4 (1 global, 2 domain, 3 page), DW 6, DR 7, DID 31:16
//                    QW1: AM 5:0, IH 6, ADDR 63:12
//   3 device-TLB     QW0: PFSID[3:0] 15:12, MIP 20:16, SID 47:32, PFSID[15:4] 63:52
//                    QW1: S 0, ADDR 63:12
//   4 interrupt entry cache  QW0: G 4, IM 31:27, IIDX 47:32
//   5 wait           QW0: IF 4, SW 5, FN 6, PD 7, STDATA 63:32; QW1: STADDR 63:2
//   6 PASID IOTLB    QW0: G 5:4 (2 PASID-selective, 3 page-selective in PASID), DID 31:16,
//                    PASID 51:32; QW1: AM 5:0, IH 6, ADDR 63:12
//   7 PASID cache    QW0: G 5:4 (0 domain, 1 PASID-selective, 3 global), DID 31:16, PASID 51:32
//   8 PASID devTLB   QW0: MIP 8:4, PFSID[3:0] 15:12, SID 31:16, PASID 51:32, PFSID[15:4] 63:52
//                    QW1: G 0, S 11, ADDR 63:12
//   9 page group response  QW0: PP 4, PDP 5, RC 15:12, RID 31:16, PASID 51:32
//                    QW1: LPIG 2, PRGI 11:3; QW2/QW3 private data (with PDP)
// Every other bit is reserved; with 256-bit descriptors QW2/QW3 are reserved except for the
// page group response's private data.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "models/vtd/regs.h"

namespace isim::vtd {

enum class InvType : uint8_t {
  ContextCache = 1,
  Iotlb = 2,
  DeviceTlb = 3,
  InterruptEntry = 4,
  Wait = 5,
  PasidIotlb = 6,
  PasidCache = 7,
  PasidDeviceTlb = 8,
  PageGroupResponse = 9,
};

/// 11.4.10.9 IQERCD.IQEI: why the invalidation queue stopped.
enum class Iqei : uint8_t {
  None = 0,            ///< no error (or information not available)
  InvalidTail = 1,     ///< IQT beyond the queue
  FetchError = 2,      ///< the descriptor could not be read
  InvalidType = 3,     ///< unknown descriptor type
  Reserved = 4,        ///< a reserved field is non-zero (or a reserved granularity)
  InvalidWidth = 5,    ///< 256-bit descriptors without support for them
  TailMisaligned = 6,  ///< IQT bit 4 set with 256-bit descriptors
  InvalidTtm = 7,      ///< descriptor width does not suit RTADDR.TTM
};

/// Context-cache granularity (6.5.2.1; also CCMD.CIRG, 11.4.7).
enum class CcGran : uint8_t { Global = 1, Domain = 2, Device = 3 };
/// IOTLB granularity (6.5.2.3; also IOTLB_REG.IIRG, 11.4.8.1).
enum class IotlbGran : uint8_t { Global = 1, Domain = 2, Page = 3 };
/// PASID-based IOTLB granularity (6.5.2.4).
enum class PiotlbGran : uint8_t { Pasid = 2, Page = 3 };
/// PASID-cache granularity (6.5.2.2).
enum class PcGran : uint8_t { Domain = 0, Pasid = 1, Global = 3 };

struct InvDescriptor {
  InvType type = InvType::Wait;
  uint64_t qw[4] = {};  ///< the raw descriptor (QW2/QW3 zero for 128-bit descriptors)

  unsigned gran = 0;  ///< G field (meaning per type)
  uint16_t did = 0;
  uint16_t sid = 0;  ///< SID (context-cache, device-TLB) or RID (page group response)
  unsigned fm = 0;   ///< context-cache function mask
  uint32_t pasid = 0;
  uint64_t addr = 0;  ///< page address (IOTLB, device-TLB) or status address (wait)
  unsigned am = 0;    ///< address mask: 2^AM pages
  bool ih = false;    ///< invalidation hint: leaf entries only
  bool dr = false, dw = false;
  bool size = false;    ///< device-TLB S: the range size is encoded in ADDR
  bool global = false;  ///< PASID-based device-TLB G: all PASIDs
  uint16_t pfsid = 0;
  unsigned mip = 0;
  // wait
  bool if_ = false, sw = false, fn = false, pd = false;
  uint32_t stdata = 0;
  // interrupt entry cache
  bool iec_index = false;
  unsigned im = 0;
  uint16_t iidx = 0;
  // page group response
  bool pp = false, pdp = false, lpig = false;
  unsigned resp_code = 0;
  unsigned prgi = 0;
};

struct InvDecode {
  InvDescriptor d;
  Iqei error = Iqei::None;
  bool ok() const { return error == Iqei::None; }
};

/// Decodes one descriptor (2 or 4 quadwords) and checks its type and reserved fields against
/// the unit's capabilities (types the unit cannot have, e.g. PASID descriptors without
/// ECAP.PASID or device-TLB ones without ECAP.DT, are invalid types).
InvDecode decode_inv_descriptor(std::span<const uint64_t> qw, const Capabilities& caps);

/// Bytes covered by an address mask: 2^AM 4 KiB pages starting at addr & ~(size - 1).
constexpr uint64_t am_bytes(unsigned am) {
  return uint64_t{4096} << am;
}

/// The address range a PCIe ATS invalidation (S bit + address) covers (PCIe 6.0 10.3.1 /
/// VT-d 6.5.2.5): with S clear one 4 KiB page; with S set the lowest clear bit of ADDR[63:12]
/// at position n gives a range of 2^(n+1) bytes (all ones above bit 12: everything).
struct AtsRange {
  uint64_t base = 0;
  unsigned lg2 = 12;
};
AtsRange ats_inv_range(uint64_t addr, bool s);

}  // namespace isim::vtd
