// Platform configs: strict validation with file/line/key errors, overrides, the registry.
#include "sim/platform_config.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "sim/config_error.h"
#include "sim/registry.h"

namespace isim {
namespace {

constexpr const char* kGood = R"(
sim: {seed: 7, duration: 10us}
memory: {size: 1GiB}
iommus:
  - name: iommu0
    type: none
devices:
  - name: dma0
    type: generator
    rid: 0x0100
    workload: {pattern: sequential, footprint: 1MiB, size: 64B}
)";

PlatformConfig load(const std::string& yaml, const std::vector<Override>& ov = {}) {
  YAML::Node root = YAML::Load(yaml);
  cfg::SourceInfo src{"p.yaml", {}};
  apply_overrides(root, ov, src);
  return load_platform(root, src);
}

std::string load_error(const std::string& yaml, const std::vector<Override>& ov = {}) {
  try {
    load(yaml, ov);
  } catch (const cfg::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PlatformConfig, LoadsAndFillsDefaults) {
  const auto pc = load(kGood);
  EXPECT_EQ(pc.sim.seed, 7u);
  EXPECT_EQ(pc.sim.duration.ps, 10'000'000u);
  EXPECT_EQ(pc.sim.quantum.ps, 1'000'000u);  // default
  EXPECT_EQ(pc.memory.size, uint64_t{1} << 30);
  ASSERT_EQ(pc.iommus.size(), 1u);
  ASSERT_EQ(pc.devices.size(), 1u);
  EXPECT_EQ(pc.devices[0].iommu, "iommu0");  // the only IOMMU is the default
  EXPECT_EQ(pc.devices[0].rid, 0x0100);
  const auto j = pc.to_json();
  EXPECT_EQ(j["devices"][0]["workload"]["pattern"], "sequential");
  EXPECT_EQ(j["devices"][0]["workload"]["outstanding"], 32);  // default filled in
}

TEST(PlatformConfig, UnknownTopLevelKey) {
  const auto e = load_error(std::string(kGood) + "memroy: {}\n");
  EXPECT_NE(e.find("p.yaml:12:1: memroy: unknown key (did you mean 'memory'?)"), std::string::npos)
      << e;
}

TEST(PlatformConfig, PasidSectionIsOptionalAndRecorded) {
  EXPECT_FALSE(load(kGood).pasid.has_value());
  EXPECT_FALSE(load(kGood).to_json().contains("pasid"));
  const auto pc = load(std::string(kGood) + "pasid: {policy: partitioned, local_last: 1023}\n");
  ASSERT_TRUE(pc.pasid.has_value());
  EXPECT_EQ(pc.pasid->policy, pasid::Policy::partitioned);
  EXPECT_EQ(pc.pasid->local_last, 1023u);
  EXPECT_EQ(pc.to_json()["pasid"]["policy"], "partitioned");
}

TEST(PlatformConfig, PasidSectionErrorsNameFileLineAndKey) {
  auto e = load_error(std::string(kGood) + "pasid: {policy: globl}\n");
  EXPECT_NE(e.find("p.yaml:12:17: pasid.policy"), std::string::npos) << e;
  e = load_error(std::string(kGood) + "pasid: {width: 21}\n");
  EXPECT_NE(e.find("pasid.width"), std::string::npos) << e;
  e = load_error(std::string(kGood) + "pasid: {polcy: global}\n");
  EXPECT_NE(e.find("pasid.polcy: unknown key"), std::string::npos) << e;
  // A partition boundary that leaves no global range at the configured width.
  e = load_error(std::string(kGood) +
                 "pasid: {policy: partitioned, width: 12, local_last: 4095}\n");
  EXPECT_NE(e.find("p.yaml:12:"), std::string::npos) << e;
  EXPECT_NE(e.find("pasid:"), std::string::npos) << e;
}

TEST(PlatformConfig, HostDriverBlockIsOptionalAndChecked) {
  EXPECT_FALSE(load(kGood).iommus[0].host_driver.has_value());
  const std::string with = R"(
memory: {size: 1GiB}
iommus:
  - name: iommu0
    type: none
    host_driver: {pool_base: 0x20000000, pool_size: 32MiB, vtd_mode: scalable}
)";
  const auto pc = load(with);
  ASSERT_TRUE(pc.iommus[0].host_driver.has_value());
  EXPECT_EQ(pc.iommus[0].host_driver->pool_base, uint64_t{512} << 20);
  EXPECT_EQ(pc.iommus[0].host_driver->vtd_mode, host::VtdMode::scalable);
  EXPECT_EQ(pc.to_json()["iommus"][0]["host_driver"]["vtd_mode"], "scalable");
  auto e = load_error(R"(
memory: {size: 1GiB}
iommus:
  - name: iommu0
    type: none
    host_driver: {pool_base: 0x3e800000, pool_size: 64MiB}
)");
  EXPECT_NE(e.find("p.yaml:6:"), std::string::npos) << e;
  EXPECT_NE(e.find("iommus.0.host_driver.pool_size: pool_base + pool_size is beyond memory.size"),
            std::string::npos)
      << e;
  e = load_error("iommus:\n  - {name: a, type: none, host_driver: {vtd_mode: scalabel}}\n");
  EXPECT_NE(e.find("iommus.0.host_driver.vtd_mode"), std::string::npos) << e;
}

TEST(PlatformConfig, UnknownTypeListsKnownTypes) {
  const auto e = load_error("iommus:\n  - {name: a, type: vtx}\n");
  EXPECT_NE(e.find("p.yaml:2:21: iommus.0.type: unknown type 'vtx'"), std::string::npos) << e;
  EXPECT_NE(e.find("none"), std::string::npos) << e;
}

TEST(PlatformConfig, ComponentParamsAreValidatedWithTheirPath) {
  const auto e = load_error(R"(
iommus: [{name: a, type: none}]
devices:
  - name: d
    type: generator
    rid: 1
    workload: {size: 100, footprint: 1MiB, outstandin: 3}
)");
  EXPECT_NE(e.find("devices.0.workload.outstandin: unknown key (did you mean 'outstanding'?)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("devices.0.workload.footprint: must be a multiple of size"), std::string::npos)
      << e;
}

TEST(PlatformConfig, StridedPatternNeedsAStrideThatIsAMultipleOfTheSize) {
  const auto e = load_error(R"(
iommus: [{name: a, type: none}]
devices:
  - {name: d, type: generator, rid: 1,
     workload: {pattern: strided, size: 64, stride: 96, footprint: 1MiB}}
)");
  EXPECT_NE(e.find("devices.0.workload.stride: must be a multiple of size"), std::string::npos)
      << e;
}

TEST(PlatformConfig, MissingAndDuplicateThings) {
  EXPECT_NE(load_error("memory: {}\n").find("iommus: expected a non-empty list"),
            std::string::npos);
  const auto e = load_error(R"(
iommus: [{name: a, type: none}, {name: a, type: none}]
devices:
  - {name: d0, type: scenario-port, rid: 0x10, iommu: a}
  - {name: d1, type: scenario-port, rid: 0x10, iommu: a}
  - {name: d2, type: scenario-port, iommu: nowhere}
)");
  EXPECT_NE(e.find("iommus.1.name: name 'a' is already used"), std::string::npos) << e;
  EXPECT_NE(e.find("devices.1.rid: requester ID 0x0010 is already used behind a"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("devices.2.iommu: no IOMMU named 'nowhere'"), std::string::npos) << e;
  EXPECT_NE(e.find("devices.2.rid: missing required key"), std::string::npos) << e;
}

TEST(PlatformConfig, BadRidAndMmioBase) {
  const auto e = load_error(R"(
iommus: [{name: a, type: none, mmio_base: 0x1234}]
devices: [{name: d, type: scenario-port, rid: 0x10000}]
)");
  EXPECT_NE(e.find("iommus.0.mmio_base: expected a 4KiB-aligned address"), std::string::npos) << e;
  EXPECT_NE(e.find("devices.0.rid: expected a 16-bit requester ID"), std::string::npos) << e;
}

TEST(PlatformConfig, PcieLinksAndRootPorts) {
  const PlatformConfig pc = load(R"(
iommus: [{name: a, type: none, root_port: {gen: 4, width: 16}}]
devices:
  - {name: d, type: scenario-port, rid: 1, link: {gen: 5, width: 4, mps: 512, completion_split: mps}}
  - {name: e, type: scenario-port, rid: 2}
)");
  ASSERT_TRUE(pc.iommus[0].root_port.has_value());
  EXPECT_EQ(pc.iommus[0].root_port->width, 16u);
  ASSERT_TRUE(pc.devices[0].link.has_value());
  EXPECT_EQ(pc.devices[0].link->gen, 5u);
  EXPECT_EQ(pc.devices[0].link->mps, 512u);
  EXPECT_EQ(pc.devices[0].link->completion_split, CompletionSplit::mps);
  EXPECT_EQ(pc.devices[0].link->mrrs, 512u) << "default";
  EXPECT_FALSE(pc.devices[1].link.has_value());
  EXPECT_EQ(pc.to_json()["devices"][0]["link"]["width"], 4);

  const auto e = load_error(R"(
iommus: [{name: a, type: none, root_port: {gen: 6}}]
devices:
  - name: d
    type: scenario-port
    rid: 1
    link: {width: 3, mps: 384, rcb: 96, speed: 8}
)");
  EXPECT_NE(e.find("iommus.0.root_port.gen"), std::string::npos) << e;
  EXPECT_NE(e.find("p.yaml:7:19: devices.0.link.width: must be 1, 2, 4, 8, 16 or 32"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("devices.0.link.mps: must be a power of two"), std::string::npos) << e;
  EXPECT_NE(e.find("devices.0.link.rcb: must be 64 or 128"), std::string::npos) << e;
  EXPECT_NE(e.find("devices.0.link.speed: unknown key"), std::string::npos) << e;
}

TEST(PlatformConfig, PatternSpecificWorkloadChecks) {
  const auto e = load_error(R"(
iommus: [{name: a, type: none}]
devices:
  - {name: s, type: generator, rid: 1, workload: {pattern: storage, size: 4KiB, block: 6KiB}}
  - {name: n, type: generator, rid: 2, workload: {pattern: nic, footprint: 64KiB, size: 1500B,
                                                  stride: 2KiB, ring_entries: 64}}
  - {name: g, type: generator, rid: 3, workload: {pattern: gpu, size: 3000B, footprint: 3000B}}
  - {name: z, type: generator, rid: 4, workload: {pattern: zipf, theta: 0}}
  - {name: t, type: generator, rid: 5, params: {ats: {enabled: true, page_sizes: 0x800}}}
)");
  EXPECT_NE(e.find("devices.0.workload.block: must be a multiple of size"), std::string::npos) << e;
  EXPECT_NE(e.find("devices.1.workload.footprint: nic: must hold the ring"), std::string::npos)
      << e;
  EXPECT_NE(e.find("devices.2.workload.size: gpu: must divide 4KiB"), std::string::npos) << e;
  EXPECT_NE(e.find("devices.3.workload.theta"), std::string::npos) << e;
  EXPECT_NE(e.find("devices.4.params.ats.page_sizes: needs a size of 4 KiB"), std::string::npos)
      << e;
}

TEST(PlatformConfig, SriovExpandsIntoVirtualFunctions) {
  // A PF at 03:00.0 with 4 VFs at offset 0x80, stride 2 (ARI): 03:80.0 (0x0380), 0x0382 ...
  const PlatformConfig pc = load(R"(
iommus: [{name: a, type: none}]
devices:
  - name: nic
    type: generator
    rid: 0x0300
    sriov: {num_vfs: 4, first_vf_offset: 0x80, vf_stride: 2}
    workload: {pattern: sequential, footprint: 1MiB, size: 64B}
  - {name: other, type: scenario-port, rid: 0x0400}
)");
  ASSERT_EQ(pc.devices.size(), 6u);
  EXPECT_EQ(pc.devices[0].name, "nic");
  EXPECT_TRUE(pc.devices[0].pf.empty());
  for (uint32_t n = 1; n <= 4; ++n) {
    const ComponentSpec& vf = pc.devices[n];
    EXPECT_EQ(vf.name, fmt::format("nic_vf{}", n));
    EXPECT_EQ(vf.rid, 0x0380 + 2 * (n - 1));
    EXPECT_EQ(vf.pf, "nic");
    EXPECT_EQ(vf.function, n);
    EXPECT_EQ(vf.type, "generator");
    EXPECT_TRUE(vf.workload != nullptr);
  }
  EXPECT_EQ(pc.devices[5].name, "other");
  EXPECT_EQ(pc.to_json()["devices"][2]["vf"], 2);
  EXPECT_EQ(pc.to_json()["devices"][2]["rid"], "0x0382");
}

TEST(PlatformConfig, SriovRequesterIdRules) {
  SriovParams p;
  p.first_vf_offset = 0xff;
  p.vf_stride = 1;
  EXPECT_EQ(vf_rid(0x01f0, p, 1), std::optional<uint16_t>(0x02ef)) << "carries into the bus";
  EXPECT_FALSE(vf_rid(0xff80, p, 1).has_value()) << "past bus 255";
  p.ari = false;
  p.first_vf_offset = 1;
  EXPECT_EQ(vf_rid_problem(0x0300, p, 7), "");  // 03:00.7
  EXPECT_NE(vf_rid_problem(0x0300, p, 8).find("without ARI only device 0"), std::string::npos);

  const auto e = load_error(R"(
iommus: [{name: a, type: none}]
devices:
  - {name: d, type: scenario-port, rid: 0x0300, sriov: {num_vfs: 8, ari: false}}
  - {name: e, type: scenario-port, rid: 0x0500, sriov: {num_vfs: 2}}
  - {name: f, type: scenario-port, rid: 0x0502}
  - {name: g, type: scenario-port, rid: 0x0600, sriov: {num_vfs: 0}}
)");
  EXPECT_NE(e.find("devices.0.sriov: VF 8 would be 03:01.0: without ARI"), std::string::npos) << e;
  EXPECT_NE(e.find("devices.2.rid: requester ID 0x0502 is already used"), std::string::npos) << e;
  EXPECT_NE(e.find("devices.3.sriov.num_vfs"), std::string::npos) << e;
}

TEST(PlatformConfig, WorkloadOnlyForTypesThatTakeOne) {
  const auto e = load_error(R"(
iommus: [{name: a, type: none}]
devices: [{name: d, type: scenario-port, rid: 1, workload: {size: 64}}]
)");
  EXPECT_NE(e.find("devices.0.workload: unknown key"), std::string::npos) << e;
}

TEST(PlatformConfig, OverridesByPathIndexAndName) {
  const auto pc = load(
      kGood,
      {parse_override("memory.latency=80ns"), parse_override("devices.dma0.workload.size=128B"),
       parse_override("devices.0.rid=0x200"), parse_override("iommus.0.params.latency=5ns")});
  EXPECT_EQ(pc.memory.latency, Latency::ns(80));
  EXPECT_EQ(pc.devices[0].rid, 0x200);
  EXPECT_EQ(pc.to_json()["devices"][0]["workload"]["size"], "128B");
  EXPECT_EQ(pc.to_json()["iommus"][0]["params"]["latency"], "5ns");
}

TEST(PlatformConfig, BadOverrideValueNamesTheOption) {
  const auto e = load_error(kGood, {parse_override("memory.channels=lots")});
  EXPECT_NE(e.find("--set memory.channels=lots: memory.channels: bad value 'lots'"),
            std::string::npos)
      << e;
}

TEST(PlatformConfig, MalformedOverrides) {
  EXPECT_THROW(parse_override("memory.latency"), cfg::ConfigError);
  EXPECT_THROW(parse_override("=5"), cfg::ConfigError);
  EXPECT_THROW(load(kGood, {parse_override("devices.nic9.rid=1")}), cfg::ConfigError);
  EXPECT_THROW(load(kGood, {parse_override("sim.seed.x=1")}), cfg::ConfigError);
  EXPECT_THROW(load(kGood, {parse_override("memory..size=1")}), cfg::ConfigError);
}

TEST(PlatformConfig, FileErrorsNameTheFile) {
  try {
    load_platform_file(std::string(ISIM_TEST_DATA) + "/syntax_error.yaml", {});
    FAIL() << "expected an error";
  } catch (const cfg::ConfigError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("syntax_error.yaml:4:"), std::string::npos) << m;  // where yaml-cpp stops
    EXPECT_NE(m.find("YAML syntax error"), std::string::npos) << m;
  }
  EXPECT_THROW(load_platform_file("/nonexistent/p.yaml", {}), cfg::ConfigError);
}

TEST(Registry, BuiltinTypesAreRegisteredWithDocs) {
  register_builtin_components();
  for (const char* t : {"none"}) ASSERT_NE(iommu_types().find(t), nullptr) << t;
  for (const char* t : {"generator", "scenario-port"})
    ASSERT_NE(device_types().find(t), nullptr) << t;
  const auto* gen = device_types().find("generator");
  ASSERT_TRUE(gen->describe_workload);
  const auto rows = gen->describe_workload();
  ASSERT_FALSE(rows.empty());
  for (const auto& r : rows) EXPECT_FALSE(r.doc.empty()) << r.key;
}

}  // namespace
}  // namespace isim
