// Round-trip checks for the W3C header parsers, shared by the libFuzzer targets (fuzz_*.cc) and
// the corpus replay test (tests/fuzz_corpus_replay_test.cc) so that every seed and every
// reproducer found by fuzzing is re-checked in the normal build.
//
// Each check parses `data` as one header value, serializes the result, parses that again and
// calls abort() (after a message on stderr) when the two results or the two serializations
// differ, or when a parsed value breaks the W3C rules. It returns 0 otherwise, as libFuzzer
// requires. Any bytes are accepted.
#pragma once

#include <cstddef>
#include <cstdint>

namespace adminara::obs::fuzzing {

/// traceparent parse/format, plus extract -> inject -> extract over a map carrier with `data`
/// as the value of all three headers.
int check_traceparent(const std::uint8_t* data, std::size_t size);
/// tracestate parse/serialize, plus set()/erase() of a member made from `data`.
int check_tracestate(const std::uint8_t* data, std::size_t size);
/// baggage parse/serialize with the W3C limits, plus the percent-encoding of `data` as a value.
int check_baggage(const std::uint8_t* data, std::size_t size);
/// Prometheus Accept negotiation: any bytes give one of the two formats, the same one twice,
/// and a leading `application/openmetrics-text;version=1.0.0` (q=1) always wins.
int check_accept(const std::uint8_t* data, std::size_t size);
/// Cron expressions of job schedules: rejected only with ScheduleError naming the accepted form;
/// when accepted, next runs are whole seconds, strictly later, and fixed points of the search.
int check_cron(const std::uint8_t* data, std::size_t size);
/// OTEL_EXPORTER_OTLP_HEADERS parsing: accepted values give header names that are HTTP tokens
/// and values without CR, LF or NUL, with unique names; re-encoding the result (values
/// percent-encoded) parses back to the same headers; rejections come with an error message.
int check_otlp_headers(const std::uint8_t* data, std::size_t size);
/// exporter-toolkit web configuration (net::parse_web_config): any bytes either parse, with
/// every accepted hash, header and TLS setting valid, or throw ConfigError naming the source;
/// never another exception.
int check_web_config(const std::uint8_t* data, std::size_t size);
/// `Authorization: Basic` values (net::parse_basic_authorization): accepted values give a user
/// without ':' whose credentials, encoded again, parse to the same user and password.
int check_basic_authorization(const std::uint8_t* data, std::size_t size);

}  // namespace adminara::obs::fuzzing
