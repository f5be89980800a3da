// The one exception type of the statistics library: registration mistakes (bad or duplicate
// names) and misuse (an out-of-range percentile) are programming errors in a component, reported
// with the full hierarchical name so the offending component is obvious.
#pragma once

#include <stdexcept>
#include <string>

namespace isim::stats {

class StatsError : public std::runtime_error {
 public:
  explicit StatsError(const std::string& what) : std::runtime_error("stats: " + what) {}
};

}  // namespace isim::stats
