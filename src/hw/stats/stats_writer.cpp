#include "hw/stats/stats_writer.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <variant>

#include <fmt/format.h>

#ifndef ISIM_VERSION  // set by the build (isim_options); a fallback keeps the file standalone
#define ISIM_VERSION "unknown"
#endif

namespace isim::stats {

namespace {

constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

/// One printable value: integers stay integers so large counters print exactly.
using Number = std::variant<uint64_t, double>;

struct Row {
  std::string name;
  Number value;
  std::string_view unit;
  std::string desc;
  std::string_view base_name;  // the stat's full name (differs from name for histogram fields)
};

struct HistogramField {
  const char* suffix;
  double percentile;
};

constexpr std::array<HistogramField, 3> kPercentiles = {{{"p50", 50}, {"p90", 90}, {"p99", 99}}};

/// count, min, max, mean, p50, p90, p99 of a histogram, in that order.
std::vector<std::pair<const char*, Number>> histogram_values(const Histogram& h) {
  std::vector<std::pair<const char*, Number>> out;
  const bool empty = h.count() == 0;
  out.emplace_back("count", Number{h.count()});
  out.emplace_back("min", empty ? Number{kUndefined} : Number{h.min()});
  out.emplace_back("max", empty ? Number{kUndefined} : Number{h.max()});
  out.emplace_back("mean", Number{h.mean()});
  for (const auto& p : kPercentiles) out.emplace_back(p.suffix, Number{h.percentile(p.percentile)});
  return out;
}

Number single_value(const Stat& s) {
  switch (s.kind()) {
    case StatKind::kCounter:
      return static_cast<const Counter&>(s).value();
    case StatKind::kCounterRef:
      return static_cast<const CounterRef&>(s).value();
    case StatKind::kScalar:
      return static_cast<const Scalar&>(s).value();
    case StatKind::kFormula:
      return static_cast<const Formula&>(s).value();
    case StatKind::kHistogram:
      break;
  }
  return kUndefined;
}

/// The rows of every stat under root, in collect() order. `entries` must outlive the rows.
std::vector<Row> rows_of(const std::vector<StatEntry>& entries) {
  std::vector<Row> rows;
  for (const StatEntry& e : entries) {
    const Stat& s = *e.stat;
    if (s.kind() != StatKind::kHistogram) {
      rows.push_back({e.full_name, single_value(s), s.unit(), s.desc(), e.full_name});
      continue;
    }
    for (const auto& [suffix, value] : histogram_values(static_cast<const Histogram&>(s))) {
      const bool is_count = std::string_view(suffix) == "count";
      rows.push_back({e.full_name + "." + suffix, value,
                      is_count ? std::string_view("samples") : std::string_view(s.unit()),
                      s.desc() + " (" + suffix + ")", e.full_name});
    }
  }
  return rows;
}

double as_double(const Number& n) {
  return std::holds_alternative<uint64_t>(n) ? static_cast<double>(std::get<uint64_t>(n))
                                             : std::get<double>(n);
}

nlohmann::json as_json(const Number& n) {
  if (std::holds_alternative<uint64_t>(n)) return std::get<uint64_t>(n);
  const double d = std::get<double>(n);
  return std::isfinite(d) ? nlohmann::json(d) : nlohmann::json(nullptr);
}

/// Shortest round-trip text; empty for undefined.
std::string number_text(const Number& n) {
  if (std::holds_alternative<uint64_t>(n)) return std::to_string(std::get<uint64_t>(n));
  const double d = std::get<double>(n);
  if (!std::isfinite(d)) return {};
  std::array<char, 64> buf;
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  return std::string(buf.data(), res.ptr);
}

std::string summary_text(const Number& n) {
  if (std::holds_alternative<uint64_t>(n)) return std::to_string(std::get<uint64_t>(n));
  const double d = std::get<double>(n);
  if (!std::isfinite(d)) return "n/a";
  return fmt::format("{:.6g}", d);
}

}  // namespace

nlohmann::json to_json(const Group& root, const RunInfo& run, const JsonOptions& opts) {
  nlohmann::json doc = nlohmann::json::object();
  doc["program"] = run.program;
  doc["version"] = run.version.empty() ? std::string(ISIM_VERSION) : run.version;
  doc["seed"] = run.seed;
  doc["config"] = run.config;
  doc["sim_time_ps"] = run.sim_time_ps;

  nlohmann::json stats = nlohmann::json::object();
  nlohmann::json descs = nlohmann::json::object();
  for (const StatEntry& e : collect(root)) {
    const Stat& s = *e.stat;
    if (s.kind() == StatKind::kHistogram) {
      nlohmann::json h = nlohmann::json::object();
      for (const auto& [suffix, value] : histogram_values(static_cast<const Histogram&>(s))) {
        h[suffix] = as_json(value);
      }
      stats[e.full_name] = std::move(h);
    } else {
      stats[e.full_name] = as_json(single_value(s));
    }
    if (opts.descriptions) {
      descs[e.full_name] = {{"kind", std::string(kind_name(s.kind()))},
                            {"unit", s.unit()},
                            {"description", s.desc()}};
    }
  }
  doc["stats"] = std::move(stats);
  if (opts.descriptions) doc["descriptions"] = std::move(descs);
  return doc;
}

void write_json(std::ostream& os, const Group& root, const RunInfo& run, const JsonOptions& opts) {
  // Replace rather than throw on invalid UTF-8 in a caller's description or config string.
  os << to_json(root, run, opts)
            .dump(opts.indent, ' ', false, nlohmann::json::error_handler_t::replace)
     << '\n';
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

void write_csv(std::ostream& os, const Group& root) {
  os << "name,value,unit,description\n";
  const auto entries = collect(root);
  for (const Row& r : rows_of(entries)) {
    os << csv_field(r.name) << ',' << csv_field(number_text(r.value)) << ',' << csv_field(r.unit)
       << ',' << csv_field(r.desc) << '\n';
  }
}

std::vector<std::pair<std::string, double>> flatten(const Group& root) {
  std::vector<std::pair<std::string, double>> out;
  const auto entries = collect(root);
  for (Row& r : rows_of(entries)) out.emplace_back(std::move(r.name), as_double(r.value));
  return out;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Greedy matching with one backtrack point: the most recent '*' absorbs one more character
  // whenever the rest fails. Linear in practice, never exponential.
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

void write_summary(std::ostream& os, const Group& root, const SummaryOptions& opts) {
  const auto entries = collect(root);
  const auto selected = [&](const Row& r) {
    if (opts.patterns.empty()) return true;
    for (const std::string& pat : opts.patterns) {
      if (glob_match(pat, r.name) || glob_match(pat, r.base_name)) return true;
    }
    return false;
  };

  struct Line {
    std::string name, value;
    std::string_view unit;
    std::string desc;
  };
  std::vector<Line> lines;
  size_t name_w = 0, value_w = 0, unit_w = 0;
  for (Row& r : rows_of(entries)) {
    if (!selected(r)) continue;
    Line l{std::move(r.name), summary_text(r.value), r.unit, std::move(r.desc)};
    name_w = std::max(name_w, l.name.size());
    value_w = std::max(value_w, l.value.size());
    unit_w = std::max(unit_w, l.unit.size());
    lines.push_back(std::move(l));
  }
  for (const Line& l : lines) {
    std::string out = fmt::format("{:<{}}  {:>{}}", l.name, name_w, l.value, value_w);
    if (opts.units) out += fmt::format("  {:<{}}", l.unit, unit_w);
    if (opts.descriptions) out += "  " + l.desc;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    os << out << '\n';
  }
}

}  // namespace isim::stats
