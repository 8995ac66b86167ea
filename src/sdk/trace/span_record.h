// SpanRecord: the mutable in-flight storage behind a recording Span. Records are pooled by the
// TracerCore and reused; strings and vectors keep their capacity across uses, so a span with the
// same shape as an earlier one allocates nothing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "adminara/obs/span_data.h"
#include "adminara/obs/tracer.h"
#include "common/prefetch.h"
#include "common/strings.h"

namespace adminara::obs::detail {

class TracerCore;
struct RecordHome;

// Cache-line aligned: records move between threads through the pool, and two records in use on
// different cores must not share a line.
class alignas(64) SpanRecord {
 public:
  SpanData data;
  TracerCore* core = nullptr;
  RecordHome* home = nullptr;  // the thread cache it was taken from (see RecordPool)
  std::uint64_t start_monotonic_ns = 0;
  /// The RunningSpans slot the span was counted in at start (only with running-span counting).
  std::uint32_t running_slot = 0;

  /// Called once when the record is created: allocates room for a typical name and attributes
  /// right away, on the creating thread and next to the record, so a record's memory is one
  /// contiguous stretch instead of blocks scattered among other records (which other threads may
  /// write). Records are reused in whatever order they come back, so a record may serve a span
  /// with a longer name than any it had; with room reserved for the usual lengths, that does not
  /// allocate either.
  void preallocate() {
    constexpr std::size_t kSlots = 8, kKeyCapacity = 32, kNameCapacity = 32;
    data.name.reserve(kNameCapacity);
    data.attributes.reserve(kSlots);
    spare_.reserve(kSlots);
    for (std::size_t i = 0; i < kSlots; ++i) {
      spare_.emplace_back();
      spare_.back().key.reserve(kKeyCapacity);
    }
  }

  /// Asks the CPU to bring the lines a span writes into this core's cache for writing, ahead of
  /// use: the record itself, its name and its first attribute slots. When an exporter on another
  /// core has read the record, each of those lines is shared with that core, and the first store to
  /// it would otherwise wait for the other copy to be invalidated, one line after the other.
  void prefetch_for_write() const noexcept {
    const char* p = reinterpret_cast<const char*>(this);
    for (std::size_t off = 0; off < sizeof(SpanRecord); off += 64) {
      common::prefetch_for_write(p + off);
    }
    common::prefetch_for_write(data.name.data());
    const char* a = reinterpret_cast<const char*>(data.attributes.data());
    const std::size_t slot_bytes =
        std::min(kPrefetchedSlots, data.attributes.capacity()) * sizeof(KeyValue);
    for (std::size_t off = 0; off < slot_bytes; off += 64) common::prefetch_for_write(a + off);
  }

  /// Prepares a recycled record for a new span (keeps capacity).
  void begin(std::string_view name, std::uint64_t start_monotonic) {
    common::assign_string(data.name, name);
    start_monotonic_ns = start_monotonic;
    attr_count_ = 0;
    data.dropped_attributes_count = 0;
    data.events.clear();
    data.dropped_events_count = 0;
    data.links.clear();
    data.dropped_links_count = 0;
    data.status.code = StatusCode::kUnset;
    if (!data.status.description.empty()) data.status.description.clear();
  }

  void set_attribute(std::string_view key, AttributeView value, const SpanLimits& limits);
  void add_event(std::string_view name, std::uint64_t time_unix_nano, Attributes attributes,
                 const SpanLimits& limits);
  void add_link(const SpanContext& ctx, Attributes attributes, const SpanLimits& limits);

  /// Trims data.attributes to what this span used; called once when the span ends. Unused
  /// slots move to spare_ with their string capacity, so records used for differently shaped
  /// spans still allocate nothing once warm.
  void seal() {
    auto& attrs = data.attributes;
    while (attrs.size() > attr_count_) {
      spare_.push_back(std::move(attrs.back()));
      attrs.pop_back();
    }
  }

 private:
  static constexpr std::size_t kPrefetchedSlots = 4;
  std::uint32_t attr_count_ = 0;  // attributes in use; data.attributes may hold stale slots
  std::vector<KeyValue> spare_;   // reusable slots (see seal())
};

/// Applies the value length limit to strings (also inside string arrays).
void truncate_value(AttributeValue& value, std::uint32_t max_length);

}  // namespace adminara::obs::detail
