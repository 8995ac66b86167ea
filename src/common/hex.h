// Lowercase hex encoding/decoding of byte strings (trace and span ids).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace adminara::obs::common {

namespace detail {
// "000102...ff": the two hex digits of every byte value, so encoding is one lookup per byte.
inline constexpr std::array<char, 512> kHexPairs = [] {
  constexpr char kDigits[] = "0123456789abcdef";
  std::array<char, 512> t{};
  for (std::size_t b = 0; b < 256; ++b) {
    t[2 * b] = kDigits[b >> 4];
    t[2 * b + 1] = kDigits[b & 0x0f];
  }
  return t;
}();
}  // namespace detail

/// Writes 2*n lowercase hex characters to `out` (no terminator).
inline void write_hex(const std::uint8_t* bytes, std::size_t n, char* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) std::memcpy(out + 2 * i, &detail::kHexPairs[2 * bytes[i]], 2);
}

namespace detail {
// Digit value of every byte, -1 for non-digits. A table rather than range tests because ids are
// random hex, where letter/digit branches mispredict about a third of the time.
inline constexpr std::array<std::int8_t, 256> kLowerHexValue = [] {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) {
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(c - 'a' + 10);
  }
  return t;
}();
}  // namespace detail

/// Value of a lowercase hex digit, or -1 (uppercase is rejected, as W3C requires).
inline int hex_value(char c) noexcept {
  return detail::kLowerHexValue[static_cast<unsigned char>(c)];
}

/// Decodes exactly 2*n lowercase hex characters; false on any other input (then the contents of
/// `out` are unspecified).
inline bool read_hex(std::string_view hex, std::uint8_t* out, std::size_t n) noexcept {
  if (hex.size() != 2 * n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    // The early exit is well predicted (ids are valid) and keeps g++ from "vectorizing" the
    // loop into byte shuffles through the stack, which is several times slower.
    if ((hi | lo) < 0) return false;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return true;
}

}  // namespace adminara::obs::common
