// A YAML document with the knowledge needed to report errors precisely: the file it came from
// and which key paths were replaced by `--set` overrides (those have no file line).
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <string_view>

#include "sim/config_error.h"

namespace isim::cfg {

struct SourceInfo {
  std::string file;                              ///< path as the user wrote it
  std::map<std::string, std::string> overrides;  ///< key path -> the `--set` text that set it
};

/// `file:line:col` for node (1-based), `--set a.b=v` for overridden paths, or just the file.
std::string where(const YAML::Node& node, const SourceInfo& src, const std::string& path);

/// `where(...): path: msg`, the one format every config error uses.
std::string error_at(const YAML::Node& node, const SourceInfo& src, const std::string& path,
                     std::string_view msg);

/// Loads a YAML file; a missing file or a syntax error becomes a ConfigError naming the file and
/// the line.
YAML::Node load_yaml_file(const std::string& path);

/// Parses a YAML string (used for `--set` values and inline scenario platforms).
YAML::Node load_yaml_string(const std::string& text, const std::string& origin);

/// Joins a key path: join_path("iommus.0", "params") == "iommus.0.params".
std::string join_path(const std::string& prefix, std::string_view key);

/// The closest key among `candidates` to a misspelt `key` (edit distance <= 2), or "".
std::string closest_key(std::string_view key, const std::vector<std::string>& candidates);

/// True when n exists and is not null. Safe on the "zombie" nodes yaml-cpp returns for missing
/// keys, on which every other query throws.
inline bool present(const YAML::Node& n) {
  return n.IsDefined() && !n.IsNull();
}

/// map[key] if map is a mapping holding key, else a null node (never a zombie).
YAML::Node child(const YAML::Node& map, const std::string& key);

/// Deep copy (yaml-cpp nodes alias on assignment).
YAML::Node deep_copy(const YAML::Node& n);

}  // namespace isim::cfg
