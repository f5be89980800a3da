#include "hw/reg_bank_tlm.h"

#include <cstring>

namespace isim {

RegAccessStatus serve_register_access(RegBank& bank, tlm::tlm_generic_payload& tx) {
  const unsigned len = tx.get_data_length();
  if (tx.get_byte_enable_ptr() || tx.get_streaming_width() < len || len > 8) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return RegAccessStatus::bad_size;
  }
  RegAccessStatus st;
  if (tx.is_read()) {
    const auto r = bank.read(tx.get_address(), len);
    std::memcpy(tx.get_data_ptr(), &r.value, len);  // little-endian host: low bytes first
    st = r.status;
  } else {
    uint64_t v = 0;
    std::memcpy(&v, tx.get_data_ptr(), len);
    st = bank.write(tx.get_address(), len, v);
  }
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  return st;
}

}  // namespace isim
