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

/// Hashes `n` bytes at `p` with `seed`.
inline std::uint64_t hash_bytes(const void* p, std::size_t n, std::uint64_t seed) noexcept {
  const auto* b = static_cast<const unsigned char*>(p);
  std::uint64_t h = seed ^ hash_mix(n ^ kHashK0, kHashK1);
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, b, 8);
    h = hash_mix(h ^ w, kHashK1);
    b += 8;
    n -= 8;
  }
  if (n > 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, b, n);
    h = hash_mix(h ^ w ^ kHashK2, kHashK1);
  }
  return hash_mix(h, kHashK0);
}

inline std::uint64_t hash_string(std::string_view s, std::uint64_t seed = 0) noexcept {
  return hash_bytes(s.data(), s.size(), seed);
}

inline std::uint64_t hash_u64(std::uint64_t v, std::uint64_t seed = 0) noexcept {
  return hash_mix(v ^ seed ^ kHashK2, kHashK1) ^ v;
}

}  // namespace adminara::obs::common
