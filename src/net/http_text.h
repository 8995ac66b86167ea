// The small text rules of HTTP/1.1 that the server and the client both check (RFC 9110 section
// 5.1: field names are case-insensitive tokens; section 5.5: a field value never holds CR, LF or
// NUL).
#pragma once

#include <algorithm>
#include <string_view>

namespace adminara::obs::net {

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

/// Case-insensitive ASCII comparison, as header names compare.
inline bool http_iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

/// Whether `s` is a non-empty RFC 9110 token (a valid field name or method).
inline bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

/// Whether `s` can be sent as a field value (no CR, LF or NUL: no header injection).
inline bool is_field_value(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace adminara::obs::net
