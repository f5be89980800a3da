#include "sim/compare.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <stdexcept>

#include "hw/stats/stats_writer.h"

namespace isim {
namespace {

std::optional<double> number(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

bool any_match(const std::vector<std::string>& globs, const std::string& name) {
  for (const auto& g : globs)
    if (stats::glob_match(g, name)) return true;
  return false;
}

std::string show(const std::optional<double>& v, bool missing) {
  if (missing) return "(missing)";
  if (!v) return "n/a";
  return fmt::format("{}", *v);
}

}  // namespace

FlatStats flatten_stats(const nlohmann::json& doc) {
  FlatStats out;
  if (doc.contains("sim_time_ps")) out["sim_time_ps"] = number(doc["sim_time_ps"]);
  if (!doc.contains("stats") || !doc["stats"].is_object())
    throw std::runtime_error("not a stats file (no \"stats\" object)");
  for (const auto& [name, v] : doc["stats"].items()) {
    if (v.is_object()) {
      for (const auto& [k, x] : v.items()) out[name + "." + k] = number(x);
    } else {
      out[name] = number(v);
    }
  }
  return out;
}

FlatStats load_stats(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", path));
  nlohmann::json doc;
  try {
    in >> doc;
    return flatten_stats(doc);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: {}", path, e.what()));
  }
}

CompareResult compare_stats(const FlatStats& a, const FlatStats& b, const CompareOptions& opts) {
  CompareResult r;
  auto wanted = [&](const std::string& n) {
    return (opts.only.empty() || any_match(opts.only, n)) && !any_match(opts.ignore, n);
  };
  for (const auto& [name, va] : a) {
    if (!wanted(name)) continue;
    ++r.compared;
    const auto it = b.find(name);
    if (it == b.end()) {
      r.diffs.push_back({name, va, std::nullopt, false, true, 0});
      continue;
    }
    const auto& vb = it->second;
    if (!va || !vb) {
      if (va.has_value() != vb.has_value()) r.diffs.push_back({name, va, vb, false, false, 0});
      continue;
    }
    const double d = std::fabs(*va - *vb);
    const double scale = std::max(std::fabs(*va), std::fabs(*vb));
    const double rel = scale > 0 ? d / scale : 0;
    if (d == 0 || d <= opts.abs_tol || (opts.rel_tol > 0 && rel <= opts.rel_tol)) continue;
    r.diffs.push_back({name, va, vb, false, false, rel});
  }
  for (const auto& [name, vb] : b) {
    if (!wanted(name) || a.count(name)) continue;
    ++r.compared;
    r.diffs.push_back({name, std::nullopt, vb, true, false, 0});
  }
  return r;
}

void print_diffs(std::ostream& os, const CompareResult& r, const std::string& name_a,
                 const std::string& name_b) {
  size_t w = 0;
  for (const auto& d : r.diffs) w = std::max(w, d.name.size());
  for (const auto& d : r.diffs) {
    std::string rel = d.a && d.b && !d.missing_a && !d.missing_b
                          ? fmt::format("{:+.3g}%", 100.0 * d.rel * (*d.b >= *d.a ? 1 : -1))
                          : "";
    os << fmt::format("{:<{}}  {} -> {}  {}\n", d.name, w, show(d.a, d.missing_a),
                      show(d.b, d.missing_b), rel);
  }
  os << fmt::format("{} of {} stats differ between {} and {}\n", r.diffs.size(), r.compared, name_a,
                    name_b);
}

}  // namespace isim
