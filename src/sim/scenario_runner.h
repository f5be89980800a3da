// Runs a scenario's steps against a freshly built platform, in simulated time, and reports
// every failed expectation with the scenario file and the step's line.
#pragma once

#include <ostream>

#include "base/time.h"
#include "sim/scenario.h"

namespace isim {

struct ScenarioOptions {
  Tick poll_interval = 100'000;  ///< simulated time between two reads of a poll step (100ns)
};

struct ScenarioOutcome {
  unsigned passed = 0;  ///< steps that did what they expected
  unsigned failed = 0;  ///< steps with a failed expectation (each reported on `out`)
};

/// Builds the scenario's platform, runs all steps, and returns the counts. Creates SystemC
/// modules: call once per process.
ScenarioOutcome run_scenario(const Scenario& sc, std::ostream& out,
                             const ScenarioOptions& opts = {});

}  // namespace isim
