// Reading configuration from environment variables with OpenTelemetry's parsing rules (the OTel
// specification's configuration/sdk-environment-variables.md): empty = unset; booleans are
// case-insensitive true/false; integers, durations and timeouts in milliseconds; enums
// case-insensitive. Every value that cannot be used produces one warning naming the variable, the
// value and what is accepted, and the default is used instead.
//
// Values are trimmed of surrounding ASCII whitespace before they are parsed (a `.env` file line
// such as `ENABLE_TRACING=true ` still works); a value that is empty after trimming is unset.
//
// Warnings are only recorded here, never logged: the caller (init_observability) logs them once
// after OTEL_LOG_LEVEL has been applied, or throws ConfigError with Options::strict_config.
//
// Thread-safety: an EnvReader is used by one thread at a time (it accumulates warnings).
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

  /// The value verbatim, or nullopt when unset or empty.
  std::optional<std::string> raw(std::string_view name) const;

  /// `true`/`false` in any case; anything else warns and yields `def`.
  bool get_bool(std::string_view name, bool def);
  /// A decimal integer in [min, max]; otherwise warns and yields `def`.
  std::int64_t get_int(std::string_view name, std::int64_t def, std::int64_t min, std::int64_t max);
  /// Like get_int, but nullopt when unset or invalid, so the caller can fall back to another
  /// variable. An invalid value's warning ends with "; using <fallback>".
  std::optional<std::int64_t> find_int(std::string_view name, std::int64_t min, std::int64_t max,
                                       std::string_view fallback);
  /// A floating-point number in [min, max]; otherwise warns and yields `def`.
  double get_double(std::string_view name, double def, double min, double max);
  /// Non-negative integer milliseconds (at most 2^31-1); otherwise warns and yields `def`.
  std::chrono::milliseconds get_duration(std::string_view name, std::chrono::milliseconds def);
  /// Like get_duration, but 0 means "no limit" and is returned as milliseconds::max().
  std::chrono::milliseconds get_timeout(std::string_view name, std::chrono::milliseconds def);
  /// One of `accepted` (case-insensitive), returned lowercased; otherwise warns and nullopt.
  /// The warning ends with "; using <fallback>" (e.g. "the default info"), or "; ignored" when
  /// `fallback` is empty.
  std::optional<std::string> get_enum(std::string_view name,
                                      std::span<const std::string_view> accepted,
                                      std::string_view fallback = {});
  /// A comma-separated list; each item trimmed, lowercased, de-duplicated, checked against
  /// `accepted` (unknown items warn and are skipped; empty items are skipped silently). nullopt
  /// when unset, or when no item is accepted (the variable then behaves as unset).
  std::optional<std::vector<std::string>> get_list(std::string_view name,
                                                   std::span<const std::string_view> accepted);
  /// get_list's parsing applied to `value`; `name` is what warnings call its source (a variable
  /// or an Options field).
  std::optional<std::vector<std::string>> parse_list(std::string_view name, std::string_view value,
                                                     std::span<const std::string_view> accepted);

  void warn(std::string message);
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::optional<std::int64_t> parse_int(std::string_view name, std::int64_t min, std::int64_t max,
                                        std::string_view accepted, std::string_view fallback);
  std::optional<std::chrono::milliseconds> parse_millis(std::string_view name,
                                                        bool zero_is_no_limit,
                                                        std::string_view fallback);

  Getter getter_;
  std::vector<std::string> warnings_;
};

/// `value` without surrounding ASCII whitespace.
std::string_view trim_whitespace(std::string_view value);

/// `value` trimmed of surrounding whitespace and ASCII-lowercased: how enum values and list
/// items are compared.
std::string normalize_word(std::string_view value);

/// `value` in double quotes, with `"`, `\` and control characters escaped: how warnings show a
/// value, so that a warning is always one readable line.
std::string quoted(std::string_view value);

/// Decodes %XX escapes (RFC 3986 section 2.1; '+' is a literal plus, not a space) into `out`.
/// Returns false and sets `bad` to the bad escape when a '%' is not followed by two hex digits.
bool percent_decode(std::string_view in, std::string& out, std::string& bad);

/// Walks a `k1=v1,k2=v2` list (how OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_*_HEADERS are
/// written): members are trimmed and empty ones skipped; `member(key, value, whole)` gets the
/// trimmed key (never empty), the trimmed raw value and the whole member. Returns the first
/// problem: a member without '=' or with an empty key, or the non-empty message `member`
/// returned; an empty string when the whole list was read. With `secret_values` (header lists,
/// whose values carry tokens) the messages name a member by its position, never its text.
std::string for_each_list_member(
    std::string_view list,
    const std::function<std::string(std::string_view key, std::string_view value,
                                    std::string_view whole)>& member,
    bool secret_values = false);

/// The message for a list member with a bad %XX escape (percent_decode's `bad`).
std::string bad_escape_message(std::string_view member, std::string_view bad);

/// Parses OTEL_RESOURCE_ATTRIBUTES (`k1=v1,k2=v2`, values percent-decoded). On any error the
/// whole value is rejected: returns nullopt and sets `error` (when not null) to a message naming
/// the problem. Keys and values are trimmed of surrounding whitespace before decoding, so
/// whitespace that matters is written as %20; empty members (`a=1,,b=2`) are skipped; a key given
/// twice keeps its first position and its last value.
std::optional<std::vector<KeyValue>> parse_resource_attributes(std::string_view value,
                                                               std::string* error);

}  // namespace adminara::obs::config
