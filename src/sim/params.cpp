#include "sim/params.h"

#include <algorithm>
#include <utility>

namespace isim::cfg {

ParamReader::ParamReader(const YAML::Node& map, std::string path, const SourceInfo& src,
                         ErrorList& errs)
    : map_(map), path_(std::move(path)), src_(src), errs_(errs) {
  if (!map_.IsDefined()) map_ = YAML::Node();  // never keep a zombie node
  if (present(map_) && !map_.IsMap()) {
    errs_.add(error_at(map_, src_, path_, "expected a mapping of keys to values"));
    ok_ = false;
  }
}

void ParamReader::finish() {
  if (!ok_ || !map_.IsDefined() || !map_.IsMap()) return;
  for (const auto& kv : map_) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string msg = "unknown key";
    if (auto near = closest_key(key, known_); !near.empty())
      msg += fmt::format(" (did you mean '{}'?)", near);
    else if (!known_.empty()) {
      std::string all;
      for (const auto& k : known_) all += (all.empty() ? "" : ", ") + k;
      msg += fmt::format(" (valid keys: {})", all);
    }
    errs_.add(error_at(kv.first, src_, join_path(path_, key), msg));
  }
}

void ParamReader::fail(std::string_view key, std::string_view msg) {
  const YAML::Node n = child(map_, std::string(key));
  errs_.add(error_at(present(n) ? n : map_, src_, join_path(path_, key), msg));
}

}  // namespace isim::cfg
