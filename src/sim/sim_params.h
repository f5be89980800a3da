// Simulation-wide settings: the `sim:` section of a platform config.
#pragma once

#include <cstdint>

#include "sim/param_types.h"

namespace isim {

struct SimParams {
  uint64_t seed = 1;                     ///< global seed; each component derives its own stream
  cfg::TimeValue duration{200'000'000};  ///< simulated time a `run` lasts (200us)
  cfg::TimeValue quantum{1'000'000};     ///< temporal-decoupling quantum (1us)

  template <class V>
  void visit(V& v) {
    using cfg::Range;
    v.param("seed", seed, "global random seed (same config + seed => identical stats)");
    v.param("duration", duration, "simulated time of a run",
            Range<cfg::TimeValue>{{1}, {uint64_t{3600} * 1'000'000'000'000}});
    v.param("quantum", quantum, "temporal-decoupling quantum of loosely-timed initiators",
            Range<cfg::TimeValue>{{1000}, {uint64_t{1'000'000'000'000}}});
  }
};

}  // namespace isim
