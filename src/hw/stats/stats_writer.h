// Output of a stats tree: a JSON document (with the run's identity and resolved config), CSV
// rows, a flat (name, value) list for sweeps and comparisons, and an aligned text summary.
//
// Every writer lists stats in the order of collect() (stats.h): by full name, byte order. A
// histogram `h` expands, wherever one value per name is needed (CSV, flatten, summary), into
// h.count, h.min, h.max, h.mean, h.p50, h.p90, h.p99 in that order. Undefined values (NaN) are
// JSON null, an empty CSV field, NaN in flatten() and "n/a" in the summary.
//
// Determinism: identical stats give byte-identical output, whatever the registration order.
// Doubles are printed as the shortest text that reads back to the same double (nlohmann's
// number printer in JSON, std::to_chars in CSV), both locale-independent.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/time.h"
#include "hw/stats/stats.h"

namespace isim::stats {

/// Who produced the stats and with what: the header of the JSON document.
struct RunInfo {
  std::string program = "iommu-sim";
  std::string version;  // empty: this build's version (ISIM_VERSION)
  uint64_t seed = 0;
  nlohmann::json config = nlohmann::json::object();  // the resolved config, verbatim
  Tick sim_time_ps = 0;                              // simulated time at the dump
};

struct JsonOptions {
  /// Adds "descriptions": {"<full.name>": {"kind", "unit", "description"}} next to "stats".
  bool descriptions = false;
  /// Indentation of write_json(); a negative value writes one line.
  int indent = 2;
};

/// The document
///   {"program", "version", "seed", "config", "sim_time_ps",
///    "stats": {"<full.name>": value, ...}[, "descriptions": {...}]}
/// Counters are integers, scalars and formulas numbers (null if undefined), histograms objects
/// {count, min, max, mean, p50, p90, p99} (all but count null when empty). Objects print their
/// keys sorted, so "stats" is in collect() order.
nlohmann::json to_json(const Group& root, const RunInfo& run, const JsonOptions& opts = {});
/// to_json() printed with opts.indent, followed by a newline.
void write_json(std::ostream& os, const Group& root, const RunInfo& run,
                const JsonOptions& opts = {});

/// A header `name,value,unit,description` and one row per value, RFC 4180 quoting (a field
/// containing a comma, quote, CR or LF is quoted and its quotes doubled). Counters print as
/// integers; the histogram count's unit is "samples".
void write_csv(std::ostream& os, const Group& root);

/// One (full name, value) pair per value, histograms expanded. Counters above 2^53 lose
/// precision in the conversion to double.
std::vector<std::pair<std::string, double>> flatten(const Group& root);

struct SummaryOptions {
  /// Glob patterns (see glob_match) on full names; a row is printed if any matches its own name
  /// (e.g. "*.p99") or, for a histogram row, the histogram's name. Empty: print everything.
  std::vector<std::string> patterns;
  bool units = true;
  bool descriptions = false;
};

/// Aligned columns `name  value  unit  [description]` for the end-of-run summary. Integers print
/// exactly, other numbers with 6 significant digits.
void write_summary(std::ostream& os, const Group& root, const SummaryOptions& opts = {});

/// Shell-style match over the whole text: '*' matches any run of characters (dots included),
/// '?' any one character; everything else matches itself.
bool glob_match(std::string_view pattern, std::string_view text);

/// `s` as one CSV field (quoted only when needed).
std::string csv_field(std::string_view s);

}  // namespace isim::stats
