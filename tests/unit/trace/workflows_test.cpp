// The pure parts of the architect workflows: stats comparison and sweep point expansion.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sim/compare.h"
#include "sim/config_error.h"
#include "sim/sweep.h"

namespace isim {
namespace {

TEST(Compare, FlattensHistogramsAndSimTime) {
  const auto doc = nlohmann::json::parse(
      R"({"sim_time_ps": 5, "stats": {"a.n": 3, "a.h": {"count": 2, "p50": null}}})");
  const FlatStats f = flatten_stats(doc);
  EXPECT_EQ(f.at("sim_time_ps"), 5.0);
  EXPECT_EQ(f.at("a.n"), 3.0);
  EXPECT_EQ(f.at("a.h.count"), 2.0);
  EXPECT_FALSE(f.at("a.h.p50").has_value());
}

TEST(Compare, ExactByDefaultTolerancesAndGlobs) {
  FlatStats a{{"x.lat", 100.0}, {"x.n", 10.0}, {"y.n", 1.0}, {"gone", 1.0}};
  FlatStats b{{"x.lat", 101.0}, {"x.n", 10.0}, {"y.n", 1.0}, {"new", 2.0}};
  CompareResult r = compare_stats(a, b, {});
  ASSERT_EQ(r.diffs.size(), 3u);  // x.lat, gone, new
  EXPECT_EQ(r.diffs[0].name, "gone");
  EXPECT_TRUE(r.diffs[0].missing_b);
  EXPECT_EQ(r.diffs[1].name, "x.lat");
  EXPECT_NEAR(r.diffs[1].rel, 1.0 / 101.0, 1e-12);
  EXPECT_TRUE(r.diffs[2].missing_a);

  CompareOptions o;
  o.rel_tol = 0.02;
  o.ignore = {"gone", "new"};
  EXPECT_TRUE(compare_stats(a, b, o).diffs.empty());
  o.rel_tol = 0.005;
  EXPECT_EQ(compare_stats(a, b, o).diffs.size(), 1u);
  o.rel_tol = 0;
  o.abs_tol = 1;
  EXPECT_TRUE(compare_stats(a, b, o).diffs.empty());
  CompareOptions only;
  only.only = {"y.*"};
  const auto ro = compare_stats(a, b, only);
  EXPECT_TRUE(ro.diffs.empty());
  EXPECT_EQ(ro.compared, 1u);
}

TEST(Compare, UndefinedAgainstNumberDiffers) {
  FlatStats a{{"r", std::nullopt}}, b{{"r", 1.0}}, c{{"r", std::nullopt}};
  EXPECT_EQ(compare_stats(a, b, {}).diffs.size(), 1u);
  EXPECT_TRUE(compare_stats(a, c, {}).diffs.empty());
}

class SweepFile : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("isim_sweep_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto p = (dir / "s.yaml").string();
    std::ofstream(p) << text;
    return p;
  }
};

TEST_F(SweepFile, ProductOfListAndLogRangeWithRepeats) {
  const auto spec =
      load_sweep(write("base: b.yaml\naxes:\n  - {key: a.x, values: [p, q]}\n"
                       "  - {key: a.y, name: Y, log: {from: 16, to: 128, factor: 2}, suffix: KiB}\n"
                       "repeats: 2\nseed: 7\n"));
  ASSERT_EQ(spec.axes.size(), 2u);
  EXPECT_EQ(spec.axes[1].values, (std::vector<std::string>{"16KiB", "32KiB", "64KiB", "128KiB"}));
  const auto pts = expand_points(spec);
  ASSERT_EQ(pts.size(), 2u * 4u * 2u);
  EXPECT_EQ(pts[0].id, "p0000-r0");
  EXPECT_EQ(pts[1].id, "p0000-r1");
  EXPECT_EQ(pts[1].seed, 8u);
  EXPECT_EQ(pts[2].values, (std::vector<std::string>{"p", "32KiB"}));
  EXPECT_EQ(pts.back().values, (std::vector<std::string>{"q", "128KiB"}));
}

TEST_F(SweepFile, LinearRangeAndZip) {
  const auto spec = load_sweep(
      write("base: b.yaml\ncombine: zip\naxes:\n  - {key: a, range: {from: 1, to: 2, step: 0.5}}\n"
            "  - {key: b, values: [x, y, z]}\n"));
  EXPECT_EQ(spec.axes[0].values, (std::vector<std::string>{"1", "1.5", "2"}));
  const auto pts = expand_points(spec);
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_EQ(pts[2].values, (std::vector<std::string>{"2", "z"}));
  EXPECT_EQ(pts[2].id, "p0002");
}

TEST_F(SweepFile, ErrorsNameFileLineAndKey) {
  try {
    load_sweep(write("base: b.yaml\naxes:\n  - {key: a, values: [1]}\nrepeat: 3\n"));
    FAIL();
  } catch (const cfg::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("s.yaml:4:1: repeat: unknown key (did you mean "
                                         "'repeats'?)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(load_sweep(write("base: b.yaml\ncombine: zip\naxes:\n  - {key: a, values: [1]}\n"
                                "  - {key: b, values: [1, 2]}\n")),
               cfg::ConfigError);
  EXPECT_THROW(load_sweep(write("base: b.yaml\naxes:\n  - {key: a, range: {from: 1, to: 2}}\n")),
               cfg::ConfigError);
}

}  // namespace
}  // namespace isim
