// Self-describing parameter structs (STYLE item 5).
//
// A component's params struct lists its fields once, in a `visit` template:
//
//   struct MemoryParams {
//     uint64_t size = 64ull << 30;
//     Latency latency = Latency::ns(90);
//     template <class V> void visit(V& v) {
//       v.param("size", size, "physical memory size", Unit::bytes);
//       v.param("latency", latency, "access latency of one DRAM burst");
//     }
//     void validate(ParamChecker& c) const;   // optional cross-field checks
//   };
//
// and three visitors use that list: ParamReader fills the struct from YAML (strict: unknown
// keys, wrong types, bad units and out-of-range values are errors naming file, line and key);
// ParamDescriber prints defaults, units and docs for `iommu-sim list`; ParamJsonWriter dumps the
// resolved values into the stats file.
#pragma once

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/config_error.h"
#include "sim/param_types.h"
#include "sim/yaml_doc.h"

namespace isim::cfg {

namespace detail {
template <class T>
double range_key(const T& v) {
  if constexpr (std::is_same_v<T, Latency>)
    return static_cast<double>(v.value);
  else if constexpr (std::is_same_v<T, TimeValue>)
    return static_cast<double>(v.ps);
  else if constexpr (std::is_same_v<T, Bandwidth>)
    return v.bytes_per_s;
  else if constexpr (std::is_same_v<T, Frequency>)
    return v.mhz;
  else if constexpr (std::is_same_v<T, std::string>)
    return 0;  // strings take no range; this branch only keeps read<std::string> compiling
  else
    return static_cast<double>(v);
}
}  // namespace detail

/// Lets a params struct's validate() report cross-field errors against one of its keys.
class ParamChecker {
 public:
  virtual ~ParamChecker() = default;
  virtual void fail(std::string_view key, std::string_view msg) = 0;
};

template <class P>
concept HasValidate = requires(const P& p, ParamChecker& c) {
  p.validate(c);
};

class ParamReader final : public ParamChecker {
 public:
  /// Reads from `map` (a mapping, or null/undefined for "all defaults") whose key path is `path`.
  ParamReader(const YAML::Node& map, std::string path, const SourceInfo& src, ErrorList& errs);

  template <class T>
  void param(std::string_view key, T& field, std::string_view doc) {
    read(key, field, Unit::count, static_cast<const Range<T>*>(nullptr));
  }
  template <class T>
  void param(std::string_view key, T& field, std::string_view doc, Unit unit) {
    read(key, field, unit, static_cast<const Range<T>*>(nullptr));
  }
  template <class T>
  void param(std::string_view key, T& field, std::string_view doc, Range<T> r) {
    read(key, field, Unit::count, &r);
  }
  template <class T>
  void param(std::string_view key, T& field, std::string_view doc, Unit unit, Range<T> r) {
    read(key, field, unit, &r);
  }

  /// A nested params struct under `key`.
  template <class P>
  void group(std::string_view key, P& sub, std::string_view doc) {
    known_.emplace_back(key);
    if (!ok_) return;
    YAML::Node n = child(map_, std::string(key));
    ParamReader r(n, join_path(path_, key), src_, errs_);
    sub.visit(r);
    if constexpr (HasValidate<P>) sub.validate(r);
    r.finish();
  }

  /// Reports keys present in the mapping that no param() or group() claimed.
  void finish();

  void fail(std::string_view key, std::string_view msg) override;

  const std::string& path() const { return path_; }

 private:
  template <class T>
  void read(std::string_view key, T& field, Unit unit, const Range<T>* range);

  YAML::Node map_;
  std::string path_;
  const SourceInfo& src_;
  ErrorList& errs_;
  bool ok_ = true;  // false when map_ is not a mapping (already reported)
  std::vector<std::string> known_;
};

template <class T>
void ParamReader::read(std::string_view key, T& field, Unit unit, const Range<T>* range) {
  known_.emplace_back(key);
  if (!ok_) return;
  const std::string k(key);
  YAML::Node n = child(map_, k);
  if (!present(n)) return;  // keep the default
  const std::string path = join_path(path_, key);
  if (!n.IsScalar()) {
    errs_.add(error_at(n, src_, path, fmt::format("expected {}", Codec<T>::expected(unit))));
    return;
  }
  auto v = Codec<T>::parse(n.Scalar(), unit);
  if (!v) {
    errs_.add(
        error_at(n, src_, path,
                 fmt::format("bad value '{}': expected {}", n.Scalar(), Codec<T>::expected(unit))));
    return;
  }
  if (range && (detail::range_key(*v) < detail::range_key(range->min) ||
                detail::range_key(*v) > detail::range_key(range->max))) {
    errs_.add(error_at(
        n, src_, path,
        fmt::format("value {} out of range [{}, {}]", n.Scalar(),
                    Codec<T>::format(range->min, unit), Codec<T>::format(range->max, unit))));
    return;
  }
  field = *v;
}

/// One row of `iommu-sim list TYPE`.
struct ParamDoc {
  std::string key;  ///< dotted path below the component, e.g. `iotlb.entries`
  std::string type;
  std::string default_value;
  std::string doc;
};

class ParamDescriber {
 public:
  explicit ParamDescriber(std::string prefix = "") : prefix_(std::move(prefix)) {}

  template <class T>
  void param(std::string_view key, T& field, std::string_view doc) {
    add(key, field, doc, Unit::count, std::string());
  }
  template <class T>
  void param(std::string_view key, T& field, std::string_view doc, Unit unit) {
    add(key, field, doc, unit, std::string());
  }
  template <class T>
  void param(std::string_view key, T& field, std::string_view doc, Range<T> r) {
    add(key, field, doc, Unit::count, range_text(r, Unit::count));
  }
  template <class T>
  void param(std::string_view key, T& field, std::string_view doc, Unit unit, Range<T> r) {
    add(key, field, doc, unit, range_text(r, unit));
  }
  template <class P>
  void group(std::string_view key, P& sub, std::string_view doc) {
    ParamDescriber d(join_path(prefix_, key));
    sub.visit(d);
    for (auto& row : d.rows_) rows_.push_back(std::move(row));
  }
  const std::vector<ParamDoc>& rows() const { return rows_; }

 private:
  template <class T>
  static std::string range_text(const Range<T>& r, Unit u) {
    return fmt::format(" [{}..{}]", Codec<T>::format(r.min, u), Codec<T>::format(r.max, u));
  }
  template <class T>
  void add(std::string_view key, const T& field, std::string_view doc, Unit unit,
           const std::string& range) {
    rows_.push_back({join_path(prefix_, key), Codec<T>::expected(unit) + range,
                     Codec<T>::format(field, unit), std::string(doc)});
  }
  std::string prefix_;
  std::vector<ParamDoc> rows_;
};

class ParamJsonWriter {
 public:
  template <class T, class... Rest>
  void param(std::string_view key, T& field, std::string_view doc, Rest&&... rest) {
    Unit unit = Unit::count;
    ((assign_unit(unit, rest)), ...);
    json_[std::string(key)] = Codec<T>::to_json(field, unit);
  }
  template <class P>
  void group(std::string_view key, P& sub, std::string_view doc) {
    ParamJsonWriter w;
    sub.visit(w);
    json_[std::string(key)] = std::move(w.json_);
  }
  nlohmann::json take() { return std::move(json_); }

 private:
  static void assign_unit(Unit& u, Unit v) { u = v; }
  template <class R>
  static void assign_unit(Unit&, const R&) {}
  nlohmann::json json_ = nlohmann::json::object();
};

/// Reads P from `map` (strict), collecting errors into `errs`.
template <class P>
void read_params(const YAML::Node& map, const std::string& path, const SourceInfo& src,
                 ErrorList& errs, P& out) {
  ParamReader r(map, path, src, errs);
  out.visit(r);
  if constexpr (HasValidate<P>) out.validate(r);
  r.finish();
}

template <class P>
std::vector<ParamDoc> describe_params() {
  P p{};
  ParamDescriber d;
  p.visit(d);
  return d.rows();
}

template <class P>
nlohmann::json params_to_json(const P& p) {
  ParamJsonWriter w;
  const_cast<P&>(p).visit(w);  // visit() is shared by all visitors; the writer only reads
  return w.take();
}

/// Type-erased params of a component created by name from the registry.
class AnyParams {
 public:
  virtual ~AnyParams() = default;
  virtual nlohmann::json to_json() const = 0;
};

template <class P>
class ParamsOf final : public AnyParams {
 public:
  P value{};
  nlohmann::json to_json() const override { return params_to_json(value); }
};

}  // namespace isim::cfg
