// Reading configuration from environment variables with OpenTelemetry's parsing rules
// (facts brief section 3.1): empty = unset; booleans are case-insensitive true/false; integers,
// durations and timeouts in milliseconds; enums case-insensitive. Every value that cannot be used
// produces one warning naming the variable, the value and what is accepted, and the default is
// used instead.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/attributes.h"

namespace adminara::obs::config {

class EnvReader {
 public:
  using Getter = std::function<std::optional<std::string>(std::string_view)>;
  /// `getter` null: the process environment.
  explicit EnvReader(Getter getter = {});

  /// The value, or nullopt when unset or empty.
  std::optional<std::string> raw(std::string_view name) const;

  /// `true`/`false` in any case; anything else warns and yields `def`.
  bool get_bool(std::string_view name, bool def);
  /// A decimal integer in [min, max]; otherwise warns and yields `def`.
  std::int64_t get_int(std::string_view name, std::int64_t def, std::int64_t min,
                       std::int64_t max);
  /// A floating-point number in [min, max]; otherwise warns and yields `def`.
  double get_double(std::string_view name, double def, double min, double max);
  /// Non-negative integer milliseconds; otherwise warns and yields `def`.
  std::chrono::milliseconds get_duration(std::string_view name, std::chrono::milliseconds def);
  /// Like get_duration, but 0 means "no limit" and is returned as milliseconds::max().
  std::chrono::milliseconds get_timeout(std::string_view name, std::chrono::milliseconds def);
  /// One of `accepted` (case-insensitive), returned lowercased; otherwise warns and nullopt.
  std::optional<std::string> get_enum(std::string_view name,
                                      std::span<const std::string_view> accepted);
  /// A comma-separated list; each item trimmed, lowercased, de-duplicated, checked against
  /// `accepted` (unknown items warn and are skipped). nullopt when unset.
  std::optional<std::vector<std::string>> get_list(std::string_view name,
                                                   std::span<const std::string_view> accepted);

  void warn(std::string message);
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Getter getter_;
  std::vector<std::string> warnings_;
};

/// Parses OTEL_RESOURCE_ATTRIBUTES (`k1=v1,k2=v2`, values percent-decoded). On any error the
/// whole value is rejected: returns nullopt and sets `error` to a message naming the problem.
std::optional<std::vector<KeyValue>> parse_resource_attributes(std::string_view value,
                                                               std::string* error);

}  // namespace adminara::obs::config
