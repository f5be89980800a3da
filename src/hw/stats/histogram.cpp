#include "hw/stats/histogram.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace isim::stats {

LogHistogram::LogHistogram(unsigned sub_bucket_bits) : sub_bits_(sub_bucket_bits) {
  if (sub_bucket_bits < kMinSubBucketBits || sub_bucket_bits > kMaxSubBucketBits) {
    throw StatsError("histogram sub_bucket_bits " + std::to_string(sub_bucket_bits) + " outside [" +
                     std::to_string(kMinSubBucketBits) + ", " + std::to_string(kMaxSubBucketBits) +
                     "]");
  }
}

void LogHistogram::grow(unsigned idx) {
  // Allocate the whole power-of-two row the index falls in, so a slowly rising maximum does not
  // reallocate on every new bucket.
  const size_t row_end = ((static_cast<size_t>(idx) >> sub_bits_) + 1) << sub_bits_;
  counts_.resize(std::min(row_end, max_buckets()), 0);
}

uint64_t LogHistogram::bucket_low(unsigned idx) const {
  // Rows 0 and 1 (values below 2^(S+1)) have unit-width buckets: the index is the value.
  if (idx < (2u << sub_bits_)) return idx;
  const unsigned shift = (idx >> sub_bits_) - 1;
  const uint64_t sub = idx & ((1u << sub_bits_) - 1);
  return ((uint64_t{1} << sub_bits_) + sub) << shift;
}

uint64_t LogHistogram::bucket_width(unsigned idx) const {
  if (idx < (2u << sub_bits_)) return 1;
  return uint64_t{1} << ((idx >> sub_bits_) - 1);
}

void LogHistogram::merge(const LogHistogram& other) {
  if (other.sub_bits_ != sub_bits_) {
    throw StatsError("cannot merge histograms with sub_bucket_bits " + std::to_string(sub_bits_) +
                     " and " + std::to_string(other.sub_bits_));
  }
  if (other.count_ == 0) return;
  if (other.counts_.size() > counts_.size()) counts_.resize(other.counts_.size(), 0);
  for (size_t i = 0; i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LogHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0;
  min_ = std::numeric_limits<uint64_t>::max();
  max_ = 0;
}

double LogHistogram::mean() const {
  if (count_ == 0) return std::nan("");
  return static_cast<double>(sum_) / static_cast<double>(count_);
}

double LogHistogram::relative_error() const {
  return std::ldexp(1.0, -static_cast<int>(sub_bits_) - 1);
}

double LogHistogram::percentile(double q) const {
  if (!(q >= 0.0 && q <= 100.0)) {
    throw StatsError("percentile " + std::to_string(q) + " outside [0, 100]");
  }
  if (count_ == 0) return std::nan("");
  // Nearest rank. q * count is exact for integral q and counts below 2^53, and dividing an exact
  // integer by 100 cannot round across an integer, so ceil() gives the exact rank.
  const double exact_rank = std::ceil(q * static_cast<double>(count_) / 100.0);
  const uint64_t rank = exact_rank < 1.0 ? 1 : std::min(count_, static_cast<uint64_t>(exact_rank));
  if (rank == 1) return static_cast<double>(min_);
  if (rank == count_) return static_cast<double>(max_);
  uint64_t seen = 0;
  for (unsigned i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const double mid =
          static_cast<double>(bucket_low(i)) + static_cast<double>(bucket_width(i) - 1) / 2.0;
      return std::clamp(mid, static_cast<double>(min_), static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);  // unreachable: the counts sum to count_
}

}  // namespace isim::stats
