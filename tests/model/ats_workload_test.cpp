// A generator whose buffer a host driver maps (generator `driver.enabled`), and the example
// "an ATS device vs a non-ATS device" (configs/workloads/ats_vs_noats_{ats,noats}.yaml): with
// ATS the SMMUv3 translates once per page (the translation requests) and passes every read as
// translated; without, it translates every read. The mapping uses the IOMMU's one host driver,
// shared with other host-driven devices. Config errors: a device that runs a driver of its own
// on the IOMMU, an IOMMU type without a driver.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <iterator>

#include "sim/config_error.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

std::string example(const std::string& mode) {
  std::ifstream in(std::string(ISIM_SOURCE_DIR) + "/configs/workloads/ats_vs_noats_" + mode +
                   ".yaml");
  EXPECT_TRUE(in) << mode;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

constexpr uint64_t kPages = 32;  // the examples' 128 KiB buffer

TEST(AtsWorkload, WithAtsTheSmmuTranslatesOncePerPage) {
  Platform pf(test::platform_config(example("ats")));
  pf.run();
  const stats::Group& dev = *pf.stats().find_group("dev0");
  const stats::Group& io = pf.iommu("iommu0")->stats();
  const uint64_t reads = test::counter(dev, "reads");
  EXPECT_GT(reads, 1000u);
  EXPECT_EQ(test::counter(dev, "errors"), 0u);
  EXPECT_EQ(test::counter(dev, "ats.untranslated"), 0u);
  // Every page once (the ATC holds all 32); each request is one SMMU translation.
  const uint64_t requests = test::counter(dev, "ats.translation_requests");
  EXPECT_EQ(requests, kPages);
  EXPECT_EQ(test::counter(io, "translation.translated"), requests);
  EXPECT_EQ(test::counter(io, "translation.bypassed"), reads);
  // Translated reads pass the TBU without a lookup: neither its hits nor its misses.
  EXPECT_EQ(test::counter(io, "translation.ats_translated"), reads);
  EXPECT_EQ(test::counter(io, "translation.tbu_hits"), 0u);
  EXPECT_EQ(test::counter(io, "translation.tbu_misses"), 0u);
  EXPECT_EQ(test::counter(dev, "ats.atc_hits"), reads - requests);
  EXPECT_EQ(test::counter(pf.stats(), "iommu0_driver.maps"), 1u);
}

TEST(AtsWorkload, WithoutAtsTheSmmuTranslatesEveryRead) {
  Platform pf(test::platform_config(example("noats")));
  pf.run();
  const stats::Group& dev = *pf.stats().find_group("dev0");
  const stats::Group& io = pf.iommu("iommu0")->stats();
  const uint64_t reads = test::counter(dev, "reads");
  EXPECT_GT(reads, 1000u);
  EXPECT_EQ(test::counter(dev, "errors"), 0u);
  EXPECT_EQ(dev.find_group("ats"), nullptr);
  EXPECT_EQ(test::counter(io, "translation.translated"), reads);
  EXPECT_EQ(test::counter(io, "translation.bypassed"), 0u);
  EXPECT_EQ(test::counter(io, "translation.ats_translated"), 0u);
  EXPECT_EQ(test::counter(io, "translation.tbu_hits") + test::counter(io, "translation.tbu_misses"),
            reads);
  EXPECT_EQ(test::counter(io, "translation.walks"), kPages);  // the TLB keeps every page
}

std::string two_devices(const std::string& iommu, const std::string& other) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 100us}}
memory: {{size: 2GiB, latency: 90ns, channels: 2, channel_bandwidth: 12.8GB/s}}
iommus:
  - {{name: iommu0, type: {}}}
devices:
  - name: gen0
    type: generator
    iommu: iommu0
    rid: 0x0100
    params: {{driver: {{enabled: true}}}}
    workload: {{pattern: random, base: 0x10000000, footprint: 64KiB, size: 64B}}
{})",
                     iommu, other);
}

TEST(AtsWorkload, MappedGeneratorSharesTheIommusDriverWithADmaApiDevice) {
  const std::string dma_api = R"(
  - name: nic
    type: dma-api
    iommu: iommu0
    rid: 0x0200
    workload: {pattern: sequential, base: 0x20000000, footprint: 64KiB, size: 4KiB})";
  Platform pf(test::platform_config(two_devices("smmuv3", dma_api)));
  pf.run();
  for (const char* name : {"gen0", "nic"}) {
    const stats::Group& dev = *pf.stats().find_group(name);
    EXPECT_EQ(test::counter(dev, "errors"), 0u) << name;
  }
  EXPECT_GT(test::counter(*pf.stats().find_group("gen0"), "reads"), 100u);
  EXPECT_GT(test::counter(*pf.stats().find_group("nic"), "buffers"), 0u);
  // One driver: one stats group, a domain for each device.
  EXPECT_EQ(test::counter(pf.stats(), "iommu0_driver.domains"), 2u);
}

TEST(AtsWorkload, MappedGeneratorCannotShareAnIommuWithATceGuest) {
  const std::string guest = R"(
  - {name: guest, type: tce-guest, iommu: iommu0, rid: 0x0200})";
  try {
    Platform pf(test::platform_config(two_devices("tce", guest)));
    FAIL() << "accepted two drivers on one IOMMU";
  } catch (const cfg::ConfigError& e) {
    EXPECT_NE(
        std::string(e.what()).find("tce-guest device 'guest', which runs a driver of its own"),
        std::string::npos)
        << e.what();
  }
}

TEST(AtsWorkload, DriverNeedsAnIommuTypeWithOne) {
  try {
    Platform pf(test::platform_config(two_devices("none", "")));
    FAIL() << "accepted a driver for the none IOMMU";
  } catch (const cfg::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("not 'none'"), std::string::npos) << e.what();
  }
}

TEST(AtsWorkload, MappedGeneratorOnTce) {
  // The same static mapping through the TCE adapter: the buffer sits in the default window.
  Platform pf(test::platform_config(two_devices("tce", "")));
  pf.run();
  const stats::Group& dev = *pf.stats().find_group("gen0");
  EXPECT_GT(test::counter(dev, "reads"), 100u);
  EXPECT_EQ(test::counter(dev, "errors"), 0u);
  EXPECT_EQ(test::counter(pf.iommu("iommu0")->stats(), "hcalls.H_PUT_TCE_INDIRECT"), 1u);
}

}  // namespace
}  // namespace isim
