#include "models/devices/host_driver_stats.h"

namespace isim {

void add_host_driver_stats(stats::Group& g, const host::HostBusCounts& b,
                           const host::DriverCounts& d) {
  g.counter_ref("mmio_reads", &b.mmio_reads, "register reads by the driver", "count");
  g.counter_ref("mmio_writes", &b.mmio_writes, "register writes by the driver", "count");
  g.counter_ref("mmio_errors", &b.mmio_errors, "register accesses the bus failed", "count");
  g.counter_ref("mmio_time", &b.mmio_time, "time in register accesses", "ps");
  g.counter_ref("pause_time", &b.pause_time, "time paused (polling, software costs)", "ps");
  g.counter_ref("domains", &d.domains, "domains allocated", "count");
  g.counter_ref("attaches", &d.attaches, "requesters (and PASIDs) attached", "count");
  g.counter_ref("maps", &d.maps, "map calls", "count");
  g.counter_ref("unmaps", &d.unmaps, "unmap calls", "count");
  g.counter_ref("invalidations", &d.invalidations, "invalidations completed", "count");
  g.counter_ref("refused", &d.refused, "requests refused as not supported", "count");
}

}  // namespace isim
