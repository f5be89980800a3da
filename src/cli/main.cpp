// The iommu-sim command: run a config, run scenarios, list component types.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <systemc>

#include "sim/config_error.h"
#include "sim/registry.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/scenario_runner.h"

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
      return isim::run_simulation(cfg, {out_dir, summary}, std::cout);
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
