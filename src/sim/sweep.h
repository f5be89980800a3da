// `iommu-sim sweep FILE -j N --out DIR`: a base config, axes of `--set` values (explicit lists,
// linear and log ranges; their `product` or `zip`), repeats with different seeds. Each point
// runs as its own `iommu-sim run` process (fork/exec: the SystemC kernel runs once per
// process); DIR/points/ID/ holds its stats.json, stats.csv, log.txt and point.json (values,
// seed, status); DIR/results.csv has a row per point with the varied values and the headline
// stats. Points whose point.json says ok are skipped, so running again resumes; a failed point is
// recorded and the rest go on. The file format is in docs/workflows.md.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace isim {

struct SweepAxis {
  std::string key;   ///< config key path, as for --set
  std::string name;  ///< CSV column (default: the key)
  std::vector<std::string> values;
};

struct SweepPlot {
  std::string x, y, series;  ///< CSV columns
  std::string output;        ///< file name under the output directory (.svg or .png)
};

struct SweepSpec {
  std::string file;
  std::string base;              ///< platform config (relative paths: to the sweep file)
  std::vector<std::string> set;  ///< fixed overrides for every point
  std::vector<SweepAxis> axes;
  bool zip = false;      ///< pair axes element-wise instead of their product
  unsigned repeats = 1;  ///< runs per point, seeds seed, seed+1, ...
  uint64_t seed = 1;
  std::vector<std::string> stats;  ///< globs of stats in results.csv (default: headline)
  std::vector<SweepPlot> plots;
};

struct SweepPoint {
  std::string id;  ///< directory name: p0000, or p0000-r1 with repeats
  size_t index = 0;
  unsigned repeat = 0;
  uint64_t seed = 0;
  std::vector<std::string> values;  ///< one per axis
};

/// Loads and validates a sweep file; throws ConfigError naming file, line and key.
SweepSpec load_sweep(const std::string& file);

/// The base config's path (relative bases are relative to the sweep file).
std::string sweep_base_path(const SweepSpec& spec);
/// The `--set` overrides of one point: the fixed ones, its axis values, its seed.
std::vector<std::string> point_overrides(const SweepSpec& spec, const SweepPoint& p);

/// Every point, in a fixed order (first axis slowest), repeats innermost.
std::vector<SweepPoint> expand_points(const SweepSpec& spec);

struct SweepRunOptions {
  std::string out_dir = "sweep-out";
  unsigned jobs = 1;
  std::string exe;  ///< the iommu-sim binary to run points with
};

/// Runs the sweep; returns the number of failed points.
unsigned run_sweep(const SweepSpec& spec, const SweepRunOptions& opts, std::ostream& out);

/// Writes DIR/results.csv from the points' files.
void write_results_csv(const SweepSpec& spec, const std::vector<SweepPoint>& points,
                       const std::string& out_dir);

}  // namespace isim
