// OpenTelemetry -> Prometheus naming: metric and label names, unit words, and the escaping of
// label values and HELP text (Prometheus' exposition format docs, OpenMetrics 1.0, and the OTel
// specification's "Prometheus and OpenMetrics Compatibility" page).
//
// All functions are pure and thread-safe. They accept any bytes; escaping functions replace
// invalid UTF-8 with U+FFFD so the exposition stays valid UTF-8.
#pragma once

#include <string>
#include <string_view>

namespace adminara::obs::prometheus {

/// A metric name in the legacy character set: every character outside [a-zA-Z0-9_:] becomes '_',
/// runs of '_' collapse into one, and a leading digit gets a '_' prefix
/// (`http.server.duration` -> `http_server_duration`, `1st-metric` -> `_1st_metric`).
/// Empty input gives an empty string.
std::string sanitize_metric_name(std::string_view name);

/// A label name: every character outside [a-zA-Z0-9_] becomes '_', runs of '_' collapse into
/// one; then a leading digit gets the prefix `key_` and a leading '_' the prefix `key`
/// (`0key` -> `key_0key`, `_x` -> `key_x`, `__x` -> `key_x`, so the result never starts with
/// the `__` Prometheus reserves). Empty input gives an empty string.
std::string sanitize_label_name(std::string_view name);

/// The Prometheus word for a UCUM unit: `s` -> `seconds`, `By` -> `bytes`, `m/s` ->
/// `meters_per_second`, `{packet}/s` -> `per_second`; `{...}` annotations are dropped, `1` maps
/// to "" and unknown units pass through sanitised (`widgets` -> `widgets`). The result matches
/// [a-zA-Z0-9_]* with no leading or trailing '_'.
std::string unit_word(std::string_view ucum_unit);

/// Appends `value` escaped for a label value: `\` -> `\\`, `"` -> `\"`, newline -> `\n`.
void append_escaped_label_value(std::string& out, std::string_view value);

/// Appends `help` escaped for a HELP line: `\` -> `\\`, newline -> `\n`, and `"` -> `\"` only
/// when `escape_quotes` (OpenMetrics; text format 0.0.4 leaves quotes alone).
void append_escaped_help(std::string& out, std::string_view help, bool escape_quotes);

}  // namespace adminara::obs::prometheus
