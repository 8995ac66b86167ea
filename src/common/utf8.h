// UTF-8 validation and repair for text that reaches a wire format which requires valid UTF-8
// (JSON strings, decoded W3C baggage values).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace adminara::obs::common {

/// Length (1-4) of the well-formed UTF-8 sequence starting at s[i], or 0 when it is ill-formed:
/// bad lead or continuation byte, truncated, overlong, a surrogate or past U+10FFFF.
/// Requires i < s.size().
inline std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  std::size_t len;
  std::uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    len = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len > s.size() - i) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
    return 0;
  }
  return len;
}

inline constexpr std::string_view kReplacementCharacter = "\xef\xbf\xbd";  // U+FFFD

/// Appends the sequence starting at s[i] to `out`, or U+FFFD when that byte does not start a
/// well-formed sequence; returns how many bytes of `s` it consumed (at least 1).
inline std::size_t append_utf8_sequence(std::string& out, std::string_view s, std::size_t i) {
  std::size_t len = utf8_sequence_length(s, i);
  if (len == 0) {
    out += kReplacementCharacter;
    return 1;
  }
  out.append(s.data() + i, len);
  return len;
}

/// Appends `s` to `out` with every byte that does not start a well-formed sequence replaced by
/// U+FFFD (one replacement per bad byte), so `out` gains valid UTF-8 whatever `s` holds.
inline void append_valid_utf8(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) i += append_utf8_sequence(out, s, i);
}

/// True when all of `s` is well-formed UTF-8.
inline bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace adminara::obs::common
