// Directed, register-level test scenarios (the format is a contract: see docs/scenarios.md).
//
// A scenario is a platform plus a list of steps; parsing is pure C++ and strict, so a bad
// scenario is rejected with file, line and key before anything runs.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "pasid/allocator.h"
#include "pasid/migration.h"
#include "sim/platform_config.h"

namespace isim {

/// A number as written in a step: a literal, or `$NAME` captured by an earlier step.
struct ScenarioValue {
  uint64_t literal = 0;
  std::string ref;        ///< capture name when written `$NAME`
  bool wildcard = false;  ///< `_` in a `ret:` list: accepts anything
};

/// `migrate`: a VM's PASID state, as its source platform knows it, arriving at this platform
/// (the destination), which already holds allocations of its own (docs/scenarios.md).
struct ScenarioMigrate {
  pasid::PolicyParams policy;                              ///< the destination's allocation policy
  unsigned width = 20;                                     ///< the destination IOMMU's PASID width
  std::vector<uint32_t> taken_global;                      ///< destination's global PASIDs
  std::vector<std::pair<uint16_t, uint32_t>> taken_local;  ///< its RID-local ones (rid, pasid)
  std::vector<pasid::VmPasid> vm;                          ///< the VM's PASIDs
  uint64_t table_base = 0;  ///< destination memory for the PASID tables written
  uint64_t table_size = 0;  ///< ... its size
  /// The destination IOMMU: its architecture's tables are written (VT-d PASID tables, SMMUv3
  /// CD tables, AMD-Vi GCR3 tables). Empty: the platform's only IOMMU.
  std::string iommu;
  /// Program the destination unit itself through its host driver (VT-d, SMMUv3, AMD-Vi): its
  /// context entries / STEs / DTEs point at the tables, the invalidations are sent and waited
  /// for, and their time is simulated rather than estimated. Without it the tables are written
  /// standalone.
  bool program = false;
  pasid::MigrationCosts costs;
  // Expectations (only those given are checked).
  bool expect_ok = true;
  std::string expect_error;  ///< text the failure report must contain
  std::optional<uint64_t> conflicts, remaps, reprogrammed;
  /// Global PASIDs expected to be remapped: gPASID -> destination hPASID.
  std::vector<std::pair<uint32_t, uint32_t>> expect_remaps;
};

struct ScenarioStep {
  enum class Kind {
    mem_write,
    mem_read,
    mem_poll,
    mmio_write,
    mmio_read,
    mmio_poll,
    dma_write,
    dma_read,
    wait,
    hcall,
    rtas,
    ats_translate,
    page_request,
    expect_page_response,
    expect_ats_invalidation,
    stat,
    migrate,
  };
  Kind kind{};
  std::string name;  ///< the step's key as written (for messages)
  int line = 0;      ///< 1-based line of the step in the scenario file

  // Addresses and data.
  ScenarioValue addr;               ///< mem_*, dma_*
  std::vector<ScenarioValue> data;  ///< words to write or expect
  unsigned width = 8;               ///< bytes per word: 1, 4 or 8
  std::optional<ScenarioValue> mask;
  // Registers.
  std::string target;  ///< mmio_*, hcall, rtas: component name
  ScenarioValue offset;
  std::string capture;  ///< mmio_read: store the value instead of checking it
  // DMA.
  ScenarioValue rid;
  std::optional<ScenarioValue> pasid;
  bool priv = false;
  bool exec = false;
  std::string iommu;        ///< which IOMMU's port (needed when the platform has several)
  bool fault = false;       ///< expect the DMA to be blocked
  uint64_t size = 0;        ///< dma_read with fault: bytes to read
  bool translated = false;  ///< dma_*: AT=10b, the address came from an ATS translation
  // ATS and PRI.
  bool nw = false;  ///< ats_translate: No Write (the device asks for read access only)
  /// ats_translate `expect:`, expect_*: message fields to compare (name -> value); flags are
  /// 0/1. Only the fields given are checked.
  std::vector<std::pair<std::string, ScenarioValue>> fields;
  bool none = false;  ///< expect_*: expect that no such message has arrived
  bool pr_read = false, pr_write = false, pr_last = true;  ///< page_request R, W, L
  ScenarioValue group;                                     ///< page_request PRG index
  // Time.
  Tick duration = 0;           ///< wait
  Tick timeout = 100'000'000;  ///< polls: give up after this long (default 100us)
  // Statistics.
  std::string stat;                 ///< stat: full name ("system.iommu0.walks" or "iommu0.walks")
  std::optional<ScenarioValue> lo;  ///< stat: at least (`min`, or `value`)
  std::optional<ScenarioValue> hi;  ///< stat: at most (`max`, or `value`)
  // PAPR.
  std::string call;  ///< hcall/rtas name
  std::vector<ScenarioValue> args;
  std::vector<ScenarioValue> ret;     ///< expected outputs (status first); may be empty
  std::vector<std::string> captures;  ///< names for outputs (`_` skips one)
  // Migration.
  ScenarioMigrate migrate;
};

struct Scenario {
  std::string file;
  PlatformConfig platform;
  std::vector<ScenarioStep> steps;
};

/// Loads a scenario file; `--set` overrides apply to its platform. Throws cfg::ConfigError
/// naming file, line and key for anything malformed (including the platform).
Scenario load_scenario(const std::string& file, const std::vector<Override>& overrides = {});

}  // namespace isim
