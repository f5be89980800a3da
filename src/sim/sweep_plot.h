// `iommu-sim plot RESULTS.csv --x P --y S [--series P] -o FILE.svg|png`: a line chart of a sweep's
// results through gnuplot. Rows of failed points are left out; repeats of one (series, x) are
// averaged; x is numeric (log scale when it spans more than two decades) or, if any x value is
// not a number, categorical (a bar per value).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace isim {

struct PlotOptions {
  std::string csv, x, y, series, output;
  std::string title;  ///< default: "y vs x"
};

/// One line per series: (x text, mean y) in x order.
struct PlotData {
  bool numeric_x = true;
  std::map<std::string, std::vector<std::pair<std::string, double>>> series;
};

/// Reads the CSV and groups it; throws std::runtime_error on unknown columns.
PlotData load_plot_data(const PlotOptions& o);

/// Writes the gnuplot script for `d` (data inline) to `script`.
void write_gnuplot_script(const PlotOptions& o, const PlotData& d, const std::string& script);

/// Loads, writes the script next to the output and runs gnuplot. Returns gnuplot's exit status.
int make_plot(const PlotOptions& o);

}  // namespace isim
