#include "hw/stats/stats_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/rng.h"

namespace isim::stats {
namespace {

using nlohmann::json;

/// A small RFC 4180 reader, independent of the writer, to check its quoting.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field += c;
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "CSV must end with a newline";
  return rows;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  for (std::string line; std::getline(is, line);) out.push_back(line);
  return out;
}

/// A small platform-shaped tree. Registration order is a parameter so determinism can be
/// checked against it.
struct Tree {
  struct Raw {
    uint64_t evictions = 0;
  } raw;
  Group system{"system"};
  Group iommu{system, "iommu0"};
  Group iotlb{iommu, "iotlb"};
  Counter* hits = nullptr;
  Counter* misses = nullptr;
  Histogram* lat = nullptr;
  Histogram* empty = nullptr;
  Scalar* freq = nullptr;

  explicit Tree(bool reversed = false) {
    auto reg_iotlb = [&] {
      hits = &iotlb.counter("hits", "lookups that hit", "count");
      misses = &iotlb.counter("misses", "lookups that missed", "count");
      iotlb.counter_ref("evictions", &raw.evictions, "entries evicted", "count");
      iotlb.formula("hit_rate", "hits / lookups", "ratio", [this] {
        return ratio(static_cast<double>(hits->value()),
                     static_cast<double>(hits->value() + misses->value()));
      });
    };
    auto reg_iommu = [&] {
      lat = &iommu.histogram("walk_latency", "page walk latency", "ps");
      empty = &iommu.histogram("fault_latency", "fault reporting latency", "ps");
      freq = &iommu.scalar("clock", "clock frequency", "MHz");
    };
    if (reversed) {
      reg_iommu();
      reg_iotlb();
    } else {
      reg_iotlb();
      reg_iommu();
    }
  }

  void fill() {
    *hits += 3;
    ++*misses;
    raw.evictions = 2;
    for (uint64_t v : {100, 200, 300, 400, 5000}) lat->record(v);
    freq->set(1000.0 / 3.0);
  }
};

RunInfo run_info() {
  RunInfo run;
  run.seed = 7;
  run.config = json{{"iommus", json::array({json{{"name", "iommu0"}, {"type", "vtd"}}})}};
  run.sim_time_ps = 123456789;
  return run;
}

TEST(StatsJson, DocumentStructure) {
  Tree t;
  t.fill();
  const RunInfo run = run_info();
  const json doc = to_json(t.system, run);

  EXPECT_EQ(doc.at("program"), "iommu-sim");
  EXPECT_FALSE(doc.at("version").get<std::string>().empty());
  EXPECT_EQ(doc.at("seed"), 7u);
  EXPECT_EQ(doc.at("config"), run.config);
  EXPECT_EQ(doc.at("sim_time_ps"), 123456789u);
  EXPECT_FALSE(doc.contains("descriptions"));

  const json& s = doc.at("stats");
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s.size(), 7u);
  EXPECT_TRUE(s.at("system.iommu0.iotlb.hits").is_number_unsigned());
  EXPECT_EQ(s.at("system.iommu0.iotlb.hits"), 3u);
  EXPECT_EQ(s.at("system.iommu0.iotlb.misses"), 1u);
  EXPECT_EQ(s.at("system.iommu0.iotlb.evictions"), 2u);
  EXPECT_EQ(s.at("system.iommu0.iotlb.hit_rate"), 0.75);
  EXPECT_EQ(s.at("system.iommu0.clock").get<double>(), 1000.0 / 3.0);

  const json& h = s.at("system.iommu0.walk_latency");
  const std::set<std::string> keys = {"count", "min", "max", "mean", "p50", "p90", "p99"};
  std::set<std::string> got;
  for (const auto& [k, v] : h.items()) got.insert(k);
  EXPECT_EQ(got, keys);
  EXPECT_EQ(h.at("count"), 5u);
  EXPECT_EQ(h.at("min"), 100u);
  EXPECT_EQ(h.at("max"), 5000u);
  EXPECT_EQ(h.at("mean"), 1200.0);
  EXPECT_EQ(h.at("p50").get<double>(), t.lat->percentile(50));
  EXPECT_EQ(h.at("p99"), 5000.0);

  // An empty histogram keeps its keys, with count 0 and everything else undefined.
  const json& e = s.at("system.iommu0.fault_latency");
  EXPECT_EQ(e.at("count"), 0u);
  for (const char* k : {"min", "max", "mean", "p50", "p90", "p99"}) {
    EXPECT_TRUE(e.at(k).is_null()) << k;
  }
}

TEST(StatsJson, ZeroDenominatorFormulaIsNull) {
  Tree t;  // no lookups: hit rate 0/0
  const json doc = to_json(t.system, run_info());
  ASSERT_TRUE(doc.at("stats").contains("system.iommu0.iotlb.hit_rate"));
  EXPECT_TRUE(doc.at("stats").at("system.iommu0.iotlb.hit_rate").is_null());
  t.freq->set(std::numeric_limits<double>::infinity());
  EXPECT_TRUE(to_json(t.system, run_info()).at("stats").at("system.iommu0.clock").is_null());
}

TEST(StatsJson, DescriptionsOnRequest) {
  Tree t;
  JsonOptions opts;
  opts.descriptions = true;
  const json doc = to_json(t.system, run_info(), opts);
  const json& d = doc.at("descriptions");
  EXPECT_EQ(d.size(), doc.at("stats").size());
  EXPECT_EQ(d.at("system.iommu0.iotlb.hits").at("description"), "lookups that hit");
  EXPECT_EQ(d.at("system.iommu0.iotlb.hits").at("unit"), "count");
  EXPECT_EQ(d.at("system.iommu0.iotlb.hits").at("kind"), "counter");
  EXPECT_EQ(d.at("system.iommu0.walk_latency").at("kind"), "histogram");
  EXPECT_EQ(d.at("system.iommu0.iotlb.evictions").at("kind"), "counter_ref");
}

TEST(StatsJson, CallerVersionIsKept) {
  Tree t;
  RunInfo run = run_info();
  run.version = "9.9.9-test";
  run.program = "other";
  const json doc = to_json(t.system, run);
  EXPECT_EQ(doc.at("version"), "9.9.9-test");
  EXPECT_EQ(doc.at("program"), "other");
}

TEST(StatsJson, WrittenDocumentParsesBackToTheSameValues) {
  Tree t;
  t.fill();
  Rng rng(5, "stats.json.roundtrip");
  for (int i = 0; i < 1000; ++i) t.lat->record(rng.below(1'000'000));
  std::ostringstream os;
  write_json(os, t.system, run_info());
  const std::string text = os.str();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  // Doubles such as 1000/3 and every percentile must read back bit-exact.
  EXPECT_EQ(json::parse(text), to_json(t.system, run_info()));
}

TEST(StatsJson, ByteIdenticalForIdenticalStats) {
  Tree a(/*reversed=*/false), b(/*reversed=*/true);
  a.fill();
  b.fill();
  Rng ra(9, "det"), rb(9, "det");
  for (int i = 0; i < 5000; ++i) {
    a.lat->record(ra.below(1u << 20));
    b.lat->record(rb.below(1u << 20));
  }
  std::ostringstream oa, ob, oa2;
  write_json(oa, a.system, run_info());
  write_json(ob, b.system, run_info());
  write_json(oa2, a.system, run_info());
  EXPECT_EQ(oa.str(), ob.str()) << "registration order must not change the output";
  EXPECT_EQ(oa.str(), oa2.str());

  // And a difference in one value is visible.
  ++*b.hits;
  std::ostringstream oc;
  write_json(oc, b.system, run_info());
  EXPECT_NE(oa.str(), oc.str());
}

TEST(StatsJson, CompactOutputIsOneLine) {
  Tree t;
  JsonOptions opts;
  opts.indent = -1;
  std::ostringstream os;
  write_json(os, t.system, run_info(), opts);
  EXPECT_EQ(split_lines(os.str()).size(), 1u);
}

TEST(StatsCsv, FieldQuoting) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\r"), "\"cr\r\"");
}

TEST(StatsCsv, RowsWithHistogramsExpandedAndQuotingThatReadsBack) {
  Group system("system");
  Counter& c = system.counter("reqs", "requests, \"all\" kinds", "count");
  c += (uint64_t{1} << 63) + 1;  // must print exactly, not via double
  system.scalar("bw", "bandwidth", "GB/s, decimal").set(0.1);
  system.formula("rate", "undefined rate", "ratio", [] { return ratio(1, 0); });
  Histogram& h = system.histogram("lat", "latency", "ps");
  h.record(10);
  h.record(30);

  std::ostringstream os;
  write_csv(os, system);
  const auto rows = parse_csv(os.str());
  ASSERT_EQ(rows.size(), 1u + 1 + 1 + 1 + 7);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"name", "value", "unit", "description"}));
  for (const auto& r : rows) EXPECT_EQ(r.size(), 4u);

  // Sorted by full name: bw, lat.*, rate, reqs.
  EXPECT_EQ(rows[1], (std::vector<std::string>{"system.bw", "0.1", "GB/s, decimal", "bandwidth"}));
  const std::vector<std::string> hist_names = {"count", "min", "max", "mean", "p50", "p90", "p99"};
  for (size_t i = 0; i < hist_names.size(); ++i) {
    EXPECT_EQ(rows[2 + i][0], "system.lat." + hist_names[i]);
    EXPECT_EQ(rows[2 + i][2], i == 0 ? "samples" : "ps");
    EXPECT_NE(rows[2 + i][3].find("latency"), std::string::npos);
  }
  EXPECT_EQ(rows[2][1], "2");
  EXPECT_EQ(rows[3][1], "10");
  EXPECT_EQ(rows[4][1], "30");
  EXPECT_EQ(std::stod(rows[5][1]), 20.0);
  EXPECT_EQ(rows[9], (std::vector<std::string>{"system.rate", "", "ratio", "undefined rate"}));
  EXPECT_EQ(rows[10], (std::vector<std::string>{"system.reqs", "9223372036854775809", "count",
                                                "requests, \"all\" kinds"}));
}

TEST(StatsCsv, EmptyHistogramHasEmptyFieldsButKeepsItsRows) {
  Group system("system");
  system.histogram("lat", "latency", "ps");
  std::ostringstream os;
  write_csv(os, system);
  const auto rows = parse_csv(os.str());
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[1][1], "0");
  for (size_t i = 2; i < rows.size(); ++i) EXPECT_EQ(rows[i][1], "") << rows[i][0];
}

TEST(StatsFlatten, SameNamesAndOrderAsCsvAndJson) {
  Tree t;
  t.fill();
  const auto flat = flatten(t.system);

  std::ostringstream os;
  write_csv(os, t.system);
  const auto rows = parse_csv(os.str());
  ASSERT_EQ(flat.size() + 1, rows.size());
  for (size_t i = 0; i < flat.size(); ++i) {
    EXPECT_EQ(flat[i].first, rows[i + 1][0]);
    if (rows[i + 1][1].empty()) {
      EXPECT_TRUE(std::isnan(flat[i].second)) << flat[i].first;
    } else {
      EXPECT_EQ(flat[i].second, std::stod(rows[i + 1][1])) << flat[i].first;
    }
  }

  // Every JSON stat appears in flatten(), histograms as their fields.
  const json stats = to_json(t.system, run_info()).at("stats");
  std::set<std::string> flat_names;
  for (const auto& [n, v] : flat) flat_names.insert(n);
  size_t expected = 0;
  for (const auto& [name, v] : stats.items()) {
    if (v.is_object()) {
      for (const auto& [k, _] : v.items()) {
        EXPECT_TRUE(flat_names.count(name + "." + k)) << name << "." << k;
        ++expected;
      }
    } else {
      EXPECT_TRUE(flat_names.count(name)) << name;
      ++expected;
    }
  }
  EXPECT_EQ(expected, flat.size());
}

TEST(StatsFlatten, ValuesAndUndefined) {
  Tree t;
  t.fill();
  const auto flat = flatten(t.system);
  auto value_of = [&](const std::string& name) {
    for (const auto& [n, v] : flat) {
      if (n == name) return v;
    }
    ADD_FAILURE() << "missing " << name;
    return 0.0;
  };
  EXPECT_EQ(value_of("system.iommu0.iotlb.hits"), 3.0);
  EXPECT_EQ(value_of("system.iommu0.iotlb.hit_rate"), 0.75);
  EXPECT_EQ(value_of("system.iommu0.walk_latency.count"), 5.0);
  EXPECT_EQ(value_of("system.iommu0.walk_latency.max"), 5000.0);
  EXPECT_TRUE(std::isnan(value_of("system.iommu0.fault_latency.p50")));
  EXPECT_EQ(value_of("system.iommu0.fault_latency.count"), 0.0);
}

TEST(StatsGlob, Matching) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*", "system.a.b"));
  EXPECT_TRUE(glob_match("*.iotlb.*", "system.iommu0.iotlb.hits"));
  EXPECT_FALSE(glob_match("*.iotlb.*", "system.iommu0.iotlb"));
  EXPECT_FALSE(glob_match("*.iotlb.*", "system.iommu0.iotlbx.hits"));
  EXPECT_TRUE(glob_match("system.iommu?.hits", "system.iommu3.hits"));
  EXPECT_FALSE(glob_match("system.iommu?.hits", "system.iommu10.hits"));
  EXPECT_TRUE(glob_match("a*b*c", "a_b_x_b_c"));
  EXPECT_FALSE(glob_match("a*b*c", "a_b_x_b_d"));
  EXPECT_TRUE(glob_match("exact", "exact"));
  EXPECT_FALSE(glob_match("exact", "exactly"));
  EXPECT_FALSE(glob_match("", "x"));
  EXPECT_TRUE(glob_match("**x", "abx"));
}

TEST(StatsSummary, SelectsByPatternAndAlignsColumns) {
  Tree t;
  t.fill();
  SummaryOptions opts;
  opts.patterns = {"*.iotlb.*", "*.walk_latency"};
  std::ostringstream os;
  write_summary(os, t.system, opts);
  const auto lines = split_lines(os.str());
  // 4 iotlb stats + 7 walk latency fields; nothing else (clock, fault_latency).
  ASSERT_EQ(lines.size(), 11u) << os.str();
  for (const auto& l : lines) {
    const bool wanted =
        l.find(".iotlb.") != std::string::npos || l.find(".walk_latency.") != std::string::npos;
    EXPECT_TRUE(wanted) << l;
  }
  // Values are right-aligned: every value ends in the same column, before the unit.
  size_t value_end = std::string::npos;
  for (const auto& l : lines) {
    const size_t unit_start = l.find_last_of(' ') + 1;
    const size_t end = l.find_last_not_of(' ', unit_start - 1) + 1;
    if (value_end == std::string::npos) value_end = end;
    EXPECT_EQ(end, value_end) << l;
  }
  EXPECT_NE(os.str().find("0.75"), std::string::npos);
}

TEST(StatsSummary, PatternsMatchHistogramFieldsAndUndefinedIsNa) {
  Tree t;
  SummaryOptions opts;
  opts.patterns = {"*.p99", "*.hit_rate"};
  opts.descriptions = true;
  std::ostringstream os;
  write_summary(os, t.system, opts);
  const auto lines = split_lines(os.str());
  ASSERT_EQ(lines.size(), 3u) << os.str();  // fault_latency.p99, hit_rate, walk_latency.p99
  for (const auto& l : lines) EXPECT_NE(l.find("n/a"), std::string::npos) << l;
  EXPECT_NE(os.str().find("hits / lookups"), std::string::npos);
}

TEST(StatsSummary, EverythingByDefault) {
  Tree t;
  std::ostringstream os;
  write_summary(os, t.system);
  EXPECT_EQ(split_lines(os.str()).size(), flatten(t.system).size());
}

}  // namespace
}  // namespace isim::stats
