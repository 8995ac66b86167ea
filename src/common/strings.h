// Small string helpers for hot paths.
#pragma once

#include <string>
#include <string_view>

namespace adminara::obs::common {

/// dst = src, reusing dst's capacity. Cheaper than std::string::assign, which takes the general
/// replace path (it must allow src to alias dst; callers here guarantee it does not). When dst
/// already holds src it is not written at all: span records are reused for spans of the same
/// shape, and a key or name that another core (the exporter) has read stays shared with it
/// instead of being taken back for a store of the same bytes.
inline void assign_string(std::string& dst, std::string_view src) {
  if (std::string_view(dst) == src) return;
  dst.clear();
  dst.append(src.data(), src.size());
}

/// `s` without leading and trailing spaces and tabs (HTTP's optional whitespace, OWS).
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace adminara::obs::common
