// A small streaming JSON writer that appends to a std::string. Commas are placed automatically;
// strings are escaped per RFC 8259 and invalid UTF-8 is replaced by U+FFFD, so the output is
// always valid JSON whatever bytes the caller passes. Doubles use the shortest round-trip form;
// NaN and infinities are written as the strings "NaN", "Infinity", "-Infinity" (OTLP/JSON's rule).
// Shared by the console exporter, the OTLP/JSON encoder, the profiler's trace export and the
// debug pages; attribute values are written with api/attribute_json.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace adminara::obs::common {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  /// Writes an object key; the next call writes its value.
  JsonWriter& key(std::string_view k);

  JsonWriter& string(std::string_view s);
  JsonWriter& boolean(bool b);
  JsonWriter& null();
  JsonWriter& number(std::int64_t v);
  JsonWriter& number(std::uint64_t v);
  JsonWriter& number(double v);
  /// A value that is already encoded JSON (for example another JsonWriter's output), verbatim.
  /// The caller guarantees it is one complete, valid JSON value.
  JsonWriter& raw(std::string_view json);

  /// Appends `s` as an escaped JSON string body (no quotes) to `out`.
  static void escape_into(std::string& out, std::string_view s);

 private:
  void before_value();

  std::string& out_;
  // One bit per nesting level: whether the level already holds an element (needs a comma).
  std::uint64_t has_element_ = 0;
  int depth_ = 0;
  bool after_key_ = false;
};

}  // namespace adminara::obs::common
