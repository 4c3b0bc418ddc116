// xoshiro256** and splitmix64 as published (public-domain algorithms, written from the paper's
// description) and the distributions the scenarios use, all in plain double arithmetic.

#include "simulate/rng.h"

#include <cmath>
#include <numbers>

namespace iotcensus::simulate {

namespace {

uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

uint64_t mix64(uint64_t x) {
  uint64_t z = x + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t stream_key(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t k = mix64(seed ^ 0x243f6a8885a308d3ULL);
  k = mix64(k ^ a);
  k = mix64(k ^ (b * 0x9e3779b97f4a7c15ULL));
  return mix64(k ^ (c * 0xc2b2ae3d27d4eb4fULL));
}

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& s : s_) {
    x += 0x9e3779b97f4a7c15ULL;
    s = mix64(x);
  }
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Rng::below(uint64_t n) {
  __extension__ using U128 = unsigned __int128;
  const U128 m = static_cast<U128>(next()) * n;
  return static_cast<uint64_t>(m >> 64);
}

double Rng::exponential(double mean) {
  return -std::log(unit_open0()) * mean;
}

double Rng::normal() {
  const double u1 = unit_open0();
  const double u2 = unit();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace iotcensus::simulate
