#include "hw/stats/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "base/rng.h"

namespace isim::stats {
namespace {

/// Percentile query expressed in tenths so the oracle rank is integer arithmetic.
struct Q {
  uint64_t tenths;
  double value() const { return static_cast<double>(tenths) / 10.0; }
};

const std::vector<Q> kQueries = {{0},   {1},   {10},  {100}, {250}, {333}, {500},
                                 {750}, {900}, {950}, {990}, {999}, {1000}};

/// The nearest-rank percentile from a sorted copy of the samples.
uint64_t oracle_percentile(const std::vector<uint64_t>& sorted, Q q) {
  const uint64_t n = sorted.size();
  uint64_t rank = (q.tenths * n + 999) / 1000;  // ceil(q/100 * n)
  rank = std::clamp<uint64_t>(rank, 1, n);
  return sorted[rank - 1];
}

/// Records `samples` and checks every statistic against the sorted-vector oracle. Exact means
/// percentiles must match exactly; otherwise within the documented relative error.
void check_against_oracle(std::vector<uint64_t> samples, unsigned sub_bits, bool exact) {
  LogHistogram h(sub_bits);
  unsigned __int128 sum = 0;
  for (uint64_t v : samples) {
    h.record(v);
    sum += v;
  }
  std::sort(samples.begin(), samples.end());
  ASSERT_EQ(h.count(), samples.size());
  EXPECT_EQ(h.min(), samples.front());
  EXPECT_EQ(h.max(), samples.back());
  EXPECT_DOUBLE_EQ(h.mean(), static_cast<double>(sum) / static_cast<double>(samples.size()));
  const double bound = std::ldexp(1.0, -static_cast<int>(sub_bits) - 1);
  EXPECT_DOUBLE_EQ(h.relative_error(), bound);
  for (Q q : kQueries) {
    const double truth = static_cast<double>(oracle_percentile(samples, q));
    const double got = h.percentile(q.value());
    if (exact || q.tenths == 0 || q.tenths == 1000) {  // min and max are always exact
      EXPECT_EQ(got, truth) << "q=" << q.value();
    } else {
      EXPECT_LE(std::abs(got - truth), truth * bound) << "q=" << q.value() << " truth=" << truth;
    }
  }
  EXPECT_LE(h.allocated_buckets(), h.max_buckets());
}

TEST(LogHistogram, EmptyHasCountZeroAndUndefinedStatistics) {
  LogHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_TRUE(std::isnan(h.mean()));
  EXPECT_TRUE(std::isnan(h.percentile(50)));
}

TEST(LogHistogram, ExactOnAFewSamples) {
  LogHistogram h;
  for (uint64_t v : {5, 1, 3, 9}) h.record(v);
  // Nearest rank over {1, 3, 5, 9}.
  EXPECT_EQ(h.percentile(0), 1.0);
  EXPECT_EQ(h.percentile(25), 1.0);
  EXPECT_EQ(h.percentile(26), 3.0);
  EXPECT_EQ(h.percentile(50), 3.0);
  EXPECT_EQ(h.percentile(75), 5.0);
  EXPECT_EQ(h.percentile(76), 9.0);
  EXPECT_EQ(h.percentile(100), 9.0);
  EXPECT_EQ(h.mean(), 4.5);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 9u);
}

TEST(LogHistogram, ConstantSamplesReportTheConstant) {
  // Every sample in one wide bucket: clamping to [min, max] makes every percentile exact.
  for (uint64_t v : {1000u, 123456789u}) {
    LogHistogram h;
    h.record(v, 10);
    for (Q q : kQueries) EXPECT_EQ(h.percentile(q.value()), static_cast<double>(v)) << q.value();
    EXPECT_EQ(h.mean(), static_cast<double>(v));
  }
}

TEST(LogHistogram, ExtremesAreExactEvenInsideAWideBucket) {
  // 1000 and 1001 share a bucket of width 16 whose midpoint lies between them.
  LogHistogram h;
  h.record(1000);
  h.record(1001);
  h.record(1002);
  EXPECT_EQ(h.percentile(0), 1000.0);
  EXPECT_EQ(h.percentile(100), 1002.0);
  EXPECT_GE(h.percentile(50), 1000.0);
  EXPECT_LE(h.percentile(50), 1002.0);
}

TEST(LogHistogram, ExactBelowTwoToTheSubBitsPlusOne) {
  for (unsigned bits : {1u, 3u, 6u}) {
    const uint64_t limit = uint64_t{2} << bits;
    for (uint64_t seed : {1u, 2u, 3u}) {
      Rng rng(seed, "histogram.small");
      std::vector<uint64_t> samples;
      const uint64_t n = 1 + rng.below(500);
      for (uint64_t i = 0; i < n; ++i) samples.push_back(rng.below(limit));
      SCOPED_TRACE(testing::Message() << "bits=" << bits << " seed=" << seed);
      check_against_oracle(samples, bits, /*exact=*/true);
    }
  }
}

TEST(LogHistogram, WithinRelativeErrorOnUniformData) {
  for (uint64_t seed : {11u, 12u, 13u, 14u}) {
    Rng rng(seed, "histogram.uniform");
    std::vector<uint64_t> samples;
    for (int i = 0; i < 100003; ++i) samples.push_back(rng.below(10'000'000));
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    check_against_oracle(samples, LogHistogram::kDefaultSubBucketBits, false);
  }
}

TEST(LogHistogram, WithinRelativeErrorOnLogUniformData) {
  // Spans 1 ps .. ~1 s, as walk latencies with rare long stalls would.
  for (unsigned bits : {2u, 4u, 6u, 8u}) {
    for (uint64_t seed : {21u, 22u}) {
      Rng rng(seed, "histogram.loguniform");
      std::vector<uint64_t> samples;
      for (int i = 0; i < 50001; ++i) {
        const unsigned e = static_cast<unsigned>(rng.below(41));
        samples.push_back((uint64_t{1} << e) + rng.below(uint64_t{1} << e));
      }
      SCOPED_TRACE(testing::Message() << "bits=" << bits << " seed=" << seed);
      check_against_oracle(samples, bits, false);
    }
  }
}

TEST(LogHistogram, WithinRelativeErrorOnClusteredData) {
  // A bimodal distribution (hits vs walks) with most samples in few buckets.
  Rng rng(31, "histogram.clustered");
  std::vector<uint64_t> samples;
  for (int i = 0; i < 20011; ++i) {
    samples.push_back(rng.below(10) < 9 ? 2000 + rng.below(3) : 450'000 + rng.below(50'000));
  }
  check_against_oracle(samples, LogHistogram::kDefaultSubBucketBits, false);
}

TEST(LogHistogram, BucketEdgesAcrossTheWholeRange) {
  // Around every power of two (where the bucket width changes), a value that is the median of
  // three samples must be reported within the bound; a wrong bucket index would be far off.
  std::vector<uint64_t> edges;
  for (unsigned k = 0; k < 64; ++k) {
    const uint64_t p = uint64_t{1} << k;
    edges.insert(edges.end(), {p - 1, p, p + 1, p + p / 3});
  }
  edges.push_back(std::numeric_limits<uint64_t>::max());
  for (unsigned bits : {1u, 6u, 10u}) {
    for (uint64_t v : edges) {
      LogHistogram h(bits);
      h.record(0);
      h.record(v);
      h.record(std::numeric_limits<uint64_t>::max());
      const double got = h.percentile(50);
      const double truth = static_cast<double>(v);
      EXPECT_LE(std::abs(got - truth), truth * h.relative_error()) << "bits=" << bits << " v=" << v;
      EXPECT_LE(h.allocated_buckets(), h.max_buckets());
    }
  }
}

TEST(LogHistogram, MemoryIsBoundedByTheDocumentedBucketCount) {
  LogHistogram h;
  EXPECT_EQ(h.max_buckets(), size_t{65 - 6} << 6);
  Rng rng(41, "histogram.memory");
  for (int i = 0; i < 100000; ++i) h.record(rng.next() >> rng.below(64));
  h.record(std::numeric_limits<uint64_t>::max());
  EXPECT_LE(h.allocated_buckets(), h.max_buckets());
  EXPECT_EQ(h.max(), std::numeric_limits<uint64_t>::max());
}

TEST(LogHistogram, WeightedRecordEqualsRepeatedRecord) {
  LogHistogram a, b;
  Rng rng(51, "histogram.weighted");
  for (int i = 0; i < 200; ++i) {
    const uint64_t v = rng.below(1'000'000);
    const uint64_t n = rng.below(5);  // includes n == 0, which must record nothing
    a.record(v, n);
    for (uint64_t j = 0; j < n; ++j) b.record(v);
  }
  EXPECT_EQ(a.count(), b.count());
  EXPECT_EQ(a.min(), b.min());
  EXPECT_EQ(a.max(), b.max());
  EXPECT_EQ(a.mean(), b.mean());
  for (Q q : kQueries) EXPECT_EQ(a.percentile(q.value()), b.percentile(q.value()));
}

TEST(LogHistogram, MergeEqualsRecordingEverythingInOne) {
  LogHistogram a, b, all;
  Rng rng(61, "histogram.merge");
  for (int i = 0; i < 5000; ++i) {
    const uint64_t v = rng.below(uint64_t{1} << rng.below(40));
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_EQ(a.mean(), all.mean());
  for (Q q : kQueries) EXPECT_EQ(a.percentile(q.value()), all.percentile(q.value()));
  LogHistogram other_layout(3);
  EXPECT_THROW(a.merge(other_layout), StatsError);
}

TEST(LogHistogram, ResetForgetsEverySample) {
  LogHistogram h;
  h.record(1'000'000);
  h.record(7);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_TRUE(std::isnan(h.percentile(50)));
  h.record(42);
  EXPECT_EQ(h.min(), 42u);
  EXPECT_EQ(h.max(), 42u);
  EXPECT_EQ(h.percentile(50), 42.0);
  EXPECT_EQ(h.mean(), 42.0);
}

TEST(LogHistogram, RejectsBadArguments) {
  LogHistogram h;
  h.record(1);
  EXPECT_THROW(h.percentile(-0.1), StatsError);
  EXPECT_THROW(h.percentile(100.1), StatsError);
  EXPECT_THROW(h.percentile(std::nan("")), StatsError);
  EXPECT_THROW(LogHistogram(0), StatsError);
  EXPECT_THROW(LogHistogram(LogHistogram::kMaxSubBucketBits + 1), StatsError);
}

}  // namespace
}  // namespace isim::stats
