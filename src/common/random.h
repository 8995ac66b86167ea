// Fast per-thread pseudo-random numbers for ids (wyrand: a 64-bit Weyl sequence through one
// 128-bit multiply, seeded from the OS with getrandom() on first use in each thread). Not for
// secrets: use OpenSSL's RAND_bytes for those.
// The generator state is a trivially constructible thread_local, so the hot path is a flag test
// and a few register operations, inlined into the caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace adminara::obs::common {

namespace detail {
struct RandomState {
  std::uint64_t s;
  bool seeded;
};
inline thread_local RandomState t_random{};
/// Seeds this thread's state from the OS (or, failing that, from time and addresses).
void seed_random(RandomState& st) noexcept;

__extension__ typedef unsigned __int128 Uint128;  // GCC/Clang extension; x86-64 has MULQ

inline std::uint64_t next_random(RandomState& st) noexcept {
  st.s += 0xa0761d6478bd642fULL;
  const Uint128 m = static_cast<Uint128>(st.s) * static_cast<Uint128>(st.s ^ 0xe7037ed1a0b428dbULL);
  return static_cast<std::uint64_t>(m >> 64) ^ static_cast<std::uint64_t>(m);
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
