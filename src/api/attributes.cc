#include "adminara/obs/attributes.h"

#include "common/json_writer.h"

namespace adminara::obs {

std::string AttributeValue::to_string() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  std::string out;
  common::JsonWriter w(out);
  w.value(*this);
  return out;
}

const AttributeValue* find_attribute(const std::vector<KeyValue>& list, std::string_view key) {
  for (const auto& kv : list) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

}  // namespace adminara::obs
