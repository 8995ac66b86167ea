// OTLP encoders: span batches and collected metrics to the bodies of OTLP/HTTP requests, in
// protobuf (ExportTraceServiceRequest / ExportMetricsServiceRequest, written directly in wire
// format) and in OTLP/JSON (hex ids, integer enums, 64-bit integers as strings, lowerCamelCase;
// opentelemetry-proto's docs/specification.md, "JSON Protobuf Encoding", and its trace.proto and
// metrics.proto). Also reads the partial_success of a response.
//
// Spans are grouped by resource, then by instrumentation scope, in order of first appearance;
// metrics by scope. Empty envelopes are never written.
//
// Thread-safety: free functions over their arguments; safe from any thread. Errors: none
// (encoding cannot fail; memory exhaustion throws std::bad_alloc).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/metric_data.h"
#include "adminara/obs/resource.h"
#include "adminara/obs/span_data.h"

namespace adminara::obs::otlp {

enum class Encoding : std::uint8_t { kProtobuf, kJson };

/// Appends the request body for `spans` to `out` (out is cleared first).
void encode_traces(std::span<const SpanData* const> spans, Encoding encoding, std::string& out);

/// Appends the request body for `metrics` of `resource` to `out` (out is cleared first). Metrics
/// without points are left out. Returns the number of data points written.
std::size_t encode_metrics(const Resource& resource, std::span<const MetricData> metrics,
                           Encoding encoding, std::string& out);

/// What an OTLP response body says about rejected items.
struct PartialSuccess {
  std::int64_t rejected = 0;  // rejected spans or data points
  std::string error_message;
};

/// Reads field 1 (partial_success) of an Export*ServiceResponse body: {rejected_* = 1,
/// error_message = 2} in protobuf, or {"partialSuccess": {"rejectedSpans" | "rejectedDataPoints",
/// "errorMessage"}} in JSON. An empty body is full success. nullopt when the body cannot be read.
std::optional<PartialSuccess> decode_partial_success(std::string_view body, Encoding encoding);

/// The `message` of a google.rpc.Status error body (protobuf field 2, JSON "message"), or "".
std::string decode_error_message(std::string_view body, Encoding encoding);

}  // namespace adminara::obs::otlp
