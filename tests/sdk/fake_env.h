// A fake environment for configuration tests: a map instead of the process environment, so tests
// never call setenv and can run in parallel.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sdk/config/env.h"

namespace adminara::obs::config::testing {

using EnvMap = std::map<std::string, std::string, std::less<>>;

inline EnvReader::Getter getter_for(EnvMap env) {
  return [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

inline EnvReader reader_for(EnvMap env) {
  return EnvReader(getter_for(std::move(env)));
}

}  // namespace adminara::obs::config::testing
