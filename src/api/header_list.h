// The comma-separated list syntax shared by the tracestate and baggage headers (RFC 9110 lists):
// members separated by ',', optional whitespace (OWS = spaces and tabs) around each member.
// Several header lines of one name are one list joined by ',', so callers never see the lines.
#pragma once

#include <cstddef>
#include <string_view>

namespace adminara::obs::detail {

inline constexpr bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}

/// `s` without leading and trailing spaces and tabs.
inline constexpr std::string_view trim_ows(std::string_view s) noexcept {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_ows(s[b])) ++b;
  while (e > b && is_ows(s[e - 1])) --e;
  return s.substr(b, e - b);
}

/// Calls `fn(member)` for every member of a ','-separated list, OWS-trimmed; empty members are
/// passed too (as empty views), so callers decide whether they are allowed. Stops early and
/// returns false when `fn` returns false.
template <class Fn>
bool for_each_list_member(std::string_view list, Fn&& fn) {
  while (true) {
    std::size_t comma = list.find(',');
    if (!fn(trim_ows(list.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace adminara::obs::detail
