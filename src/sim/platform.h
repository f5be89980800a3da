// A built platform: memory, system bus, IOMMUs and devices created from a PlatformConfig by
// type name and bound together. One per process (the SystemC kernel cannot be reset).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "host/host_bus.h"
#include "hw/device_base.h"
#include "hw/iommu_base.h"
#include "hw/memory.h"
#include "hw/pcie_link.h"
#include "hw/router.h"
#include "hw/stats/stats.h"
#include "sim/cpu_port.h"
#include "sim/platform_config.h"

namespace isim {

class ScenarioPort;

struct PlatformOptions {
  /// Give every IOMMU a scenario port (for scenario DMA steps) if the config has none.
  bool scenario_ports = false;
};

class Platform {
 public:
  /// Default register-block address of the i-th IOMMU without an explicit mmio_base: far above
  /// any simulated DRAM, one 1 MiB slot each.
  static constexpr uint64_t kMmioWindowBase = uint64_t{1} << 47;
  static constexpr uint64_t kMmioSlot = uint64_t{1} << 20;

  explicit Platform(const PlatformConfig& config, PlatformOptions opts = {});
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  /// Runs the simulation for the configured duration.
  void run();

  const PlatformConfig& config() const { return config_; }
  stats::Group& stats() { return stats_; }
  SparseMemory& memory() { return memory_->store(); }
  Memory& memory_module() { return *memory_; }
  Router& bus() { return *bus_; }
  CpuPort& cpu() { return *cpu_; }
  /// Buses for host software models (drivers) to reach an IOMMU through the CPU port.
  host::HostBusFactory& host() { return *host_; }

  IommuBase* iommu(const std::string& name) const;
  uint64_t mmio_base(const std::string& iommu_name) const;
  /// The scenario port behind `iommu_name` (nullptr if none).
  ScenarioPort* scenario_port(const std::string& iommu_name) const;

  /// Why the run failed, one line per device that says so (DeviceBase::run_error).
  std::vector<std::string> device_errors() const;

  /// The stats file contents: program, version, seed, resolved config, simulated time, stats.
  nlohmann::json stats_json() const;

 private:
  struct IommuSlot {
    std::string name;
    IommuBase* model;
    uint64_t mmio_base;
    PcieRootPort* root_port;
  };

  PlatformConfig config_;
  stats::Group stats_{"system"};
  std::unique_ptr<Memory> memory_;
  std::unique_ptr<Router> bus_;
  std::unique_ptr<CpuPort> cpu_;
  std::unique_ptr<host::HostBusFactory> host_;
  std::vector<std::unique_ptr<IommuBase>> iommus_;
  std::vector<std::unique_ptr<DeviceBase>> devices_;
  std::vector<std::unique_ptr<PcieRootPort>> root_ports_;  // one per IOMMU with `root_port:`
  std::vector<std::unique_ptr<PcieLink>> links_;
  std::vector<IommuSlot> slots_;
  std::vector<std::pair<std::string, ScenarioPort*>> ports_;
};

}  // namespace isim
