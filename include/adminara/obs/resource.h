// Resource: the attributes that describe the entity producing telemetry (service.name,
// service.version, service.instance.id, host.name, ...). Built once at init; immutable after.
//
// Thread-safety: immutable after construction; safe to read from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/attributes.h"

namespace adminara::obs {

class Resource {
 public:
  Resource() = default;
  explicit Resource(std::vector<KeyValue> attributes);

  const std::vector<KeyValue>& attributes() const { return attributes_; }
  const AttributeValue* get(std::string_view key) const { return find_attribute(attributes_, key); }
  /// The string value of `key`, or "" when absent or not a string.
  std::string_view get_string(std::string_view key) const;

  /// Returns this resource with `other`'s attributes added; on a key present in both, `other`
  /// wins (OTel's "updating" resource merge).
  Resource merged_with(const Resource& other) const;

 private:
  std::vector<KeyValue> attributes_;
};

}  // namespace adminara::obs
