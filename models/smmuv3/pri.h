// PRI queue records: the 16-byte entries the SMMU writes to the PRI queue for each PCIe Page
// Request it accepts (IHI 0070 8 "Page request queue"), and the PRG response codes of
// CMD_PRI_RESP (4.5.2, 8.3).
//
// Layout (word:bits). The chapter 8 figure is an image in the text source; positions are those
// of Linux arm-smmu-v3.h PRIQ_0_* / PRIQ_1_* (reference digest 2.14) and agree with the
// fields chapter 8 names:
//   0:31:0 StreamID, 0:51:32 SubstreamID, 0:58 Priv, 0:59 eXec, 0:60 Read, 0:61 Write,
//   0:62 Last, 0:63 SSV; 1:8:0 PRGIndex, 1:63:12 Page address.
#pragma once

#include <array>
#include <cstdint>

#include "models/smmuv3/fields.h"

namespace isim::smmuv3 {

inline constexpr unsigned kPriBytes = 16;
using PriWords = std::array<uint64_t, kPriBytes / 8>;

namespace pri {
inline constexpr WordField SID{0, 31, 0}, SSID{0, 51, 32}, PRIV{0, 58, 58}, EXEC{0, 59, 59},
    READ{0, 60, 60}, WRITE{0, 61, 61}, LAST{0, 62, 62}, SSV{0, 63, 63};
inline constexpr WordField PRG_INDEX{1, 8, 0}, ADDR{1, 63, 12};
}  // namespace pri

struct PriRecord {
  uint32_t sid = 0;
  bool ssv = false;
  uint32_t ssid = 0;
  bool priv = false, exec = false, read = false, write = false, last = false;
  uint16_t prg_index = 0;
  uint64_t addr = 0;  ///< page address (bits 63:12 recorded)

  bool operator==(const PriRecord&) const = default;
};

/// 8: with SSV = 0 the X and Priv bits are 0 (they travel in the PASID prefix).
PriWords encode_pri(const PriRecord& r);
PriRecord decode_pri(const PriWords& w);

/// 8.3: the PCIe PRG Response code CMD_PRI_RESP.Resp selects (00 ResponseFailure -> 0b1111,
/// 01 InvalidRequest -> 0b0001, 10 Success -> 0b0000).
uint8_t prg_response_code(uint8_t resp);
inline constexpr uint8_t kPrgSuccess = 0x0, kPrgInvalid = 0x1, kPrgFailure = 0xf;

}  // namespace isim::smmuv3
