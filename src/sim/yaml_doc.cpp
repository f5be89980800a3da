#include "sim/yaml_doc.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace isim::cfg {

void ErrorList::throw_if_any() const {
  if (msgs_.empty()) return;
  std::string all;
  for (const auto& m : msgs_) {
    if (!all.empty()) all += '\n';
    all += m;
  }
  throw ConfigError(all);
}

std::string where(const YAML::Node& node, const SourceInfo& src, const std::string& path) {
  // An overridden path (or any path under it) reports the override, not a stale file line.
  for (const auto& [p, text] : src.overrides) {
    if (path == p || path.starts_with(p + ".")) return fmt::format("--set {}", text);
  }
  if (node.IsDefined() && node.Mark().line >= 0) {
    return fmt::format("{}:{}:{}", src.file, node.Mark().line + 1, node.Mark().column + 1);
  }
  return src.file;
}

std::string error_at(const YAML::Node& node, const SourceInfo& src, const std::string& path,
                     std::string_view msg) {
  if (path.empty()) return fmt::format("{}: {}", where(node, src, path), msg);
  return fmt::format("{}: {}: {}", where(node, src, path), path, msg);
}

YAML::Node load_yaml_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(fmt::format("{}: cannot open file", path));
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return YAML::Load(ss.str());
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}:{}:{}: YAML syntax error: {}", path, e.mark.line + 1,
                                  e.mark.column + 1, e.msg));
  }
}

YAML::Node load_yaml_string(const std::string& text, const std::string& origin) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}: YAML syntax error: {}", origin, e.msg));
  }
}

std::string join_path(const std::string& prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return fmt::format("{}.{}", prefix, key);
}

namespace {
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::string closest_key(std::string_view key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 3;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(key, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

YAML::Node child(const YAML::Node& map, const std::string& key) {
  if (!map.IsDefined() || !map.IsMap()) return YAML::Node();
  const YAML::Node n = map[key];
  return n.IsDefined() ? n : YAML::Node();
}

YAML::Node deep_copy(const YAML::Node& n) {
  return YAML::Clone(n);
}

}  // namespace isim::cfg
