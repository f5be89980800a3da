// `iommu-sim compare A.json B.json`: the regression gate. Stats files are flattened to
// (name, value) pairs (histograms to name.count, name.p50, ...; sim_time_ps included) and
// compared name by name within tolerances.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace isim {

/// name -> value; nullopt for an undefined value (JSON null).
using FlatStats = std::map<std::string, std::optional<double>>;

/// The "stats" of a stats document, plus its sim_time_ps.
FlatStats flatten_stats(const nlohmann::json& doc);
/// Reads and flattens a stats.json; throws std::runtime_error naming the file.
FlatStats load_stats(const std::string& path);

struct CompareOptions {
  double rel_tol = 0;               ///< allowed |a-b| / max(|a|,|b|)
  double abs_tol = 0;               ///< allowed |a-b|
  std::vector<std::string> only;    ///< globs: compare only matching stats (empty: all)
  std::vector<std::string> ignore;  ///< globs: skip matching stats
};

struct StatDiff {
  std::string name;
  std::optional<double> a, b;  ///< nullopt: undefined
  bool missing_a = false, missing_b = false;
  double rel = 0;  ///< relative difference (0 when undefined)
};

struct CompareResult {
  std::vector<StatDiff> diffs;
  size_t compared = 0;
};

CompareResult compare_stats(const FlatStats& a, const FlatStats& b, const CompareOptions& opts);

/// One line per difference, then a summary line.
void print_diffs(std::ostream& os, const CompareResult& r, const std::string& name_a,
                 const std::string& name_b);

}  // namespace isim
