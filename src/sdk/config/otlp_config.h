// The OTLP exporters' settings from the environment (the OTel specification's
// protocol/exporter.md): endpoint, headers,
// timeout, protocol, compression and TLS files per signal, with the signal-specific variable
// (OTEL_EXPORTER_OTLP_TRACES_* / _METRICS_*) winning over the generic OTEL_EXPORTER_OTLP_*; and
// the metric reader's interval, timeout and temporality preference. docs/configuration.md lists
// every variable. Every unusable value produces one warning (variable, value, what is accepted,
// what is used instead) through the EnvReader.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sdk/config/env.h"

namespace adminara::obs::config {

enum class OtlpSignal : std::uint8_t { kTraces, kMetrics };

/// An endpoint URL split the way an HTTP client needs it.
struct OtlpEndpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6 literals
  int port = 0;        // explicit, or 80/443 from the scheme
  std::string path;    // starts with '/'; includes any query
  /// "scheme://host:port" (IPv6 hosts in brackets).
  std::string origin() const;
  /// origin() + path.
  std::string url() const;
};

/// Parses an absolute http(s) URL: scheme://host[:port][/path]. Userinfo and fragments are
/// rejected. nullopt (and `error` set) when it is not usable.
std::optional<OtlpEndpoint> parse_otlp_endpoint(std::string_view url, std::string* error);

/// `url` for a warning: user information (`user:password@`) and everything after `?` or `#`
/// replaced by `***`, since either may carry a credential.
std::string redact_url(std::string_view url);

/// The URL an exporter posts to. A signal endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is used as
/// given, except that an empty path becomes "/"; a base endpoint (OTEL_EXPORTER_OTLP_ENDPOINT)
/// gets "v1/traces" or "v1/metrics" appended after making sure its path ends with '/'.
OtlpEndpoint signal_endpoint(OtlpEndpoint base, OtlpSignal signal);

/// Parses an OTEL_EXPORTER_OTLP_*_HEADERS value: comma-separated key=value members (W3C
/// baggage-like). Keys and values are trimmed of whitespace; values are percent-decoded. Keys
/// must be HTTP header names (RFC 9110 tokens); decoded values must not contain CR, LF or NUL.
/// Empty members are skipped; a key given twice keeps its last value (keys compare
/// case-insensitively, as HTTP header names do). On any error the whole value is rejected:
/// nullopt, with `error` set to what is wrong.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_otlp_headers(
    std::string_view value, std::string* error);

enum class OtlpProtocol : std::uint8_t { kHttpProtobuf, kHttpJson };
enum class TemporalityPreference : std::uint8_t { kCumulative, kDelta, kLowMemory };

/// One signal's exporter settings.
struct OtlpExporterConfig {
  OtlpEndpoint endpoint;  // default http://localhost:4318/v1/<signal>
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{10000};  // milliseconds::max(): no limit
  OtlpProtocol protocol = OtlpProtocol::kHttpProtobuf;
  bool gzip = false;
  std::string certificate;         // CA bundle (PEM) to trust instead of the system store
  std::string client_key;          // mTLS private key (PEM)
  std::string client_certificate;  // mTLS certificate (PEM)
};

/// Resolves one signal's settings; problems go to `env.warnings()`.
OtlpExporterConfig load_otlp_exporter_config(EnvReader& env, OtlpSignal signal);

struct OtlpMetricReaderConfig {
  std::chrono::milliseconds interval{60000};  // OTEL_METRIC_EXPORT_INTERVAL (> 0)
  std::chrono::milliseconds timeout{30000};   // OTEL_METRIC_EXPORT_TIMEOUT (0: no limit)
  TemporalityPreference temporality = TemporalityPreference::kCumulative;
};

OtlpMetricReaderConfig load_otlp_metric_reader_config(EnvReader& env);

}  // namespace adminara::obs::config
