// Zipf-distributed ranks for skewed workloads: P(k) proportional to 1 / k^theta over
// k = 1..n, sampled in O(1) per draw with no O(n) table, by rejection-inversion
// (W. Hörmann and G. Derflinger, "Rejection-inversion to generate variates from monotone
// discrete distributions", ACM TOMACS 6(3), 1996). Works for any theta > 0, including 1.
#pragma once

#include <cstdint>

#include "base/rng.h"

namespace isim {

class ZipfSampler {
 public:
  /// Ranks 1..n with exponent theta (> 0; 0.99 is the customary "hot set" skew).
  ZipfSampler(uint64_t n, double theta);

  /// A rank in [1, n].
  uint64_t sample(Rng& rng) const;

  uint64_t n() const { return n_; }
  double theta() const { return theta_; }

 private:
  double h(double x) const;      // the density bound x^-theta
  double H(double x) const;      // its integral (up to a constant)
  double H_inv(double y) const;  // inverse of H

  uint64_t n_;
  double theta_;
  double h_x1_;  // H(1.5) - 1: the upper end of the sampled interval
  double h_n_;   // H(n + 0.5): the lower end
  double s_;     // squeeze: ranks this close to their inversion point are accepted at once
};

}  // namespace isim
