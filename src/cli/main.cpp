// The iommu-sim command: run a config, run scenarios, list component types.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <systemc>

#include "sim/compare.h"
#include "sim/config_error.h"
#include "sim/registry.h"
#include "sim/replay.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/scenario_runner.h"
#include "sim/sweep.h"
#include "sim/sweep_plot.h"
#include "trace/trace_error.h"
#include "trace/trace_io.h"
#include "trace/trace_stats.h"

namespace {

using isim::Override;

std::vector<Override> parse_overrides(const std::vector<std::string>& sets) {
  std::vector<Override> v;
  for (const auto& s : sets) v.push_back(isim::parse_override(s));
  return v;
}

/// Runs one scenario file in a child process (the SystemC kernel cannot be restarted) and
/// returns its counts; a scenario that cannot be loaded counts as one failure.
isim::ScenarioOutcome run_scenario_file(const std::string& file,
                                        const std::vector<Override>& overrides) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::fflush(stdout);
  std::cout.flush();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    isim::ScenarioOutcome o{0, 1};
    try {
      const auto sc = isim::load_scenario(file, overrides);
      o = isim::run_scenario(sc, std::cout);
    } catch (const isim::cfg::ConfigError& e) {
      std::cout << "error: " << e.what() << '\n';
    } catch (const std::exception& e) {
      std::cout << fmt::format("error: {}: {}\n", file, e.what());
    }
    std::cout << fmt::format("{}: {} {} passed, {} failed\n", file, o.failed ? "FAIL" : "ok  ",
                             o.passed, o.failed);
    std::cout.flush();
    const unsigned counts[2] = {o.passed, o.failed};
    const bool sent = write(fds[1], counts, sizeof counts) == sizeof counts;
    close(fds[1]);
    _exit(sent ? 0 : 1);
  }
  close(fds[1]);
  unsigned counts[2] = {0, 1};
  const bool got = read(fds[0], counts, sizeof counts) == sizeof counts;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!got || !WIFEXITED(status)) {
    std::cout << fmt::format("{}: FAIL the scenario process crashed\n", file);
    return {0, 1};
  }
  return {counts[0], counts[1]};
}

template <class Base>
void list_types(const isim::Registry<Base>& reg, const std::string& kind, const std::string& only,
                bool& found) {
  for (const auto& [name, t] : reg.all()) {
    if (!only.empty() && only != name) continue;
    found = true;
    std::cout << fmt::format("{} {}: {}\n", kind, name, t.summary);
    auto print = [](const char* section, const std::vector<isim::cfg::ParamDoc>& rows) {
      if (rows.empty()) return;
      size_t w = 0;
      for (const auto& r : rows) w = std::max(w, r.key.size());
      std::cout << fmt::format("  {}:\n", section);
      for (const auto& r : rows)
        std::cout << fmt::format("    {:<{}}  {:<12}  {}  ({})\n", r.key, w, r.default_value, r.doc,
                                 r.type);
    };
    print("params", t.describe_params());
    if (t.describe_workload) print("workload", t.describe_workload());
    if (!only.empty()) std::cout << '\n';
  }
}

/// This program's own path, for sweeps that run points as child processes.
std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot find the iommu-sim executable");
  return std::string(buf, static_cast<size_t>(n));
}

int trace_convert(const std::string& in, const std::string& out, const isim::trace::ReadOptions& ro,
                  const std::string& out_format) {
  auto r = isim::trace::open_reader(in, ro);
  auto w =
      isim::trace::open_writer(out, out_format == "auto" ? isim::trace::Format::automatic
                                                         : isim::trace::parse_format(out_format));
  isim::trace::Event e;
  uint64_t n = 0;
  while (r->next(e)) {
    w->write(e);
    ++n;
  }
  w->finish();
  std::cout << fmt::format("{} events written to {}", n, out);
  if (r->skipped()) std::cout << fmt::format(", {} malformed lines skipped", r->skipped());
  if (r->ignored()) std::cout << fmt::format(", {} lines of other events ignored", r->ignored());
  std::cout << '\n';
  return 0;
}

int trace_stats(const std::string& in, const isim::trace::ReadOptions& ro) {
  auto r = isim::trace::open_reader(in, ro);
  isim::trace::TraceSummary s;
  isim::trace::Event e;
  while (r->next(e)) s.add(e);
  std::cout << fmt::format("trace        {}\n", in);
  s.print(std::cout);
  if (r->skipped()) std::cout << fmt::format("skipped      {} malformed lines\n", r->skipped());
  if (r->ignored())
    std::cout << fmt::format("ignored      {} lines of other events\n", r->ignored());
  return 0;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  CLI::App app{"iommu-sim: a cycle-approximate IOMMU simulator (VT-d, SMMUv3, AMD-Vi, TCE)"};
  app.set_version_flag("--version", std::string("iommu-sim ") + ISIM_VERSION);
  app.require_subcommand(1);

  std::vector<std::string> sets;
  std::string config_file, out_dir = "out";
  std::vector<std::string> summary;
  auto* run = app.add_subcommand("run", "simulate a platform config and write stats");
  run->add_option("config", config_file, "platform config (YAML)")->required();
  run->add_option("--set", sets, "override a config key: path.to.key=value")->type_name("K=V");
  run->add_option("--out", out_dir, "directory for stats.json and stats.csv")
      ->capture_default_str();
  run->add_option("--summary", summary, "glob of stats to print at the end (repeatable)");
  std::string record_trace;
  run->add_option("--record-trace", record_trace,
                  "record every DMA the devices issue to FILE (.itb: binary, else text)");
  bool record_out = false;
  run->add_flag("--record-out", record_out,
                "with --record-trace: record each DMA's physical address as its out=");

  // Trace replay: the config's platform with trace players for the trace's requester IDs.
  isim::ReplayOptions ro;
  std::string timing = "recorded";
  auto* replay = app.add_subcommand("replay", "replay a trace's DMAs through a platform");
  replay->add_option("trace", ro.trace, "trace file")->required();
  replay->add_option("--config", config_file, "platform config (YAML)")->required();
  replay->add_option("--set", sets, "override a config key: path.to.key=value")->type_name("K=V");
  replay->add_option("--out", out_dir, "directory for stats.json and stats.csv")
      ->capture_default_str();
  replay->add_option("--summary", summary, "glob of stats to print at the end (repeatable)");
  replay->add_option("--timing", timing, "recorded, scaled or fast")
      ->check(CLI::IsMember({"recorded", "scaled", "fast"}))
      ->capture_default_str();
  replay->add_option("--scale", ro.scale, "scaled: multiply trace times by this")
      ->check(CLI::PositiveNumber);
  replay->add_option("--outstanding", ro.outstanding, "requests in flight per device at most")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  replay->add_option("--format", ro.format, "trace format: auto, text, binary, qemu, ftrace")
      ->capture_default_str();
  replay->add_flag("--skip-bad", ro.skip_bad, "skip and count malformed trace lines");
  replay->add_option("--record-trace", record_trace, "record the replayed DMAs to FILE");
  replay->add_flag("--record-out", record_out,
                   "with --record-trace: record each DMA's physical address as its out=");
  replay->add_flag("--check-out,!--no-check-out", ro.check_out,
                   "fail the run when a DMA's physical address differs from its out= (default; "
                   "--no-check-out only counts them)");
  replay->add_flag("--ignore-software", ro.ignore_software,
                   "play only the DMAs: do not apply map/unmap/invalidate/attach events");
  replay->add_flag("--flush-on-unmap,!--no-flush-on-unmap", ro.flush_on_unmap,
                   "invalidate each unmapped range at once (default; --no-flush-on-unmap: only "
                   "invalidate events flush)");

  // Trace files.
  auto* trace = app.add_subcommand("trace", "convert, import and summarise trace files");
  trace->require_subcommand(1);
  std::string trace_in, trace_out, in_format = "auto", out_format = "auto";
  bool skip_bad = false;
  auto* tconv = trace->add_subcommand("convert", "convert or import a trace (text <-> binary)");
  tconv->add_option("in", trace_in, "input trace or log")->required();
  tconv->add_option("out", trace_out, "output trace (.itb: binary, else text)")->required();
  tconv->add_option("--format", in_format, "input format: auto, text, binary, qemu, ftrace")
      ->capture_default_str();
  tconv->add_option("--to", out_format, "output format: auto (by name), text, binary")
      ->capture_default_str();
  tconv->add_flag("--skip-bad", skip_bad, "skip and count malformed lines");
  auto* tstats = trace->add_subcommand("stats", "counts, footprint and time span of a trace");
  tstats->add_option("file", trace_in, "trace or log")->required();
  tstats->add_option("--format", in_format, "input format: auto, text, binary, qemu, ftrace")
      ->capture_default_str();
  tstats->add_flag("--skip-bad", skip_bad, "skip and count malformed lines");

  // Regression gate.
  std::string cmp_a, cmp_b;
  isim::CompareOptions co;
  auto* cmp = app.add_subcommand("compare", "compare two stats.json files within tolerances");
  cmp->add_option("a", cmp_a, "reference stats.json")->required();
  cmp->add_option("b", cmp_b, "new stats.json")->required();
  cmp->add_option("--rel-tol", co.rel_tol, "allowed relative difference (0.01 = 1%)")
      ->check(CLI::NonNegativeNumber);
  cmp->add_option("--abs-tol", co.abs_tol, "allowed absolute difference")
      ->check(CLI::NonNegativeNumber);
  cmp->add_option("--only", co.only, "compare only stats matching this glob (repeatable)");
  cmp->add_option("--ignore", co.ignore, "skip stats matching this glob (repeatable)");

  // Sweeps and plots.
  std::string sweep_file;
  isim::SweepRunOptions so;
  auto* sweep = app.add_subcommand("sweep", "run a parameter sweep, one process per point");
  sweep->add_option("file", sweep_file, "sweep file (YAML)")->required();
  sweep->add_option("-j,--jobs", so.jobs, "points run at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  sweep->add_option("--out", so.out_dir, "output directory (rerun to resume)")
      ->capture_default_str();
  bool dry_run = false;
  sweep->add_flag("--dry-run", dry_run, "list the points and their overrides, run nothing");
  std::vector<std::string> sweep_sets;
  sweep
      ->add_option("--set", sweep_sets,
                   "override a config key in every point, after the file's set: (the axes "
                   "still vary theirs)")
      ->type_name("K=V");
  isim::PlotOptions po;
  auto* plot = app.add_subcommand("plot", "chart a sweep's results.csv through gnuplot");
  plot->add_option("csv", po.csv, "results.csv of a sweep")->required();
  plot->add_option("--x", po.x, "column for the x axis")->required();
  plot->add_option("--y", po.y, "column (stat) for the y axis")->required();
  plot->add_option("--series", po.series, "column whose values make separate lines");
  plot->add_option("--title", po.title, "chart title");
  plot->add_option("-o,--output", po.output, "FILE.svg or FILE.png")->required();

  std::vector<std::string> scenario_files;
  auto* scen = app.add_subcommand("scenario", "run directed register-level scenarios");
  scen->add_option("files", scenario_files, "scenario files (YAML)")->required();
  scen->add_option("--set", sets, "override a key of each scenario's platform")->type_name("K=V");

  std::string list_type;
  auto* list = app.add_subcommand("list", "list component types and their parameters");
  list->add_option("type", list_type, "only this type");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    isim::register_builtin_components();
    if (*run) {
      auto cfg = isim::load_platform_file(config_file, parse_overrides(sets));
      return isim::run_simulation(cfg, {out_dir, summary, record_trace, record_out}, std::cout,
                                  std::cerr);
    }
    if (*replay) {
      auto cfg = isim::load_platform_file(config_file, parse_overrides(sets));
      ro.timing = *isim::cfg::enum_from_string<isim::ReplayTiming>(timing);
      isim::make_replay_config(cfg, ro);
      return isim::run_simulation(cfg, {out_dir, summary, record_trace, record_out}, std::cout,
                                  std::cerr);
    }
    if (*trace) {
      const isim::trace::ReadOptions opts{isim::trace::parse_format(in_format), skip_bad};
      if (*tconv) return trace_convert(trace_in, trace_out, opts, out_format);
      return trace_stats(trace_in, opts);
    }
    if (*cmp) {
      isim::FlatStats a, b;
      try {
        a = isim::load_stats(cmp_a);
        b = isim::load_stats(cmp_b);
      } catch (const std::exception& e) {
        // Unreadable input is not "a difference": CI scripts can tell the two apart.
        std::cerr << "error: " << e.what() << '\n';
        return 2;
      }
      const auto r = isim::compare_stats(a, b, co);
      isim::print_diffs(std::cout, r, cmp_a, cmp_b);
      return r.diffs.empty() ? 0 : 1;
    }
    if (*sweep) {
      so.exe = self_exe();
      auto spec = isim::load_sweep(sweep_file);
      spec.set.insert(spec.set.end(), sweep_sets.begin(), sweep_sets.end());
      if (dry_run) {
        const auto points = isim::expand_points(spec);
        // Each point's config is loaded and validated (no simulation), so a bad key or value
        // shows here rather than as failed points.
        for (const auto& p : points) {
          std::vector<std::string> sets_of_point = isim::point_overrides(spec, p);
          isim::load_platform_file(isim::sweep_base_path(spec), parse_overrides(sets_of_point));
          std::cout << p.id;
          for (const auto& o : sets_of_point) std::cout << ' ' << o;
          std::cout << '\n';
        }
        std::cout << fmt::format("{} points\n", points.size());
        return 0;
      }
      const unsigned failed = isim::run_sweep(spec, so, std::cout);
      for (const auto& p : spec.plots) {
        isim::PlotOptions o;
        o.csv = so.out_dir + "/results.csv";
        o.x = p.x;
        o.y = p.y;
        o.series = p.series;
        o.output = so.out_dir + "/" + p.output;
        // The results are safe in results.csv: a chart that cannot be drawn (no data yet, no
        // gnuplot) is reported, and the sweep's status stays that of its points.
        try {
          if (isim::make_plot(o) == 0) std::cout << fmt::format("plot: {}\n", o.output);
        } catch (const std::exception& e) {
          std::cerr << fmt::format("warning: plot {} not made: {}\n", o.output, e.what());
        }
      }
      return failed ? 1 : 0;
    }
    if (*plot) {
      const int rc = isim::make_plot(po);
      if (rc == 0) std::cout << fmt::format("plot written to {}\n", po.output);
      return rc;
    }
    if (*scen) {
      const auto overrides = parse_overrides(sets);
      isim::ScenarioOutcome total;
      for (const auto& f : scenario_files) {
        const auto o = run_scenario_file(f, overrides);
        total.passed += o.passed;
        total.failed += o.failed;
      }
      std::cout << fmt::format("{} passed, {} failed\n", total.passed, total.failed);
      return total.failed ? 1 : 0;
    }
    if (*list) {
      bool found = false;
      list_types(isim::iommu_types(), "iommu", list_type, found);
      list_types(isim::device_types(), "device", list_type, found);
      if (!found) {
        std::cerr << fmt::format("error: no component type '{}' (try `iommu-sim list`)\n",
                                 list_type);
        return 2;
      }
      return 0;
    }
  } catch (const isim::cfg::ConfigError& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 2;
  } catch (const isim::trace::TraceError& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

// Our own entry point, so the SystemC banner (printed by the library before sc_main) does not
// precede every command's output, including --help and error messages.
int main(int argc, char* argv[]) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
