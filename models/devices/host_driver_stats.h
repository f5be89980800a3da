// The stats of a host IOMMU driver, as every device that runs one reports them: its host bus's
// register traffic and pauses, and its domain-API calls (docs/host.md, "Stats").
#pragma once

#include "host/host_bus.h"
#include "host/iommu_driver.h"
#include "hw/stats/stats.h"

namespace isim {

/// Registers the bus's and the driver's counts in `g` (by reference: they stay live).
void add_host_driver_stats(stats::Group& g, const host::HostBusCounts& b,
                           const host::DriverCounts& d);

}  // namespace isim
