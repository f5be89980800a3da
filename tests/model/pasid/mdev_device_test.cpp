// The `mdev-parent` device behind the VT-d model in both isolation modes. Every VM's buffers
// sit at the same guest-physical addresses, backed by its own host pages, so a copy that
// reached the wrong VM's memory would show in the data: each VM's destination must equal its
// own source wherever its request was not a probe, and mdev 0's memory (the probes' target)
// must be untouched by anyone else.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "models/devices/mdev_device.h"
#include "sim/config_error.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

std::string config(const std::string& params, const std::string& workload,
                   const std::string& iommu = "vtd") {
  return fmt::format(R"(
sim: {{seed: 1, duration: 3ms, quantum: 1us}}
memory: {{size: 1GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}}
iommus:
  - {{name: iommu0, type: {}}}
devices:
  - name: mdev0
    type: mdev-parent
    iommu: iommu0
    rid: 0x0600
    params: {{{}}}
    workload: {{{}}}
)",
                     iommu, params, workload);
}

constexpr unsigned kRequests = 8;
constexpr unsigned kSize = 4096;
constexpr unsigned kProbeEvery = 4;

struct Outcome {
  bool ready = false;
  std::vector<MdevParentDevice::Mdev> mdevs;
  std::vector<std::vector<uint8_t>> src, dst;
  uint64_t probes = 0, refused = 0, dma_faults = 0, completed = 0, pinned = 0, attaches = 0,
           domains = 0, maps = 0, iommu_faults = 0;
  double latency = 0;
};

Outcome simulate_yaml(const std::string& yaml, const std::string& iommu = "vtd") {
  Platform pf(test::platform_config(yaml));
  auto* dev = dynamic_cast<MdevParentDevice*>(sc_core::sc_find_object("mdev0"));
  EXPECT_NE(dev, nullptr);
  Outcome r;
  if (!dev) return r;
  pf.run();
  r.ready = dev->ready();
  r.mdevs = dev->mdevs();
  const uint64_t buf = dev->buffer_bytes();
  for (const auto& m : r.mdevs) {
    std::vector<uint8_t> s(buf), d(buf);
    pf.memory().read(m.hpa, s.data(), buf);
    pf.memory().read(m.hpa + buf, d.data(), buf);
    r.src.push_back(std::move(s));
    r.dst.push_back(std::move(d));
  }
  const auto& g = dev->stats();
  r.probes = test::counter(g, "probes");
  r.refused = test::counter(g, "mediation_refused");
  r.dma_faults = test::counter(g, "dma_faults");
  r.completed = test::counter(g, "completed");
  r.pinned = test::counter(g, "pinned_pages");
  // The IOMMU's one host driver reports beside it.
  r.attaches = test::counter(pf.stats(), "iommu0_driver.attaches");
  r.domains = test::counter(pf.stats(), "iommu0_driver.domains");
  r.maps = test::counter(pf.stats(), "iommu0_driver.maps");
  if (iommu == "vtd")  // the VT-d fault-recording counters
    r.iommu_faults = test::counter(pf.stats(), "iommu0.faults.recorded") +
                     test::counter(pf.stats(), "iommu0.faults.overflow") +
                     test::counter(pf.stats(), "iommu0.faults.dropped");
  r.latency = test::histogram(g, "latency").mean();
  return r;
}

Outcome simulate(const std::string& params, const std::string& workload,
                 const std::string& iommu = "vtd") {
  return simulate_yaml(config(params, workload, iommu), iommu);
}

std::string workload(unsigned probe_every, bool unmediated = false) {
  return fmt::format("requests: {}, size: {}, probe_every: {}, unmediated_probes: {}", kRequests,
                     kSize, probe_every, unmediated);
}

/// Request k of mdev i > 0 was a probe.
bool probed(unsigned i, unsigned k, unsigned probe_every) {
  return probe_every && i > 0 && (k + 1) % probe_every == 0;
}

/// Checks each VM's destination chunk by chunk: its own source where the request was a copy,
/// zero where it was a probe (the probe never wrote there).
void expect_own_data_only(const Outcome& r, unsigned probe_every) {
  for (unsigned i = 0; i < r.mdevs.size(); ++i) {
    for (unsigned k = 0; k < kRequests; ++k) {
      const auto s = r.src[i].begin() + k * kSize, d = r.dst[i].begin() + k * kSize;
      const std::vector<uint8_t> want =
          probed(i, k, probe_every) ? std::vector<uint8_t>(kSize, 0) : std::vector(s, s + kSize);
      EXPECT_TRUE(std::equal(want.begin(), want.end(), d)) << "mdev " << i << " request " << k;
    }
  }
}

TEST(MdevSoftware, MediationRefusesAnotherMdevsPagesAndTheIommuSeesOneRequester) {
  const Outcome r = simulate("mdevs: 4, isolation: software", workload(kProbeEvery));
  ASSERT_TRUE(r.ready);
  ASSERT_EQ(r.mdevs.size(), 4u);
  // 3 mdevs x 8 requests / 4: 6 probes, every one stopped before the device saw it.
  EXPECT_EQ(r.probes, 6u);
  EXPECT_EQ(r.refused, r.probes);
  EXPECT_EQ(r.dma_faults, 0u);
  EXPECT_EQ(r.iommu_faults, 0u);
  EXPECT_EQ(r.completed, 4u * kRequests - r.probes);
  expect_own_data_only(r, kProbeEvery);
  // One domain, one requester (the parent's RID), holding exactly the pages pinned so far.
  EXPECT_EQ(r.domains, 1u);
  EXPECT_EQ(r.attaches, 1u);
  EXPECT_EQ(r.pinned, 4u * 2 * kRequests - r.probes);
  for (const auto& m : r.mdevs) EXPECT_EQ(m.pasid, 0u);
}

class MdevUnmediated : public ::testing::TestWithParam<const char*> {};

TEST_P(MdevUnmediated, TheParentsDomainCannotTellMdevsApart) {
  // The parent driver forwards the probes' addresses: the IOMMU translates the parent's RID
  // through one domain holding every VM's pinned pages (or all memory), so mdev 0's memory is
  // reached. Probes start at request 4, after mdev 0 pinned its destination.
  const Outcome r =
      simulate(std::string("mdevs: 4, isolation: software, parent_domain: ") + GetParam(),
               workload(kProbeEvery, true));
  ASSERT_TRUE(r.ready);
  EXPECT_EQ(r.refused, 0u);
  EXPECT_EQ(r.dma_faults, 0u);
  EXPECT_EQ(r.completed, 4u * kRequests);
  EXPECT_NE(r.dst[0], r.src[0]) << "probes overwrote mdev 0's copies";
  // The pinned-pages domain maps exactly the pinned pages (one map each); identity maps none.
  EXPECT_EQ(r.maps, std::string(GetParam()) == "pinned" ? r.pinned : 0u);
}

INSTANTIATE_TEST_SUITE_P(ParentDomains, MdevUnmediated, ::testing::Values("pinned", "identity"));

TEST(MdevPasid, EachMdevHasItsOwnPasidAndDomainAndStrayAddressesFaultInTheIommu) {
  const Outcome r = simulate("mdevs: 4, isolation: pasid", workload(kProbeEvery));
  ASSERT_TRUE(r.ready);
  std::set<uint32_t> pasids;
  for (const auto& m : r.mdevs) pasids.insert(m.pasid);
  EXPECT_EQ(pasids.size(), 4u);
  EXPECT_EQ(pasids.count(0), 0u);
  EXPECT_EQ(r.probes, 6u);
  EXPECT_EQ(r.refused, 0u);
  EXPECT_EQ(r.dma_faults, r.probes);
  EXPECT_EQ(r.iommu_faults, r.probes);
  EXPECT_EQ(r.completed, 4u * kRequests - r.probes);
  EXPECT_EQ(r.pinned, 0u);
  expect_own_data_only(r, kProbeEvery);
  // A domain per mdev plus the blocking domain on the bare RID.
  EXPECT_EQ(r.domains, 5u);
  EXPECT_EQ(r.attaches, 5u);
}

TEST(MdevPasid, AmdViIsolatesMdevsThroughTheGcr3Table) {
  // v2 domains per PASID in the parent's GCR3 table; the bare RID gets an empty v2 domain.
  const Outcome r = simulate("mdevs: 4, isolation: pasid", workload(kProbeEvery), "amdvi");
  ASSERT_TRUE(r.ready);
  EXPECT_EQ(r.dma_faults, r.probes);
  EXPECT_EQ(r.completed, 4u * kRequests - r.probes);
  expect_own_data_only(r, kProbeEvery);
  EXPECT_EQ(r.domains, 5u);
}

TEST(MdevPasid, SmmuIsolatesMdevsThroughTheirSubstreamsCds) {
  // A stage-1 domain per SubstreamID (a CD each); the bare stream is terminated (S1DSS).
  const Outcome r = simulate("mdevs: 4, isolation: pasid", workload(kProbeEvery), "smmuv3");
  ASSERT_TRUE(r.ready);
  std::set<uint32_t> pasids;
  for (const auto& m : r.mdevs) pasids.insert(m.pasid);
  EXPECT_EQ(pasids.size(), 4u);
  EXPECT_EQ(pasids.count(0), 0u);  // SSID 0 is not a PASID here
  EXPECT_EQ(r.probes, 6u);
  EXPECT_EQ(r.dma_faults, r.probes);
  EXPECT_EQ(r.completed, 4u * kRequests - r.probes);
  expect_own_data_only(r, kProbeEvery);
  EXPECT_EQ(r.domains, 5u);
  EXPECT_EQ(r.attaches, 5u);
}

TEST(MdevSoftware, SmmuSeesOnlyTheParentsStream) {
  const Outcome r = simulate("mdevs: 4, isolation: software", workload(kProbeEvery), "smmuv3");
  ASSERT_TRUE(r.ready);
  EXPECT_EQ(r.refused, r.probes);
  EXPECT_EQ(r.dma_faults, 0u);
  expect_own_data_only(r, kProbeEvery);
  EXPECT_EQ(r.attaches, 1u);
  EXPECT_EQ(r.maps, r.pinned);
}

TEST(MdevSoftware, AmdViSeesOnlyTheParentsRequester) {
  const Outcome r = simulate("mdevs: 4, isolation: software", workload(kProbeEvery), "amdvi");
  ASSERT_TRUE(r.ready);
  EXPECT_EQ(r.refused, r.probes);
  EXPECT_EQ(r.dma_faults, 0u);
  expect_own_data_only(r, kProbeEvery);
  EXPECT_EQ(r.attaches, 1u);
}

TEST(MdevPasid, TheMediationBugCannotHurtWhenTheIommuIsolates) {
  const Outcome r = simulate("mdevs: 4, isolation: pasid", workload(kProbeEvery, true));
  ASSERT_TRUE(r.ready);
  EXPECT_EQ(r.dma_faults, r.probes);
  expect_own_data_only(r, kProbeEvery);
}

TEST(MdevPasid, RidLocalPolicyAlsoGivesDistinctPasids) {
  const Outcome r = simulate("mdevs: 3, isolation: pasid, pasid_policy: rid_local", workload(0));
  ASSERT_TRUE(r.ready);
  std::set<uint32_t> pasids;
  for (const auto& m : r.mdevs) pasids.insert(m.pasid);
  EXPECT_EQ(pasids.size(), 3u);
  EXPECT_EQ(r.completed, 3u * kRequests);
  expect_own_data_only(r, 0);
}

TEST(MdevPasid, ThePlatformsPasidSectionOverridesTheDevicesPolicy) {
  // The device asks for global PASIDs from 1; the platform partitions at 1023: global PASIDs
  // come from above the RID-local range.
  const Outcome r =
      simulate_yaml(config("mdevs: 3, isolation: pasid, pasid_policy: global", workload(0)) +
                    "pasid: {policy: partitioned, local_last: 1023}\n");
  ASSERT_TRUE(r.ready);
  std::set<uint32_t> pasids;
  for (const auto& m : r.mdevs) pasids.insert(m.pasid);
  EXPECT_EQ(pasids, (std::set<uint32_t>{1024, 1025, 1026}));
  EXPECT_EQ(r.completed, 3u * kRequests);
}

TEST(MdevPasid, APlatformWidthTooNarrowForTheMdevsIsASetupError) {
  // 2-bit PASIDs from 1: three PASIDs for four mdevs.
  const Outcome r = simulate_yaml(config("mdevs: 4, isolation: pasid", workload(0)) +
                                  "pasid: {policy: global, width: 2}\n");
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.completed, 0u);
}

TEST(MdevPasid, ABadPolicyIsASetupError) {
  // A partition boundary beyond the IOMMU's PASID width.
  const Outcome r = simulate(
      "mdevs: 2, isolation: pasid, pasid_policy: partitioned, "
      "pasid_local_last: 0xFFFFFFF",
      workload(0));
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.completed, 0u);
}

TEST(MdevModes, SoftwareMediationPaysTheTrapAndMediationPerRequest) {
  const Outcome sw = simulate("mdevs: 4, isolation: software", workload(0));
  ASSERT_TRUE(sw.ready);
  // At least the trap, the emulation and a translation for each of the two pages (defaults).
  const double floor_ps = 2'000'000 + 1'000'000 + 2 * 50'000;
  EXPECT_GT(sw.latency, floor_ps);
  EXPECT_EQ(sw.completed, 4u * kRequests);
  expect_own_data_only(sw, 0);
}

TEST(MdevModes, ScalableIovRequestsNeverTrap) {
  const Outcome r = simulate("mdevs: 4, isolation: pasid", workload(0));
  ASSERT_TRUE(r.ready);
  // The portal write, the device work and the DMAs: well below one trap (2 us by default).
  EXPECT_LT(r.latency, 2'000'000.0);
  EXPECT_GT(r.latency, 250'000.0 + 200'000.0);
  EXPECT_EQ(r.completed, 4u * kRequests);
}

TEST(MdevConfig, ProbesMustNotNameGuestMemory) {
  EXPECT_THROW(Platform(test::platform_config(
                   config("mdevs: 2", "requests: 8, probe_every: 2, gpa_base: 0x10000000"))),
               cfg::ConfigError);
}

TEST(MdevConfig, OnlyIommusWithPasidsOrADomainApiDriver) {
  // TCE tables have no PASIDs and the parent driver has no TCE code.
  EXPECT_THROW(Platform(test::platform_config(config("mdevs: 2", "requests: 8", "tce"))),
               cfg::ConfigError);
}

class MdevExampleConfig : public ::testing::TestWithParam<const char*> {};

TEST_P(MdevExampleConfig, IsolatesEveryMdevOnTheSharedWorkload) {
  const std::string mode = GetParam();
  std::ifstream in(std::string(ISIM_SOURCE_DIR) + "/configs/workloads/siov_vs_mdev_" + mode +
                   ".yaml");
  ASSERT_TRUE(in);
  const std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Platform pf(test::platform_config(yaml));
  auto* dev = dynamic_cast<MdevParentDevice*>(sc_core::sc_find_object("mdev0"));
  ASSERT_NE(dev, nullptr);
  pf.run();
  ASSERT_TRUE(dev->ready());
  const uint64_t buf = dev->buffer_bytes();
  std::vector<uint8_t> s(buf), d(buf);
  pf.memory().read(dev->mdevs()[0].hpa, s.data(), buf);
  pf.memory().read(dev->mdevs()[0].hpa + buf, d.data(), buf);
  EXPECT_EQ(d, s) << "mdev 0's memory was reached by another mdev";
  const uint64_t probes = test::counter(dev->stats(), "probes");
  EXPECT_GT(probes, 0u);
  EXPECT_EQ(test::counter(dev->stats(), mode == "software" ? "mediation_refused" : "dma_faults"),
            probes);
  EXPECT_EQ(test::counter(dev->stats(), "completed") + probes,
            test::counter(dev->stats(), "requests"));
}

INSTANTIATE_TEST_SUITE_P(Modes, MdevExampleConfig, ::testing::Values("software", "pasid"));

}  // namespace
}  // namespace isim
