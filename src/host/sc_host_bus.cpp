#include "host/sc_host_bus.h"

#include "hw/sc_time_util.h"

namespace isim::host {

uint64_t ScHostBus::mmio_read(uint32_t offset, unsigned size) {
  const Tick start = now();
  if (overhead_) sc_core::wait(from_ticks(overhead_));
  const auto v = cpu_.read(base_ + offset, size);
  ++counts_.mmio_reads;
  counts_.mmio_time += now() - start;
  if (!v) {
    // A failed uncached load reads as all ones, as a PCIe master abort does.
    ++counts_.mmio_errors;
    return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (size * 8)) - 1;
  }
  return *v;
}

void ScHostBus::mmio_write(uint32_t offset, unsigned size, uint64_t value) {
  const Tick start = now();
  if (overhead_) sc_core::wait(from_ticks(overhead_));
  if (!cpu_.write(base_ + offset, size, value)) ++counts_.mmio_errors;
  ++counts_.mmio_writes;
  counts_.mmio_time += now() - start;
}

void ScHostBus::pause(Tick ps) {
  sc_core::wait(from_ticks(ps));
  counts_.pause_time += ps;
}

std::unique_ptr<HostBus> ScHostBusFactory::open(const std::string& iommu, Tick cpu_overhead) {
  const uint64_t base = mmio_base_(iommu);
  // IOMMU modules are named after their config entry, at the top level.
  auto* papr = dynamic_cast<PaprInterface*>(sc_core::sc_find_object(iommu.c_str()));
  return std::make_unique<ScHostBus>(cpu_, mem_, base, cpu_overhead, papr);
}

Tick ScHostBus::now() const {
  return to_ticks(sc_core::sc_time_stamp());
}

}  // namespace isim::host
