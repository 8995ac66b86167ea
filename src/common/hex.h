// Lowercase hex encoding/decoding of byte strings (trace and span ids).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace adminara::obs::common {

inline void write_hex(const std::uint8_t* bytes, std::size_t n, char* out) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0x0f];
  }
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
/// `out` are unspecified). Branch-free over the digits: one check at the end.
inline bool read_hex(std::string_view hex, std::uint8_t* out, std::size_t n) noexcept {
  if (hex.size() != 2 * n) return false;
  int bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    bad |= hi | lo;  // any -1 sets the sign bit
    out[i] =
        static_cast<std::uint8_t>((static_cast<unsigned>(hi) << 4) | static_cast<unsigned>(lo));
  }
  return bad >= 0;
}

}  // namespace adminara::obs::common
