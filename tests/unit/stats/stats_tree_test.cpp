#include "hw/stats/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

namespace isim::stats {
namespace {

/// The message of the StatsError thrown by f, or "" if none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const StatsError& e) {
    return e.what();
  }
  return "";
}

TEST(StatsTree, FullNamesFollowTheHierarchy) {
  Group system("system");
  Group iommu(system, "iommu0");
  Group iotlb(iommu, "iotlb");
  Counter& hits = iotlb.counter("hits", "lookups that hit", "count");
  Group& level = iotlb.add_group("level1");
  Histogram& lat = level.histogram("latency", "walk latency", "ps");

  EXPECT_EQ(system.path(), "system");
  EXPECT_EQ(iotlb.path(), "system.iommu0.iotlb");
  EXPECT_EQ(hits.full_name(), "system.iommu0.iotlb.hits");
  EXPECT_EQ(lat.full_name(), "system.iommu0.iotlb.level1.latency");
  EXPECT_EQ(hits.name(), "hits");
  EXPECT_EQ(hits.desc(), "lookups that hit");
  EXPECT_EQ(hits.unit(), "count");
  EXPECT_EQ(&hits.group(), &iotlb);
  EXPECT_EQ(iotlb.parent(), &iommu);
  EXPECT_EQ(system.parent(), nullptr);
}

TEST(StatsTree, FindResolvesRelativePaths) {
  Group system("system");
  Group iommu(system, "iommu0");
  Counter& hits = iommu.add_group("iotlb").counter("hits", "", "count");
  EXPECT_EQ(system.find("iommu0.iotlb.hits"), &hits);
  EXPECT_EQ(iommu.find("iotlb.hits"), &hits);
  EXPECT_EQ(system.find("iommu0.iotlb.misses"), nullptr);
  EXPECT_EQ(system.find("iommu1.iotlb.hits"), nullptr);
  EXPECT_EQ(system.find_group("iommu0"), &iommu);
  EXPECT_EQ(system.find_group(""), &system);
  EXPECT_EQ(system.find_group("iommu0.nothing"), nullptr);
}

TEST(StatsTree, CounterIncrements) {
  Group g("g");
  Counter& c = g.counter("c", "", "count");
  EXPECT_EQ(c.value(), 0u);
  ++c;
  c++;
  c += 40;
  EXPECT_EQ(c.value(), 42u);
  EXPECT_EQ(c.kind(), StatKind::kCounter);
}

TEST(StatsTree, CounterRefReflectsLaterChangesOfTheSource) {
  struct CacheStats {
    uint64_t hits = 0, misses = 0;
  } raw;
  Group g("cache");
  CounterRef& hits = g.counter_ref("hits", &raw.hits, "hits", "count");
  CounterRef& misses = g.counter_ref("misses", &raw.misses, "misses", "count");
  raw.hits = 7;
  raw.misses = 3;
  EXPECT_EQ(hits.value(), 7u);
  EXPECT_EQ(misses.value(), 3u);
  raw.hits += 5;
  EXPECT_EQ(hits.value(), 12u);
  EXPECT_EQ(hits.kind(), StatKind::kCounterRef);
}

TEST(StatsTree, CounterRefResetCountsFromTheBaseline) {
  uint64_t src = 100;
  Group g("g");
  CounterRef& c = g.counter_ref("c", &src, "", "count");
  g.reset();
  EXPECT_EQ(c.value(), 0u);
  EXPECT_EQ(c.raw(), 100u);
  src += 25;
  EXPECT_EQ(c.value(), 25u);
  src = 4;  // the component zeroed its own struct and counted again
  EXPECT_EQ(c.value(), 4u);
}

TEST(StatsTree, ScalarHoldsWhatTheComponentSets) {
  Group g("g");
  Scalar& s = g.scalar("sim_time", "simulated time", "ps");
  EXPECT_EQ(s.value(), 0.0);
  s.set(1.5);
  s += 2.0;
  EXPECT_EQ(s.value(), 3.5);
  s = 0.25;
  EXPECT_EQ(s.value(), 0.25);
}

TEST(StatsTree, FormulaIsEvaluatedWhenRead) {
  Group g("g");
  Counter& hits = g.counter("hits", "", "count");
  Counter& misses = g.counter("misses", "", "count");
  Formula& rate = g.formula("hit_rate", "hits / lookups", "ratio", [&] {
    return ratio(static_cast<double>(hits.value()),
                 static_cast<double>(hits.value() + misses.value()));
  });
  EXPECT_TRUE(std::isnan(rate.value())) << "0/0 must be undefined, not 0";
  hits += 3;
  ++misses;
  EXPECT_EQ(rate.value(), 0.75);
  g.reset();
  EXPECT_TRUE(std::isnan(rate.value()));
}

TEST(StatsTree, RatioIsUndefinedOnlyForAZeroDenominator) {
  EXPECT_TRUE(std::isnan(ratio(0, 0)));
  EXPECT_TRUE(std::isnan(ratio(5, 0)));
  EXPECT_EQ(ratio(0, 4), 0.0);
  EXPECT_EQ(ratio(1, 4), 0.25);
}

TEST(StatsTree, DuplicateNamesAreRejectedWithTheFullPath) {
  Group system("system");
  Group iommu(system, "iommu0");
  iommu.counter("hits", "", "count");
  const std::string msg = error_of([&] { iommu.counter("hits", "", "count"); });
  EXPECT_NE(msg.find("system.iommu0.hits"), std::string::npos) << msg;
  EXPECT_NE(msg.find("duplicate"), std::string::npos) << msg;

  // Stats and groups share one namespace per group.
  EXPECT_THROW(iommu.histogram("hits", "", "ps"), StatsError);
  EXPECT_THROW(iommu.add_group("hits"), StatsError);
  Group walker(iommu, "walker");
  EXPECT_THROW(iommu.scalar("walker", "", "ps"), StatsError);
  const std::string gmsg = error_of([&] { Group again(iommu, "walker"); });
  EXPECT_NE(gmsg.find("system.iommu0.walker"), std::string::npos) << gmsg;
  // The same name is fine in another group.
  EXPECT_NO_THROW(walker.counter("hits", "", "count"));
}

TEST(StatsTree, InvalidNamesAreRejected) {
  Group g("system");
  for (const char* bad : {"", "a.b", "a-b", "a b", "é", "a/b"}) {
    const std::string msg = error_of([&] { g.counter(bad, "", "count"); });
    EXPECT_NE(msg.find("system."), std::string::npos) << "name '" << bad << "': " << msg;
    EXPECT_THROW(g.add_group(bad), StatsError) << bad;
  }
  EXPECT_THROW(Group("bad.root"), StatsError);
  EXPECT_NO_THROW(g.counter("Hits_L2_9", "", "count"));
  EXPECT_TRUE(is_valid_name("abc_XYZ_019"));
  EXPECT_FALSE(is_valid_name("abc.d"));
}

TEST(StatsTree, MultiLineTextAndMissingSourcesAreRejected) {
  Group g("g");
  EXPECT_THROW(g.counter("a", "two\nlines", "count"), StatsError);
  EXPECT_THROW(g.counter("b", "ok", "c\r"), StatsError);
  EXPECT_THROW(g.counter_ref("c", nullptr, "", "count"), StatsError);
  EXPECT_THROW(g.formula("d", "", "ratio", nullptr), StatsError);
  // A failed registration does not take the name.
  EXPECT_NO_THROW(g.counter("a", "one line", "count"));
}

TEST(StatsTree, ResetClearsTheSubtreeOnly) {
  uint64_t src = 9;
  Group system("system");
  Group a(system, "a");
  Group b(system, "b");
  Counter& ca = a.counter("c", "", "count");
  Histogram& ha = a.add_group("sub").histogram("h", "", "ps");
  Scalar& sa = a.scalar("s", "", "ps");
  CounterRef& ra = a.counter_ref("r", &src, "", "count");
  Counter& cb = b.counter("c", "", "count");
  ca += 5;
  ha.record(100);
  sa = 2.5;
  cb += 7;

  a.reset();
  EXPECT_EQ(ca.value(), 0u);
  EXPECT_EQ(ha.count(), 0u);
  EXPECT_EQ(sa.value(), 0.0);
  EXPECT_EQ(ra.value(), 0u);
  EXPECT_EQ(cb.value(), 7u);

  system.reset();
  EXPECT_EQ(cb.value(), 0u);
}

TEST(StatsTree, DestroyedChildLeavesTheTreeAndFreesItsName) {
  Group system("system");
  {
    Group dev(system, "dev0");
    dev.counter("c", "", "count");
    EXPECT_EQ(collect(system).size(), 1u);
  }
  EXPECT_TRUE(collect(system).empty());
  EXPECT_EQ(system.find_group("dev0"), nullptr);
  EXPECT_NO_THROW(Group(system, "dev0"));
}

TEST(StatsTree, ChildOutlivingItsParentBecomesARoot) {
  auto parent = std::make_unique<Group>("system");
  Group child(*parent, "dev0");
  Counter& c = child.counter("c", "", "count");
  parent.reset();
  EXPECT_EQ(child.parent(), nullptr);
  EXPECT_EQ(c.full_name(), "dev0.c");
}

TEST(StatsTree, CollectIsSortedByFullNameWhateverTheRegistrationOrder) {
  Group system("system");
  Group z(system, "z_dev");
  Group a(system, "a_dev");
  z.counter("b", "", "count");
  z.counter("a", "", "count");
  a.add_group("inner").counter("x", "", "count");
  a.counter("a0", "", "count");
  system.counter("top", "", "count");
  Group a2(system, "a");  // a prefix of a_dev: "system.a.*" must sort before "system.a_dev.*"
  a2.counter("q", "", "count");

  const auto entries = collect(system);
  std::vector<std::string> names;
  for (const auto& e : entries) {
    names.push_back(e.full_name);
    EXPECT_EQ(e.full_name, e.stat->full_name());
  }
  const std::vector<std::string> expected = {"system.a.q",           "system.a_dev.a0",
                                             "system.a_dev.inner.x", "system.top",
                                             "system.z_dev.a",       "system.z_dev.b"};
  EXPECT_EQ(names, expected);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(StatsTree, CollectFromASubtreeUsesFullNames) {
  Group system("system");
  Group iommu(system, "iommu0");
  iommu.counter("c", "", "count");
  const auto entries = collect(iommu);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].full_name, "system.iommu0.c");
}

TEST(StatsTree, HistogramStatForwardsToItsData) {
  Group g("g");
  Histogram& h = g.histogram("lat", "latency", "ps", 3);
  EXPECT_EQ(h.data().sub_bucket_bits(), 3u);
  h.record(10);
  h.record(20, 3);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(h.min(), 10u);
  EXPECT_EQ(h.max(), 20u);
  EXPECT_EQ(h.mean(), 17.5);
  EXPECT_EQ(h.percentile(25), 10.0);
  EXPECT_EQ(h.kind(), StatKind::kHistogram);
  EXPECT_THROW(g.histogram("bad", "", "ps", 0), StatsError);
}

TEST(StatsTree, KindNames) {
  EXPECT_EQ(kind_name(StatKind::kCounter), "counter");
  EXPECT_EQ(kind_name(StatKind::kCounterRef), "counter_ref");
  EXPECT_EQ(kind_name(StatKind::kScalar), "scalar");
  EXPECT_EQ(kind_name(StatKind::kHistogram), "histogram");
  EXPECT_EQ(kind_name(StatKind::kFormula), "formula");
}

}  // namespace
}  // namespace isim::stats
