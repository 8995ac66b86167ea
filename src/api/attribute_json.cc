#include "api/attribute_json.h"

#include <cstdint>
#include <type_traits>
#include <variant>

namespace adminara::obs {

void write_json(common::JsonWriter& w, const AttributeValue& v) {
  std::visit(
      [&w](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          w.string(x);
        } else if constexpr (std::is_same_v<T, bool>) {
          w.boolean(x);
        } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          w.number(x);
        } else {
          w.begin_array();
          for (const auto& e : x) {
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, std::string>) {
              w.string(e);
            } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
              w.boolean(static_cast<bool>(e));
            } else {
              w.number(e);
            }
          }
          w.end_array();
        }
      },
      v.storage());
}

}  // namespace adminara::obs
