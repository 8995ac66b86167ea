// W3C Trace Context (traceparent, tracestate) and W3C Baggage propagation over any header
// carrier: a map-like container or a pair of getter/setter callbacks.
//
//   obs::inject(obs::Context::current(), headers);            // outgoing request
//   obs::Context parent = obs::extract(request_headers);       // incoming request
//   auto span = obs::start_span("handle", {}, {.kind = obs::SpanKind::kServer, .parent = &parent});
//
// Validation follows the W3C rules exactly (facts brief section 8): invalid input is ignored
// (the result has no valid span context, so a new trace starts) and never throws or crashes.
// Thread-safety: pure functions.
#pragma once

#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "adminara/obs/context.h"
#include "adminara/obs/span_context.h"

namespace adminara::obs {

/// Parses a traceparent header value into a remote SpanContext (tracestate not set); nullopt
/// when invalid per W3C.
std::optional<SpanContext> parse_traceparent(std::string_view value);

/// Formats `sc` as a version-00 traceparent (55 characters); empty when `sc` is invalid.
std::string format_traceparent(const SpanContext& sc);
/// Writes exactly 55 characters to `out`; returns false (writing nothing) when `sc` is invalid.
bool format_traceparent(const SpanContext& sc, char* out);

/// Header getter: returns the value of a header (case-insensitive name), or nullopt. When a
/// carrier holds the same header several times, return them joined by ',' (RFC 9110); for
/// traceparent, return nullopt... a duplicate traceparent is invalid (use the callback form to
/// signal it by returning the joined value, which then fails validation).
using HeaderGetter = std::function<std::optional<std::string>(std::string_view name)>;
using HeaderSetter = std::function<void(std::string_view name, std::string_view value)>;

/// Writes traceparent, tracestate (when non-empty) and baggage (when non-empty) of `ctx`.
void inject(const Context& ctx, const HeaderSetter& set);
/// Reads traceparent/tracestate/baggage. Returns a Context with a remote span context when the
/// traceparent is valid (tracestate only then) and with the baggage when present.
Context extract(const HeaderGetter& get);

/// Map-like carriers: anything with `find(key)`, `end()` and `operator[]` / `insert_or_assign`
/// over string keys (std::map, std::unordered_map, httplib::Headers, ...). Lookup tries the
/// lowercase name; for case-insensitive maps any spelling matches.
template <class Map>
  requires requires(Map& m, std::string k) {
    m.find(k);
    m.end();
  }
void inject(const Context& ctx, Map& carrier) {
  inject(ctx, [&carrier](std::string_view name, std::string_view value) {
    carrier.insert_or_assign(typename Map::key_type(name), typename Map::mapped_type(value));
  });
}

template <class Map>
  requires requires(const Map& m, std::string k) {
    m.find(k);
    m.end();
  }
Context extract(const Map& carrier) {
  return extract([&carrier](std::string_view name) -> std::optional<std::string> {
    auto it = carrier.find(typename Map::key_type(name));
    if (it == carrier.end()) return std::nullopt;
    return std::string(it->second);
  });
}

}  // namespace adminara::obs
