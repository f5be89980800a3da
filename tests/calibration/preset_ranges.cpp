#include "tests/calibration/preset_ranges.h"

#include <fmt/format.h>

#include <sstream>

#include "models/vtd/regs.h"
#include "sim/param_types.h"

namespace isim::calib {
namespace {

using nlohmann::json;

// Sources, cited by section and table.
// Intel, "Hard Processor System Technical Reference Manual: Agilex 5 SoCs", ID 814346, 24.3.1.
const char* const kAgx5Tcu = "Agilex 5 HPS TRM 814346, 4.3.4.4.1 Table 90 (TCU configuration)";
const char* const kAgx5TcuSignals =
    "Agilex 5 HPS TRM 814346, 4.3.5.1 Table 93 (TCU configuration signals)";
const char* const kAgx5TbuSignals =
    "Agilex 5 HPS TRM 814346, 4.3.5.2 Table 96 (TBU configuration signals: utlb_roundrobin 0, "
    "PLRU)";
// Arm, "CoreLink MMU-600AE System Memory Management Unit TRM", 101412_0100_07. The MMU-600AE is
// the MMU-600 with safety features added, "the original MMU-600 logic and functionality are
// unchanged" (1.7); the MMU-600 TRM (100310) leaves the build-option list to its confidential
// Configuration and Integration Manual (101412 1.5).
const char* const kAeTbu =
    "MMU-600(AE) TRM 101412, 2.1 (micro TLB fully associative; Main TLB "
    "four-way set associative, random replacement)";
const char* const kAeTcu =
    "MMU-600(AE) TRM 101412, 2.2 (walk and configuration caches four-way "
    "set associative)";
const char* const kAeWalkPolicy =
    "MMU-600(AE) TRM 101412, 2.2.3 (walk cache round-robin replacement; the model's fifo)";
const char* const kAeSlots =
    "MMU-600(AE) TRM 101412, 2.2 (the translation request buffer has more slots than the "
    "translation manager) with TCUCFG_XLATE_SLOTS = 64, Agilex 5 HPS TRM 814346 Table 90";
const char* const kAeIds = "MMU-600(AE) TRM 101412, 2.11.1 Table 2-16 (not configurable)";
const char* const kAeOas =
    "MMU-600(AE) TRM 101412, 2.11.1 Table 2-16 and text: OAS = sup_oas, 0b000..0b101 "
    "(0b110 must not be used)";
// VT-d: Intel Virtualization Technology for Directed I/O Architecture Specification.
const char* const kVtdMgaw =
    "VT-d 11.4.2 CAP.MGAW and CAP.SAGAW: the guest address width "
    "cannot exceed the widest supported second-stage table";
const char* const kVtdMamv =
    "VT-d 11.4.2 CAP.MAMV with CAP.PSI, 6.5 (page-selective IOTLB invalidation, AM): "
    "a mask cannot cover more than the guest address space";
const char* const kVtdDt =
    "VT-d 11.4.3 ECAP.DT, 6.5: device-TLB invalidations exist only "
    "as queued-invalidation descriptors (ECAP.QI)";
const char* const kVtdEim = "VT-d 11.4.3 ECAP.EIM: valid only when ECAP.IR is set";
// AMD I/O Virtualization Technology (IOMMU) Specification, 48882.
const char* const kAmdEfr =
    "AMD 48882 3.4.6 (MMIO 0x30 EFR: HATS 11b, GATS 1xb reserved; "
    "PASmax at most 19)";
const char* const kAmdGcr3 =
    "AMD 48882 GCR3 table format with DTE.GLX: each level indexes 9 PASID bits, EFR.GLXSup "
    "levels beyond the first (as Linux amd_iommu get_gcr3_levels)";
const char* const kAmdDump = "register dump: EFR 0x58f77ef22294a5a as Linux prints it (Zen 2)";
// POWER9 PHB4.
const char* const kPhb4Sizes =
    "skiboot release notes (npu2: Advertise correct TCE page size): PHB4 TCE page sizes "
    "4K/64K/2M/1G; the LoPAPR DDW query mask has bits for 4K (0x1), 64K (0x2), 2M (0x100)";

OneOf one_of(std::initializer_list<json> v) {
  return OneOf{std::vector<json>(v)};
}

// The AGAW widths SAGAW bit n stands for (11.4.2: bit 1 39-bit, bit 2 48-bit, bit 3 57-bit).
unsigned widest_agaw_bits(const vtd::Capabilities& c) {
  unsigned w = 0;
  for (unsigned aw = 1; aw <= 3; ++aw)
    if (c.agaw_supported(aw)) w = 30 + 9 * aw;
  return w;
}

// The register fields as the model decodes them: raw CAP/ECAP when the preset gives them.
vtd::Capabilities vtd_caps(const json& params) {
  const uint64_t cap = params.at("cap_reg").get<uint64_t>();
  const uint64_t ecap = params.at("ecap_reg").get<uint64_t>();
  return vtd::Capabilities::decode(cap, ecap);
}

std::vector<PartRules> make_rules() {
  std::vector<PartRules> parts;

  parts.push_back(
      PartRules{"arm-mmu600",
                "smmuv3",
                {
                    // Structure of the MMU-600's caches: fixed by the design, not build options.
                    {"walk_cache.ways", one_of({4}), kAeTcu},
                    {"ste_cache.ways", one_of({4}), kAeTcu},
                    {"cd_cache.ways", one_of({4}), kAeTcu},
                    {"walk_cache.policy", one_of({"fifo"}), kAeWalkPolicy},
                    {"tlb.ways", one_of({4}), kAeTbu},
                    {"tlb.policy", one_of({"random"}), kAeTbu},
                    {"tbu_tlb.ways", SameAs{"tbu_tlb.entries"}, kAeTbu},
                    // ID registers the MMU-600 reports whatever the build.
                    {"ids.arch_minor", one_of({1}), kAeIds},
                    {"ids.httu", one_of({0}), kAeIds},
                    {"ids.sid_bits", one_of({24}), kAeIds},
                    {"ids.ssid_bits", one_of({20}), kAeIds},
                    {"ids.cmdq_lg2", one_of({19}), kAeIds},
                    {"ids.evtq_lg2", one_of({19}), kAeIds},
                    {"ids.priq_lg2", one_of({19}), kAeIds},
                    {"ids.implementer", one_of({0x43b}), kAeIds},
                    {"ids.oas_bits", one_of({32, 36, 40, 42, 44, 48}), kAeOas},
                    // The Agilex 5 build and tie-offs.
                    {"walk_cache.entries", one_of({8 * 256}), kAgx5Tcu},
                    {"ste_cache.entries+cd_cache.entries", one_of({256}), kAgx5Tcu},
                    {"ids.stall_max", one_of({64}), kAgx5Tcu},
                    {"walkers", IntRange{1, 63}, kAeSlots},
                    {"ids.oas_bits", one_of({40}), kAgx5TcuSignals},
                    {"ids.cohacc", one_of({true}), kAgx5TcuSignals},
                    {"ids.btm", one_of({true}), kAgx5TcuSignals},
                    {"ids.sev", one_of({true}), kAgx5TcuSignals},
                    {"tbu_tlb.policy", one_of({"plru"}), kAgx5TbuSignals},
                },
                {}});

  parts.push_back(PartRules{
      "intel-bdw-ep-vtd",
      "vtd",
      {},
      {
          {"cap_reg (CAP.MGAW, CAP.SAGAW)", "MGAW + 1 <= widest SAGAW width",
           [](const json& p) {
             const auto c = vtd_caps(p);
             return c.mgaw + 1 <= widest_agaw_bits(c);
           },
           kVtdMgaw},
          {"cap_reg (CAP.PSI, CAP.MAMV, CAP.MGAW)", "PSI = 1 implies MAMV + 12 <= MGAW + 1",
           [](const json& p) {
             const auto c = vtd_caps(p);
             return !c.psi || c.mamv + 12 <= c.mgaw + 1;
           },
           kVtdMamv},
          {"ecap_reg (ECAP.DT, ECAP.QI)", "DT = 1 implies QI = 1",
           [](const json& p) {
             const auto c = vtd_caps(p);
             return !c.dt || c.qi;
           },
           kVtdDt},
          {"ecap_reg (ECAP.EIM, ECAP.IR)", "EIM = 1 implies IR = 1",
           [](const json& p) {
             const auto c = vtd_caps(p);
             return !c.eim || c.ir;
           },
           kVtdEim},
      }});

  parts.push_back(PartRules{
      "amd-epyc-amdvi",
      "amdvi",
      {
          {"features.hats", IntRange{0, 2}, kAmdEfr},
          {"features.gats", IntRange{0, 1}, kAmdEfr},
          {"features.pas_max", IntRange{0, 19}, kAmdEfr},
          // The dump's fields that the model implements.
          {"features.hats", one_of({2}), kAmdDump},
          {"features.gats", one_of({0}), kAmdDump},
          {"features.glx_sup", one_of({1}), kAmdDump},
          {"features.pas_max", one_of({15}), kAmdDump},
          {"features.gt_sup", one_of({true}), kAmdDump},
          {"features.ppr_sup", one_of({true}), kAmdDump},
          {"features.pref_sup", one_of({false}), kAmdDump},
      },
      {
          {"features (PASmax, GLXSup, GTSup)", "GTSup = 1 implies PASmax + 1 <= 9 x (GLXSup + 1)",
           [](const json& p) {
             const json& f = p.at("features");
             return !f.at("gt_sup").get<bool>() || f.at("pas_max").get<unsigned>() + 1 <=
                                                       9 * (f.at("glx_sup").get<unsigned>() + 1);
           },
           kAmdGcr3},
      }});

  parts.push_back(PartRules{
      "ibm-power9-tce",
      "tce",
      {
          {"ddw_page_mask", MaskWithin{0x103}, kPhb4Sizes},
          {"default_page_size",
           one_of({uint64_t{1} << 12, uint64_t{1} << 16, uint64_t{1} << 21, uint64_t{1} << 30}),
           kPhb4Sizes},
      },
      {}});
  return parts;
}

/// `params` with the values the loader writes as text (hex numbers "0x103", sizes "4KiB") turned
/// back into numbers, so rules compare numbers.
json numeric(const json& params) {
  if (params.is_object() || params.is_array()) {
    json out = params;
    for (auto& v : out) v = numeric(v);
    return out;
  }
  if (!params.is_string()) return params;
  const std::string& s = params.get_ref<const std::string&>();
  const cfg::Unit unit = s.rfind("0x", 0) == 0 ? cfg::Unit::hex : cfg::Unit::bytes;
  if (const auto v = cfg::Codec<uint64_t>::parse(s, unit)) return *v;
  return params;
}

/// The value at dotted `key` below `params`, or null when absent.
json lookup(const json& params, const std::string& key) {
  const json* at = &params;
  std::istringstream in(key);
  for (std::string seg; std::getline(in, seg, '.');) {
    if (!at->is_object() || !at->contains(seg)) return nullptr;
    at = &(*at)[seg];
  }
  return *at;
}

/// `key` with "a+b" summed; null when any part is absent or not a number.
json value_of(const json& params, const std::string& key) {
  const auto plus = key.find('+');
  if (plus == std::string::npos) return lookup(params, key);
  const json a = lookup(params, key.substr(0, plus));
  const json b = value_of(params, key.substr(plus + 1));
  if (!a.is_number_integer() || !b.is_number_integer()) return nullptr;
  return a.get<int64_t>() + b.get<int64_t>();
}

struct Verdict {
  bool ok;
  std::string range;
};

Verdict judge(const json& params, const json& v, const Allowed& allowed) {
  return std::visit(
      [&](const auto& a) -> Verdict {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, IntRange>) {
          const bool ok =
              v.is_number_integer() && v.get<int64_t>() >= a.min && v.get<int64_t>() <= a.max;
          return {ok, fmt::format("[{}, {}]", a.min, a.max)};
        } else if constexpr (std::is_same_v<A, OneOf>) {
          bool ok = false;
          std::string text;
          for (const json& x : a.values) {
            ok = ok || x == v;
            text += (text.empty() ? "" : ", ") + x.dump();
          }
          return {ok, "one of {" + text + "}"};
        } else if constexpr (std::is_same_v<A, SameAs>) {
          const json other = lookup(params, a.key);
          return {!other.is_null() && other == v,
                  fmt::format("equal to {} ({})", a.key, other.dump())};
        } else {
          const bool ok = v.is_number_unsigned() && (v.get<uint64_t>() & ~a.mask) == 0;
          return {ok, fmt::format("no bit outside {:#x}", a.mask)};
        }
      },
      allowed);
}

}  // namespace

std::string Violation::message() const {
  return fmt::format("{}: {} = {}, allowed {} ({})", preset, key, value, range, source);
}

const std::vector<PartRules>& all_part_rules() {
  static const std::vector<PartRules> rules = make_rules();
  return rules;
}

std::vector<Violation> check_preset(const std::string& part, const PlatformConfig& config) {
  std::vector<Violation> out;
  for (const PartRules& rules : all_part_rules()) {
    if (rules.part != part) continue;
    size_t checked = 0;
    for (size_t i = 0; i < config.iommus.size(); ++i) {
      const ComponentSpec& iommu = config.iommus[i];
      if (iommu.type != rules.iommu_type) continue;
      ++checked;
      const json params = numeric(iommu.params ? iommu.params->to_json() : json::object());
      const std::string prefix = fmt::format("iommus.{}.params.", i);
      for (const RangeRule& r : rules.ranges) {
        const json v = value_of(params, r.key);
        const Verdict verdict = v.is_null() ? Verdict{false, "a value (the key is missing)"}
                                            : judge(params, v, r.allowed);
        if (!verdict.ok) out.push_back({part, prefix + r.key, v.dump(), verdict.range, r.source});
      }
      for (const ConsistencyRule& r : rules.consistency) {
        try {
          if (!r.holds(params))
            out.push_back({part, prefix + r.keys, "inconsistent", r.relation, r.source});
        } catch (const json::exception& e) {
          // A field the relation needs is missing or of another type.
          out.push_back({part, prefix + r.keys, std::string("unreadable: ") + e.what(), r.relation,
                         r.source});
        }
      }
    }
    if (checked == 0)
      out.push_back({part, "iommus", "none of type " + rules.iommu_type,
                     "an IOMMU of type " + rules.iommu_type, "the part's rules"});
  }
  return out;
}

}  // namespace isim::calib
