// The `swq` device behind the VT-d, AMD-Vi and SMMUv3 models: client processes bound to their
// PASIDs (SVA binding, or v2 domains at PASIDs) submit memory moves to shared (ENQCMD /
// ST64BV0) and dedicated work queues. Every process maps its buffers at the same virtual addresses,
// so a descriptor that reached the wrong address space would move the wrong bytes: each client's
// destination must end up equal to its own source and nothing else may change.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "models/devices/swq_device.h"
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
  - name: swq0
    type: swq
    iommu: iommu0
    rid: 0x0500
    params: {{{}}}
    workload: {{{}}}
)",
                     iommu, params, workload);
}

struct Outcome {
  std::vector<SwqDevice::Client> clients;
  std::vector<std::vector<uint8_t>> src, dst, cr;
  uint64_t buffer_bytes = 0;
  bool ready = false;
  uint64_t retries = 0, dropped = 0, completed = 0, faulted = 0, cr_faults = 0;
};

Outcome simulate(const std::string& params, const std::string& workload,
                 const std::string& iommu = "vtd") {
  Platform pf(test::platform_config(config(params, workload, iommu)));
  auto* dev = dynamic_cast<SwqDevice*>(sc_core::sc_find_object("swq0"));
  EXPECT_NE(dev, nullptr);
  Outcome r;
  if (!dev) return r;
  pf.run();
  r.ready = dev->ready();
  r.clients = dev->clients();
  r.buffer_bytes = dev->buffer_bytes();
  for (const auto& c : r.clients) {
    std::vector<uint8_t> s(r.buffer_bytes), d(r.buffer_bytes);
    pf.memory().read(c.src_pa, s.data(), s.size());
    pf.memory().read(c.dst_pa, d.data(), d.size());
    r.src.push_back(std::move(s));
    r.dst.push_back(std::move(d));
  }
  const auto& g = dev->stats();
  r.retries = test::counter(g, "retries");
  r.dropped = test::counter(g, "dropped");
  r.completed = test::counter(g, "completed");
  r.faulted = test::counter(g, "faulted");
  r.cr_faults = test::counter(g, "cr_write_faults");
  return r;
}

class SwqShared : public ::testing::TestWithParam<const char*> {};

TEST_P(SwqShared, ManyClientsOnOneSharedQueueEachMoveTheirOwnData) {
  // 16 clients, two in flight each, into an 8-deep SWQ drained by 2 slow engines: the queue
  // fills and ENQCMD (ST64BV0 on the Arm host) answers Retry.
  const Outcome r = simulate("swqs: 1, wq_depth: 8, engines: 2, descriptor_time: 2us",
                             "clients: 16, descriptors: 8, size: 4KiB, outstanding: 2", GetParam());
  ASSERT_TRUE(r.ready);
  ASSERT_EQ(r.clients.size(), 16u);
  std::set<uint32_t> pasids;
  for (size_t i = 0; i < r.clients.size(); ++i) {
    const auto& c = r.clients[i];
    pasids.insert(c.pasid);
    EXPECT_EQ(c.done, 8u) << i;
    EXPECT_EQ(c.faulted, 0u) << i;
    EXPECT_EQ(r.dst[i], r.src[i]) << "client " << i << " got bytes from another address space";
    for (size_t j = 0; j < i; ++j) EXPECT_NE(r.src[i], r.src[j]);  // the check can tell them apart
  }
  EXPECT_EQ(pasids.size(), 16u);  // a shared queue needs distinct (global) PASIDs
  EXPECT_GT(r.retries, 0u);
  EXPECT_EQ(r.completed, 16u * 8u);
  EXPECT_EQ(r.cr_faults, 0u);
}

INSTANTIATE_TEST_SUITE_P(Iommus, SwqShared, ::testing::Values("vtd", "amdvi", "smmuv3"));

class SwqIsolation : public ::testing::TestWithParam<const char*> {};

TEST_P(SwqIsolation, APasidNeverReachesAnotherProcessesMemory) {
  // Every 2nd descriptor of clients 1..7 writes to a VA only client 0 maps (onto its own
  // destination): the IOMMU must block it in their address spaces (VT-d: first-stage tables
  // bound per PASID; AMD-Vi: a v2 domain per PASID in the GCR3 table; SMMUv3: a CD per
  // SubstreamID holding the process's AArch64 tables).
  const Outcome r = simulate("swqs: 1, wq_depth: 16, engines: 4",
                             "clients: 8, descriptors: 8, size: 4KiB, probe_every: 2", GetParam());
  ASSERT_TRUE(r.ready);
  EXPECT_EQ(r.clients[0].done, 8u);
  EXPECT_EQ(r.dst[0], r.src[0]);  // no probe landed in client 0's memory
  for (size_t i = 1; i < r.clients.size(); ++i) {
    EXPECT_EQ(r.clients[i].faulted, 4u) << i;
    EXPECT_EQ(r.clients[i].done, 4u) << i;
    // Odd-numbered moves were probes: their destination slots stay clear, the rest arrived.
    for (unsigned k = 0; k < 8; ++k) {
      const std::vector<uint8_t> got(r.dst[i].begin() + k * 4096,
                                     r.dst[i].begin() + (k + 1) * 4096);
      if (k % 2 == 1) {
        EXPECT_EQ(got, std::vector<uint8_t>(4096, 0)) << i << " " << k;
      } else {
        EXPECT_TRUE(std::equal(got.begin(), got.end(), r.src[i].begin() + k * 4096))
            << i << " " << k;
      }
    }
  }
  EXPECT_EQ(r.faulted, 7u * 4u);
}

INSTANTIATE_TEST_SUITE_P(Iommus, SwqIsolation, ::testing::Values("vtd", "amdvi", "smmuv3"));

class SwqDedicated : public ::testing::TestWithParam<const char*> {};

TEST_P(SwqDedicated, DedicatedQueuesTagWorkWithTheirConfiguredPasid) {
  const Outcome r = simulate("swqs: 1, dwqs: 2, wq_depth: 4, engines: 2",
                             "clients: 6, descriptors: 6, size: 8KiB, outstanding: 4", GetParam());
  ASSERT_TRUE(r.ready);
  EXPECT_EQ(r.clients[0].dwq, 0);
  EXPECT_EQ(r.clients[1].dwq, 1);
  EXPECT_EQ(r.clients[2].dwq, -1);
  for (size_t i = 0; i < r.clients.size(); ++i) {
    EXPECT_EQ(r.clients[i].done, 6u) << i;
    EXPECT_EQ(r.dst[i], r.src[i]) << i;
  }
  EXPECT_EQ(r.dropped, 0u);  // DWQ clients never exceed the depth
}

INSTANTIATE_TEST_SUITE_P(Iommus, SwqDedicated, ::testing::Values("vtd", "smmuv3"));

TEST(SwqDevice, SmmuHostRefusesGuestClients) {
  // No Arm CPU translates a guest's ACCDATA_EL1: the config is refused, naming the key.
  try {
    Platform pf(test::platform_config(
        config("swqs: 1", "clients: 4, guest_clients: 1, descriptors: 2", "smmuv3")));
    FAIL() << "guest clients on an smmuv3 host were accepted";
  } catch (const cfg::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("guest_clients"), std::string::npos) << e.what();
  }
}

TEST(SwqDevice, SmmuHostWithoutSubstreamsIsASetupError) {
  // IDR1.SSIDSIZE = 0: no PASIDs to bind, nothing moves.
  const std::string yaml = config("swqs: 1", "clients: 2, descriptors: 2", "smmuv3");
  const std::string narrow = std::regex_replace(yaml, std::regex("type: smmuv3\\}"),
                                                "type: smmuv3, params: {ids: {ssid_bits: 0}}}");
  ASSERT_NE(narrow, yaml);
  Platform pf(test::platform_config(narrow));
  auto* dev = dynamic_cast<SwqDevice*>(sc_core::sc_find_object("swq0"));
  ASSERT_NE(dev, nullptr);
  pf.run();
  EXPECT_FALSE(dev->ready());
  EXPECT_EQ(test::counter(dev->stats(), "setup_errors"), 1u);
  EXPECT_EQ(test::counter(dev->stats(), "completed"), 0u);
}

TEST(SwqDevice, PartitionedPolicyHandsOutPasidsAboveTheLocalRange) {
  const Outcome r =
      simulate("pasid_policy: partitioned, pasid_local_last: 4095", "clients: 4, descriptors: 2");
  ASSERT_TRUE(r.ready);
  for (const auto& c : r.clients) {
    EXPECT_GE(c.pasid, 4096u);
    EXPECT_EQ(c.done, 2u);
  }
}

TEST(SwqDevice, MisconfiguredPolicyIsASetupError) {
  // A partition boundary at the top of the VT-d model's 20-bit PASID space leaves no global
  // range: the host side refuses to come up and nothing moves.
  const Outcome r = simulate("pasid_policy: partitioned, pasid_local_last: 1048575",
                             "clients: 2, descriptors: 2");
  EXPECT_FALSE(r.ready);
  EXPECT_EQ(r.completed, 0u);
}

}  // namespace
}  // namespace isim

namespace isim {
namespace {

struct GuestOutcome {
  std::vector<SwqDevice::Client> clients;
  bool ready = false;
  uint64_t vm_exits = 0, hypercalls = 0;
  bool dst_matches_src_where_done = true;
};

GuestOutcome simulate_guest(const std::string& params, const std::string& workload) {
  Platform pf(test::platform_config(config(params, workload)));
  auto* dev = dynamic_cast<SwqDevice*>(sc_core::sc_find_object("swq0"));
  GuestOutcome r;
  EXPECT_NE(dev, nullptr);
  if (!dev) return r;
  pf.run();
  r.ready = dev->ready();
  r.clients = dev->clients();
  r.vm_exits = test::counter(dev->stats(), "vm_exits");
  r.hypercalls = test::counter(dev->stats(), "hypercalls");
  return r;
}

TEST(SwqGuest, ParavirtualPasidsAreTranslatedAndCostACallEach) {
  const GuestOutcome r = simulate_guest("pasid_policy: partitioned, viommu_mode: paravirt_global",
                                        "clients: 6, guest_clients: 3, descriptors: 4");
  ASSERT_TRUE(r.ready);
  EXPECT_EQ(r.hypercalls, 3u);
  std::set<uint32_t> host;
  for (size_t i = 0; i < r.clients.size(); ++i) {
    const auto& c = r.clients[i];
    host.insert(c.pasid);
    EXPECT_EQ(c.done, 4u) << i;
    EXPECT_GE(c.pasid, 4096u) << i;  // global range
    if (i >= 3) {
      EXPECT_TRUE(c.guest);
      EXPECT_EQ(c.gpasid, i - 2);  // the guest's own numbers 1..3
      EXPECT_NE(c.gpasid, c.pasid);
    }
  }
  EXPECT_EQ(host.size(), 6u);
  EXPECT_EQ(r.vm_exits, 0u);
}

TEST(SwqGuest, AGuestPasidWithoutTranslationIsAVmExitAndNeverReachesTheDevice) {
  const GuestOutcome r =
      simulate_guest("pasid_policy: partitioned, viommu_mode: paravirt_global",
                     "clients: 4, guest_clients: 2, descriptors: 6, untranslated_every: 3");
  ASSERT_TRUE(r.ready);
  // Descriptors 3 and 6 of each guest client used an unmapped gPASID.
  EXPECT_EQ(r.vm_exits, 4u);
  for (size_t i = 2; i < 4; ++i) {
    EXPECT_EQ(r.clients[i].vm_exits, 2u);
    EXPECT_EQ(r.clients[i].done, 4u);
    EXPECT_EQ(r.clients[i].faulted, 0u);  // nothing reached the device to fault
  }
  EXPECT_EQ(r.clients[0].done, 6u);
}

TEST(SwqGuest, GuestLocalPasidsKeepTheGuestNumberWithoutHypercalls) {
  const GuestOutcome r = simulate_guest("pasid_policy: partitioned, viommu_mode: guest_local",
                                        "clients: 4, guest_clients: 2, descriptors: 2");
  ASSERT_TRUE(r.ready);
  EXPECT_EQ(r.hypercalls, 0u);
  EXPECT_EQ(r.clients[2].pasid, 1u);
  EXPECT_EQ(r.clients[3].pasid, 2u);
  EXPECT_EQ(r.clients[3].done, 2u);
}

struct TablesOutcome {
  bool ready = false;
  std::vector<SwqDevice::Client> clients;
  uint64_t nested_lookups = 0, faulted = 0;
  bool data_ok = true;
};

TablesOutcome run_guest_tables(const std::string& params, const std::string& iommu = "vtd") {
  Platform pf(test::platform_config(
      config("pasid_policy: partitioned, " + params,
             "clients: 4, guest_clients: 2, descriptors: 4, probe_every: 2", iommu)));
  auto* dev = dynamic_cast<SwqDevice*>(sc_core::sc_find_object("swq0"));
  TablesOutcome r;
  EXPECT_NE(dev, nullptr);
  if (!dev) return r;
  pf.run();
  r.ready = dev->ready();
  r.clients = dev->clients();
  r.faulted = test::counter(dev->stats(), "faulted");
  if (iommu == "vtd")
    r.nested_lookups = test::counter(pf.stats(), "iommu0.nested_s2.hits") +
                       test::counter(pf.stats(), "iommu0.nested_s2.misses");
  // Client 0 never probes: its destination is its source.
  std::vector<uint8_t> s(dev->buffer_bytes()), d(dev->buffer_bytes());
  pf.memory().read(r.clients[0].src_pa, s.data(), s.size());
  pf.memory().read(r.clients[0].dst_pa, d.data(), d.size());
  r.data_ok = s == d;
  return r;
}

TEST(SwqGuest, NestedGuestTablesAreWalkedThroughTheVmsSecondStage) {
  // The guests' own tables live in the VM's memory at guest-physical addresses: the unit walks
  // them through the VM's second stage. Probes still fault in every address space but client
  // 0's, guests' included.
  const TablesOutcome r = run_guest_tables("guest_tables: nested");
  ASSERT_TRUE(r.ready);
  EXPECT_GT(r.nested_lookups, 0u);
  for (size_t i = 0; i < r.clients.size(); ++i) {
    EXPECT_EQ(r.clients[i].done + r.clients[i].faulted, 4u) << i;
    EXPECT_EQ(r.clients[i].faulted, i == 0 ? 0u : 2u) << i;
  }
  EXPECT_TRUE(r.data_ok);
}

TEST(SwqGuest, ShadowedGuestTablesAreFirstStageOnHostMemory) {
  const TablesOutcome r = run_guest_tables("guest_tables: shadow");
  ASSERT_TRUE(r.ready);
  EXPECT_EQ(r.nested_lookups, 0u);
  for (size_t i = 1; i < r.clients.size(); ++i) EXPECT_EQ(r.clients[i].faulted, 2u) << i;
  EXPECT_TRUE(r.data_ok);
}

TEST(SwqGuest, AmdViRefusesNestedGuestTables) {
  // One host page table per DeviceID, shared with the host clients' PASIDs: no nesting.
  EXPECT_THROW(run_guest_tables("guest_tables: nested", "amdvi"), cfg::ConfigError);
}

TEST(SwqGuest, AmdViShadowsGuestTables) {
  const TablesOutcome r = run_guest_tables("guest_tables: shadow", "amdvi");
  ASSERT_TRUE(r.ready);
  for (size_t i = 1; i < r.clients.size(); ++i) EXPECT_EQ(r.clients[i].faulted, 2u) << i;
  EXPECT_TRUE(r.data_ok);
}

TEST(SwqGuest, GuestLocalPasidsCollideUnderTheGlobalPolicy) {
  // Under one global space the host already holds PASIDs 1 and 2: the guest's choice of 1
  // cannot be honoured and the set-up fails rather than sharing an address space.
  const GuestOutcome r = simulate_guest("pasid_policy: global, viommu_mode: guest_local",
                                        "clients: 4, guest_clients: 2, descriptors: 2");
  EXPECT_FALSE(r.ready);
}

}  // namespace
}  // namespace isim

namespace isim {
namespace {

class SwqExampleConfig : public ::testing::TestWithParam<const char*> {};

TEST_P(SwqExampleConfig, SixtyFourClientsEachMoveOnlyTheirOwnData) {
  std::ifstream in(std::string(ISIM_SOURCE_DIR) + "/configs/workloads/swq_64_clients" + GetParam() +
                   ".yaml");
  ASSERT_TRUE(in);
  const std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Platform pf(test::platform_config(yaml));
  auto* dev = dynamic_cast<SwqDevice*>(sc_core::sc_find_object("swq0"));
  ASSERT_NE(dev, nullptr);
  pf.run();
  ASSERT_TRUE(dev->ready());
  ASSERT_EQ(dev->clients().size(), 64u);
  std::set<uint32_t> pasids;
  for (const auto& c : dev->clients()) {
    pasids.insert(c.pasid);
    EXPECT_EQ(c.done, 16u);
    std::vector<uint8_t> s(dev->buffer_bytes()), d(dev->buffer_bytes());
    pf.memory().read(c.src_pa, s.data(), s.size());
    pf.memory().read(c.dst_pa, d.data(), d.size());
    EXPECT_EQ(d, s) << "PASID " << c.pasid;
  }
  EXPECT_EQ(pasids.size(), 64u);
  EXPECT_GT(test::counter(dev->stats(), "retries"), 0u);  // 128 in flight, 32-deep queue
}

INSTANTIATE_TEST_SUITE_P(Hosts, SwqExampleConfig, ::testing::Values("", "_smmuv3"),
                         [](const auto& info) {
                           return std::string(info.param).empty() ? "vtd" : "smmuv3";
                         });

}  // namespace
}  // namespace isim
