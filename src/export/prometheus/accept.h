// Content negotiation for the Prometheus endpoint: picks the exposition format from a scrape's
// Accept header (Prometheus' content negotiation docs, docs/instrumenting/content_negotiation.md).
#pragma once

#include <string_view>

#include "export/prometheus/text_format.h"

namespace adminara::obs::prometheus {

/// The format to answer a request with `accept_header` (its whole value; several headers may be
/// joined with ','). OpenMetrics 1.0 is chosen when an `application/openmetrics-text` range
/// with version 1.0.0, 0.0.1 or no version has the highest q-value among the formats served here
/// (ties go to OpenMetrics); `text/plain` (version absent, 0.0.4 or 1.0.0), `text/*` and `*/*`
/// select text 0.0.4, which is what the response then declares. For each format the most
/// specific matching range decides (`text/plain;version=0.0.4;q=0, */*` rules text out).
/// A range with a malformed q-value is ignored.
/// Media types and parameter names are case-insensitive; whitespace around tokens is ignored.
/// An empty, unparsable or unsatisfiable header gives text 0.0.4.
///
/// Total: accepts any bytes, runs in time linear in the input, never throws. Thread-safe.
Format negotiate(std::string_view accept_header);

}  // namespace adminara::obs::prometheus
