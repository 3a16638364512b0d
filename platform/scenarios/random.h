// Deterministic random choices for scenario generators. Every generator draws from these,
// seeded from the run's `seed`, so a stream can be regenerated identically as often as the
// simulation opens it. All state is O(1): no tables proportional to the key space.
#pragma once

#include <cmath>
#include <cstdint>

namespace cowsim::scenario {

// SplitMix64: tiny state, passes BigCrush, and its output is fixed by its definition (unlike
// std::uniform_int_distribution, whose mapping differs between standard libraries).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) {  // uniform in [0, n), Lemire's multiply-shift
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)

 private:
  uint64_t s_;
};

// A seed for one purpose (a process, a phase), derived from the run's seed.
inline uint64_t derive_seed(uint64_t seed, uint64_t purpose) {
  return Rng(seed ^ (purpose * 0xd1b54a32d192ed03)).next();
}

// A pseudo-random bijection of [0, n): a 4-round Feistel network over the next even power of
// two, cycle-walked back into range. Used to scatter hot keys over memory and to visit every
// key once in random order without a table of n entries.
class Permutation {
 public:
  Permutation(uint64_t n, uint64_t seed) : n_(n) {
    unsigned bits = 2;
    while (bits < 64 && (uint64_t{1} << bits) < n) ++bits;
    half_ = (bits + 1) / 2;
    mask_ = (uint64_t{1} << half_) - 1;
    Rng r(seed);
    for (auto& k : keys_) k = r.next();
  }
  uint64_t operator()(uint64_t i) const {  // i < n
    uint64_t x = encrypt(i);
    while (x >= n_) x = encrypt(x);  // the domain is < 4n: under 4 steps on average
    return x;
  }

 private:
  uint64_t encrypt(uint64_t x) const {
    uint64_t l = x >> half_, r = x & mask_;
    for (uint64_t k : keys_) {
      uint64_t f = Rng(r ^ k).next() & mask_;
      uint64_t nl = r;
      r = l ^ f;
      l = nl;
    }
    return (l << half_) | r;
  }
  uint64_t n_;
  unsigned half_;
  uint64_t mask_;
  uint64_t keys_[4];
};

// Zipf-distributed ranks 1..n with P(k) proportional to 1/k^s, by rejection-inversion
// (Hörmann and Derflinger 1996, as Apache Commons RNG's RejectionInversionZipfSampler):
// O(1) memory and time per sample for any n.
class Zipf {
 public:
  Zipf(uint64_t n, double s) : n_(n), s_(s) {
    h_x1_ = h_integral(1.5) - 1.0;
    h_n_ = h_integral(static_cast<double>(n) + 0.5);
    s_val_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
  }
  uint64_t operator()(Rng& rng) const {
    for (;;) {
      double u = h_n_ + rng.unit() * (h_x1_ - h_n_);
      double x = h_integral_inverse(u);
      double kd = std::floor(x + 0.5);
      uint64_t k = kd < 1 ? 1 : kd > static_cast<double>(n_) ? n_ : static_cast<uint64_t>(kd);
      double kk = static_cast<double>(k);
      if (kk - x <= s_val_ || u >= h_integral(kk + 0.5) - h(kk)) return k;
    }
  }

 private:
  // (x^(1-s) - 1) / (1-s), continuous at s = 1 (log x).
  double h_integral(double x) const {
    double lx = std::log(x);
    return helper2((1.0 - s_) * lx) * lx;
  }
  double h(double x) const { return std::exp(-s_ * std::log(x)); }
  double h_integral_inverse(double x) const {
    double t = x * (1.0 - s_);
    if (t < -1.0) t = -1.0;  // rounding near the lower end
    return std::exp(helper1(t) * x);
  }
  static double helper1(double x) {  // log1p(x) / x
    return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
  }
  static double helper2(double x) {  // expm1(x) / x
    return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
  }
  uint64_t n_;
  double s_, h_x1_, h_n_, s_val_;
};

}  // namespace cowsim::scenario
