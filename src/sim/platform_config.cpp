#include "sim/platform_config.h"

#include <fmt/format.h>

#include <regex>
#include <set>

#include "base/units.h"
#include "sim/registry.h"

namespace isim {
namespace {

using cfg::error_at;
using cfg::ErrorList;
using cfg::join_path;
using cfg::SourceInfo;

bool valid_name(const std::string& s) {
  static const std::regex kName("[A-Za-z_][A-Za-z0-9_]*");
  return std::regex_match(s, kName);
}

/// Checks that map has only `allowed` keys; reports the rest.
void check_keys(const YAML::Node& map, const std::string& path, const SourceInfo& src,
                ErrorList& errs, const std::vector<std::string>& allowed) {
  for (const auto& kv : map) {
    const auto key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string msg = "unknown key";
    if (auto near = cfg::closest_key(key, allowed); !near.empty())
      msg += fmt::format(" (did you mean '{}'?)", near);
    else {
      std::string all;
      for (const auto& k : allowed) all += (all.empty() ? "" : ", ") + k;
      msg += fmt::format(" (valid keys: {})", all);
    }
    errs.add(error_at(kv.first, src, join_path(path, key), msg));
  }
}

std::optional<std::string> scalar(const YAML::Node& map, const std::string& key,
                                  const std::string& path, const SourceInfo& src, ErrorList& errs,
                                  bool required) {
  const YAML::Node n = cfg::child(map, key);
  const std::string p = join_path(path, key);
  if (!cfg::present(n)) {
    if (required) errs.add(error_at(map, src, p, "missing required key"));
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    errs.add(error_at(n, src, p, "expected a scalar value"));
    return std::nullopt;
  }
  return n.Scalar();
}

template <class Base>
std::string type_list(const Registry<Base>& reg) {
  std::string s;
  for (const auto& n : reg.names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

template <class Base>
void parse_component(const YAML::Node& item, const std::string& path, const SourceInfo& src,
                     ErrorList& errs, const Registry<Base>& reg, ComponentSpec& spec,
                     std::vector<std::string> extra_keys) {
  std::vector<std::string> keys = {"name", "type", "params"};
  keys.insert(keys.end(), extra_keys.begin(), extra_keys.end());
  const YAML::Node type_node = cfg::child(item, "type");
  const auto* probe = reg.find(type_node.IsScalar() ? type_node.Scalar() : "");
  if (probe && probe->parse_workload) keys.push_back("workload");
  check_keys(item, path, src, errs, keys);
  spec.path = path;
  if (auto n = scalar(item, "name", path, src, errs, true)) {
    spec.name = *n;
    if (!valid_name(spec.name))
      errs.add(error_at(cfg::child(item, "name"), src, join_path(path, "name"),
                        fmt::format("bad name '{}': use letters, digits and _", spec.name)));
  }
  auto type = scalar(item, "type", path, src, errs, true);
  if (!type) return;
  spec.type = *type;
  const auto* t = reg.find(spec.type);
  if (!t) {
    errs.add(error_at(cfg::child(item, "type"), src, join_path(path, "type"),
                      fmt::format("unknown type '{}' (known: {})", spec.type, type_list(reg))));
    return;
  }
  spec.params = t->parse_params(cfg::child(item, "params"), join_path(path, "params"), src, errs);
  if (t->parse_workload)
    spec.workload =
        t->parse_workload(cfg::child(item, "workload"), join_path(path, "workload"), src, errs);
}

}  // namespace

Override parse_override(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw cfg::ConfigError(
        fmt::format("--set {}: expected PATH=VALUE (e.g. memory.latency=80ns)", text));
  return Override{text.substr(0, eq), text.substr(eq + 1), text};
}

void apply_overrides(YAML::Node& root, const std::vector<Override>& overrides, SourceInfo& src) {
  for (const auto& o : overrides) {
    // Walk the path, creating mappings as needed; sequences are indexed by number or by the
    // `name:` of an element.
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      const auto dot = o.path.find('.', start);
      parts.push_back(o.path.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    for (const auto& p : parts)
      if (p.empty()) throw cfg::ConfigError(fmt::format("--set {}: empty path segment", o.text));
    if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    YAML::Node cur = root;
    std::string resolved;
    for (size_t i = 0; i < parts.size(); ++i) {
      const std::string& seg = parts[i];
      const bool last = i + 1 == parts.size();
      YAML::Node next;
      if (cur.IsSequence()) {
        std::optional<size_t> idx;
        if (auto n = parse_uint(seg); n && *n < cur.size()) idx = *n;
        for (size_t k = 0; !idx && k < cur.size(); ++k)
          if (cfg::child(cur[k], "name").IsScalar() && cfg::child(cur[k], "name").Scalar() == seg)
            idx = k;
        if (!idx)
          throw cfg::ConfigError(fmt::format(
              "--set {}: '{}' names no element of {} (use an index or an element's name)", o.text,
              seg, resolved.empty() ? "the config" : resolved));
        resolved = join_path(resolved, std::to_string(*idx));
        if (last) {
          cur[*idx] = cfg::load_yaml_string(o.value, "--set " + o.text);
          break;
        }
        next = cur[*idx];
      } else {
        if (!cur.IsMap() && !cur.IsNull())
          throw cfg::ConfigError(
              fmt::format("--set {}: {} is a value, not a mapping", o.text, resolved));
        resolved = join_path(resolved, seg);
        if (last) {
          cur[seg] = cfg::load_yaml_string(o.value, "--set " + o.text);
          break;
        }
        if (!cfg::present(cfg::child(cur, seg))) cur[seg] = YAML::Node(YAML::NodeType::Map);
        next = cur[seg];
      }
      cur.reset(next);
    }
    src.overrides[resolved] = o.text;
  }
}

PlatformConfig load_platform(const YAML::Node& root, const SourceInfo& src) {
  register_builtin_components();
  ErrorList errs;
  PlatformConfig pc;
  pc.file = src.file;
  if (!root.IsMap()) {
    throw cfg::ConfigError(error_at(root, src, "", "a platform config must be a YAML mapping"));
  }
  check_keys(root, "", src, errs, {"sim", "memory", "iommus", "devices", "pasid"});
  cfg::read_params(cfg::child(root, "sim"), "sim", src, errs, pc.sim);
  cfg::read_params(cfg::child(root, "memory"), "memory", src, errs, pc.memory);
  if (const YAML::Node pn = cfg::child(root, "pasid"); cfg::present(pn)) {
    pasid::PolicyParams pp;
    const size_t before = errs.size();
    cfg::read_params(pn, "pasid", src, errs, pp);
    // The IOMMUs' own widths are checked when each device's driver reads the capability; here
    // the policy must work at its own width (or the architectural maximum, 20 bits).
    if (errs.size() == before) {
      const std::string why = pasid::PasidAllocator::validate(pp, pp.width ? pp.width : 20);
      const YAML::Node at =
          cfg::present(cfg::child(pn, "local_last")) ? cfg::child(pn, "local_last") : pn;
      if (!why.empty()) errs.add(error_at(at, src, "pasid", why));
    }
    pc.pasid = pp;
  }

  std::set<std::string> names = {"memory", "system"};
  auto claim_name = [&](const ComponentSpec& spec, const YAML::Node& item) {
    if (spec.name.empty()) return;
    if (!names.insert(spec.name).second)
      errs.add(error_at(cfg::child(item, "name"), src, join_path(spec.path, "name"),
                        fmt::format("name '{}' is already used", spec.name)));
  };

  const YAML::Node iommus = cfg::child(root, "iommus");
  if (!iommus.IsSequence() || iommus.size() == 0) {
    errs.add(error_at(cfg::present(iommus) ? iommus : root, src, "iommus",
                      "expected a non-empty list of IOMMUs (use `type: none` for IOMMU-off)"));
  } else {
    for (size_t i = 0; i < iommus.size(); ++i) {
      const YAML::Node item = iommus[i];
      const std::string path = fmt::format("iommus.{}", i);
      if (!item.IsMap()) {
        errs.add(error_at(item, src, path, "expected a mapping"));
        continue;
      }
      ComponentSpec spec;
      parse_component(item, path, src, errs, iommu_types(), spec,
                      {"mmio_base", "root_port", "host_driver"});
      if (const YAML::Node rp = cfg::child(item, "root_port"); cfg::present(rp)) {
        spec.root_port.emplace();
        cfg::read_params(rp, join_path(path, "root_port"), src, errs, *spec.root_port);
      }
      if (const YAML::Node hd = cfg::child(item, "host_driver"); cfg::present(hd)) {
        spec.host_driver.emplace();
        const size_t before = errs.size();
        cfg::read_params(hd, join_path(path, "host_driver"), src, errs, *spec.host_driver);
        const host::HostDriverParams& h = *spec.host_driver;
        if (errs.size() == before && h.pool_base + h.pool_size > pc.memory.size) {
          const YAML::Node at =
              cfg::present(cfg::child(hd, "pool_size")) ? cfg::child(hd, "pool_size") : hd;
          errs.add(error_at(at, src, join_path(path, "host_driver.pool_size"),
                            "pool_base + pool_size is beyond memory.size"));
        }
      }
      if (auto b = scalar(item, "mmio_base", path, src, errs, false)) {
        auto v = parse_uint(*b);
        if (!v || (*v & 0xfff))
          errs.add(error_at(cfg::child(item, "mmio_base"), src, join_path(path, "mmio_base"),
                            "expected a 4KiB-aligned address"));
        else
          spec.mmio_base = *v;
      }
      claim_name(spec, item);
      pc.iommus.push_back(std::move(spec));
    }
  }

  const YAML::Node devices = cfg::child(root, "devices");
  if (cfg::present(devices) && !devices.IsSequence()) {
    errs.add(error_at(devices, src, "devices", "expected a list of devices"));
  } else if (devices.IsSequence()) {
    std::set<std::pair<std::string, uint16_t>> rids;
    for (size_t i = 0; i < devices.size(); ++i) {
      const YAML::Node item = devices[i];
      const std::string path = fmt::format("devices.{}", i);
      if (!item.IsMap()) {
        errs.add(error_at(item, src, path, "expected a mapping"));
        continue;
      }
      ComponentSpec spec;
      parse_component(item, path, src, errs, device_types(), spec,
                      {"iommu", "rid", "link", "sriov"});
      if (const YAML::Node sv = cfg::child(item, "sriov"); cfg::present(sv)) {
        spec.sriov.emplace();
        cfg::read_params(sv, join_path(path, "sriov"), src, errs, *spec.sriov);
      }
      if (const YAML::Node ln = cfg::child(item, "link"); cfg::present(ln)) {
        spec.link.emplace();
        cfg::read_params(ln, join_path(path, "link"), src, errs, *spec.link);
      }
      if (auto io = scalar(item, "iommu", path, src, errs, pc.iommus.size() > 1)) {
        spec.iommu = *io;
        if (!pc.find_iommu(spec.iommu))
          errs.add(error_at(cfg::child(item, "iommu"), src, join_path(path, "iommu"),
                            fmt::format("no IOMMU named '{}'", spec.iommu)));
      } else if (pc.iommus.size() == 1) {
        spec.iommu = pc.iommus[0].name;
      }
      if (auto r = scalar(item, "rid", path, src, errs, true)) {
        auto v = parse_uint(*r);
        if (!v || *v > 0xffff)
          errs.add(error_at(cfg::child(item, "rid"), src, join_path(path, "rid"),
                            "expected a 16-bit requester ID (bus << 8 | device << 3 | function)"));
        else {
          spec.rid = static_cast<uint16_t>(*v);
          if (!rids.insert({spec.iommu, spec.rid}).second)
            errs.add(error_at(cfg::child(item, "rid"), src, join_path(path, "rid"),
                              fmt::format("requester ID {:#06x} is already used behind {}",
                                          spec.rid, spec.iommu)));
        }
      }
      claim_name(spec, item);
      pc.devices.push_back(spec);
      if (!spec.sriov) continue;
      // The VFs: copies of the PF's entry with their own names and requester IDs.
      const YAML::Node sv = cfg::child(item, "sriov");
      for (uint32_t n = 1; n <= spec.sriov->num_vfs; ++n) {
        if (std::string why = vf_rid_problem(spec.rid, *spec.sriov, n); !why.empty()) {
          errs.add(error_at(sv, src, join_path(path, "sriov"), why));
          break;
        }
        ComponentSpec vf = spec;
        vf.sriov.reset();
        vf.name = fmt::format("{}_vf{}", spec.name, n);
        vf.path = fmt::format("{}.sriov.vf{}", path, n);
        vf.rid = *vf_rid(spec.rid, *spec.sriov, n);
        vf.pf = spec.name;
        vf.function = n;
        if (!rids.insert({vf.iommu, vf.rid}).second) {
          errs.add(error_at(sv, src, join_path(path, "sriov"),
                            fmt::format("VF {}'s requester ID {:#06x} is already used behind {}", n,
                                        vf.rid, vf.iommu)));
          break;
        }
        if (!names.insert(vf.name).second) {
          errs.add(error_at(sv, src, join_path(path, "sriov"),
                            fmt::format("VF name '{}' is already used", vf.name)));
          break;
        }
        pc.devices.push_back(std::move(vf));
      }
    }
  }
  errs.throw_if_any();
  return pc;
}

PlatformConfig load_platform_file(const std::string& file, const std::vector<Override>& overrides) {
  YAML::Node root = cfg::load_yaml_file(file);
  SourceInfo src{file, {}};
  apply_overrides(root, overrides, src);
  return load_platform(root, src);
}

const ComponentSpec* PlatformConfig::find_iommu(const std::string& name) const {
  for (const auto& s : iommus)
    if (s.name == name) return &s;
  return nullptr;
}

const ComponentSpec* PlatformConfig::find_component(const std::string& name) const {
  if (const auto* s = find_iommu(name)) return s;
  for (const auto& s : devices)
    if (s.name == name) return &s;
  return nullptr;
}

nlohmann::json PlatformConfig::to_json() const {
  nlohmann::json j;
  j["sim"] = cfg::params_to_json(sim);
  j["memory"] = cfg::params_to_json(memory);
  if (pasid) j["pasid"] = cfg::params_to_json(*pasid);
  j["iommus"] = nlohmann::json::array();
  for (const auto& s : iommus) {
    nlohmann::json e = {{"name", s.name}, {"type", s.type}};
    if (s.mmio_base) e["mmio_base"] = fmt::format("{:#x}", *s.mmio_base);
    if (s.root_port) e["root_port"] = cfg::params_to_json(*s.root_port);
    if (s.host_driver) e["host_driver"] = cfg::params_to_json(*s.host_driver);
    e["params"] = s.params ? s.params->to_json() : nlohmann::json::object();
    j["iommus"].push_back(std::move(e));
  }
  j["devices"] = nlohmann::json::array();
  for (const auto& s : devices) {
    nlohmann::json e = {{"name", s.name},
                        {"type", s.type},
                        {"iommu", s.iommu},
                        {"rid", fmt::format("{:#06x}", s.rid)}};
    e["params"] = s.params ? s.params->to_json() : nlohmann::json::object();
    if (s.workload) e["workload"] = s.workload->to_json();
    if (s.link) e["link"] = cfg::params_to_json(*s.link);
    if (s.sriov) e["sriov"] = cfg::params_to_json(*s.sriov);
    if (!s.pf.empty()) {
      e["pf"] = s.pf;
      e["vf"] = s.function;
    }
    j["devices"].push_back(std::move(e));
  }
  return j;
}

}  // namespace isim
