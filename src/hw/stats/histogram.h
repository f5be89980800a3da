// A log-linear histogram of non-negative integer samples (latencies in picoseconds, queue depths,
// batch sizes): O(1) record, bounded memory, deterministic percentiles with a documented error.
//
// Bucketing (the HdrHistogram idea, our own layout): with S = sub_bucket_bits, every value below
// 2^(S+1) has its own bucket; above that, each power-of-two range [2^e, 2^(e+1)) is split into 2^S
// equal buckets of width 2^(e-S). A value is found by its leading-one position and the S bits
// after it, so record() is a count-leading-zeros, a shift and an increment.
//
// Error guarantee: count, sum, min and max are exact (mean is sum / count, rounded once). A
// percentile is the nearest-rank sample (rank = ceil(q/100 * count), at least 1), reported as the
// midpoint of the bucket that holds it, clamped to [min, max]. Rank 1 reports min and rank count
// reports max exactly. For a true value v the reported value r satisfies |r - v| < v * 2^-(S+1)
// (1/128 with the default S = 6), and r == v whenever v < 2^(S+1) (128 by default).
//
// Memory: buckets are allocated up to the largest value seen, at most (65 - S) * 2^S counters
// (3776 x 8 bytes by default, 56320 at the maximum S = 10; the bound is reached only by values
// near 2^64).
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

#include "hw/stats/stats_error.h"

namespace isim::stats {

class LogHistogram {
 public:
  static constexpr unsigned kDefaultSubBucketBits = 6;
  static constexpr unsigned kMinSubBucketBits = 1;
  static constexpr unsigned kMaxSubBucketBits = 10;

  /// Throws StatsError if sub_bucket_bits is outside [kMin, kMax]SubBucketBits.
  explicit LogHistogram(unsigned sub_bucket_bits = kDefaultSubBucketBits);

  /// Adds `n` samples of value `v`.
  void record(uint64_t v, uint64_t n = 1) {
    if (n == 0) return;
    const unsigned idx = bucket_index(v);
    if (idx >= counts_.size()) grow(idx);
    counts_[idx] += n;
    count_ += n;
    sum_ += static_cast<unsigned __int128>(v) * n;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }

  /// Adds every sample of `other`. Throws StatsError if the bucket layouts differ.
  void merge(const LogHistogram& other);

  /// Forgets every sample (keeps the allocated buckets).
  void reset();

  uint64_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  /// Smallest / largest sample; 0 when empty (callers check empty() or count()).
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  /// Exact arithmetic mean; NaN when empty.
  double mean() const;
  /// Nearest-rank percentile q in [0, 100] with the error bound above; NaN when empty.
  /// Throws StatsError if q is outside [0, 100] or NaN.
  double percentile(double q) const;

  unsigned sub_bucket_bits() const { return sub_bits_; }
  /// Upper bound on |reported - true| / true for any percentile: 2^-(S+1).
  double relative_error() const;
  /// Number of buckets currently allocated (bounded by max_buckets()).
  size_t allocated_buckets() const { return counts_.size(); }
  size_t max_buckets() const { return static_cast<size_t>(65 - sub_bits_) << sub_bits_; }

 private:
  unsigned bucket_index(uint64_t v) const {
    if (v < (uint64_t{2} << sub_bits_)) return static_cast<unsigned>(v);
    const unsigned top = 63u - static_cast<unsigned>(std::countl_zero(v));
    const unsigned shift = top - sub_bits_;
    return ((shift + 1) << sub_bits_) +
           static_cast<unsigned>((v >> shift) - (uint64_t{1} << sub_bits_));
  }
  void grow(unsigned idx);
  /// Smallest value mapped to bucket idx, and the bucket's width.
  uint64_t bucket_low(unsigned idx) const;
  uint64_t bucket_width(unsigned idx) const;

  unsigned sub_bits_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  unsigned __int128 sum_ = 0;  // 128 bits: 2^64 samples of 2^64 ps cannot overflow it
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
  uint64_t max_ = 0;
};

}  // namespace isim::stats
