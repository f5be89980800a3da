#include "sim/sweep.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "hw/stats/stats_writer.h"
#include "sim/compare.h"
#include "sim/config_error.h"
#include "sim/yaml_doc.h"

namespace isim {
namespace fs = std::filesystem;
namespace {

using cfg::ConfigError;

[[noreturn]] void fail(const YAML::Node& n, const cfg::SourceInfo& src, const std::string& path,
                       const std::string& msg) {
  throw ConfigError(cfg::error_at(n, src, path, msg));
}

double need_number(const YAML::Node& map, const char* key, const cfg::SourceInfo& src,
                   const std::string& path) {
  const YAML::Node n = cfg::child(map, key);
  if (!cfg::present(n)) fail(map, src, path, fmt::format("needs '{}'", key));
  try {
    return n.as<double>();
  } catch (const YAML::Exception&) {
    fail(n, src, cfg::join_path(path, key), "expected a number");
  }
}

// Integers print without a fraction, so `--set` reads them as integers.
std::string number_text(double v, const std::string& suffix) {
  if (std::fabs(v) < 9e15 && v == std::floor(v))
    return fmt::format("{}{}", static_cast<int64_t>(v), suffix);
  return fmt::format("{}{}", v, suffix);
}

// How many values a range may produce: guards against a step that never reaches `to`.
constexpr size_t kMaxAxisValues = 100000;

std::vector<std::string> axis_values(const YAML::Node& a, const cfg::SourceInfo& src,
                                     const std::string& path) {
  std::vector<std::string> v;
  const std::string suffix = cfg::present(cfg::child(a, "suffix"))
                                 ? cfg::child(a, "suffix").as<std::string>()
                                 : std::string();
  const YAML::Node list = cfg::child(a, "values");
  const YAML::Node lin = cfg::child(a, "range");
  const YAML::Node log = cfg::child(a, "log");
  const int kinds = cfg::present(list) + cfg::present(lin) + cfg::present(log);
  if (kinds != 1) fail(a, src, path, "needs exactly one of 'values', 'range', 'log'");
  if (cfg::present(list)) {
    if (!list.IsSequence() || list.size() == 0)
      fail(list, src, path + ".values", "expected a non-empty list");
    for (const auto& x : list) v.push_back(x.as<std::string>() + suffix);
    return v;
  }
  const bool is_log = cfg::present(log);
  const YAML::Node r = is_log ? log : lin;
  const std::string rp = path + (is_log ? ".log" : ".range");
  if (!r.IsMap()) fail(r, src, rp, "expected a mapping {from, to, step|factor}");
  const double from = need_number(r, "from", src, rp);
  const double to = need_number(r, "to", src, rp);
  const double by = need_number(r, is_log ? "factor" : "step", src, rp);
  if (is_log ? (by <= 1 || from <= 0) : by <= 0)
    fail(r, src, rp, is_log ? "needs from > 0 and factor > 1" : "needs step > 0");
  if (to < from) fail(r, src, rp, "needs to >= from");
  // A relative epsilon keeps `to` in when repeated steps land a rounding error past it.
  const double end = to * (1 + 1e-12);
  for (double x = from; x <= end; x = is_log ? x * by : x + by) {
    v.push_back(number_text(x, suffix));
    if (v.size() > kMaxAxisValues) fail(r, src, rp, "too many values");
  }
  return v;
}

std::string point_dir(const std::string& out, const SweepPoint& p) {
  return (fs::path(out) / "points" / p.id).string();
}

bool point_done(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "point.json");
  if (!in) return false;
  try {
    nlohmann::json j;
    in >> j;
    return j.value("status", "") == "ok" && fs::exists(fs::path(dir) / "stats.json");
  } catch (const std::exception&) {
    return false;
  }
}

void write_point_json(const SweepSpec& spec, const SweepPoint& p, const std::string& dir,
                      const std::string& status, int exit_code) {
  nlohmann::json j;
  j["id"] = p.id;
  j["seed"] = p.seed;
  j["repeat"] = p.repeat;
  j["status"] = status;
  j["exit"] = exit_code;
  nlohmann::json values = nlohmann::json::object();
  for (size_t i = 0; i < spec.axes.size(); ++i) values[spec.axes[i].key] = p.values[i];
  j["values"] = values;
  std::ofstream(fs::path(dir) / "point.json") << j.dump(2) << '\n';
}

pid_t start_point(const SweepSpec& spec, const SweepPoint& p, const std::string& dir,
                  const std::string& exe) {
  std::vector<std::string> args = {exe, "run", sweep_base_path(spec), "--out", dir};
  for (const auto& o : point_overrides(spec, p)) args.insert(args.end(), {"--set", o});
  const std::string log = (fs::path(dir) / "log.txt").string();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

std::string hms(double s) {
  const auto t = static_cast<long>(s + 0.5);
  return fmt::format("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
}

const std::vector<std::string> kHeadline = {"*.throughput", "*.requests_per_us", "*.latency.p50",
                                            "*.latency.p99", "*.errors"};

std::string csv(const std::string& s) {
  return stats::csv_field(s);
}

}  // namespace

std::string sweep_base_path(const SweepSpec& spec) {
  const fs::path b(spec.base);
  if (b.is_absolute()) return b.string();
  return (fs::path(spec.file).parent_path() / b).lexically_normal().string();
}

std::vector<std::string> point_overrides(const SweepSpec& spec, const SweepPoint& p) {
  std::vector<std::string> o = spec.set;
  for (size_t i = 0; i < spec.axes.size(); ++i) o.push_back(spec.axes[i].key + "=" + p.values[i]);
  o.push_back(fmt::format("sim.seed={}", p.seed));
  return o;
}

SweepSpec load_sweep(const std::string& file) {
  const YAML::Node root = cfg::load_yaml_file(file);
  cfg::SourceInfo src;
  src.file = file;
  if (!root.IsMap()) fail(root, src, "", "a sweep file is a mapping");
  static const std::set<std::string> kKeys = {"base",    "set",  "axes",  "combine",
                                              "repeats", "seed", "stats", "plots"};
  for (const auto& kv : root) {
    const auto k = kv.first.as<std::string>();
    if (!kKeys.count(k)) {
      const auto near = cfg::closest_key(k, {kKeys.begin(), kKeys.end()});
      fail(kv.first, src, k,
           near.empty() ? "unknown key" : fmt::format("unknown key (did you mean '{}'?)", near));
    }
  }
  SweepSpec s;
  s.file = file;
  const YAML::Node base = cfg::child(root, "base");
  if (!cfg::present(base)) fail(root, src, "base", "a sweep needs a base config");
  s.base = base.as<std::string>();
  if (const auto set = cfg::child(root, "set"); cfg::present(set)) {
    if (!set.IsSequence()) fail(set, src, "set", "expected a list of key=value");
    for (const auto& x : set) s.set.push_back(x.as<std::string>());
  }
  const YAML::Node axes = cfg::child(root, "axes");
  if (!cfg::present(axes) || !axes.IsSequence() || axes.size() == 0)
    fail(root, src, "axes", "a sweep needs a non-empty list of axes");
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto path = fmt::format("axes.{}", i);
    const YAML::Node a = axes[i];
    if (!a.IsMap() || !cfg::present(cfg::child(a, "key")))
      fail(a, src, path, "an axis needs a 'key'");
    for (const auto& kv : a) {
      const auto k = kv.first.as<std::string>();
      if (k != "key" && k != "name" && k != "values" && k != "range" && k != "log" && k != "suffix")
        fail(kv.first, src, path + "." + k, "unknown key (key, name, values, range, log, suffix)");
    }
    SweepAxis ax;
    ax.key = cfg::child(a, "key").as<std::string>();
    ax.name =
        cfg::present(cfg::child(a, "name")) ? cfg::child(a, "name").as<std::string>() : ax.key;
    ax.values = axis_values(a, src, path);
    s.axes.push_back(std::move(ax));
  }
  if (const auto c = cfg::child(root, "combine"); cfg::present(c)) {
    const auto v = c.as<std::string>();
    if (v != "product" && v != "zip") fail(c, src, "combine", "expected product or zip");
    s.zip = v == "zip";
  }
  if (s.zip)
    for (size_t i = 1; i < s.axes.size(); ++i)
      if (s.axes[i].values.size() != s.axes[0].values.size())
        fail(axes[i], src, fmt::format("axes.{}", i),
             fmt::format("zip: has {} values, the first axis {}", s.axes[i].values.size(),
                         s.axes[0].values.size()));
  if (const auto r = cfg::child(root, "repeats"); cfg::present(r)) {
    const long n = r.as<long>();
    if (n < 1 || n > 10000) fail(r, src, "repeats", "expected 1..10000");
    s.repeats = static_cast<unsigned>(n);
  }
  if (const auto sd = cfg::child(root, "seed"); cfg::present(sd)) s.seed = sd.as<uint64_t>();
  if (const auto st = cfg::child(root, "stats"); cfg::present(st))
    for (const auto& x : st) s.stats.push_back(x.as<std::string>());
  if (const auto pl = cfg::child(root, "plots"); cfg::present(pl)) {
    for (size_t i = 0; i < pl.size(); ++i) {
      const auto path = fmt::format("plots.{}", i);
      SweepPlot p;
      if (!cfg::present(cfg::child(pl[i], "x")) || !cfg::present(cfg::child(pl[i], "y")) ||
          !cfg::present(cfg::child(pl[i], "output")))
        fail(pl[i], src, path, "a plot needs x, y and output");
      p.x = pl[i]["x"].as<std::string>();
      p.y = pl[i]["y"].as<std::string>();
      p.output = pl[i]["output"].as<std::string>();
      if (cfg::present(cfg::child(pl[i], "series"))) p.series = pl[i]["series"].as<std::string>();
      s.plots.push_back(std::move(p));
    }
  }
  return s;
}

std::vector<SweepPoint> expand_points(const SweepSpec& spec) {
  std::vector<std::vector<std::string>> combos;
  if (spec.zip) {
    for (size_t i = 0; i < spec.axes[0].values.size(); ++i) {
      std::vector<std::string> c;
      for (const auto& a : spec.axes) c.push_back(a.values[i]);
      combos.push_back(std::move(c));
    }
  } else {
    combos.push_back({});
    for (const auto& a : spec.axes) {
      std::vector<std::vector<std::string>> next;
      for (const auto& c : combos)
        for (const auto& v : a.values) {
          auto n = c;
          n.push_back(v);
          next.push_back(std::move(n));
        }
      combos = std::move(next);
    }
  }
  std::vector<SweepPoint> pts;
  for (size_t i = 0; i < combos.size(); ++i)
    for (unsigned r = 0; r < spec.repeats; ++r) {
      SweepPoint p;
      p.index = i;
      p.repeat = r;
      p.seed = spec.seed + r;
      p.values = combos[i];
      p.id = spec.repeats > 1 ? fmt::format("p{:04}-r{}", i, r) : fmt::format("p{:04}", i);
      pts.push_back(std::move(p));
    }
  return pts;
}

unsigned run_sweep(const SweepSpec& spec, const SweepRunOptions& opts, std::ostream& out) {
  const auto points = expand_points(spec);
  std::vector<size_t> todo;
  size_t skipped = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    const auto dir = point_dir(opts.out_dir, points[i]);
    if (point_done(dir)) {
      ++skipped;
      continue;
    }
    fs::create_directories(dir);
    todo.push_back(i);
  }
  out << fmt::format("sweep {}: {} points, {} already done, running {} with -j {}\n", spec.file,
                     points.size(), skipped, todo.size(), opts.jobs);
  const auto t0 = std::chrono::steady_clock::now();
  std::map<pid_t, size_t> running;
  size_t next = 0, done = 0;
  unsigned failed = 0;
  auto progress = [&] {
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string eta =
        done ? hms(el / static_cast<double>(done) * static_cast<double>(todo.size() - done)) : "?";
    out << fmt::format("\r[{}/{}] done {}, failed {}, running {}, elapsed {}, ETA {}   ", done,
                       todo.size(), done - failed, failed, running.size(), hms(el), eta)
        << std::flush;
  };
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && running.size() < std::max(1u, opts.jobs)) {
      const auto& p = points[todo[next]];
      running[start_point(spec, p, point_dir(opts.out_dir, p), opts.exe)] = todo[next];
      ++next;
    }
    progress();
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) break;
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const auto& p = points[it->second];
    running.erase(it);
    ++done;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (!ok) ++failed;
    write_point_json(spec, p, point_dir(opts.out_dir, p), ok ? "ok" : "failed", code);
  }
  progress();
  out << '\n';
  write_results_csv(spec, points, opts.out_dir);
  out << fmt::format("results: {}\n", (fs::path(opts.out_dir) / "results.csv").string());
  if (failed) out << fmt::format("{} point(s) failed; see points/*/log.txt\n", failed);
  return failed;
}

void write_results_csv(const SweepSpec& spec, const std::vector<SweepPoint>& points,
                       const std::string& out_dir) {
  const auto& globs = spec.stats.empty() ? kHeadline : spec.stats;
  std::vector<FlatStats> all(points.size());
  std::vector<bool> ok(points.size());
  std::vector<std::string> columns;
  for (size_t i = 0; i < points.size(); ++i) {
    const auto dir = point_dir(out_dir, points[i]);
    ok[i] = point_done(dir);
    if (!ok[i]) continue;
    all[i] = load_stats((fs::path(dir) / "stats.json").string());
    if (columns.empty())
      for (const auto& [name, v] : all[i])
        for (const auto& g : globs)
          if (stats::glob_match(g, name)) {
            columns.push_back(name);
            break;
          }
  }
  std::ofstream os(fs::path(out_dir) / "results.csv");
  os << "point,repeat,seed";
  for (const auto& a : spec.axes) os << ',' << csv(a.name);
  os << ",status";
  for (const auto& c : columns) os << ',' << csv(c);
  os << '\n';
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    os << p.id << ',' << p.repeat << ',' << p.seed;
    for (const auto& v : p.values) os << ',' << csv(v);
    os << ',' << (ok[i] ? "ok" : "failed");
    for (const auto& c : columns) {
      os << ',';
      const auto it = all[i].find(c);
      if (ok[i] && it != all[i].end() && it->second) os << fmt::format("{}", *it->second);
    }
    os << '\n';
  }
}

}  // namespace isim
