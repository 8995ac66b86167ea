// Attribute values as JSON, for every JSON writer of the library (console exporter, debug pages,
// OpenMetrics labels of non-string resource attributes).
#pragma once

#include "adminara/obs/attributes.h"
#include "common/json_writer.h"

namespace adminara::obs {

/// Writes `v` as one JSON value: a string, boolean or number, or an array of them. Non-finite
/// doubles follow JsonWriter's rule ("NaN", "Infinity", "-Infinity").
void write_json(common::JsonWriter& w, const AttributeValue& v);

}  // namespace adminara::obs
