#include "models/devices/zipf.h"

#include <algorithm>
#include <cmath>

namespace isim {

namespace {

// log1p(x) / x and expm1(x) / x, continuous at 0 (so theta = 1 needs no special case).
double log1p_over(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x / 2.0 + x * x / 3.0;
}
double expm1_over(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x / 2.0 + x * x / 6.0;
}

}  // namespace

ZipfSampler::ZipfSampler(uint64_t n, double theta) : n_(std::max<uint64_t>(n, 1)), theta_(theta) {
  h_x1_ = H(1.5) - 1.0;
  h_n_ = H(static_cast<double>(n_) + 0.5);
  s_ = 2.0 - H_inv(H(2.5) - h(2.0));
}

double ZipfSampler::h(double x) const {
  return std::exp(-theta_ * std::log(x));
}

double ZipfSampler::H(double x) const {
  // Integral of x^-theta: (x^(1-theta) - 1) / (1 - theta), written to stay exact as theta -> 1.
  const double lx = std::log(x);
  return expm1_over((1.0 - theta_) * lx) * lx;
}

double ZipfSampler::H_inv(double y) const {
  double t = y * (1.0 - theta_);
  if (t < -1.0) t = -1.0;  // guards rounding at the interval's end
  return std::exp(log1p_over(t) * y);
}

uint64_t ZipfSampler::sample(Rng& rng) const {
  while (true) {
    const double u = h_n_ + rng.uniform() * (h_x1_ - h_n_);
    const double x = H_inv(u);
    double kd = std::floor(x + 0.5);
    kd = std::clamp(kd, 1.0, static_cast<double>(n_));
    if (kd - x <= s_ || u >= H(kd + 0.5) - h(kd)) return static_cast<uint64_t>(kd);
  }
}

}  // namespace isim
