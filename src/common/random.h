// Fast per-thread pseudo-random numbers for ids (xoshiro256**, seeded from the OS with
// getrandom() on first use in each thread). Not for secrets: use OpenSSL's RAND_bytes for those.
// The generator state is a trivially constructible thread_local, so the hot path is a flag test
// and a few register operations, inlined into the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace adminara::obs::common {

namespace detail {
struct RandomState {
  std::uint64_t s[4];
  bool seeded;
};
inline thread_local RandomState t_random{};
/// Seeds this thread's state from the OS (or, failing that, from time and addresses).
void seed_random(RandomState& st) noexcept;

inline std::uint64_t rotl(std::uint64_t x, int k) noexcept {
  return (x << k) | (x >> (64 - k));
}

inline std::uint64_t next_random(RandomState& st) noexcept {
  std::uint64_t* s = st.s;
  const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
  const std::uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}
}  // namespace detail

/// 64 random bits from this thread's generator. Lock-free; safe from any thread.
inline std::uint64_t random_u64() noexcept {
  detail::RandomState& st = detail::t_random;
  if (!st.seeded) [[unlikely]]
    detail::seed_random(st);
  return detail::next_random(st);
}

/// Fills `out` with random bytes from this thread's generator.
void random_bytes(void* out, std::size_t n) noexcept;

/// A random (version 4, RFC 9562) UUID in the canonical 36-character lowercase form.
std::string random_uuid_v4();

}  // namespace adminara::obs::common
