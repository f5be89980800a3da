// Event records: the 32-byte entries the SMMU writes to the Event queue (IHI 0070 7.3 "Event
// records"), with their architected event numbers and fields.
//
// Layout (word:bits), IHI 0070 7.3 figures (cross-checked with Linux arm-smmu-v3.h EVTQ_*):
//   0:7:0 EventID, 0:11 SSV, 0:31:12 SubstreamID, 0:63:32 StreamID,
//   1:15:0 STAG, 1:31 Stall, 1:33 PnU, 1:34 InD, 1:35 RnW, 1:39 S2, 1:41:40 CLASS,
//   1:44 TTRnW (F_PERMISSION, CLASS = TT), 1:31:16 Reason (F_UUT; IMPLEMENTATION DEFINED),
//   2:63:0 InputAddr,
//   3:55:12 IPA (F_TRANSLATION/F_ADDR_SIZE/F_ACCESS/F_PERMISSION with S2 = 1),
//   3:55:3 FetchAddr (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT).
// Each event type defines a subset (7.3.2-7.3.16); encode_event writes only that subset, the
// rest of the record is RES0 (7.3: "Portions of event records that are not explicitly defined
// in this section are RES0").
#pragma once

#include <array>
#include <cstdint>

#include "models/smmuv3/fields.h"

namespace isim::smmuv3 {

inline constexpr unsigned kEventBytes = 32;
using EventWords = std::array<uint64_t, kEventBytes / 8>;

/// IHI 0070 7.3 event numbers.
enum class EventType : uint8_t {
  kNone = 0x00,
  kF_UUT = 0x01,
  kC_BAD_STREAMID = 0x02,
  kF_STE_FETCH = 0x03,
  kC_BAD_STE = 0x04,
  kF_BAD_ATS_TREQ = 0x05,
  kF_STREAM_DISABLED = 0x06,
  kF_TRANSL_FORBIDDEN = 0x07,
  kC_BAD_SUBSTREAMID = 0x08,
  kF_CD_FETCH = 0x09,
  kC_BAD_CD = 0x0A,
  kF_WALK_EABT = 0x0B,
  kF_TRANSLATION = 0x10,
  kF_ADDR_SIZE = 0x11,
  kF_ACCESS = 0x12,
  kF_PERMISSION = 0x13,
};
const char* to_string(EventType t);

/// 7.3 CLASS: the operation that faulted.
enum class EventClass : uint8_t { kCd = 0b00, kTt = 0b01, kIn = 0b10 };

namespace evt {
inline constexpr WordField ID{0, 7, 0}, SSV{0, 11, 11}, SSID{0, 31, 12}, SID{0, 63, 32};
inline constexpr WordField STAG{1, 15, 0}, REASON{1, 31, 16}, STALL{1, 31, 31}, PNU{1, 33, 33},
    IND{1, 34, 34}, RNW{1, 35, 35}, S2{1, 39, 39}, CLASS{1, 41, 40}, TTRNW{1, 44, 44};
inline constexpr WordField INPUT_ADDR{2, 63, 0};
inline constexpr WordField IPA{3, 55, 12}, FETCH_ADDR{3, 55, 3};
}  // namespace evt

/// One event, all fields; encode_event keeps those the type defines.
struct EventRecord {
  EventType type = EventType::kNone;
  uint32_t sid = 0;
  bool ssv = false;
  uint32_t ssid = 0;
  bool stall = false;
  uint16_t stag = 0;
  uint16_t reason = 0;  ///< F_UUT only
  bool pnu = false, ind = false, rnw = false;
  bool s2 = false;
  EventClass cls = EventClass::kCd;
  bool ttrnw = false;
  uint64_t input_addr = 0;
  uint64_t ipa = 0;         ///< full address; bits 55:12 are recorded
  uint64_t fetch_addr = 0;  ///< full address; bits 55:3 are recorded

  bool operator==(const EventRecord&) const = default;
};

/// Which fields a type defines (7.3.2-7.3.16).
struct EventFields {
  bool ssv_ssid;    ///< SSV and SubstreamID
  bool ssid_only;   ///< SubstreamID without SSV (C_BAD_SUBSTREAMID)
  bool input_addr;  ///< InputAddr
  bool access;      ///< RnW, InD, PnU
  bool rnw_only;    ///< RnW alone (F_TRANSL_FORBIDDEN)
  bool stall;       ///< Stall, STAG
  bool s2_class;    ///< S2, CLASS
  bool ipa;         ///< IPA
  bool fetch_addr;  ///< FetchAddr
  bool ttrnw;       ///< TTRnW
  bool reason;      ///< Reason (F_UUT)
};
EventFields event_fields(EventType t);

EventWords encode_event(const EventRecord& e);
/// Reads back the fields `type` defines (others stay default).
EventRecord decode_event(const EventWords& w);

}  // namespace isim::smmuv3
