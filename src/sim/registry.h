// Components chosen by type name (DESIGN principle 7, STYLE item 6): every IOMMU model and every
// device registers a ComponentType with its params struct; configs say `type: vtd`, and
// `iommu-sim list` prints each type's params with defaults and docs.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/params.h"
#include "sim/platform_config.h"

namespace isim {

class IommuBase;
class DeviceBase;
struct BuildContext;

template <class Base>
struct ComponentType {
  using ParseFn = std::function<std::shared_ptr<cfg::AnyParams>(
      const YAML::Node&, const std::string& path, const cfg::SourceInfo&, cfg::ErrorList&)>;

  std::string name;     ///< the `type:` value
  std::string summary;  ///< one line for `iommu-sim list`
  ParseFn parse_params;
  std::function<std::vector<cfg::ParamDoc>()> describe_params;
  ParseFn parse_workload;  ///< null when the type takes no `workload:`
  std::function<std::vector<cfg::ParamDoc>()> describe_workload;
  std::function<std::unique_ptr<Base>(const ComponentSpec&, BuildContext&)> create;
};

template <class Base>
class Registry {
 public:
  void add(ComponentType<Base> t) {
    auto name = t.name;
    types_[name] = std::move(t);
  }
  const ComponentType<Base>* find(const std::string& name) const {
    auto it = types_.find(name);
    return it == types_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> v;
    for (const auto& [n, t] : types_) v.push_back(n);
    return v;
  }
  const std::map<std::string, ComponentType<Base>>& all() const { return types_; }

 private:
  std::map<std::string, ComponentType<Base>> types_;
};

Registry<IommuBase>& iommu_types();
Registry<DeviceBase>& device_types();

/// Registers every built-in IOMMU model and device type (idempotent). Explicit rather than
/// static-initialiser registration, so nothing depends on link order or dead-stripping.
void register_builtin_components();

/// A parse function reading params struct P strictly.
template <class P>
typename ComponentType<IommuBase>::ParseFn params_parser() {
  return [](const YAML::Node& n, const std::string& path, const cfg::SourceInfo& src,
            cfg::ErrorList& errs) -> std::shared_ptr<cfg::AnyParams> {
    auto p = std::make_shared<cfg::ParamsOf<P>>();
    cfg::read_params(n, path, src, errs, p->value);
    return p;
  };
}

/// The params struct P stored in a spec's type-erased params (as registered by params_parser).
template <class P>
const P& params_as(const std::shared_ptr<cfg::AnyParams>& any) {
  static const P kDefaults{};
  if (!any) return kDefaults;
  return static_cast<const cfg::ParamsOf<P>&>(*any).value;
}

/// A ComponentType for Impl, constructed as Impl(spec, params, ctx).
template <class Base, class Impl, class P>
ComponentType<Base> make_component_type(std::string name, std::string summary) {
  ComponentType<Base> t;
  t.name = std::move(name);
  t.summary = std::move(summary);
  t.parse_params = params_parser<P>();
  t.describe_params = [] { return cfg::describe_params<P>(); };
  t.create = [](const ComponentSpec& spec, BuildContext& ctx) -> std::unique_ptr<Base> {
    return std::make_unique<Impl>(spec, params_as<P>(spec.params), ctx);
  };
  return t;
}

}  // namespace isim
