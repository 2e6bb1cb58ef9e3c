// Random: the one source of randomness, seeded from config or the test (the seed is logged).
// Thread-safety: NOT thread-safe; give each thread its own Random.
#pragma once

#include <cstdint>
#include <string>

namespace dolphin {

class Random {
 public:
  explicit Random(uint64_t seed) : seed_(seed), state_(seed) {}
  uint64_t seed() const { return seed_; }
  // SplitMix64: fast, good statistical quality, fully determined by the seed.
  uint64_t Next();
  // Uniform in [0, 1).
  double Uniform();
  // Standard normal (Box-Muller, one value per call).
  double Normal();
  // Uniform integer in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t seed_;
  uint64_t state_;
};

// 128 bits from the operating system's secure source, as 32 hex digits (for API tokens).
// Returns an empty string if the source is unavailable.
std::string SecureRandomHex(size_t bytes = 16);

}  // namespace dolphin
