// Attribute sets of metric series: order-insensitive hashing and comparison of the attributes a
// record call passes (views, nothing copied) against the sets stored with each series.
#pragma once

#include <cstdint>
#include <span>

#include "adminara/obs/attributes.h"
#include "adminara/obs/metric_data.h"

namespace adminara::obs::sdk {

/// Hash of one key/value pair. Equal values of the same type hash equally whether viewed from a
/// literal or from a stored AttributeValue; int 5 and double 5.0 differ.
std::uint64_t hash_attribute(std::string_view key, const AttributeView& value) noexcept;

/// Order-insensitive hash of a list (the sum of its pairs' hashes). A list with a repeated key
/// hashes unlike its normalized set, which only sends such calls to the slow path.
std::uint64_t hash_attributes(std::span<const AttributeInit> attributes) noexcept;
std::uint64_t hash_attribute_set(const AttributeSet& set) noexcept;

/// True when `attributes` (with distinct keys) is exactly `set`.
bool attributes_match(const AttributeSet& set, std::span<const AttributeInit> attributes) noexcept;

/// An owned, sorted set; on a repeated key the last value wins.
AttributeSet normalize_attributes(std::span<const AttributeInit> attributes);

}  // namespace adminara::obs::sdk
