// The legal ranges a manual gives for each part a preset (configs/presets/<part>.yaml) stands
// for, and the check of a loaded preset against them. The rules are data (preset_ranges.cpp):
// each names a key below an IOMMU's params, what the manual allows, and the section it comes
// from. Architectural limits every config must meet are the models' own validation; these are
// the part's build options and register values, and the register fields' consistency.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

#include "sim/platform_config.h"

namespace isim::calib {

/// An inclusive integer range.
struct IntRange {
  int64_t min;
  int64_t max;
};
/// One of a list of values (numbers, booleans or strings as the config loader resolves them).
struct OneOf {
  std::vector<nlohmann::json> values;
};
/// Equal to another key's value (e.g. a fully associative cache: ways == entries).
struct SameAs {
  std::string key;
};
/// A bit mask that sets no bit outside `mask`.
struct MaskWithin {
  uint64_t mask;
};
using Allowed = std::variant<IntRange, OneOf, SameAs, MaskWithin>;

/// One value a manual constrains. `key` is a dotted path below an IOMMU's params;
/// "a+b" stands for the sum of two keys.
struct RangeRule {
  std::string key;
  Allowed allowed;
  std::string source;  ///< document, section and table the range comes from
};

/// A relation between several fields (e.g. register fields decoded from a raw register) that
/// the architecture requires. `holds` gets the IOMMU's params as the config loader resolved
/// them; `keys` and `relation` are for the message.
struct ConsistencyRule {
  std::string keys;
  std::string relation;
  std::function<bool(const nlohmann::json& params)> holds;
  std::string source;
};

/// The rules for one part: they apply to every IOMMU of `iommu_type` in its preset.
struct PartRules {
  std::string part;  ///< preset file stem, e.g. "arm-mmu600"
  std::string iommu_type;
  std::vector<RangeRule> ranges;
  std::vector<ConsistencyRule> consistency;
};

/// One value out of its range: every field names what to fix and why.
struct Violation {
  std::string preset;  ///< part name
  std::string key;     ///< full key path, e.g. "iommus.0.params.walkers"
  std::string value;   ///< as loaded, JSON text
  std::string range;   ///< what the manual allows
  std::string source;
  std::string message() const;
};

/// Every part with manual ranges.
const std::vector<PartRules>& all_part_rules();

/// Checks `config`, loaded from the preset of `part`, against that part's rules. A key a rule
/// names but the config lacks is a violation too, so a misspelt rule cannot pass silently.
/// Empty when the part has no rules.
std::vector<Violation> check_preset(const std::string& part, const PlatformConfig& config);

}  // namespace isim::calib
