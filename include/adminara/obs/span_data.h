// SpanData: the finished, readable form of a span that processors and exporters receive.
//
// Ownership: an exporter receives SpanData by const pointer for the duration of one export call;
// the SDK reuses the storage afterwards. Copy a SpanData to keep it (it is a regular value type).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adminara/obs/attributes.h"
#include "adminara/obs/span_context.h"

namespace adminara::obs {

/// What the span represents in a distributed interaction (OTLP Span.SpanKind numbering).
enum class SpanKind : std::uint8_t {
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};

/// "internal", "server", "client", "producer", "consumer".
std::string_view to_string(SpanKind kind);

/// Span status (OTLP Status.StatusCode numbering).
enum class StatusCode : std::uint8_t { kUnset = 0, kOk = 1, kError = 2 };

/// "unset", "ok", "error".
std::string_view to_string(StatusCode code);

struct Status {
  StatusCode code = StatusCode::kUnset;
  std::string description;  // only meaningful for kError
  friend bool operator==(const Status&, const Status&) = default;
};

struct SpanEvent {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  std::vector<KeyValue> attributes;
  std::uint32_t dropped_attributes_count = 0;
};

struct SpanLink {
  SpanContext context;
  std::vector<KeyValue> attributes;
  std::uint32_t dropped_attributes_count = 0;
};

/// The instrumentation scope (tracer name and version) a span was created by.
struct InstrumentationScope {
  std::string name;
  std::string version;
};

class Resource;

/// A finished span. Fields are public data; the SDK fills them, exporters read them.
struct SpanData {
  std::string name;
  SpanContext context;
  SpanId parent_span_id;  // invalid (all zero) for a root span
  bool parent_is_remote = false;
  SpanKind kind = SpanKind::kInternal;
  std::uint64_t start_time_unix_nano = 0;
  std::uint64_t end_time_unix_nano = 0;
  std::vector<KeyValue> attributes;
  std::uint32_t dropped_attributes_count = 0;
  std::vector<SpanEvent> events;
  std::uint32_t dropped_events_count = 0;
  std::vector<SpanLink> links;
  std::uint32_t dropped_links_count = 0;
  Status status;
  const InstrumentationScope* scope = nullptr;  // owned by the tracer provider
  const Resource* resource = nullptr;           // owned by the tracer provider

  bool has_parent() const { return parent_span_id.is_valid(); }
  std::uint64_t duration_nanos() const {
    return end_time_unix_nano > start_time_unix_nano ? end_time_unix_nano - start_time_unix_nano
                                                     : 0;
  }
  const AttributeValue* attribute(std::string_view key) const {
    return find_attribute(attributes, key);
  }
};

}  // namespace adminara::obs
