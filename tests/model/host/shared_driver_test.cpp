// One host driver per IOMMU (models/devices/shared_host_driver.h): a dma-api device, a guest's
// assigned device (viommu-dma), an mdev parent and a shared-work-queue device behind one VT-d
// unit, and behind one AMD-Vi unit, all move their data through the one driver. Each device
// checks its own data (mdev and swq copy recognisable bytes between buffers at the same IOVAs,
// so a copy through the wrong domain or PASID would show), and the driver reports once.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

#include "models/devices/mdev_device.h"
#include "models/devices/swq_device.h"
#include "sim/config_error.h"
#include "sim/platform.h"
#include "tests/model/sc_harness.h"

namespace isim {
namespace {

constexpr unsigned kBuffers = 32;
constexpr unsigned kMdevs = 3;
constexpr unsigned kRequests = 8;
constexpr unsigned kClients = 4;
constexpr unsigned kDescriptors = 8;

// Host-physical layout: the shared driver's pool at 768 MiB (every device's default), the
// dma-api buffers at 512 MiB, the mdevs' VMs at 256 MiB, the swq clients at 640 MiB and the
// guest's RAM at 1 GiB.
std::string config(const std::string& iommu, const std::string& dma_params,
                   const std::string& iommu_extra = "") {
  return fmt::format(R"(
sim: {{seed: 1, duration: 4ms, quantum: 1us}}
memory: {{size: 2GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}}
iommus:
  - {{name: iommu0, type: {}{}}}
devices:
  - name: nic
    type: dma-api
    iommu: iommu0
    rid: 0x0100
    params: {{{}}}
    workload: {{pattern: sequential, base: 0x20000000, footprint: 1MiB, size: 4KiB, op: write,
               count: {}, outstanding: 4}}
  - name: guest_nic
    type: viommu-dma
    iommu: iommu0
    rid: 0x0200
    params: {{mode: nested, guest: vtd}}
    workload: {{pattern: sequential, base: 0x1000000, footprint: 1MiB, size: 4KiB, op: write,
               count: {}, outstanding: 4}}
  - name: parent
    type: mdev-parent
    iommu: iommu0
    rid: 0x0600
    params: {{mdevs: {}, isolation: pasid}}
    workload: {{requests: {}, size: 4096, data_base: 0x10000000}}
  - name: accel
    type: swq
    iommu: iommu0
    rid: 0x0500
    params: {{swqs: 1, engines: 2}}
    workload: {{clients: {}, descriptors: {}, size: 4096, data_base: 0x28000000}}
)",
                     iommu, iommu_extra, dma_params, kBuffers, kBuffers, kMdevs, kRequests,
                     kClients, kDescriptors);
}

struct Outcome {
  uint64_t nic_buffers = 0, nic_errors = 0;
  uint64_t guest_buffers = 0, guest_errors = 0;
  double guest_mode = -1;
  uint64_t guest_fallbacks = 0;
  bool mdev_ready = false, swq_ready = false;
  uint64_t mdev_completed = 0, mdev_faults = 0, swq_completed = 0, swq_faulted = 0;
  bool mdev_data_ok = true, swq_data_ok = true;
  std::vector<uint32_t> pasids;  ///< every PASID the mdevs and the swq clients were given
  std::vector<std::string> driver_groups;
  uint64_t driver_domains = 0, driver_attaches = 0;
};

Outcome simulate(const std::string& yaml) {
  Platform pf(test::platform_config(yaml));
  auto* parent = dynamic_cast<MdevParentDevice*>(sc_core::sc_find_object("parent"));
  auto* accel = dynamic_cast<SwqDevice*>(sc_core::sc_find_object("accel"));
  EXPECT_NE(parent, nullptr);
  EXPECT_NE(accel, nullptr);
  Outcome r;
  if (!parent || !accel) return r;
  pf.run();
  const stats::Group& root = pf.stats();
  r.nic_buffers = test::counter(root, "nic.buffers");
  r.nic_errors = test::counter(root, "nic.errors");
  r.guest_buffers = test::counter(root, "guest_nic.buffers");
  r.guest_errors = test::counter(root, "guest_nic.errors");
  r.guest_mode = test::scalar(root, "guest_nic.viommu.mode");
  r.guest_fallbacks = test::counter(root, "guest_nic.viommu.fallbacks");
  r.mdev_ready = parent->ready();
  r.swq_ready = accel->ready();
  r.mdev_completed = test::counter(root, "parent.completed");
  r.mdev_faults = test::counter(root, "parent.dma_faults");
  r.swq_completed = test::counter(root, "accel.completed");
  r.swq_faulted = test::counter(root, "accel.faulted");
  // Each mdev copied its own source to its own destination.
  const uint64_t mbuf = parent->buffer_bytes();
  for (const auto& m : parent->mdevs()) {
    std::vector<uint8_t> s(mbuf), d(mbuf);
    pf.memory().read(m.hpa, s.data(), mbuf);
    pf.memory().read(m.hpa + mbuf, d.data(), mbuf);
    if (s != d) r.mdev_data_ok = false;
    r.pasids.push_back(m.pasid);
  }
  const uint64_t sbuf = accel->buffer_bytes();
  for (const auto& c : accel->clients()) {
    std::vector<uint8_t> s(sbuf), d(sbuf);
    pf.memory().read(c.src_pa, s.data(), sbuf);
    pf.memory().read(c.dst_pa, d.data(), sbuf);
    if (s != d) r.swq_data_ok = false;
    r.pasids.push_back(c.pasid);
  }
  for (const stats::Group* g : root.children())
    if (g->name().ends_with("_driver")) r.driver_groups.push_back(g->name());
  r.driver_domains = test::counter(root, "iommu0_driver.domains");
  r.driver_attaches = test::counter(root, "iommu0_driver.attaches");
  return r;
}

void expect_all_moved_their_data(const Outcome& r) {
  EXPECT_EQ(r.nic_buffers, kBuffers);
  EXPECT_EQ(r.nic_errors, 0u);
  EXPECT_EQ(r.guest_buffers, kBuffers);
  EXPECT_EQ(r.guest_errors, 0u);
  EXPECT_TRUE(r.mdev_ready);
  EXPECT_EQ(r.mdev_completed, kMdevs * kRequests);
  EXPECT_EQ(r.mdev_faults, 0u);
  EXPECT_TRUE(r.mdev_data_ok);
  EXPECT_TRUE(r.swq_ready);
  EXPECT_EQ(r.swq_completed, kClients * kDescriptors);
  EXPECT_EQ(r.swq_faulted, 0u);
  EXPECT_TRUE(r.swq_data_ok);
  // One PASID space on the IOMMU: no PASID handed out twice (global policy).
  const std::set<uint32_t> distinct(r.pasids.begin(), r.pasids.end());
  EXPECT_EQ(r.pasids.size(), kMdevs + kClients);
  EXPECT_EQ(distinct.size(), r.pasids.size());
  // One driver, reporting once.
  EXPECT_EQ(r.driver_groups, std::vector<std::string>{"iommu0_driver"});
}

TEST(SharedHostDriver, FourKindsOfDeviceShareOneVtdDriver) {
  // The dma-api device does not ask for scalable mode; the others need it: the one driver runs
  // scalable, so the guest's vIOMMU nests.
  const Outcome r = simulate(config("vtd", "policy: strict, scalable: false"));
  expect_all_moved_their_data(r);
  EXPECT_EQ(r.guest_mode, 0.0);
  EXPECT_EQ(r.guest_fallbacks, 0u);
  // Domains through the domain API: dma-api 1, vIOMMU 2 (stage 2 + nested), mdev parent 1
  // blocking + one per mdev (the swq binds first-stage tables natively).
  EXPECT_EQ(r.driver_domains, 1u + 2u + 1u + kMdevs);
}

TEST(SharedHostDriver, OneVtdBringUp) {
  Platform pf(test::platform_config(config("vtd", "policy: strict")));
  pf.run();
  // The bring-up's global context-cache and PASID-cache flushes (iommu_set_root_entry) happen
  // once: a second driver would have repeated them.
  EXPECT_EQ(test::counter(pf.stats(), "iommu0.invalidations.context_global"), 1u);
  EXPECT_EQ(test::counter(pf.stats(), "iommu0.invalidations.pasid_cache_global"), 1u);
  EXPECT_EQ(test::counter(pf.stats(), "nic.errors"), 0u);
}

TEST(SharedHostDriver, FourKindsOfDeviceShareOneAmdviDriver) {
  const Outcome r = simulate(config("amdvi", "policy: deferred"));
  expect_all_moved_their_data(r);
  EXPECT_EQ(r.guest_mode, 0.0);  // a guest VT-d nests on AMD-Vi (both IA-32e tables)
  // dma-api 1, vIOMMU 2, mdev parent 1 + one per mdev, swq 1 bare + one per client.
  EXPECT_EQ(r.driver_domains, 1u + 2u + 1u + kMdevs + 1u + kClients);
}

TEST(SharedHostDriver, FourKindsOfDeviceShareOneSmmuv3Driver) {
  const Outcome r = simulate(config("smmuv3", "policy: deferred"));
  expect_all_moved_their_data(r);
  // A guest VT-d cannot nest on an SMMU (its stage 1 is not arm-lpae-s1): the vIOMMU shadows.
  EXPECT_EQ(r.guest_mode, 1.0);
  EXPECT_EQ(r.guest_fallbacks, 1u);
  // dma-api 1, vIOMMU 1 (the shadow), mdev parent 1 blocking + one per mdev (the swq binds its
  // processes' CDs natively).
  EXPECT_EQ(r.driver_domains, 1u + 1u + 1u + kMdevs);
}

// Two units, each with an swq at the same RID: one platform-wide PASID allocator.
std::string two_iommus(const std::string& second_type, const std::string& pasid_section) {
  return fmt::format(R"(
sim: {{seed: 1, duration: 2ms, quantum: 1us}}
memory: {{size: 2GiB, latency: 90ns, channels: 2, channel_bandwidth: 16GB/s}}
iommus:
  - {{name: iommu0, type: vtd}}
  - {{name: iommu1, type: {}}}
devices:
  - name: accel0
    type: swq
    iommu: iommu0
    rid: 0x0500
    params: {{swqs: 1, engines: 2}}
    workload: {{clients: 4, descriptors: 2, size: 4096, data_base: 0x10000000}}
  - name: accel1
    type: swq
    iommu: iommu1
    rid: 0x0500
    params: {{swqs: 1, engines: 2, pool_base: 0x38000000}}
    workload: {{clients: 4, descriptors: 2, size: 4096, data_base: 0x20000000}}
{})",
                     second_type, pasid_section);
}

std::vector<std::vector<uint32_t>> run_two(const std::string& yaml) {
  Platform pf(test::platform_config(yaml));
  std::vector<SwqDevice*> devs;
  for (const char* n : {"accel0", "accel1"})
    devs.push_back(dynamic_cast<SwqDevice*>(sc_core::sc_find_object(n)));
  pf.run();
  std::vector<std::vector<uint32_t>> pasids;
  for (SwqDevice* d : devs) {
    EXPECT_NE(d, nullptr);
    if (d == nullptr) return {};
    EXPECT_TRUE(d->ready()) << d->name();
    EXPECT_EQ(test::counter(d->stats(), "completed"), 4u * 2u) << d->name();
    std::vector<uint32_t> p;
    for (const auto& c : d->clients()) p.push_back(c.pasid);
    pasids.push_back(p);
  }
  return pasids;
}

class TwoIommus : public ::testing::TestWithParam<const char*> {};

TEST_P(TwoIommus, GlobalPasidsAreUniqueAcrossIommus) {
  const auto p = run_two(two_iommus(GetParam(), ""));
  ASSERT_EQ(p.size(), 2u);
  std::set<uint32_t> all(p[0].begin(), p[0].end());
  all.insert(p[1].begin(), p[1].end());
  EXPECT_EQ(all.size(), 8u) << "a global PASID was handed out behind both IOMMUs";
}

TEST_P(TwoIommus, RidLocalSpacesAreKeptPerIommuForTheSameRid) {
  // The same RID behind two units: two requesters, each with its own space from 1.
  const auto p = run_two(two_iommus(GetParam(), "pasid: {policy: rid_local}\n"));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], (std::vector<uint32_t>{1, 2, 3, 4}));
  EXPECT_EQ(p[1], (std::vector<uint32_t>{1, 2, 3, 4}));
}

INSTANTIATE_TEST_SUITE_P(SecondUnit, TwoIommus, ::testing::Values("vtd", "amdvi", "smmuv3"));

TEST(SharedHostDriver, DevicesDisagreeingOnThePasidPolicyWithoutASectionFailTheirSetUp) {
  std::string yaml = two_iommus("vtd", "");
  const std::string second = "params: {swqs: 1, engines: 2, pool_base: 0x38000000}";
  const auto at = yaml.find(second);
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, second.size(),
               "params: {swqs: 1, engines: 2, pool_base: 0x38000000, pasid_policy: rid_local}");
  Platform pf(test::platform_config(yaml));
  pf.run();
  // One of the two allocates first and sets the policy; the other cannot come up.
  const uint64_t errors = test::counter(pf.stats(), "accel0.setup_errors") +
                          test::counter(pf.stats(), "accel1.setup_errors");
  EXPECT_EQ(errors, 1u);
}

TEST(SharedHostDriver, LegacyBlockRefusesAUserThatNeedsScalable) {
  try {
    Platform pf(test::platform_config(
        config("vtd", "policy: strict", ", host_driver: {vtd_mode: legacy}")));
    FAIL() << "expected a config error";
  } catch (const cfg::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("vtd_mode is legacy"), std::string::npos) << what;
    EXPECT_NE(what.find("needs scalable mode"), std::string::npos) << what;
  }
}

TEST(SharedHostDriver, DisagreeingDevicesNameBothAndTheKey) {
  try {
    Platform pf(test::platform_config(config("amdvi", "policy: strict, pool_size: 128MiB")));
    FAIL() << "expected a config error";
  } catch (const cfg::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'nic' and 'guest_nic'"), std::string::npos) << what;
    EXPECT_NE(what.find("pool_size"), std::string::npos) << what;
  }
}

TEST(SharedHostDriver, HostDriverBlockSettlesTheDisagreement) {
  const Outcome r = simulate(config("amdvi", "policy: strict, pool_size: 128MiB",
                                    ", host_driver: {pool_base: 0x30000000, pool_size: 64MiB}"));
  expect_all_moved_their_data(r);
}

}  // namespace
}  // namespace isim
