#include "sim/cpu_port.h"

#include <stdexcept>

namespace isim {
namespace {

tlm::tlm_response_status access(tlm_utils::simple_initiator_socket<CpuPort>& socket,
                                tlm::tlm_command cmd, uint64_t addr, unsigned size,
                                uint64_t& value) {
  if (size != 1 && size != 2 && size != 4 && size != 8)
    throw std::invalid_argument("CPU accesses are 1, 2, 4 or 8 bytes");
  tlm::tlm_generic_payload tx;
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  tx.set_data_length(size);
  tx.set_streaming_width(size);
  tx.set_byte_enable_ptr(nullptr);
  tx.set_dmi_allowed(false);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(tx, delay);
  sc_core::wait(delay);
  return tx.get_response_status();
}

}  // namespace

std::optional<uint64_t> CpuPort::read(uint64_t addr, unsigned size) {
  uint64_t v = 0;  // little-endian host: the low `size` bytes hold the value
  if (access(socket, tlm::TLM_READ_COMMAND, addr, size, v) != tlm::TLM_OK_RESPONSE)
    return std::nullopt;
  return v;
}

bool CpuPort::write(uint64_t addr, unsigned size, uint64_t value) {
  return access(socket, tlm::TLM_WRITE_COMMAND, addr, size, value) == tlm::TLM_OK_RESPONSE;
}

}  // namespace isim
