#include "sim/run.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "hw/stats/stats_writer.h"
#include "sim/platform.h"
#include "sim/replay.h"

namespace isim {

int run_simulation(const PlatformConfig& config, const RunOptions& opts, std::ostream& out,
                   std::ostream& err) {
  std::unique_ptr<TraceRecorder> recorder;
  if (!opts.record_trace.empty())
    recorder = std::make_unique<TraceRecorder>(opts.record_trace, opts.record_out);
  Platform pf(config);
  const auto t0 = std::chrono::steady_clock::now();
  pf.run();
  const double host_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (recorder) {
    const uint64_t n = recorder->finish();
    out << fmt::format("recorded {} DMAs to {}\n", n, opts.record_trace);
  }

  std::filesystem::create_directories(opts.out_dir);
  const auto json_path = std::filesystem::path(opts.out_dir) / "stats.json";
  const auto csv_path = std::filesystem::path(opts.out_dir) / "stats.csv";
  {
    std::ofstream js(json_path);
    js << pf.stats_json().dump(2) << '\n';
    std::ofstream csv(csv_path);
    stats::write_csv(csv, pf.stats());
    if (!js || !csv) {
      out << fmt::format("error: cannot write stats to {}\n", opts.out_dir);
      return 1;
    }
  }

  out << fmt::format("iommu-sim {}: {} simulated in {:.3f} s of host time (seed {})\n",
                     ISIM_VERSION, format_time(config.sim.duration.ps), host_s, config.sim.seed);
  stats::SummaryOptions so;
  so.patterns = opts.summary;
  if (so.patterns.empty()) {
    // Headline figures: per-device throughput and latency, per-IOMMU request counts.
    so.patterns = {"*.throughput", "*.requests_per_us", "*.latency.p50", "*.latency.p99",
                   "*.reads",      "*.writes",          "*.errors"};
  }
  stats::write_summary(out, pf.stats(), so);
  out << fmt::format("stats written to {} and {}\n", json_path.string(), csv_path.string());
  const std::vector<std::string> errors = pf.device_errors();
  for (const std::string& e : errors) err << "error: " << e << '\n';
  return errors.empty() ? 0 : 1;
}

}  // namespace isim
