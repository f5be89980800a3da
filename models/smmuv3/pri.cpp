#include "models/smmuv3/pri.h"

namespace isim::smmuv3 {

PriWords encode_pri(const PriRecord& r) {
  PriWords w{};
  put(w, pri::SID, r.sid);
  put(w, pri::SSV, r.ssv);
  if (r.ssv) {
    put(w, pri::SSID, r.ssid);
    put(w, pri::PRIV, r.priv);
    put(w, pri::EXEC, r.exec);
  }
  put(w, pri::READ, r.read);
  put(w, pri::WRITE, r.write);
  put(w, pri::LAST, r.last);
  put(w, pri::PRG_INDEX, r.prg_index);
  put_addr(w, pri::ADDR, r.addr);
  return w;
}

PriRecord decode_pri(const PriWords& w) {
  PriRecord r;
  r.sid = static_cast<uint32_t>(get(w, pri::SID));
  r.ssv = get_bit(w, pri::SSV);
  r.ssid = static_cast<uint32_t>(get(w, pri::SSID));
  r.priv = get_bit(w, pri::PRIV);
  r.exec = get_bit(w, pri::EXEC);
  r.read = get_bit(w, pri::READ);
  r.write = get_bit(w, pri::WRITE);
  r.last = get_bit(w, pri::LAST);
  r.prg_index = static_cast<uint16_t>(get(w, pri::PRG_INDEX));
  r.addr = get_addr(w, pri::ADDR);
  return r;
}

uint8_t prg_response_code(uint8_t resp) {
  switch (resp) {
    case 0b10:
      return kPrgSuccess;
    case 0b01:
      return kPrgInvalid;
    default:
      return kPrgFailure;  // 00 ResponseFailure (11 is CERROR_ILL at decode)
  }
}

}  // namespace isim::smmuv3
