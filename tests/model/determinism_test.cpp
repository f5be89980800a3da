// DESIGN principle 5: one config and one seed give byte-identical statistics. Each run is a
// separate `iommu-sim run` process, as a user or a sweep would start it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/run_process.h"

namespace isim {
namespace {

namespace fs = std::filesystem;

const char* const kDefaultConfig = ISIM_SOURCE_DIR "/configs/default.yaml";

/// A fresh directory under the system temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "isim-determinism-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs `iommu-sim run CONFIG --out OUT [extra...]` with its output in OUT/log.txt; returns the
/// exit status (-1 if it did not exit normally).
int run_sim(const fs::path& out, const std::vector<std::string>& extra = {}) {
  fs::create_directories(out);
  std::vector<std::string> args = {ISIM_SIM_BINARY, "run", kDefaultConfig, "--out", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return test::run_process(std::move(args), (out / "log.txt").string());
}

/// Runs the simulator into `dir`/`name` and returns that directory; fails the test on a
/// non-zero exit, showing the simulator's output.
fs::path run_ok(const TempDir& dir, const std::string& name,
                const std::vector<std::string>& extra = {}) {
  const fs::path out = dir.path() / name;
  const int status = run_sim(out, extra);
  EXPECT_EQ(status, 0) << slurp(out / "log.txt");
  return out;
}

nlohmann::json stats_of(const fs::path& out) {
  return nlohmann::json::parse(slurp(out / "stats.json"));
}

TEST(Determinism, SameConfigAndSeedGiveByteIdenticalStats) {
  TempDir dir;
  const fs::path a = run_ok(dir, "a");
  const fs::path b = run_ok(dir, "b");
  for (const char* file : {"stats.json", "stats.csv"}) {
    const std::string sa = slurp(a / file);
    ASSERT_FALSE(sa.empty()) << file;
    EXPECT_TRUE(sa == slurp(b / file)) << file << " differs between two identical runs";
  }
  // The runs did real work: the default workload completed requests.
  const auto j = stats_of(a);
  ASSERT_TRUE(j.contains("stats"));
  EXPECT_GT(j["stats"].value("system.dma0.reads", 0.0), 0.0);
}

TEST(Determinism, AnotherSeedChangesTheRandomPatternsStats) {
  TempDir dir;
  const auto one = stats_of(run_ok(dir, "seed1", {"--set", "sim.seed=1"}));
  const auto two = stats_of(run_ok(dir, "seed2", {"--set", "sim.seed=2"}));
  EXPECT_EQ(one["seed"], 1);
  EXPECT_EQ(two["seed"], 2);
  ASSERT_TRUE(one.contains("stats"));
  // Random addresses spread differently over the channels, so their busy times differ.
  EXPECT_NE(one["stats"], two["stats"]);
  bool channel_differs = false;
  for (auto it = one["stats"].begin(); it != one["stats"].end(); ++it)
    if (it.key().find("memory.channel") != std::string::npos && two["stats"][it.key()] != *it)
      channel_differs = true;
  EXPECT_TRUE(channel_differs);
}

TEST(Determinism, SeedDoesNotAffectASequentialPattern) {
  // The control for the test above: without randomness the seed changes nothing but itself.
  TempDir dir;
  const std::string seq = "devices.dma0.workload.pattern=sequential";
  const auto one = stats_of(run_ok(dir, "seed1", {"--set", seq, "--set", "sim.seed=1"}));
  const auto two = stats_of(run_ok(dir, "seed2", {"--set", seq, "--set", "sim.seed=2"}));
  ASSERT_TRUE(one.contains("stats"));
  EXPECT_EQ(one["stats"], two["stats"]);
  EXPECT_NE(one["seed"], two["seed"]);
}

}  // namespace
}  // namespace isim
