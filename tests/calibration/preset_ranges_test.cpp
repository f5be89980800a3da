// Every preset in configs/presets/ loads through the normal config loader and meets the legal
// ranges the manuals give for its part (preset_ranges.cpp lists them with their sources). A
// copy of a preset with one value out of range fails, naming the preset, the key and the range.
#include "tests/calibration/preset_ranges.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sim/registry.h"

namespace isim::calib {
namespace {

namespace fs = std::filesystem;

const fs::path kPresets = fs::path(ISIM_SOURCE_DIR) / "configs" / "presets";

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string joined(const std::vector<Violation>& vs) {
  std::string out;
  for (const Violation& v : vs) out += v.message() + "\n";
  return out;
}

/// `part`'s preset with `from` replaced by `to` (exactly once), written as
/// <tmp>/<test>/<part>.yaml so the copy keeps the part's name; returns the loaded copy.
PlatformConfig load_bad_copy(const std::string& part, const std::string& from,
                             const std::string& to) {
  std::string text = read_text(kPresets / (part + ".yaml"));
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << part << ": '" << from << "' not in the preset";
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "'" << from << "' is not unique";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  const fs::path dir =
      fs::temp_directory_path() /
      ("isim-preset-ranges-" +
       std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
  fs::create_directories(dir);
  const fs::path file = dir / (part + ".yaml");
  std::ofstream(file) << text;
  return load_platform_file(file.string(), {});
}

class PresetRanges : public ::testing::Test {
 protected:
  void SetUp() override { register_builtin_components(); }
};

TEST_F(PresetRanges, EveryPresetMeetsItsPartsRanges) {
  size_t presets = 0, with_rules = 0;
  for (const auto& entry : fs::directory_iterator(kPresets)) {
    if (entry.path().extension() != ".yaml") continue;
    ++presets;
    const std::string part = entry.path().stem().string();
    const PlatformConfig cfg = load_platform_file(entry.path().string(), {});
    for (const PartRules& r : all_part_rules()) with_rules += r.part == part;
    const auto violations = check_preset(part, cfg);
    EXPECT_TRUE(violations.empty()) << joined(violations);
  }
  EXPECT_EQ(presets, 5u);
  // Every part but gem5-smmuv3-default (software defaults: no manual gives ranges) has rules.
  EXPECT_EQ(with_rules, 4u);
}

TEST_F(PresetRanges, EveryRuleNamesAPresetThatExists) {
  for (const PartRules& r : all_part_rules()) {
    EXPECT_TRUE(fs::exists(kPresets / (r.part + ".yaml"))) << r.part;
    EXPECT_FALSE(r.ranges.empty() && r.consistency.empty()) << r.part;
    for (const RangeRule& rr : r.ranges) EXPECT_FALSE(rr.source.empty()) << r.part << " " << rr.key;
    for (const ConsistencyRule& c : r.consistency) EXPECT_FALSE(c.source.empty()) << c.keys;
  }
}

TEST_F(PresetRanges, WalkersAtTheTranslationSlotsFail) {
  // 64 walkers: as many as the TCU's translation slots, which the request buffer must exceed.
  const auto cfg = load_bad_copy("arm-mmu600", "walkers: 16", "walkers: 64");
  const auto v = check_preset("arm-mmu600", cfg);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_EQ(v[0].key, "iommus.0.params.walkers");
  EXPECT_EQ(v[0].value, "64");
  const std::string m = v[0].message();
  EXPECT_NE(m.find("arm-mmu600: iommus.0.params.walkers = 64, allowed [1, 63]"), std::string::npos)
      << m;
  EXPECT_NE(m.find("Table 90"), std::string::npos) << m;
}

TEST_F(PresetRanges, SetAssociativeMicroTlbFails) {
  const auto cfg = load_bad_copy("arm-mmu600", "tbu_tlb: {entries: 32, ways: 32",
                                 "tbu_tlb: {entries: 32, ways: 8");
  const auto v = check_preset("arm-mmu600", cfg);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_EQ(v[0].key, "iommus.0.params.tbu_tlb.ways");
  EXPECT_NE(v[0].range.find("equal to tbu_tlb.entries (32)"), std::string::npos) << v[0].range;
}

TEST_F(PresetRanges, ConfigurationCacheSplitMustSumToTheBuild) {
  const auto cfg = load_bad_copy("arm-mmu600", "cd_cache: {entries: 128", "cd_cache: {entries: 64");
  const auto v = check_preset("arm-mmu600", cfg);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_EQ(v[0].key, "iommus.0.params.ste_cache.entries+cd_cache.entries");
  EXPECT_EQ(v[0].value, "192");
  EXPECT_EQ(v[0].range, "one of {256}");
}

TEST_F(PresetRanges, FiftyTwoBitOutputAddressFails) {
  // The loader accepts 48 (the model's widest); an SMMUv3.1 OAS the MMU-600 allows but the
  // Agilex 5 ties off otherwise must fail on the part's rule alone.
  const auto cfg = load_bad_copy("arm-mmu600", "oas_bits: 40", "oas_bits: 48");
  const auto v = check_preset("arm-mmu600", cfg);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_EQ(v[0].key, "iommus.0.params.ids.oas_bits");
  EXPECT_NE(v[0].source.find("Table 93"), std::string::npos) << v[0].source;
}

TEST_F(PresetRanges, DeviceTlbWithoutQueuedInvalidationFails) {
  // ECAP 0xf020df with QI (bit 1) cleared: DT stays set.
  const auto cfg = load_bad_copy("intel-bdw-ep-vtd", "ecap_reg: 0xf020df", "ecap_reg: 0xf020dd");
  const auto v = check_preset("intel-bdw-ep-vtd", cfg);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_EQ(v[0].key, "iommus.0.params.ecap_reg (ECAP.DT, ECAP.QI)");
  EXPECT_EQ(v[0].range, "DT = 1 implies QI = 1");
}

TEST_F(PresetRanges, GuestWidthBeyondTheTablesFails) {
  // CAP with MGAW (21:16) raised from 47 to 56: wider than the 4-level tables SAGAW offers.
  const auto cfg =
      load_bad_copy("intel-bdw-ep-vtd", "cap_reg: 0x8d2078c106f0466", "cap_reg: 0x8d2078c10780466");
  const auto v = check_preset("intel-bdw-ep-vtd", cfg);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_EQ(v[0].key, "iommus.0.params.cap_reg (CAP.MGAW, CAP.SAGAW)");
  EXPECT_EQ(v[0].range, "MGAW + 1 <= widest SAGAW width");
}

TEST_F(PresetRanges, PasidWiderThanTheGcr3TablesFails) {
  // One GCR3 level (GLXSup 0) indexes 9 PASID bits; the dump's 16-bit PASIDs need two.
  const auto cfg = load_bad_copy("amd-epyc-amdvi", "features: {pref_sup: false, gats: 0}",
                                 "features: {pref_sup: false, gats: 0, glx_sup: 0}");
  const auto v = check_preset("amd-epyc-amdvi", cfg);
  ASSERT_EQ(v.size(), 2u) << joined(v);  // the dump's GLXSup and the GCR3 relation
  EXPECT_EQ(v[0].key, "iommus.0.params.features.glx_sup");
  EXPECT_EQ(v[1].key, "iommus.0.params.features (PASmax, GLXSup, GTSup)");
}

TEST_F(PresetRanges, DdwPageSizeThePhbLacksFails) {
  // 0x4: 16 MiB TCEs, which PHB4 does not have.
  const auto cfg = load_bad_copy("ibm-power9-tce", "ddw_page_mask: 0x103", "ddw_page_mask: 0x107");
  const auto v = check_preset("ibm-power9-tce", cfg);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_EQ(v[0].key, "iommus.0.params.ddw_page_mask");
  EXPECT_EQ(v[0].range, "no bit outside 0x103");
}

TEST_F(PresetRanges, ARuleWhoseKeyIsMissingFails) {
  // A preset of another type under the part's name: every rule's key is missing.
  const PlatformConfig cfg =
      load_platform_file((kPresets / "gem5-smmuv3-default.yaml").string(), {});
  const auto v = check_preset("amd-epyc-amdvi", cfg);
  ASSERT_EQ(v.size(), 1u) << joined(v);
  EXPECT_EQ(v[0].value, "none of type amdvi");
}

}  // namespace
}  // namespace isim::calib
