// Small string helpers for hot paths.
#pragma once

#include <string>
#include <string_view>

namespace adminara::obs::common {

/// dst = src, reusing dst's capacity. Cheaper than std::string::assign, which takes the general
/// replace path (it must allow src to alias dst; callers here guarantee it does not).
inline void assign_string(std::string& dst, std::string_view src) {
  dst.clear();
  dst.append(src.data(), src.size());
}

}  // namespace adminara::obs::common
