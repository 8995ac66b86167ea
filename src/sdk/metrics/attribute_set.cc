#include "sdk/metrics/attribute_set.h"

#include <algorithm>
#include <bit>
#include <type_traits>

#include "common/hash.h"

namespace adminara::obs::sdk {
namespace {

// Type tags keep "5", 5 and 5.0 apart.
enum : std::uint64_t { kTagString = 1, kTagBool, kTagInt, kTagDouble, kTagArray };

struct ValueHasher {
  std::uint64_t seed;
  std::uint64_t operator()(std::string_view s) const noexcept {
    return common::hash_string(s, seed ^ kTagString);
  }
  std::uint64_t operator()(bool b) const noexcept {
    return common::hash_u64(b ? 1 : 0, seed ^ kTagBool);
  }
  std::uint64_t operator()(std::int64_t i) const noexcept {
    return common::hash_u64(static_cast<std::uint64_t>(i), seed ^ kTagInt);
  }
  std::uint64_t operator()(double d) const noexcept {
    if (d == 0) d = 0;  // -0.0 == 0.0
    return common::hash_u64(std::bit_cast<std::uint64_t>(d), seed ^ kTagDouble);
  }
  template <class T>
  std::uint64_t operator()(const std::vector<T>& a) const noexcept {
    std::uint64_t h = common::hash_u64(a.size(), seed ^ kTagArray);
    for (const auto& x : a) {
      if constexpr (std::is_same_v<T, std::string>) {
        h = ValueHasher{h}(std::string_view(x));
      } else if constexpr (std::is_same_v<T, bool>) {
        h = ValueHasher{h}(static_cast<bool>(x));
      } else {
        h = ValueHasher{h}(x);
      }
    }
    return h;
  }
};

struct ValueEquals {
  const AttributeValue& stored;
  bool operator()(std::string_view s) const noexcept {
    const auto* v = stored.get_if<std::string>();
    return v != nullptr && *v == s;
  }
  template <class T>
  bool operator()(const T& x) const noexcept {
    const auto* v = stored.get_if<T>();
    return v != nullptr && *v == x;
  }
};

}  // namespace

std::uint64_t hash_attribute(std::string_view key, const AttributeView& value) noexcept {
  // The key's hash seeds the value's: two multiplies for a short key and value.
  return value.visit(ValueHasher{common::hash_string(key)});
}

std::uint64_t hash_attributes(std::span<const AttributeInit> attributes) noexcept {
  std::uint64_t h = 0;
  for (const auto& a : attributes) h += hash_attribute(a.key, a.value);
  return h;
}

std::uint64_t hash_attribute_set(const AttributeSet& set) noexcept {
  std::uint64_t h = 0;
  for (const auto& kv : set) h += hash_attribute(kv.key, AttributeView(kv.value));
  return h;
}

bool attributes_match(const AttributeSet& set, std::span<const AttributeInit> attributes) noexcept {
  if (set.size() != attributes.size()) return false;
  for (const auto& a : attributes) {
    const KeyValue* found = nullptr;
    if (set.size() <= 8) {
      for (const auto& kv : set) {
        if (kv.key == a.key) {
          found = &kv;
          break;
        }
      }
    } else {
      auto it = std::lower_bound(set.begin(), set.end(), a.key,
                                 [](const KeyValue& kv, std::string_view k) { return kv.key < k; });
      if (it != set.end() && it->key == a.key) found = &*it;
    }
    if (found == nullptr || !a.value.visit(ValueEquals{found->value})) return false;
  }
  return true;
}

AttributeSet normalize_attributes(std::span<const AttributeInit> attributes) {
  AttributeSet set;
  set.reserve(attributes.size());
  for (const auto& a : attributes) {
    auto it =
        std::find_if(set.begin(), set.end(), [&](const KeyValue& kv) { return kv.key == a.key; });
    if (it != set.end()) {
      it->value = a.value.to_value();
    } else {
      set.push_back(KeyValue{std::string(a.key), a.value.to_value()});
    }
  }
  std::sort(set.begin(), set.end(),
            [](const KeyValue& x, const KeyValue& y) { return x.key < y.key; });
  return set;
}

}  // namespace adminara::obs::sdk
