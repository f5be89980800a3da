// What a component factory gets when the platform builds it.
#pragma once

#include "hw/sparse_memory.h"
#include "hw/stats/stats.h"
#include "sim/platform_config.h"

namespace isim::host {
class HostBusFactory;
}

namespace isim {

struct BuildContext {
  const PlatformConfig& config;  ///< the whole validated platform
  SparseMemory& memory;          ///< functional view of physical memory (loading, debug)
  stats::Group& stats;           ///< the root group ("system"); components add a child
  /// Host software models reach IOMMU registers through buses from here (null in bare tests).
  host::HostBusFactory* host = nullptr;
};

}  // namespace isim
