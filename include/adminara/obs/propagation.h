// W3C Trace Context (traceparent, tracestate) and W3C Baggage propagation over any header
// carrier: a map-like container or a pair of getter/setter callbacks.
//
//   obs::inject(obs::Context::current(), headers);            // outgoing request
//   obs::Context parent = obs::extract(request_headers);       // incoming request
//   auto span = obs::start_span("handle", {}, {.kind = obs::SpanKind::kServer, .parent = &parent});
//
// Validation follows the W3C rules exactly (W3C Trace Context Level 2, W3C Baggage): invalid
// input is ignored (the result has no valid span context, so a new trace starts) and never
// throws or crashes.
// Thread-safety: pure functions; a carrier is only touched by the calling thread.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "adminara/obs/context.h"
#include "adminara/obs/span_context.h"

namespace adminara::obs {

/// Header names, as written by inject() and asked for by extract() (always lowercase).
inline constexpr std::string_view kTraceparentHeader = "traceparent";
inline constexpr std::string_view kTracestateHeader = "tracestate";
inline constexpr std::string_view kBaggageHeader = "baggage";

/// Length of a version-00 traceparent value.
inline constexpr std::size_t kTraceparentSize = 55;

/// Parses a traceparent header value into a remote SpanContext with no tracestate; nullopt when
/// it is invalid per W3C. Leading/trailing spaces and tabs are ignored; versions above 00 are
/// read as version 00 with any trailing `-...` ignored; a value joined from repeated headers
/// (any ',') is invalid; the flags byte is kept as received. Never allocates.
std::optional<SpanContext> parse_traceparent(std::string_view value);

/// Formats `sc` as a version-00 traceparent (kTraceparentSize characters); empty when `sc` is
/// invalid. Only the sampled and random flag bits are sent; reserved bits are written as 0.
std::string format_traceparent(const SpanContext& sc);
/// As above into `out`, which must have room for kTraceparentSize characters (no terminator is
/// written). Returns false, writing nothing, when `sc` is invalid. Never allocates.
bool format_traceparent(const SpanContext& sc, char* out);

/// Reads one header for extract(). `name` is one of the lowercase names above; match it
/// case-insensitively, as HTTP header names are. Return nullopt when the header is absent.
/// When the carrier holds the header more than once, return the values joined by ',' in the
/// order received (RFC 9110). That is right for tracestate and baggage, and it makes a repeated
/// traceparent invalid, which is what W3C requires.
using HeaderGetter = std::function<std::optional<std::string>(std::string_view name)>;
/// Writes one header for inject(): `name` is lowercase; replace any value the carrier already
/// holds for that header.
using HeaderSetter = std::function<void(std::string_view name, std::string_view value)>;

/// Writes the traceparent of `ctx` when its span context is valid (then also tracestate, when
/// non-empty) and baggage when non-empty. Nothing else is written. An empty `set` is ignored.
void inject(const Context& ctx, const HeaderSetter& set);
/// Reads traceparent/tracestate/baggage. The result has a remote span context when the
/// traceparent is valid, carrying the tracestate (null when absent, empty or invalid; never read
/// when the traceparent is invalid), and the baggage when any valid member is present. An empty
/// `get` yields an empty Context.
Context extract(const HeaderGetter& get);

namespace detail {

inline bool equals_ignore_ascii_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

template <class Map>
concept HeaderMapReadable = requires(const Map& m, const typename Map::key_type& k) {
  m.equal_range(k);
  m.begin();
  m.end();
  {std::string_view(m.begin()->first)};
  {std::string_view(m.begin()->second)};
};

template <class Map>
concept HeaderMapWritable = HeaderMapReadable<Map> &&
    requires(Map& m, const typename Map::key_type& k) {
  m.erase(m.begin());
  m.emplace(k, typename Map::mapped_type(std::string_view()));
};

template <class Map>
std::optional<std::string> read_header(const Map& carrier, std::string_view name) {
  std::optional<std::string> out;
  auto append = [&out](std::string_view v) {
    if (!out) {
      out.emplace(v);
    } else {
      *out += ',';
      *out += v;
    }
  };
  auto [first, last] = carrier.equal_range(typename Map::key_type(name));
  for (auto it = first; it != last; ++it) append(std::string_view(it->second));
  if (out) return out;
  // Not stored under the lowercase spelling: a case-sensitive map may hold e.g. "TraceParent".
  for (const auto& kv : carrier) {
    if (equals_ignore_ascii_case(std::string_view(kv.first), name)) {
      append(std::string_view(kv.second));
    }
  }
  return out;
}

template <class Map>
void write_header(Map& carrier, std::string_view name, std::string_view value) {
  // Every spelling of the header goes first, so the carrier never ends up holding it twice.
  for (auto it = carrier.begin(); it != carrier.end();) {
    if (equals_ignore_ascii_case(std::string_view(it->first), name)) {
      it = carrier.erase(it);
    } else {
      ++it;
    }
  }
  carrier.emplace(typename Map::key_type(name), typename Map::mapped_type(value));
}

}  // namespace detail

/// Map-like carriers over string keys and values: std::map, std::unordered_map, std::multimap,
/// std::unordered_multimap, httplib::Headers and the like. inject() replaces any existing entry
/// of a header, whatever its spelling, with one lowercase entry. extract() looks the lowercase
/// name up first and, only when that finds nothing, compares every key case-insensitively;
/// repeated entries of one header are joined by ',' as HeaderGetter describes.
template <class Map>
requires detail::HeaderMapWritable<Map>
void inject(const Context& ctx, Map& carrier) {
  inject(ctx, [&carrier](std::string_view name, std::string_view value) {
    detail::write_header(carrier, name, value);
  });
}

template <class Map>
requires detail::HeaderMapReadable<Map> Context extract(const Map& carrier) {
  return extract([&carrier](std::string_view name) { return detail::read_header(carrier, name); });
}

}  // namespace adminara::obs
