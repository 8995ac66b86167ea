#include "adminara/obs/resource.h"

#include <algorithm>
#include <utility>

namespace adminara::obs {
namespace {

// Sets `key` to `value`: a key already present keeps its position and takes the new value, a new
// key is appended. Resources hold a few dozen attributes at most, so a linear scan is cheapest.
void upsert(std::vector<KeyValue>& list, KeyValue kv) {
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const KeyValue& existing) { return existing.key == kv.key; });
  if (it != list.end()) {
    it->value = std::move(kv.value);
  } else {
    list.push_back(std::move(kv));
  }
}

}  // namespace

// A key given twice keeps its first position and its last value, the same rule as merged_with.
Resource::Resource(std::vector<KeyValue> attributes) {
  attributes_.reserve(attributes.size());
  for (auto& kv : attributes) upsert(attributes_, std::move(kv));
}

std::string_view Resource::get_string(std::string_view key) const {
  const AttributeValue* v = get(key);
  if (v == nullptr) return {};
  const auto* s = v->get_if<std::string>();
  return s != nullptr ? std::string_view(*s) : std::string_view();
}

Resource Resource::merged_with(const Resource& other) const {
  Resource out;
  out.attributes_ = attributes_;
  out.attributes_.reserve(attributes_.size() + other.attributes_.size());
  for (const auto& kv : other.attributes_) upsert(out.attributes_, kv);
  return out;
}

}  // namespace adminara::obs
