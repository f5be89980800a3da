// The CPU side of the platform: software models (the scenario runner, host drivers) reach
// registers and memory through the system bus with timed transactions, as a core would.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm>

#include <cstdint>
#include <optional>

namespace isim {

class CpuPort final : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<CpuPort> socket{"socket"};

  explicit CpuPort(sc_core::sc_module_name name) : sc_module(name) {}

  /// A 1-, 2-, 4- or 8-byte load from `addr`; waits for the access to complete. nullopt on a bus
  /// error. Must be called from an SC_THREAD.
  std::optional<uint64_t> read(uint64_t addr, unsigned size);
  /// A 1-, 2-, 4- or 8-byte store; waits for completion. false on a bus error.
  bool write(uint64_t addr, unsigned size, uint64_t value);
};

}  // namespace isim
