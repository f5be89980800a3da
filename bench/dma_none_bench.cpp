// isim_bench_dma: simulated DMA transactions per second of host time through the `none` IOMMU
// with temporal decoupling. The SystemC kernel cannot be restarted, so one process makes one
// measurement and prints it as a JSON object on stdout.
//
// Usage: isim_bench_dma [count] [outstanding] [quantum]
//   count        requests the generator issues (default 10000000)
//   outstanding  closed-loop requests in flight (default 32)
//   quantum      temporal-decoupling quantum, a config time value (default 1us)
#include <fmt/format.h>
#include <sys/resource.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <systemc>

#include "hw/stats/stats.h"
#include "sim/platform.h"
#include "sim/platform_config.h"

namespace {

struct BenchArgs {
  uint64_t count = 10'000'000;
  unsigned outstanding = 32;
  std::string quantum = "1us";
};

BenchArgs parse_args(int argc, char* argv[]) {
  BenchArgs a;
  if (argc > 1) a.count = std::stoull(argv[1]);
  if (argc > 2) a.outstanding = static_cast<unsigned>(std::stoul(argv[2]));
  if (argc > 3) a.quantum = argv[3];
  return a;
}

/// The default platform (configs/default.yaml) with a request count instead of a duration: the
/// duration is the longest a config allows, so the count alone ends the run.
std::string platform_yaml(const BenchArgs& a) {
  return fmt::format(R"(
sim:
  seed: 1
  duration: 3600s
  quantum: {}
memory:
  size: 64GiB
  latency: 90ns
  channels: 4
  channel_bandwidth: 19.2GB/s
iommus:
  - name: iommu0
    type: none
devices:
  - name: dma0
    type: generator
    iommu: iommu0
    rid: 0x0100
    workload:
      pattern: random
      footprint: 64MiB
      size: 64B
      op: read
      outstanding: {}
      count: {}
)",
                     a.quantum, a.outstanding, a.count);
}

uint64_t counter(const isim::stats::Group& g, const char* path) {
  const auto* s = dynamic_cast<const isim::stats::Counter*>(g.find(path));
  return s ? s->value() : 0;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

double rate(uint64_t n, double s) {
  return s > 0 ? static_cast<double>(n) / s : 0.0;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  try {
    const BenchArgs args = parse_args(argc, argv);
    const auto cfg =
        isim::load_platform(YAML::Load(platform_yaml(args)), isim::cfg::SourceInfo{"bench", {}});
    isim::Platform pf(cfg);

    // Wall time and this process's CPU time: on a shared machine the CPU-time rate is the one
    // that compares across runs.
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    sc_core::sc_start();
    const double host_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu_s = cpu_seconds() - cpu0;

    const uint64_t done = counter(pf.stats(), "dma0.reads") + counter(pf.stats(), "dma0.writes");
    const uint64_t errors = counter(pf.stats(), "dma0.errors");
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);  // ru_maxrss is in KiB on Linux
    std::cout << fmt::format(
        "{{\"benchmark\": \"dma_none\", \"requests\": {}, \"errors\": {}, \"outstanding\": {}, "
        "\"quantum\": \"{}\", \"host_seconds\": {:.6f}, \"cpu_seconds\": {:.6f}, "
        "\"dma_per_second\": {:.0f}, \"dma_per_cpu_second\": {:.0f}, \"simulated_ps\": {}, "
        "\"peak_rss_kib\": {}}}\n",
        done, errors, args.outstanding, args.quantum, host_s, cpu_s, rate(done, host_s),
        rate(done, cpu_s), sc_core::sc_time_stamp().value(), ru.ru_maxrss);
    // A run that completed nothing measured nothing: say so through the exit status.
    return done == args.count && errors == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "isim_bench_dma: " << e.what() << '\n';
    return 2;
  }
}

// Our own entry point, so the SystemC banner does not precede the JSON.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
