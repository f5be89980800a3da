// The one way host software (drivers, the DMA API, hypervisors) reaches hardware: register
// accesses to one named IOMMU (or, in a PAPR partition, hypervisor calls to it), CPU loads and
// stores of the tables and descriptors it keeps in memory, and time passing while it polls. Pure
// C++ so drivers stay unit-testable; the SystemC implementation (sc_host_bus.h) sends register
// accesses through the platform's CPU port and the system bus, so every MMIO costs bus time, and is
// handed to devices through BuildContext::host.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/time.h"
#include "hw/phys_mem.h"

namespace isim {
class PaprInterface;
}

namespace isim::host {

/// What the bus did on behalf of its user (deterministic; devices turn them into stats).
struct HostBusCounts {
  uint64_t mmio_reads = 0;
  uint64_t mmio_writes = 0;
  uint64_t mmio_errors = 0;  ///< accesses the bus answered with an error (reads return ~0)
  Tick mmio_time = 0;        ///< time spent in register accesses
  Tick pause_time = 0;       ///< time let pass by pause() (polling)
};

class HostBus {
 public:
  virtual ~HostBus() = default;
  /// A `size`-byte (1, 2, 4, 8) uncached load from the IOMMU's register block at `offset`.
  virtual uint64_t mmio_read(uint32_t offset, unsigned size) = 0;
  virtual void mmio_write(uint32_t offset, unsigned size, uint64_t value) = 0;
  /// Memory the CPU keeps tables and descriptors in (coherent cached stores: no bus time).
  virtual PhysMem& memory() = 0;
  /// Lets `ps` of time pass (between polls, or to charge software cost).
  virtual void pause(Tick ps) = 0;
  /// Current simulated time.
  virtual Tick now() const = 0;
  /// The IOMMU's hypervisor interface when software reaches it through one (a PAPR partition
  /// programs a TCE bridge with hcalls and RTAS calls, not registers), else null.
  virtual PaprInterface* papr() { return nullptr; }

  const HostBusCounts& counts() const { return counts_; }

 protected:
  HostBusCounts counts_;
};

/// Hands out buses; the platform owns one (BuildContext::host).
class HostBusFactory {
 public:
  virtual ~HostBusFactory() = default;
  /// A bus to IOMMU `iommu`'s registers. `cpu_overhead` is added to every register access (the
  /// core's uncached-access cost beyond the bus). Throws std::out_of_range for an unknown name.
  virtual std::unique_ptr<HostBus> open(const std::string& iommu, Tick cpu_overhead) = 0;
};

}  // namespace isim::host
