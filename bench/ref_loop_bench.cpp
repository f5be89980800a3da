// isim_bench_ref: this machine's ceiling for a SystemC TLM-2.0 loosely-timed model: the
// cheapest initiator -> target pair (one b_transport per 64 B read, no interconnect, no
// extensions) with a quantum keeper. Every other figure is also reported as a ratio to this
// one, so results compare across machines. Prints one JSON object.
//
// Usage: isim_bench_ref [count] [quantum_ns]
#include <fmt/format.h>
#include <sys/resource.h>

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <systemc>
#include <tlm>

namespace {

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

constexpr unsigned kBytes = 64;          // one request, as the DMA benchmarks issue
constexpr uint64_t kMemBytes = 1 << 16;  // a small array: the target's cost stays a memcpy
constexpr double kLatencyNs = 90;        // target latency: as the platforms' DRAM

struct Target : sc_core::sc_module {
  tlm_utils::simple_target_socket<Target> socket{"socket"};
  uint8_t mem[kMemBytes] = {};

  explicit Target(sc_core::sc_module_name n) : sc_module(n) {
    socket.register_b_transport(this, &Target::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const uint64_t a = tx.get_address() & (kMemBytes - 1) & ~uint64_t{kBytes - 1};
    if (tx.is_read())
      std::memcpy(tx.get_data_ptr(), mem + a, tx.get_data_length());
    else
      std::memcpy(mem + a, tx.get_data_ptr(), tx.get_data_length());
    delay += sc_core::sc_time(kLatencyNs, sc_core::SC_NS);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct Initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Initiator> socket{"socket"};
  uint64_t count;
  uint64_t done = 0;
  std::chrono::steady_clock::time_point t0, t1;
  double cpu0 = 0, cpu1 = 0;

  Initiator(sc_core::sc_module_name n, uint64_t c) : sc_module(n), count(c) {
    SC_HAS_PROCESS(Initiator);
    SC_THREAD(run);
  }
  void run() {
    tlm_utils::tlm_quantumkeeper qk;
    qk.reset();
    uint8_t data[kBytes];
    tlm::tlm_generic_payload tx;
    tx.set_data_ptr(data);
    tx.set_data_length(kBytes);
    tx.set_streaming_width(kBytes);
    tx.set_byte_enable_ptr(nullptr);
    tx.set_dmi_allowed(false);
    uint64_t addr = 0;
    t0 = std::chrono::steady_clock::now();
    cpu0 = cpu_seconds();
    for (uint64_t n = 0; n < count; ++n) {
      tx.set_command(tlm::TLM_READ_COMMAND);
      tx.set_address(addr);
      tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      sc_core::sc_time delay = qk.get_local_time();
      socket->b_transport(tx, delay);
      if (tx.is_response_ok()) ++done;
      qk.set(delay);
      if (qk.need_sync()) qk.sync();
      addr += 4160;  // a new line each time, wrapping in the target's array
    }
    t1 = std::chrono::steady_clock::now();
    cpu1 = cpu_seconds();
  }
};

}  // namespace

int sc_main(int argc, char* argv[]) {
  const uint64_t count = argc > 1 ? std::stoull(argv[1]) : 50'000'000;
  const double quantum_ns = argc > 2 ? std::stod(argv[2]) : 1000;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(quantum_ns, sc_core::SC_NS));
  Initiator ini("initiator", count);
  Target tgt("target");
  ini.socket.bind(tgt.socket);
  sc_core::sc_start();
  const double s = std::chrono::duration<double>(ini.t1 - ini.t0).count();
  const double cpu = ini.cpu1 - ini.cpu0;
  auto rate = [&](double t) { return t > 0 ? static_cast<double>(ini.done) / t : 0.0; };
  std::cout << fmt::format(
      "{{\"benchmark\": \"reference_loop\", \"requests\": {}, \"host_seconds\": {:.6f}, "
      "\"cpu_seconds\": {:.6f}, \"per_second\": {:.0f}, \"per_cpu_second\": {:.0f}}}\n",
      ini.done, s, cpu, rate(s), rate(cpu));
  return ini.done == count ? 0 : 1;
}

// Our own entry point, so the SystemC banner does not precede the JSON.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
