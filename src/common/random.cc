#include "common/random.h"

#include <sys/random.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

namespace adminara::obs::common {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

namespace detail {

void seed_random(RandomState& st) noexcept {
  std::uint64_t seed = 0;
  ssize_t got = getrandom(&seed, sizeof seed, 0);
  if (got != static_cast<ssize_t>(sizeof seed)) {
    // No OS entropy (very old kernel or seccomp): mix time, pid and addresses instead.
    std::uint64_t x = static_cast<std::uint64_t>(
                          std::chrono::high_resolution_clock::now().time_since_epoch().count()) ^
                      (static_cast<std::uint64_t>(getpid()) << 32) ^
                      reinterpret_cast<std::uintptr_t>(&st);
    seed = splitmix64(x);
  }
  st.s = seed;
  st.seeded = true;
}

}  // namespace detail

void random_bytes(void* out, std::size_t n) noexcept {
  auto* p = static_cast<unsigned char*>(out);
  while (n >= 8) {
    std::uint64_t v = random_u64();
    std::memcpy(p, &v, 8);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    std::uint64_t v = random_u64();
    std::memcpy(p, &v, n);
  }
}

std::string random_uuid_v4() {
  unsigned char b[16];
  random_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 9562 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0x0f]);
  }
  return out;
}

}  // namespace adminara::obs::common
