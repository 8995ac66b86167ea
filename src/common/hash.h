// A fast non-cryptographic 64-bit hash for short keys (attribute names and values on the metrics
// hot path): 8 bytes per step through one 128-bit multiply (the wyhash family's mixing step).
// Not for hash-flooding resistance: the tables using it are bounded by the cardinality limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace adminara::obs::common {

namespace detail {
__extension__ typedef unsigned __int128 HashUint128;  // GCC/Clang extension; x86-64 has MULQ
}  // namespace detail

/// Folds the 128-bit product of a and b into 64 bits.
inline std::uint64_t hash_mix(std::uint64_t a, std::uint64_t b) noexcept {
  const detail::HashUint128 m = static_cast<detail::HashUint128>(a) * b;
  return static_cast<std::uint64_t>(m >> 64) ^ static_cast<std::uint64_t>(m);
}

inline constexpr std::uint64_t kHashK0 = 0xa0761d6478bd642fULL;
inline constexpr std::uint64_t kHashK1 = 0xe7037ed1a0b428dbULL;
inline constexpr std::uint64_t kHashK2 = 0x8ebc6af09c88c6e3ULL;

/// Hashes `n` bytes at `p` with `seed`. Up to 16 bytes (most attribute keys and values) take
/// two overlapping loads and one multiply.
inline std::uint64_t hash_bytes(const void* p, std::size_t n, std::uint64_t seed) noexcept {
  const auto* b = static_cast<const unsigned char*>(p);
  std::uint64_t x = 0;
  std::uint64_t y = 0;
  if (n <= 16) {
    if (n >= 8) {
      std::memcpy(&x, b, 8);
      std::memcpy(&y, b + n - 8, 8);
    } else if (n >= 4) {
      std::uint32_t lo;
      std::uint32_t hi;
      std::memcpy(&lo, b, 4);
      std::memcpy(&hi, b + n - 4, 4);
      x = lo;
      y = hi;
    } else if (n > 0) {
      x = (std::uint64_t{b[0]} << 16) | (std::uint64_t{b[n >> 1]} << 8) | b[n - 1];
    }
    return hash_mix(x ^ seed ^ kHashK1, y ^ n ^ kHashK2);
  }
  std::uint64_t h = seed ^ (n * kHashK0);
  while (n > 16) {
    std::memcpy(&x, b, 8);
    std::memcpy(&y, b + 8, 8);
    h = hash_mix(x ^ h ^ kHashK1, y ^ kHashK2);
    b += 16;
    n -= 16;
  }
  std::memcpy(&x, b + n - 16, 8);  // the last 16 bytes, overlapping what came before
  std::memcpy(&y, b + n - 8, 8);
  return hash_mix(x ^ h ^ kHashK1, y ^ n ^ kHashK2);
}

inline std::uint64_t hash_string(std::string_view s, std::uint64_t seed = 0) noexcept {
  return hash_bytes(s.data(), s.size(), seed);
}

inline std::uint64_t hash_u64(std::uint64_t v, std::uint64_t seed = 0) noexcept {
  return hash_mix(v ^ seed ^ kHashK2, kHashK1) ^ v;
}

}  // namespace adminara::obs::common
