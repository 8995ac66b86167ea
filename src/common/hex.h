// Lowercase hex encoding/decoding of byte strings (trace and span ids).
#pragma once

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

/// Value of a lowercase hex digit, or -1 (uppercase is rejected, as W3C requires).
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/// Decodes exactly 2*n lowercase hex characters; false on any other input.
inline bool read_hex(std::string_view hex, std::uint8_t* out, std::size_t n) noexcept {
  if (hex.size() != 2 * n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if ((hi | lo) < 0) return false;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return true;
}

}  // namespace adminara::obs::common
