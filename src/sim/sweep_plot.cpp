#include "sim/sweep_plot.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <stdexcept>

namespace isim {
namespace {

// RFC 4180 fields (as stats::csv_field writes them).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> f(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        f.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        f.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      f.emplace_back();
    } else if (c != '\r') {
      f.back() += c;
    }
  }
  return f;
}

bool to_number(const std::string& s, double& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

std::string quote(const std::string& s) {
  std::string q = "\"";
  for (const char c : s) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return q + "\"";
}

}  // namespace

PlotData load_plot_data(const PlotOptions& o) {
  std::ifstream in(o.csv);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", o.csv));
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(fmt::format("{}: empty", o.csv));
  const auto header = split_csv(line);
  auto column = [&](const std::string& name) -> int {
    if (name.empty()) return -1;
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
      std::string cols;
      for (const auto& h : header) cols += (cols.empty() ? "" : ", ") + h;
      throw std::runtime_error(fmt::format("{}: no column '{}' (columns: {})", o.csv, name, cols));
    }
    return static_cast<int>(it - header.begin());
  };
  const int cx = column(o.x), cy = column(o.y), cs = column(o.series);
  const auto st = std::find(header.begin(), header.end(), "status");
  const int cstatus = st == header.end() ? -1 : static_cast<int>(st - header.begin());
  // series -> x -> (sum, n), keeping first-seen x order for categorical axes.
  std::map<std::string, std::vector<std::pair<std::string, std::pair<double, unsigned>>>> acc;
  PlotData d;
  while (std::getline(in, line)) {
    const auto f = split_csv(line);
    if (f.size() != header.size()) continue;
    if (cstatus >= 0 && f[static_cast<size_t>(cstatus)] != "ok") continue;
    double y = 0, x = 0;
    if (!to_number(f[static_cast<size_t>(cy)], y)) continue;
    const std::string& xs = f[static_cast<size_t>(cx)];
    if (!to_number(xs, x)) d.numeric_x = false;
    auto& pts = acc[cs >= 0 ? f[static_cast<size_t>(cs)] : o.y];
    auto it = std::find_if(pts.begin(), pts.end(), [&](const auto& p) { return p.first == xs; });
    if (it == pts.end()) {
      pts.push_back({xs, {y, 1}});
    } else {
      it->second.first += y;
      ++it->second.second;
    }
  }
  for (auto& [name, pts] : acc) {
    if (d.numeric_x)
      std::stable_sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) {
        return std::stod(a.first) < std::stod(b.first);
      });
    auto& out = d.series[name];
    for (const auto& [xs, sn] : pts) out.push_back({xs, sn.first / sn.second});
  }
  if (d.series.empty()) throw std::runtime_error(fmt::format("{}: no rows to plot", o.csv));
  return d;
}

void write_gnuplot_script(const PlotOptions& o, const PlotData& d, const std::string& script) {
  std::ofstream s(script);
  const bool png = o.output.ends_with(".png");
  s << (png ? "set terminal pngcairo size 960,600\n" : "set terminal svg size 960,600 dynamic\n");
  s << "set output " << quote(o.output) << '\n';
  s << "set title " << quote(o.title.empty() ? o.y + " vs " + o.x : o.title) << " noenhanced\n";
  s << "set xlabel " << quote(o.x) << " noenhanced\nset ylabel " << quote(o.y)
    << " noenhanced\nset grid\nset key inside top left noenhanced\n";
  if (d.numeric_x) {
    double lo = INFINITY, hi = 0;
    for (const auto& [n, pts] : d.series)
      for (const auto& [x, y] : pts) {
        lo = std::min(lo, std::stod(x));
        hi = std::max(hi, std::stod(x));
      }
    // Sweeps over sizes and counts are usually geometric: a log axis spreads their points.
    if (lo > 0 && hi / lo > 100) s << "set logscale x 2\n";
  } else {
    s << "set style data histogram\nset style fill solid 0.8\nset boxwidth 0.8\n";
  }
  s << "plot ";
  size_t i = 0;
  for (const auto& [name, pts] : d.series) {
    s << (i++ ? ", " : "") << "'-' "
      << (d.numeric_x ? "using 1:2 with linespoints" : "using 2:xtic(1)") << " title "
      << quote(name);
  }
  s << '\n';
  for (const auto& [name, pts] : d.series) {
    for (const auto& [x, y] : pts)
      s << (d.numeric_x ? x : quote(x)) << ' ' << fmt::format("{}", y) << '\n';
    s << "e\n";
  }
}

int make_plot(const PlotOptions& o) {
  if (!o.output.ends_with(".svg") && !o.output.ends_with(".png"))
    throw std::runtime_error(fmt::format("{}: the output must end in .svg or .png", o.output));
  const PlotData d = load_plot_data(o);
  const std::string script = o.output + ".gp";
  write_gnuplot_script(o, d, script);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    execlp("gnuplot", "gnuplot", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    throw std::runtime_error("gnuplot not found (install gnuplot-nox: scripts/setup.sh)");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace isim
