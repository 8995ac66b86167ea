// Attribute values and key/value pairs carried by spans, events, links and resources.
//
// An AttributeValue is a small owning value type: one of string, bool, int64, double, or a
// homogeneous array of those (the OpenTelemetry attribute model). It converts implicitly from the
// usual C++ types so call sites read naturally:
//
//   span.set_attribute("userId", "123");      // string
//   span.set_attribute("http.status", 200);   // int64
//   span.set_attribute("retry", true);        // bool
//
// Thread-safety: values are plain data; concurrent reads are safe, writes need external sync.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace adminara::obs {

/// The type of an attribute value, in OpenTelemetry's terms.
enum class AttributeType : std::uint8_t {
  kString,
  kBool,
  kInt,
  kDouble,
  kStringArray,
  kBoolArray,
  kIntArray,
  kDoubleArray,
};

/// One attribute value. Integral types (other than bool) are stored as int64; floating types as
/// double; `const char*` and string views are copied into an owned string.
class AttributeValue {
 public:
  using Storage = std::variant<std::string, bool, std::int64_t, double, std::vector<std::string>,
                               std::vector<bool>, std::vector<std::int64_t>, std::vector<double>>;

  AttributeValue() = default;  // empty string
  AttributeValue(const char* s) : v_(std::string(s ? s : "")) {}
  AttributeValue(std::string_view s) : v_(std::string(s)) {}
  AttributeValue(std::string s) : v_(std::move(s)) {}
  AttributeValue(bool b) : v_(b) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) AttributeValue(T i) : v_(static_cast<std::int64_t>(i)) {}
  template <std::floating_point T>
  AttributeValue(T d) : v_(static_cast<double>(d)) {}
  AttributeValue(std::vector<std::string> a) : v_(std::move(a)) {}
  AttributeValue(std::vector<bool> a) : v_(std::move(a)) {}
  AttributeValue(std::vector<std::int64_t> a) : v_(std::move(a)) {}
  AttributeValue(std::vector<double> a) : v_(std::move(a)) {}

  AttributeType type() const { return static_cast<AttributeType>(v_.index()); }
  const Storage& storage() const { return v_; }
  Storage& storage() { return v_; }

  /// Typed access; returns nullptr when the value holds another type.
  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&v_);
  }

  /// A compact human/JSON-friendly rendering: strings as-is (unquoted), bools as true/false,
  /// numbers in shortest round-trip form, arrays as JSON arrays.
  std::string to_string() const;

  friend bool operator==(const AttributeValue&, const AttributeValue&) = default;

 private:
  Storage v_;
};

/// An owned key/value pair, as stored on spans and resources.
struct KeyValue {
  std::string key;
  AttributeValue value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

/// A non-owning view of an attribute value, the parameter type of API calls. Building one copies
/// nothing, so arguments to a span that is not recording cost nothing; a recording span copies
/// the value into its own storage (reusing capacity). Valid only during the call it is passed to
/// (temporaries in the argument list live that long).
class AttributeView {
 public:
  AttributeView(const char* s) : kind_(Kind::kString), s_(s != nullptr ? s : "") {}
  AttributeView(std::string_view s) : kind_(Kind::kString), s_(s) {}
  AttributeView(const std::string& s) : kind_(Kind::kString), s_(s) {}
  AttributeView(bool b) : kind_(Kind::kBool), b_(b) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) AttributeView(T i)
      : kind_(Kind::kInt), i_(static_cast<std::int64_t>(i)) {}
  template <std::floating_point T>
  AttributeView(T d) : kind_(Kind::kDouble), d_(static_cast<double>(d)) {}
  AttributeView(const AttributeValue& v) : kind_(Kind::kValue), v_(&v) {}
  AttributeView(const std::vector<std::string>& a) : kind_(Kind::kStringArray), p_(&a) {}
  AttributeView(const std::vector<bool>& a) : kind_(Kind::kBoolArray), p_(&a) {}
  AttributeView(const std::vector<std::int64_t>& a) : kind_(Kind::kIntArray), p_(&a) {}
  AttributeView(const std::vector<double>& a) : kind_(Kind::kDoubleArray), p_(&a) {}

  /// Calls `f` with the viewed value as one of: std::string_view, bool, std::int64_t, double,
  /// or a const reference to a std::vector of std::string, bool, std::int64_t or double. Views
  /// of an AttributeValue are unwrapped to the same types, so both forms of a value look alike.
  template <class F>
  decltype(auto) visit(F&& f) const {
    switch (kind_) {
      case Kind::kString:
        return f(s_);
      case Kind::kBool:
        return f(b_);
      case Kind::kInt:
        return f(i_);
      case Kind::kDouble:
        return f(d_);
      case Kind::kStringArray:
        return f(*static_cast<const std::vector<std::string>*>(p_));
      case Kind::kBoolArray:
        return f(*static_cast<const std::vector<bool>*>(p_));
      case Kind::kIntArray:
        return f(*static_cast<const std::vector<std::int64_t>*>(p_));
      case Kind::kDoubleArray:
        return f(*static_cast<const std::vector<double>*>(p_));
      case Kind::kValue:
        break;
    }
    return std::visit(
        [&f](const auto& x) -> decltype(auto) {
          if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) {
            return f(std::string_view(x));
          } else {
            return f(x);
          }
        },
        v_->storage());
  }

  /// An owning copy.
  AttributeValue to_value() const;
  /// Stores the viewed value in `out`, reusing its string capacity when both are strings.
  void assign_to(AttributeValue& out) const;

 private:
  enum class Kind : std::uint8_t {
    kString,
    kBool,
    kInt,
    kDouble,
    kValue,
    kStringArray,
    kBoolArray,
    kIntArray,
    kDoubleArray
  };
  Kind kind_;
  union {
    std::string_view s_;
    bool b_;
    std::int64_t i_;
    double d_;
    const AttributeValue* v_;
    const void* p_;
  };
};

/// A key/value pair as passed to API calls: `{{"userId", "123"}, {"attempt", 2}}`.
/// Both parts are views; the callee copies what it keeps.
struct AttributeInit {
  std::string_view key;
  AttributeView value;
};

/// The attribute list parameter of API calls.
using Attributes = std::initializer_list<AttributeInit>;

/// Finds the value of `key` in `list`, or nullptr.
const AttributeValue* find_attribute(const std::vector<KeyValue>& list, std::string_view key);

}  // namespace adminara::obs
