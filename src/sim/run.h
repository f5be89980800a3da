// `iommu-sim run`: build a platform from a config, simulate, write the stats files and print a
// short summary.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "sim/platform_config.h"

namespace isim {

struct RunOptions {
  std::string out_dir = "out";       ///< where stats.json and stats.csv go
  std::vector<std::string> summary;  ///< glob patterns of stats to print (empty: headline)
  std::string record_trace;          ///< record every DMA to this trace file (empty: off)
  bool record_out = false;           ///< record each DMA's physical address as its out=
};

/// Runs one simulation (once per process). Returns the process exit status: 1 when a device
/// says the run failed (DeviceBase::run_error, printed to `err`), after the stats are written.
int run_simulation(const PlatformConfig& config, const RunOptions& opts, std::ostream& out,
                   std::ostream& err);

}  // namespace isim
