#include "dolphin/core/random.h"

#include <cmath>
#include <cstdio>

namespace dolphin {

uint64_t Random::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Random::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

double Random::Normal() {
  double u1 = Uniform();
  double u2 = Uniform();
  if (u1 < 1e-300) u1 = 1e-300;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

std::string SecureRandomHex(size_t bytes) {
  std::FILE* f = std::fopen("/dev/urandom", "rb");
  if (f == nullptr) return "";
  std::string raw(bytes, '\0');
  size_t n = std::fread(raw.data(), 1, bytes, f);
  std::fclose(f);
  if (n != bytes) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace dolphin
