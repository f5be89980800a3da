// The live unit a scenario `migrate` step with `program: true` writes through: the destination
// IOMMU's own host driver (VT-d in scalable mode, SMMUv3, AMD-Vi), brought up on the first such
// step with its structures in that step's `tables`, and one PasidTable per requester over it.
// The migration library then programs the unit exactly as it writes standalone tables; what
// differs per architecture is the driver, the table view, and the kind of wait its
// invalidations end with (which the step's report counts).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "host/host_bus.h"
#include "pasid/pasid_table.h"

namespace isim {

class LiveDestination {
 public:
  virtual ~LiveDestination() = default;
  /// PASID bits the unit's tables index.
  virtual unsigned pasid_bits() const = 0;
  /// `rid`'s PASID table over the driver (made on first use, kept for the run).
  virtual pasid::PasidTable& table(uint16_t rid) = 0;
  /// Waits for invalidations completed so far.
  virtual uint64_t waits() const = 0;
  /// What one such wait is on this architecture, for the report.
  virtual const char* wait_name() const = 0;
};

/// Brings IOMMU `name` of type `type` up through `bus` with driver memory [pool_base,
/// pool_limit). Null with `why` set when the type has no PASID-programming driver or the unit
/// does not come up. Runs in a SystemC thread (the drivers poll with simulated time).
std::unique_ptr<LiveDestination> make_live_destination(const std::string& name,
                                                       const std::string& type,
                                                       std::unique_ptr<host::HostBus> bus,
                                                       uint64_t pool_base, uint64_t pool_limit,
                                                       std::string& why);

}  // namespace isim
