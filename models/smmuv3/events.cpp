#include "models/smmuv3/events.h"

namespace isim::smmuv3 {

const char* to_string(EventType t) {
  switch (t) {
    case EventType::kNone:
      return "none";
    case EventType::kF_UUT:
      return "F_UUT";
    case EventType::kC_BAD_STREAMID:
      return "C_BAD_STREAMID";
    case EventType::kF_STE_FETCH:
      return "F_STE_FETCH";
    case EventType::kC_BAD_STE:
      return "C_BAD_STE";
    case EventType::kF_BAD_ATS_TREQ:
      return "F_BAD_ATS_TREQ";
    case EventType::kF_STREAM_DISABLED:
      return "F_STREAM_DISABLED";
    case EventType::kF_TRANSL_FORBIDDEN:
      return "F_TRANSL_FORBIDDEN";
    case EventType::kC_BAD_SUBSTREAMID:
      return "C_BAD_SUBSTREAMID";
    case EventType::kF_CD_FETCH:
      return "F_CD_FETCH";
    case EventType::kC_BAD_CD:
      return "C_BAD_CD";
    case EventType::kF_WALK_EABT:
      return "F_WALK_EABT";
    case EventType::kF_TRANSLATION:
      return "F_TRANSLATION";
    case EventType::kF_ADDR_SIZE:
      return "F_ADDR_SIZE";
    case EventType::kF_ACCESS:
      return "F_ACCESS";
    case EventType::kF_PERMISSION:
      return "F_PERMISSION";
  }
  return "?";
}

EventFields event_fields(EventType t) {
  EventFields f{};
  switch (t) {
    case EventType::kF_UUT:  // 7.3.2
      f.ssv_ssid = f.input_addr = f.access = f.reason = true;
      break;
    case EventType::kC_BAD_STREAMID:  // 7.3.3
    case EventType::kC_BAD_STE:       // 7.3.5
    case EventType::kC_BAD_CD:        // 7.3.11
      f.ssv_ssid = true;
      break;
    case EventType::kF_STE_FETCH:  // 7.3.4
    case EventType::kF_CD_FETCH:   // 7.3.10
      f.ssv_ssid = f.fetch_addr = true;
      break;
    case EventType::kF_BAD_ATS_TREQ:  // 7.3.6 (figure not in the text source: common positions)
      f.ssv_ssid = f.input_addr = f.access = true;
      break;
    case EventType::kF_STREAM_DISABLED:  // 7.3.7: StreamID only
      break;
    case EventType::kF_TRANSL_FORBIDDEN:  // 7.3.8
      f.input_addr = f.rnw_only = true;
      break;
    case EventType::kC_BAD_SUBSTREAMID:  // 7.3.9: no SSV, SubstreamID always valid
      f.ssid_only = true;
      break;
    case EventType::kF_WALK_EABT:  // 7.3.12
      f.ssv_ssid = f.input_addr = f.access = f.stall = f.s2_class = f.fetch_addr = true;
      break;
    case EventType::kF_PERMISSION:  // 7.3.16
      f.ttrnw = true;
      [[fallthrough]];
    case EventType::kF_TRANSLATION:  // 7.3.13
    case EventType::kF_ADDR_SIZE:    // 7.3.14
    case EventType::kF_ACCESS:       // 7.3.15
      f.ssv_ssid = f.input_addr = f.access = f.stall = f.s2_class = f.ipa = true;
      break;
    case EventType::kNone:
      break;
  }
  return f;
}

EventWords encode_event(const EventRecord& e) {
  EventWords w{};
  const EventFields f = event_fields(e.type);
  put(w, evt::ID, static_cast<uint8_t>(e.type));
  put(w, evt::SID, e.sid);
  if (f.ssv_ssid) {
    put(w, evt::SSV, e.ssv);
    if (e.ssv) put(w, evt::SSID, e.ssid);
  }
  if (f.ssid_only) put(w, evt::SSID, e.ssid);
  if (f.reason) put(w, evt::REASON, e.reason);
  if (f.stall) {
    put(w, evt::STALL, e.stall);
    if (e.stall) put(w, evt::STAG, e.stag);
  }
  if (f.access) {
    put(w, evt::PNU, e.pnu);
    put(w, evt::IND, e.ind && e.rnw);  // 7.3.13: InD == 0 when RnW == 0
    put(w, evt::RNW, e.rnw);
  }
  if (f.rnw_only) put(w, evt::RNW, e.rnw);
  if (f.s2_class) {
    put(w, evt::S2, e.s2);
    put(w, evt::CLASS, static_cast<uint8_t>(e.cls));
  }
  if (f.ttrnw && e.cls == EventClass::kTt) put(w, evt::TTRNW, e.ttrnw);
  if (f.input_addr) put(w, evt::INPUT_ADDR, e.input_addr);
  if (f.ipa && e.s2) put_addr(w, evt::IPA, e.ipa);  // 7.3.13: IPA is UNKNOWN for stage 1
  if (f.fetch_addr) put_addr(w, evt::FETCH_ADDR, e.fetch_addr);
  return w;
}

EventRecord decode_event(const EventWords& w) {
  EventRecord e;
  e.type = static_cast<EventType>(get(w, evt::ID));
  const EventFields f = event_fields(e.type);
  e.sid = static_cast<uint32_t>(get(w, evt::SID));
  if (f.ssv_ssid) {
    e.ssv = get_bit(w, evt::SSV);
    e.ssid = static_cast<uint32_t>(get(w, evt::SSID));
  }
  if (f.ssid_only) e.ssid = static_cast<uint32_t>(get(w, evt::SSID));
  if (f.reason) e.reason = static_cast<uint16_t>(get(w, evt::REASON));
  if (f.stall) {
    e.stall = get_bit(w, evt::STALL);
    e.stag = static_cast<uint16_t>(get(w, evt::STAG));
  }
  if (f.access) {
    e.pnu = get_bit(w, evt::PNU);
    e.ind = get_bit(w, evt::IND);
  }
  if (f.access || f.rnw_only) e.rnw = get_bit(w, evt::RNW);
  if (f.s2_class) {
    e.s2 = get_bit(w, evt::S2);
    e.cls = static_cast<EventClass>(get(w, evt::CLASS));
  }
  if (f.ttrnw) e.ttrnw = get_bit(w, evt::TTRNW);
  if (f.input_addr) e.input_addr = get(w, evt::INPUT_ADDR);
  if (f.ipa) e.ipa = get_addr(w, evt::IPA);
  if (f.fetch_addr) e.fetch_addr = get_addr(w, evt::FETCH_ADDR);
  return e;
}

}  // namespace isim::smmuv3
