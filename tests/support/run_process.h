// Tests that run the simulator as a user would: one `iommu-sim` process per run, its output
// kept in a log file beside the run's results.
#pragma once

#include <string>
#include <vector>

namespace isim::test {

/// Runs `args` (args[0] is the program's path) with stdout and stderr written to `log`, and
/// waits for it: its exit status, or -1 if it could not be started or did not exit normally.
int run_process(std::vector<std::string> args, const std::string& log);

}  // namespace isim::test
