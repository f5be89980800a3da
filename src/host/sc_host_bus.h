// The SystemC HostBus: register accesses are timed transactions from the platform's CPU port
// through the system bus to the IOMMU's register block (so they queue and cost what the bus
// and the register model charge), plus a per-access CPU overhead; memory is the functional
// store; pause() waits; papr() is the IOMMU's own hypervisor interface when it has one (its
// calls take the time the model charges). Must be used from an SC_THREAD.
#pragma once

#include <functional>

#include "host/host_bus.h"
#include "hw/papr_if.h"
#include "hw/sparse_memory.h"
#include "sim/cpu_port.h"

namespace isim::host {

class ScHostBus final : public HostBus {
 public:
  ScHostBus(CpuPort& cpu, SparseMemory& mem, uint64_t mmio_base, Tick cpu_overhead,
            PaprInterface* papr = nullptr)
      : cpu_(cpu), mem_(mem), base_(mmio_base), overhead_(cpu_overhead), papr_(papr) {}

  uint64_t mmio_read(uint32_t offset, unsigned size) override;
  void mmio_write(uint32_t offset, unsigned size, uint64_t value) override;
  PhysMem& memory() override { return mem_; }
  void pause(Tick ps) override;
  Tick now() const override;
  PaprInterface* papr() override { return papr_; }

 private:
  CpuPort& cpu_;
  SparseMemory& mem_;
  uint64_t base_;
  Tick overhead_;
  PaprInterface* papr_;
};

/// The platform's factory: `mmio_base` names an IOMMU's register block address (throws
/// std::out_of_range for an unknown name).
class ScHostBusFactory final : public HostBusFactory {
 public:
  ScHostBusFactory(CpuPort& cpu, SparseMemory& mem,
                   std::function<uint64_t(const std::string&)> mmio_base)
      : cpu_(cpu), mem_(mem), mmio_base_(std::move(mmio_base)) {}
  std::unique_ptr<HostBus> open(const std::string& iommu, Tick cpu_overhead) override;

 private:
  CpuPort& cpu_;
  SparseMemory& mem_;
  std::function<uint64_t(const std::string&)> mmio_base_;
};

}  // namespace isim::host
