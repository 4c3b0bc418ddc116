// Deterministic random numbers for the simulator: xoshiro256** seeded through splitmix64, and
// the few distributions it needs written out here, so a seed gives the same bytes everywhere.
#pragma once

#include <cstdint>

namespace iotcensus::simulate {

// One splitmix64 step on `x` (a bijective 64-bit mixer); also the seeder of Rng.
uint64_t mix64(uint64_t x);

// A stream key from a seed and up to three coordinates (device, day, counter...): independent
// streams for every (seed, a, b, c) without any shared state, so order of evaluation is free.
uint64_t stream_key(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0);

// xoshiro256** (Blackman and Vigna, 2018). Never seeded from std::random_device.
class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t next();
  // Uniform in [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe under log().
  double unit_open0() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
  // Uniform integer in [0, n) (Lemire's multiply-shift; n > 0).
  uint64_t below(uint64_t n);
  bool bernoulli(double p) { return unit() < p; }
  // Exponential with the given mean (inverse transform).
  double exponential(double mean);
  // Standard normal (Box-Muller, one value per call: no cached state).
  double normal();

 private:
  uint64_t s_[4];
};

// A uniform double in [0, 1) from a key, without a generator (for per-request decisions).
inline double unit_from_key(uint64_t key) {
  return static_cast<double>(mix64(key) >> 11) * 0x1.0p-53;
}

}  // namespace iotcensus::simulate
