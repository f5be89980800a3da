// Where the one host driver of an IOMMU gets its set-up (host/driver_setup.h): the IOMMU's
// host_driver: block, else its users' params, which must agree; VT-d scalable mode when any
// user needs it.
#include "host/driver_setup.h"

#include <gtest/gtest.h>

namespace isim::host {
namespace {

DriverRequest user(const std::string& name, bool scalable = false) {
  DriverRequest r;
  r.device = name;
  r.pool_base = uint64_t{768} << 20;
  r.pool_size = uint64_t{64} << 20;
  r.mmio_cost = 300'000;
  r.mmio_key = "mmio_cost";
  r.needs_scalable = scalable;
  r.scalable_why = "test";
  return r;
}

TEST(DriverSetup, UsersThatAgreeGiveTheirSetUpSplitInHalves) {
  std::string why;
  const auto s = resolve_setup("iommu0", "vtd", std::nullopt, {user("a"), user("b")}, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->driver.pool_base, uint64_t{768} << 20);
  EXPECT_EQ(s->driver.pool_limit, uint64_t{800} << 20);
  EXPECT_EQ(s->host_base, uint64_t{800} << 20);
  EXPECT_EQ(s->host_limit, uint64_t{832} << 20);
  EXPECT_EQ(s->mmio_cost, 300'000u);
  EXPECT_FALSE(s->driver.scalable);
}

TEST(DriverSetup, AtsIsEnabledWhenAnyUserAsks) {
  std::string why;
  DriverRequest ats = user("gen0");
  ats.ats = true;
  const auto off = resolve_setup("iommu0", "smmuv3", std::nullopt, {user("a"), user("b")}, &why);
  ASSERT_TRUE(off) << why;
  EXPECT_FALSE(off->driver.ats);
  const auto on = resolve_setup("iommu0", "smmuv3", std::nullopt, {user("a"), ats}, &why);
  ASSERT_TRUE(on) << why;
  EXPECT_TRUE(on->driver.ats);
}

TEST(DriverSetup, DisagreementNamesBothDevicesAndTheKey) {
  DriverRequest b = user("nic1");
  b.pool_size = uint64_t{128} << 20;
  std::string why;
  EXPECT_FALSE(resolve_setup("iommu0", "amdvi", std::nullopt, {user("nic0"), b}, &why));
  EXPECT_NE(why.find("'nic0' and 'nic1'"), std::string::npos) << why;
  EXPECT_NE(why.find("pool_size"), std::string::npos) << why;
  EXPECT_NE(why.find("iommu0"), std::string::npos) << why;

  DriverRequest c = user("swq0");
  c.mmio_cost = 100'000;
  c.mmio_key = "mmio_latency";
  EXPECT_FALSE(resolve_setup("iommu0", "vtd", std::nullopt, {user("nic0"), c}, &why));
  EXPECT_NE(why.find("'nic0' and 'swq0'"), std::string::npos) << why;
  EXPECT_NE(why.find("mmio_cost / mmio_latency"), std::string::npos) << why;
}

TEST(DriverSetup, TheBlockWinsOverDisagreeingUsers) {
  DriverRequest b = user("nic1");
  b.pool_base = 0x1000'0000;
  HostDriverParams block;
  block.pool_base = 0x2000'0000;
  block.pool_size = uint64_t{16} << 20;
  block.mmio_cost.ps = 50'000;
  std::string why;
  const auto s = resolve_setup("iommu0", "smmuv3", block, {user("nic0"), b}, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_EQ(s->driver.pool_base, 0x2000'0000u);
  EXPECT_EQ(s->host_limit, 0x2000'0000u + (uint64_t{16} << 20));
  EXPECT_EQ(s->mmio_cost, 50'000u);
}

TEST(DriverSetup, VtdRunsScalableWhenAnyUserNeedsIt) {
  std::string why;
  auto s = resolve_setup("iommu0", "vtd", std::nullopt, {user("nic"), user("swq", true)}, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_TRUE(s->driver.scalable);
  // Other architectures have no such mode.
  s = resolve_setup("iommu0", "amdvi", std::nullopt, {user("nic"), user("swq", true)}, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_FALSE(s->driver.scalable);
  HostDriverParams block;
  block.vtd_mode = VtdMode::scalable;
  s = resolve_setup("iommu0", "vtd", block, {user("nic")}, &why);
  ASSERT_TRUE(s) << why;
  EXPECT_TRUE(s->driver.scalable);
}

TEST(DriverSetup, LegacyBlockContradictsAUserThatNeedsScalable) {
  HostDriverParams block;
  block.vtd_mode = VtdMode::legacy;
  std::string why;
  EXPECT_TRUE(resolve_setup("iommu0", "vtd", block, {user("nic")}, &why));
  EXPECT_FALSE(resolve_setup("iommu0", "vtd", block, {user("nic"), user("swq0", true)}, &why));
  EXPECT_NE(why.find("'swq0'"), std::string::npos) << why;
  EXPECT_NE(why.find("vtd_mode"), std::string::npos) << why;
}

}  // namespace
}  // namespace isim::host
