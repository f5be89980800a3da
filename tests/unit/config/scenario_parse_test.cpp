// Scenario files: every step kind parses; every malformed step is reported with its line.
#include "sim/scenario.h"

#include <gtest/gtest.h>

#include "sim/config_error.h"

namespace isim {
namespace {

const std::string kData = ISIM_TEST_DATA;
using Kind = ScenarioStep::Kind;

TEST(ScenarioParse, EveryStepKind) {
  const Scenario sc = load_scenario(kData + "/good_scenario.yaml");
  ASSERT_EQ(sc.steps.size(), 18u);
  EXPECT_EQ(sc.platform.iommus.at(0).name, "iommu0");
  const auto& w = sc.steps[0];
  EXPECT_EQ(w.kind, Kind::mem_write);
  EXPECT_EQ(w.line, 4);
  EXPECT_EQ(w.width, 8u);
  ASSERT_EQ(w.data.size(), 2u);
  EXPECT_EQ(w.data[1].literal, 2u);
  EXPECT_EQ(sc.steps[1].width, 4u);
  EXPECT_EQ(sc.steps[1].mask->literal, 0xffu);
  EXPECT_EQ(sc.steps[2].timeout, 5'000'000u);
  EXPECT_EQ(sc.steps[3].pasid->literal, 5u);
  EXPECT_TRUE(sc.steps[3].priv);
  EXPECT_TRUE(sc.steps[5].fault);
  EXPECT_EQ(sc.steps[5].size, 64u);
  EXPECT_EQ(sc.steps[6].duration, 2'000'000u);
  EXPECT_EQ(sc.steps[7].capture, "ver");
  EXPECT_EQ(sc.steps[7].width, 4u);
  EXPECT_EQ(sc.steps[8].data.at(0).ref, "ver");
  EXPECT_EQ(static_cast<int64_t>(sc.steps[9].ret.at(0).literal), -4);  // H_PARAMETER
  const auto& r = sc.steps[10];
  EXPECT_EQ(r.call, "ibm,query-pe-dma-window");
  ASSERT_EQ(r.ret.size(), 3u);
  EXPECT_TRUE(r.ret[1].wildcard);
  EXPECT_EQ(static_cast<int64_t>(r.ret[2].literal), -3);
  ASSERT_EQ(r.captures.size(), 2u);
  EXPECT_EQ(r.captures[1], "avail");
  EXPECT_EQ(sc.steps[11].call, "ibm,remove-pe-dma-window");  // block style needs no quotes
  const auto& at = sc.steps[12];
  EXPECT_EQ(at.kind, Kind::ats_translate);
  EXPECT_TRUE(at.nw);
  EXPECT_EQ(at.capture, "ta");
  ASSERT_EQ(at.fields.size(), 4u);
  EXPECT_EQ(at.fields[0].first, "addr");
  EXPECT_EQ(at.fields[0].second.literal, 0x9000u);
  EXPECT_EQ(at.fields[3].first, "w");
  EXPECT_EQ(at.fields[3].second.literal, 0u);
  EXPECT_TRUE(sc.steps[13].translated);
  const auto& pr = sc.steps[14];
  EXPECT_TRUE(pr.pr_write);
  EXPECT_FALSE(pr.pr_read);
  EXPECT_FALSE(pr.pr_last);
  EXPECT_EQ(pr.group.literal, 511u);
  const auto& resp = sc.steps[15];
  ASSERT_EQ(resp.fields.size(), 3u);
  EXPECT_EQ(resp.fields[2].first, "code");
  EXPECT_EQ(resp.fields[2].second.literal, 1u);  // PCIe 10.4.2.1: Invalid Request
  EXPECT_EQ(resp.timeout, 3'000'000u);
  EXPECT_TRUE(sc.steps[16].none);
  const auto& stat = sc.steps[17];
  EXPECT_EQ(stat.stat, "iommu0.dmas");
  EXPECT_EQ(stat.lo->literal, 1u);
  EXPECT_EQ(stat.hi->literal, 5u);
}

TEST(ScenarioParse, EveryBadStepIsReportedWithItsLine) {
  std::string m;
  try {
    load_scenario(kData + "/bad_scenario.yaml");
  } catch (const cfg::ConfigError& e) {
    m = e.what();
  }
  const std::string f = kData + "/bad_scenario.yaml";
  EXPECT_NE(m.find(f + ":3:16: steps.0.mem_write.u64: missing data"), std::string::npos) << m;
  EXPECT_NE(m.find(f + ":4:5: steps.1: unknown step 'mem_reed' (did you mean 'mem_read'?)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(f + ":5:28: steps.2.dma_read.adr: unknown key for dma_read (did you mean "
                       "'addr'?)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("steps.2.dma_read.addr: missing required key"), std::string::npos) << m;
  EXPECT_NE(m.find(f + ":6:11: steps.3.wait: expected a time"), std::string::npos) << m;
  EXPECT_NE(m.find("steps.4.mem_write.u8: 256 does not fit in 1 bytes"), std::string::npos) << m;
  EXPECT_NE(m.find("steps.5.mmio_write.u64: expected a single value"), std::string::npos) << m;
  EXPECT_NE(m.find("steps.6.hcall.ret: bad number 'H_WHATEVER'"), std::string::npos) << m;
  EXPECT_NE(m.find("steps.7.rtas.name: RTAS names contain a comma: quote them"), std::string::npos)
      << m;
}

TEST(ScenarioParse, MissingPlatformAndSteps) {
  const std::string f = ::testing::TempDir() + "/empty_scenario.yaml";
  {
    FILE* fp = std::fopen(f.c_str(), "w");
    std::fputs("description: nothing\n", fp);
    std::fclose(fp);
  }
  try {
    load_scenario(f);
    FAIL();
  } catch (const cfg::ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("platform: missing required key"), std::string::npos) << m;
    EXPECT_NE(m.find("steps: expected a list of steps"), std::string::npos) << m;
  }
}

TEST(ScenarioParse, PlatformErrorsNameThePlatformFile) {
  const std::string f = ::testing::TempDir() + "/bad_platform_scenario.yaml";
  {
    FILE* fp = std::fopen(f.c_str(), "w");
    std::fputs("platform: {iommus: [{name: x, type: none, color: red}]}\nsteps: []\n", fp);
    std::fclose(fp);
  }
  try {
    load_scenario(f);
    FAIL();
  } catch (const cfg::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("iommus.0.color: unknown key"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace isim
