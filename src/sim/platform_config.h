// A platform config: memory, IOMMUs, devices and simulation settings, loaded from YAML with
// strict validation. Component params are parsed here, eagerly, by the component's registry
// entry, so every error in a config is reported before any simulation starts.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "host/driver_setup.h"
#include "hw/memory_params.h"
#include "hw/pcie_link_params.h"
#include "pasid/allocator.h"
#include "sim/params.h"
#include "sim/sim_params.h"
#include "sim/sriov.h"
#include "sim/yaml_doc.h"

namespace isim {

/// One `iommus:` or `devices:` entry.
struct ComponentSpec {
  std::string name;                          ///< unique instance name
  std::string type;                          ///< registry type name (`none`, `generator`, ...)
  std::string path;                          ///< key path in the config, e.g. `devices.1`
  std::shared_ptr<cfg::AnyParams> params;    ///< parsed by the type's registry entry
  std::shared_ptr<cfg::AnyParams> workload;  ///< devices only: parsed `workload:` (may be null)
  // IOMMU entries:
  std::optional<uint64_t> mmio_base;  ///< register block address (default: assigned)
  /// A root port every device link behind this IOMMU shares (`root_port:`; none: no sharing).
  std::optional<PcieLinkParams> root_port;
  /// The set-up of the IOMMU's one host driver (`host_driver:`; none: from its devices' params).
  std::optional<host::HostDriverParams> host_driver;
  // Device entries:
  std::string iommu;  ///< name of the IOMMU the device sits behind
  uint16_t rid = 0;   ///< requester ID (bus << 8 | dev << 3 | fn)
  /// The device's PCIe link (`link:`; none: an ideal connection with no link time).
  std::optional<PcieLinkParams> link;
  /// SR-IOV (`sriov:` on the PF's entry): the PF's capability; its VFs follow it in `devices`.
  std::optional<SriovParams> sriov;
  std::string pf;         ///< a VF: the name of its PF (empty for PFs and plain functions)
  uint32_t function = 0;  ///< a VF: its VF number n (1..NumVFs); 0 otherwise
};

struct PlatformConfig {
  std::string file;  ///< where it came from (for messages)
  SimParams sim;
  MemoryParams memory;
  std::vector<ComponentSpec> iommus;
  std::vector<ComponentSpec> devices;
  /// The `pasid:` section: the PASID allocation policy every PASID-consuming device uses
  /// (absent: each device's own pasid_policy param).
  std::optional<pasid::PolicyParams> pasid;

  /// The fully resolved config (defaults filled in) for the stats file.
  nlohmann::json to_json() const;
  const ComponentSpec* find_iommu(const std::string& name) const;
  /// The IOMMU or device named `name`, or nullptr.
  const ComponentSpec* find_component(const std::string& name) const;
};

/// `--set path=value` overrides, applied to the YAML tree before validation.
struct Override {
  std::string path;
  std::string value;
  std::string text;  ///< as the user wrote it, for messages
};

/// Parses `a.b.c=value`; throws ConfigError on malformed text.
Override parse_override(const std::string& text);

/// Applies overrides to `root`. Path segments are mapping keys, sequence indices, or the `name`
/// of a sequence element (`iommus.iommu0.params.walkers`). Records each in `src.overrides`.
void apply_overrides(YAML::Node& root, const std::vector<Override>& overrides,
                     cfg::SourceInfo& src);

/// Loads and validates a platform from an already-parsed YAML mapping.
PlatformConfig load_platform(const YAML::Node& root, const cfg::SourceInfo& src);

/// Loads, applies overrides, validates.
PlatformConfig load_platform_file(const std::string& file, const std::vector<Override>& overrides);

}  // namespace isim
