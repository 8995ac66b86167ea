// Fast per-thread pseudo-random numbers for ids (xoshiro256**, seeded from the OS with
// getrandom()). Not for secrets: use OpenSSL's RAND_bytes for those.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace adminara::obs::common {

/// 64 random bits from this thread's generator. Lock-free; safe from any thread.
std::uint64_t random_u64() noexcept;

/// Fills `out` with random bytes from this thread's generator.
void random_bytes(void* out, std::size_t n) noexcept;

/// A random (version 4, RFC 9562) UUID in the canonical 36-character lowercase form.
std::string random_uuid_v4();

}  // namespace adminara::obs::common
