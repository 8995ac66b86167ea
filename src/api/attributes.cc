#include "adminara/obs/attributes.h"

#include "api/attribute_json.h"
#include "common/strings.h"

namespace adminara::obs {

std::string AttributeValue::to_string() const {
  if (const auto* s = std::get_if<std::string>(&v_)) return *s;
  std::string out;
  common::JsonWriter w(out);
  write_json(w, *this);
  return out;
}

AttributeValue AttributeView::to_value() const {
  AttributeValue v;
  assign_to(v);
  return v;
}

void AttributeView::assign_to(AttributeValue& out) const {
  auto& st = out.storage();
  switch (kind_) {
    case Kind::kString:
      if (auto* s = std::get_if<std::string>(&st)) {
        common::assign_string(*s, s_);
      } else {
        st.emplace<std::string>(s_);
      }
      return;
    case Kind::kBool:
      st = b_;
      return;
    case Kind::kInt:
      st = i_;
      return;
    case Kind::kDouble:
      st = d_;
      return;
    case Kind::kValue:
      out = *v_;
      return;
    case Kind::kStringArray:
      st = *static_cast<const std::vector<std::string>*>(p_);
      return;
    case Kind::kBoolArray:
      st = *static_cast<const std::vector<bool>*>(p_);
      return;
    case Kind::kIntArray:
      st = *static_cast<const std::vector<std::int64_t>*>(p_);
      return;
    case Kind::kDoubleArray:
      st = *static_cast<const std::vector<double>*>(p_);
      return;
  }
}

const AttributeValue* find_attribute(const std::vector<KeyValue>& list, std::string_view key) {
  for (const auto& kv : list) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

}  // namespace adminara::obs
