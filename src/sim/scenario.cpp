#include "sim/scenario.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "base/units.h"
#include "hw/papr_if.h"
#include "hw/pcie_msg.h"
#include "sim/yaml_doc.h"

namespace isim {
namespace {

using cfg::error_at;
using cfg::ErrorList;
using cfg::SourceInfo;
using Kind = ScenarioStep::Kind;

const std::map<std::string, Kind>& step_kinds() {
  static const std::map<std::string, Kind> kKinds = {
      {"mem_write", Kind::mem_write},
      {"mem_read", Kind::mem_read},
      {"mem_poll", Kind::mem_poll},
      {"mmio_write", Kind::mmio_write},
      {"mmio_read", Kind::mmio_read},
      {"mmio_poll", Kind::mmio_poll},
      {"dma_write", Kind::dma_write},
      {"dma_read", Kind::dma_read},
      {"wait", Kind::wait},
      {"hcall", Kind::hcall},
      {"rtas", Kind::rtas},
      {"ats_translate", Kind::ats_translate},
      {"page_request", Kind::page_request},
      {"expect_page_response", Kind::expect_page_response},
      {"expect_ats_invalidation", Kind::expect_ats_invalidation},
      {"stat", Kind::stat},
      {"migrate", Kind::migrate},
  };
  return kKinds;
}

/// Parses the keys of one step mapping, reporting each error against its node.
class StepParser {
 public:
  StepParser(const YAML::Node& body, std::string path, const SourceInfo& src, ErrorList& errs)
      : body_(body), path_(std::move(path)), src_(src), errs_(errs) {}

  bool has(const std::string& key) {
    used_.push_back(key);
    return cfg::present(cfg::child(body_, key));
  }
  YAML::Node node(const std::string& key) { return cfg::child(body_, key); }
  void error(const std::string& key, const std::string& msg) {
    const YAML::Node n = cfg::child(body_, key);
    errs_.add(error_at(cfg::present(n) ? n : body_, src_, cfg::join_path(path_, key), msg));
  }

  /// A number, `$NAME`, a PAPR code name (with allow_codes) or `_` (with allow_wildcard).
  std::optional<ScenarioValue> value(const YAML::Node& n, const std::string& key, bool signed_ok,
                                     bool allow_codes, bool allow_wildcard) {
    const std::string p = cfg::join_path(path_, key);
    if (!n.IsScalar()) {
      errs_.add(error_at(cfg::present(n) ? n : body_, src_, p, "expected a number"));
      return std::nullopt;
    }
    const std::string& s = n.Scalar();
    ScenarioValue v;
    if (s.size() > 1 && s[0] == '$') {
      v.ref = s.substr(1);
      return v;
    }
    if (allow_wildcard && s == "_") {
      v.wildcard = true;
      return v;
    }
    if (auto u = parse_uint(s)) {
      v.literal = *u;
      return v;
    }
    if (signed_ok) {
      if (auto i = parse_int(s)) {
        v.literal = static_cast<uint64_t>(*i);
        return v;
      }
    }
    if (allow_codes) {
      if (auto c = papr_code(s)) {
        v.literal = static_cast<uint64_t>(*c);
        return v;
      }
    }
    errs_.add(error_at(n, src_, p, fmt::format("bad number '{}'", s)));
    return std::nullopt;
  }
  std::optional<ScenarioValue> value(const std::string& key, bool required = true) {
    if (!has(key)) {
      if (required) error(key, "missing required key");
      return std::nullopt;
    }
    return value(node(key), key, false, false, false);
  }
  std::optional<std::string> text(const std::string& key, bool required) {
    if (!has(key)) {
      if (required) error(key, "missing required key");
      return std::nullopt;
    }
    if (!node(key).IsScalar()) {
      error(key, "expected a name");
      return std::nullopt;
    }
    return node(key).Scalar();
  }
  bool flag(const std::string& key) {
    if (!has(key)) return false;
    auto b = node(key).IsScalar() ? parse_bool(node(key).Scalar()) : std::nullopt;
    if (!b) error(key, "expected true or false");
    return b.value_or(false);
  }
  std::optional<Tick> time(const std::string& key) {
    if (!has(key)) return std::nullopt;
    auto t = node(key).IsScalar() ? parse_time(node(key).Scalar()) : std::nullopt;
    if (!t) error(key, "expected a time such as 2us or 100ns");
    return t;
  }
  /// `u64: [..]` / `u32: [..]` / `u8: [..]` (or a single scalar when `scalar_ok`).
  bool data(ScenarioStep& st, bool required, bool scalar_ok) {
    int found = 0;
    for (auto [key, width] : {std::pair{"u64", 8u}, {"u32", 4u}, {"u8", 1u}}) {
      if (!has(key)) continue;
      ++found;
      st.width = width;
      const YAML::Node n = node(key);
      std::vector<YAML::Node> items;
      if (n.IsSequence()) {
        for (const auto& e : n) items.push_back(e);
        if (scalar_ok) error(key, "expected a single value for a register access");
      } else if (n.IsScalar()) {
        items.push_back(n);
      } else {
        error(key, "expected a list of numbers");
      }
      for (const auto& e : items) {
        if (auto v = value(e, key, false, false, false)) {
          if (v->ref.empty() && width < 8 && (v->literal >> (8 * width)))
            errs_.add(error_at(e, src_, cfg::join_path(path_, key),
                               fmt::format("{} does not fit in {} bytes", e.Scalar(), width)));
          st.data.push_back(*v);
        }
      }
    }
    if (found > 1) error("u64", "give exactly one of u64, u32, u8");
    if (found == 0 && required) error("u64", "missing data: give u64: [..], u32: [..] or u8: [..]");
    return found == 1;
  }
  void finish(const std::string& step) {
    if (!body_.IsMap()) return;
    for (const auto& kv : body_) {
      const auto key = kv.first.as<std::string>();
      if (std::find(used_.begin(), used_.end(), key) != used_.end()) continue;
      std::string msg = fmt::format("unknown key for {}", step);
      if (auto near = cfg::closest_key(key, used_); !near.empty())
        msg += fmt::format(" (did you mean '{}'?)", near);
      errs_.add(error_at(kv.first, src_, cfg::join_path(path_, key), msg));
    }
  }

 private:
  YAML::Node body_;
  std::string path_;
  const SourceInfo& src_;
  ErrorList& errs_;
  std::vector<std::string> used_;
};

void parse_values(StepParser& sp, const std::string& key, std::vector<ScenarioValue>& out,
                  bool codes, bool wildcard) {
  if (!sp.has(key)) return;
  YAML::Node n = sp.node(key);
  if (n.IsScalar()) {
    if (auto v = sp.value(n, key, true, codes, wildcard)) out.push_back(*v);
    return;
  }
  if (!n.IsSequence()) {
    sp.error(key, "expected a list");
    return;
  }
  for (const auto& e : n)
    if (auto v = sp.value(e, key, true, codes, wildcard)) out.push_back(*v);
}

/// PCIe 10.4.2.1 PRG response code names (the runner prints the same names).
std::optional<uint64_t> prg_code(std::string_view s) {
  if (s == "success") return 0x0;
  if (s == "invalid_request") return 0x1;
  if (s == "response_failure") return 0xf;
  return std::nullopt;
}

/// Message fields to compare: numbers (or `$NAME`), flags (true/false or 0/1), and for `code`
/// a PRG response code name. Keys not in `numbers` or `flags` are left for finish() to reject.
void parse_fields(StepParser& sp, std::initializer_list<const char*> numbers,
                  std::initializer_list<const char*> flags, ScenarioStep& st) {
  for (const char* k : numbers) {
    if (!sp.has(k)) continue;
    const YAML::Node n = sp.node(k);
    if (std::string_view(k) == "code" && n.IsScalar()) {
      if (auto c = prg_code(n.Scalar())) {
        st.fields.emplace_back(k, ScenarioValue{*c, {}, false});
        continue;
      }
    }
    if (auto v = sp.value(n, k, false, false, false)) st.fields.emplace_back(k, *v);
  }
  for (const char* k : flags) {
    if (!sp.has(k)) continue;
    const YAML::Node n = sp.node(k);
    std::optional<bool> b;
    if (n.IsScalar()) {
      b = parse_bool(n.Scalar());
      if (!b && (n.Scalar() == "0" || n.Scalar() == "1")) b = n.Scalar() == "1";
    }
    if (!b) {
      sp.error(k, "expected true or false (or 0/1)");
      continue;
    }
    st.fields.emplace_back(k, ScenarioValue{*b ? 1u : 0u, {}, false});
  }
}

/// The requester keys every device-side step shares.
void parse_requester(StepParser& sp, ScenarioStep& st) {
  st.rid = sp.value("rid").value_or(ScenarioValue{});
  if (sp.has("pasid")) st.pasid = sp.value("pasid");
  st.priv = sp.flag("priv");
  st.exec = sp.flag("exec");
  st.iommu = sp.text("iommu", false).value_or("");
}

/// A literal number of a `migrate` step (its state is fixed before anything runs).
std::optional<uint64_t> literal(StepParser& sp, const std::string& key, bool required,
                                uint64_t max) {
  const auto v = sp.value(key, required);
  if (!v) return std::nullopt;
  if (!v->ref.empty()) {
    sp.error(key, "expected a number (captures are not allowed in migrate)");
    return std::nullopt;
  }
  if (v->literal > max) {
    sp.error(key, fmt::format("{:#x} is above {:#x}", v->literal, max));
    return std::nullopt;
  }
  return v->literal;
}

/// Each element of the list at `key` as a mapping, parsed by `each`.
template <class F>
void for_each_map(StepParser& sp, const std::string& key, const std::string& path,
                  const SourceInfo& src, ErrorList& errs, const std::string& what, F each) {
  if (!sp.has(key)) return;
  const YAML::Node n = sp.node(key);
  if (!n.IsSequence()) {
    sp.error(key, "expected a list of mappings");
    return;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string ep = cfg::join_path(path, fmt::format("{}.{}", key, i));
    if (!n[i].IsMap()) {
      errs.add(error_at(n[i], src, ep, "expected a mapping"));
      continue;
    }
    StepParser e(n[i], ep, src, errs);
    each(e);
    e.finish(what);
  }
}

/// A sub-mapping at `key` parsed by `each` (absent: nothing).
template <class F>
void sub_map(StepParser& sp, const std::string& key, const std::string& path, const SourceInfo& src,
             ErrorList& errs, F each) {
  if (!sp.has(key)) return;
  const YAML::Node n = sp.node(key);
  if (!n.IsMap()) {
    sp.error(key, "expected a mapping");
    return;
  }
  StepParser e(n, cfg::join_path(path, key), src, errs);
  each(e);
  e.finish(key);
}

constexpr uint64_t kMaxPasid = (uint64_t{1} << 20) - 1;
constexpr uint64_t kMaxRid = 0xFFFF;

void parse_migrate(StepParser& sp, const std::string& p, const SourceInfo& src, ErrorList& errs,
                   ScenarioMigrate& m) {
  if (!sp.has("destination")) sp.error("destination", "missing required key");
  sub_map(sp, "destination", p, src, errs, [&](StepParser& d) {
    const std::string dp = cfg::join_path(p, "destination");
    if (auto pol = d.text("policy", false)) {
      bool found = false;
      for (const auto& [v, name] : cfg::EnumNames<pasid::Policy>::table)
        if (name == *pol) {
          m.policy.policy = v;
          found = true;
        }
      if (!found) d.error("policy", "expected global, rid_local or partitioned");
    }
    if (auto v = literal(d, "local_last", false, kMaxPasid))
      m.policy.local_last = static_cast<uint32_t>(*v);
    if (auto v = literal(d, "width", false, 20)) m.width = static_cast<unsigned>(*v);
    std::vector<ScenarioValue> g;
    parse_values(d, "global", g, false, false);
    for (const auto& v : g) {
      if (!v.ref.empty() || v.literal > kMaxPasid)
        d.error("global", "expected PASIDs (numbers below 2^20)");
      else
        m.taken_global.push_back(static_cast<uint32_t>(v.literal));
    }
    for_each_map(d, "local", dp, src, errs, "a local allocation", [&](StepParser& e) {
      const auto rid = literal(e, "rid", true, kMaxRid);
      const auto pasid = literal(e, "pasid", true, kMaxPasid);
      if (rid && pasid)
        m.taken_local.emplace_back(static_cast<uint16_t>(*rid), static_cast<uint32_t>(*pasid));
    });
    if (auto io = d.text("iommu", false)) m.iommu = *io;
    m.program = d.flag("program");
    if (!d.has("tables")) d.error("tables", "missing required key ({base, size})");
    sub_map(d, "tables", dp, src, errs, [&](StepParser& t) {
      m.table_base = literal(t, "base", true, ~uint64_t{0}).value_or(0);
      if (!t.has("size")) {
        t.error("size", "missing required key");
      } else {
        const YAML::Node n = t.node("size");
        m.table_size = n.IsScalar() ? parse_bytes(n.Scalar()).value_or(0) : 0;
        if (m.table_size < 4096) t.error("size", "expected a size of at least 4KiB");
      }
    });
  });
  if (!sp.has("vm")) sp.error("vm", "missing required key (the VM's PASIDs)");
  for_each_map(sp, "vm", p, src, errs, "a VM PASID", [&](StepParser& e) {
    pasid::VmPasid v;
    v.gpasid = static_cast<uint32_t>(literal(e, "gpasid", true, kMaxPasid).value_or(0));
    v.hpasid = static_cast<uint32_t>(literal(e, "hpasid", true, kMaxPasid).value_or(0));
    v.rid = static_cast<uint16_t>(literal(e, "rid", true, kMaxRid).value_or(0));
    v.global = !e.flag("local");
    v.must_keep = e.flag("must_keep");
    v.binding.pt_root = literal(e, "pt_root", false, ~uint64_t{0}).value_or(0);
    v.binding.tag = static_cast<uint16_t>(literal(e, "tag", false, 0xFFFF).value_or(1));
    if (v.binding.pt_root % 4096) e.error("pt_root", "a page-table root is 4 KiB aligned");
    m.vm.push_back(v);
  });
  sub_map(sp, "costs", p, src, errs, [&](StepParser& c) {
    if (auto t = c.time("entry_write")) m.costs.entry_write = *t;
    if (auto t = c.time("invalidation")) m.costs.invalidation = *t;
    if (auto t = c.time("translation_update")) m.costs.translation_update = *t;
  });
  sub_map(sp, "expect", p, src, errs, [&](StepParser& x) {
    const std::string xp = cfg::join_path(p, "expect");
    if (x.has("ok")) m.expect_ok = x.flag("ok");
    if (auto e = x.text("error", false)) {
      m.expect_error = *e;
      if (x.has("ok") && m.expect_ok) x.error("error", "an expected error needs ok: false");
      m.expect_ok = false;
    }
    m.conflicts = literal(x, "conflicts", false, ~uint64_t{0});
    m.remaps = literal(x, "remaps", false, ~uint64_t{0});
    m.reprogrammed = literal(x, "reprogrammed", false, ~uint64_t{0});
    for_each_map(x, "remapped", xp, src, errs, "a remap", [&](StepParser& r) {
      const auto g = literal(r, "gpasid", true, kMaxPasid);
      const auto to = literal(r, "to", true, kMaxPasid);
      if (g && to) m.expect_remaps.emplace_back(*g, *to);
    });
  });
}

ScenarioStep parse_step(const YAML::Node& item, const std::string& path, const SourceInfo& src,
                        ErrorList& errs) {
  ScenarioStep st;
  st.line = item.Mark().line + 1;
  if (!item.IsMap() || item.size() != 1) {
    errs.add(error_at(item, src, path, "a step is a one-key mapping, e.g. `- wait: 1us`"));
    return st;
  }
  const auto kv = *item.begin();
  st.name = kv.first.as<std::string>();
  const auto it = step_kinds().find(st.name);
  const std::string p = cfg::join_path(path, st.name);
  if (it == step_kinds().end()) {
    std::vector<std::string> names;
    for (const auto& [n, k] : step_kinds()) names.push_back(n);
    std::string msg = fmt::format("unknown step '{}'", st.name);
    if (auto near = cfg::closest_key(st.name, names); !near.empty())
      msg += fmt::format(" (did you mean '{}'?)", near);
    errs.add(error_at(kv.first, src, path, msg));
    return st;
  }
  st.kind = it->second;
  if (st.kind == Kind::wait) {
    auto t = kv.second.IsScalar() ? parse_time(kv.second.Scalar()) : std::nullopt;
    if (!t) errs.add(error_at(kv.second, src, p, "expected a time such as 2us"));
    st.duration = t.value_or(0);
    return st;
  }
  if (!kv.second.IsMap()) {
    errs.add(error_at(kv.second, src, p, "expected a mapping of the step's keys"));
    return st;
  }
  StepParser sp(kv.second, p, src, errs);
  const bool poll = st.kind == Kind::mem_poll || st.kind == Kind::mmio_poll;
  switch (st.kind) {
    case Kind::mem_write:
    case Kind::mem_read:
    case Kind::mem_poll:
      st.addr = sp.value("addr").value_or(ScenarioValue{});
      sp.data(st, true, false);
      if (st.kind != Kind::mem_write && sp.has("mask")) st.mask = sp.value("mask");
      break;
    case Kind::mmio_write:
    case Kind::mmio_read:
    case Kind::mmio_poll:
      st.target = sp.text("target", true).value_or("");
      st.offset = sp.value("offset").value_or(ScenarioValue{});
      if (st.kind == Kind::mmio_read && sp.has("capture")) {
        st.capture = sp.text("capture", true).value_or("");
        // A capture reads a register of the width the step names (u32 or u64: any value).
        bool w32 = sp.has("u32"), w64 = sp.has("u64");
        st.width = w32 ? 4 : 8;
        if (w32 && w64) sp.error("u32", "give one of u32, u64");
      } else {
        sp.data(st, true, true);
        if (st.width == 1) sp.error("u8", "register accesses are u32 or u64");
      }
      if (st.kind != Kind::mmio_write && sp.has("mask")) st.mask = sp.value("mask");
      break;
    case Kind::dma_write:
    case Kind::dma_read:
      parse_requester(sp, st);
      st.addr = sp.value("addr").value_or(ScenarioValue{});
      st.fault = sp.flag("fault");
      st.translated = sp.flag("translated");
      if (st.kind == Kind::dma_read && st.fault) {
        if (sp.has("size")) {
          const YAML::Node n = sp.node("size");
          const uint64_t size = n.IsScalar() ? parse_bytes(n.Scalar()).value_or(0) : 0;
          if (size == 0 || size > 4096) sp.error("size", "expected a size of 1 to 4096 bytes");
          st.size = size;
        }
        if (sp.data(st, false, false)) sp.error("u64", "a faulting dma_read expects no data");
        if (st.size == 0) st.size = 8;
      } else {
        sp.data(st, true, false);
      }
      break;
    case Kind::hcall:
    case Kind::rtas:
      st.target = sp.text("target", true).value_or("");
      st.call = sp.text("name", true).value_or("");
      if (st.call.find(',') == std::string::npos && st.kind == Kind::rtas && st.call.size() > 0 &&
          kv.second.size() > 0) {
        // `{name: ibm,create-pe-dma-window}` in a flow mapping splits at the comma (YAML).
        for (const auto& e : kv.second)
          if (!cfg::present(e.second) &&
              e.first.as<std::string>().find("-dma-window") != std::string::npos)
            sp.error("name",
                     "RTAS names contain a comma: quote them inside {...}, e.g. "
                     "name: \"ibm,create-pe-dma-window\"");
      }
      parse_values(sp, "args", st.args, false, false);
      parse_values(sp, "ret", st.ret, true, true);
      if (sp.has("capture")) {
        YAML::Node c = sp.node("capture");
        if (c.IsScalar())
          st.captures.push_back(c.Scalar());
        else if (c.IsSequence())
          for (const auto& e : c) st.captures.push_back(e.IsScalar() ? e.Scalar() : "_");
        else
          sp.error("capture", "expected a name or a list of names");
      }
      break;
    case Kind::ats_translate: {
      parse_requester(sp, st);
      st.addr = sp.value("addr").value_or(ScenarioValue{});
      st.nw = sp.flag("nw");
      st.fault = sp.flag("fault");
      if (sp.has("capture")) st.capture = sp.text("capture", true).value_or("");
      if (sp.has("expect")) {
        const YAML::Node e = sp.node("expect");
        const std::string ep = cfg::join_path(p, "expect");
        if (!e.IsMap()) {
          sp.error("expect", "expected a mapping of completion fields (addr, size, r, w, ...)");
        } else {
          StepParser ex(e, ep, src, errs);
          parse_fields(ex, {"addr", "size"}, {"r", "w", "x", "priv", "u"}, st);
          ex.finish("expect");
        }
        if (st.fault) sp.error("fault", "give either fault: true or expect:, not both");
      }
      break;
    }
    case Kind::page_request: {
      parse_requester(sp, st);
      st.addr = sp.value("addr").value_or(ScenarioValue{});
      st.pr_read = sp.flag("read");
      st.pr_write = sp.flag("write");
      st.pr_last = sp.has("last") ? sp.flag("last") : true;
      st.group = sp.value("group").value_or(ScenarioValue{});
      if (st.group.ref.empty() && st.group.literal > PageRequest::kGroupMask)
        sp.error("group", "a page request group index is 9 bits (0..511)");
      st.fault = sp.flag("fault");
      break;
    }
    case Kind::expect_page_response:
    case Kind::expect_ats_invalidation: {
      st.iommu = sp.text("iommu", false).value_or("");
      st.none = sp.flag("none");
      if (st.kind == Kind::expect_page_response)
        parse_fields(sp, {"rid", "pasid", "group", "code"}, {}, st);
      else
        parse_fields(sp, {"rid", "pasid", "addr", "size"}, {"global"}, st);
      if (st.none && !st.fields.empty())
        sp.error("none", "none: true expects no message; give no fields with it");
      if (auto t = sp.time("timeout")) st.timeout = *t;
      break;
    }
    case Kind::stat: {
      st.stat = sp.text("name", true).value_or("");
      if (sp.has("value")) {
        st.lo = sp.value("value");
        st.hi = st.lo;
        if (sp.has("min") || sp.has("max")) sp.error("value", "give value, or min and/or max");
      } else {
        if (sp.has("min")) st.lo = sp.value("min");
        if (sp.has("max")) st.hi = sp.value("max");
        if (!st.lo && !st.hi) sp.error("value", "missing value (or min / max)");
      }
      break;
    }
    case Kind::migrate:
      parse_migrate(sp, p, src, errs, st.migrate);
      break;
    case Kind::wait:
      break;
  }
  if (poll) {
    if (auto t = sp.time("timeout")) st.timeout = *t;
  }
  sp.finish(st.name);
  return st;
}

}  // namespace

Scenario load_scenario(const std::string& file, const std::vector<Override>& overrides) {
  Scenario sc;
  sc.file = file;
  YAML::Node root = cfg::load_yaml_file(file);
  SourceInfo src{file, {}};
  ErrorList errs;
  if (!root.IsMap()) throw cfg::ConfigError(error_at(root, src, "", "a scenario is a mapping"));
  for (const auto& kv : root) {
    const auto key = kv.first.as<std::string>();
    if (key != "platform" && key != "steps" && key != "description") {
      std::string msg = "unknown key (valid keys: platform, steps, description)";
      errs.add(error_at(kv.first, src, key, msg));
    }
  }
  // The platform: a file (relative to the scenario) or an inline mapping.
  const YAML::Node plat = cfg::child(root, "platform");
  YAML::Node plat_root;
  SourceInfo plat_src = src;
  if (!cfg::present(plat)) {
    errs.add(error_at(root, src, "platform", "missing required key (a file or a mapping)"));
  } else if (plat.IsScalar()) {
    std::filesystem::path p(plat.Scalar());
    if (p.is_relative()) p = std::filesystem::path(file).parent_path() / p;
    try {
      plat_root = cfg::load_yaml_file(p.lexically_normal().string());
      plat_src.file = p.lexically_normal().string();
    } catch (const cfg::ConfigError& e) {
      errs.add(error_at(plat, src, "platform", e.what()));
    }
  } else if (plat.IsMap()) {
    plat_root = plat;
  } else {
    errs.add(error_at(plat, src, "platform", "expected a platform file name or a mapping"));
  }

  const YAML::Node steps = cfg::child(root, "steps");
  if (!steps.IsSequence()) {
    errs.add(
        error_at(cfg::present(steps) ? steps : root, src, "steps", "expected a list of steps"));
  } else {
    for (size_t i = 0; i < steps.size(); ++i)
      sc.steps.push_back(parse_step(steps[i], fmt::format("steps.{}", i), src, errs));
  }
  errs.throw_if_any();
  apply_overrides(plat_root, overrides, plat_src);
  sc.platform = load_platform(plat_root, plat_src);
  return sc;
}

}  // namespace isim
