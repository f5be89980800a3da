// Test-bench pieces for the SystemC model tests: a thread that runs a test body in simulated
// time, a plain TLM initiator, a recording target, stats lookups and platform configs from YAML
// text. Each test runs in its own process (see sc_gtest_main.cpp), so a test builds its modules,
// calls run_thread() once, and then inspects the results.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hw/dma_attrs.h"
#include "hw/stats/stats.h"
#include "sim/platform_config.h"

namespace isim::test {

/// Picoseconds as an sc_time (the platform runs at 1 ps resolution).
sc_core::sc_time ps(uint64_t v);

/// Builds an SC_THREAD that runs `body` from time 0, simulates until the body returns (then
/// stops the kernel) or `limit` elapses, and returns whether the body returned. Call once per
/// process, after every module of the test has been built.
bool run_thread(std::function<void()> body,
                sc_core::sc_time limit = sc_core::sc_time(1, sc_core::SC_SEC));

/// A bare TLM initiator that issues one generic payload at a time.
class Initiator final : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Initiator> socket{"socket"};

  explicit Initiator(sc_core::sc_module_name name) : sc_module(name) {}

  /// Blocking transport of `data.size()` bytes at `addr`. `delay` is the local time offset on
  /// entry and the annotated completion offset on return. With `attrs`, the payload carries it
  /// (as a device's DMA would). `byte_enable` sets a byte-enable array of the same length.
  tlm::tlm_response_status transport(tlm::tlm_command cmd, uint64_t addr, std::span<uint8_t> data,
                                     sc_core::sc_time& delay, DmaAttrs* attrs = nullptr,
                                     uint8_t* byte_enable = nullptr);
  /// Debug transport; returns the byte count the target reports and the response status.
  unsigned debug(tlm::tlm_command cmd, uint64_t addr, std::span<uint8_t> data,
                 tlm::tlm_response_status* status = nullptr);
};

/// A target that records every access, answers OK after a fixed latency, and serves reads with
/// a recognisable byte (its `fill`).
class RecordingTarget final : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<RecordingTarget> socket{"socket"};

  struct Access {
    uint64_t addr;
    unsigned len;
    bool write;
  };

  RecordingTarget(sc_core::sc_module_name name, sc_core::sc_time latency, uint8_t fill);

  const std::vector<Access>& accesses() const { return accesses_; }
  const std::vector<Access>& debug_accesses() const { return debug_accesses_; }

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& tx);
  void serve(tlm::tlm_generic_payload& tx, std::vector<Access>& log);

  sc_core::sc_time latency_;
  uint8_t fill_;
  std::vector<Access> accesses_;
  std::vector<Access> debug_accesses_;
};

/// Value of the counter (owned or by reference) at `path` below `group`; throws
/// std::runtime_error naming the path if there is none.
uint64_t counter(const stats::Group& group, std::string_view path);
/// The histogram at `path`; throws std::runtime_error if there is none.
const stats::Histogram& histogram(const stats::Group& group, std::string_view path);
/// Value of the scalar or formula at `path`; throws std::runtime_error if there is none.
double scalar(const stats::Group& group, std::string_view path);

/// A validated platform config from YAML text.
PlatformConfig platform_config(const std::string& yaml);

}  // namespace isim::test
