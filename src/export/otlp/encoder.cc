#include "export/otlp/encoder.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <variant>

#include "common/json_writer.h"
#include "export/otlp/proto_writer.h"

namespace adminara::obs::otlp {
namespace {

// Span.flags / Link.flags: the W3C trace-flags byte, plus "remoteness known" (bit 8) and
// "is remote" (bit 9) of the parent (Span) or linked context (Link).
constexpr std::uint32_t kHasIsRemote = 0x100;
constexpr std::uint32_t kIsRemote = 0x200;

std::uint32_t span_flags(const SpanData& s) {
  return s.context.trace_flags().value | kHasIsRemote | (s.parent_is_remote ? kIsRemote : 0);
}
std::uint32_t link_flags(const SpanContext& c) {
  return c.trace_flags().value | kHasIsRemote | (c.is_remote() ? kIsRemote : 0);
}

// A batch's spans in (resource, scope) groups, in order of first appearance. A batch almost
// always has one resource and a handful of scopes, so a linear search is the fast path.
struct Group {
  const Resource* resource;
  const InstrumentationScope* scope;
};

std::vector<Group> groups_of(std::span<const SpanData* const> spans) {
  std::vector<Group> groups;
  const Resource* last_r = nullptr;
  const InstrumentationScope* last_s = nullptr;
  bool any = false;
  for (const SpanData* s : spans) {
    if (any && s->resource == last_r && s->scope == last_s) continue;
    last_r = s->resource;
    last_s = s->scope;
    any = true;
    bool found = false;
    for (const Group& g : groups) {
      if (g.resource == last_r && g.scope == last_s) {
        found = true;
        break;
      }
    }
    if (!found) groups.push_back({last_r, last_s});
  }
  // Resources first appearance order, scopes within them: stable partition by resource.
  std::vector<Group> ordered;
  ordered.reserve(groups.size());
  for (std::size_t i = 0; i < groups.size(); ++i) {
    bool seen = false;
    for (const Group& g : ordered) seen = seen || g.resource == groups[i].resource;
    if (seen) continue;
    for (std::size_t j = i; j < groups.size(); ++j) {
      if (groups[j].resource == groups[i].resource) ordered.push_back(groups[j]);
    }
  }
  return ordered;
}

// ---------------------------------------------------------------------------------------------
// Protobuf

void pb_any_scalar(ProtoWriter& w, std::string_view s) {
  w.field_string(1, s);
}
void pb_any_scalar(ProtoWriter& w, bool b) {
  w.field_varint(2, b ? 1 : 0);
}
void pb_any_scalar(ProtoWriter& w, std::int64_t i) {
  w.field_varint(3, static_cast<std::uint64_t>(i));  // negative: 10-byte sign extension
}
void pb_any_scalar(ProtoWriter& w, double d) {
  w.field_double(4, d);
}

// AnyValue contents (without its own tag/length).
void pb_any_value(ProtoWriter& w, const AttributeValue& v) {
  std::visit(
      [&w](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          pb_any_scalar(w, std::string_view(x));
        } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                             std::is_same_v<T, double>) {
          pb_any_scalar(w, x);
        } else {
          auto array = w.open(5, 2);  // ArrayValue
          for (const auto& item : x) {
            auto value = w.open(1);
            if constexpr (std::is_same_v<T, std::vector<std::string>>) {
              pb_any_scalar(w, std::string_view(item));
            } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
              pb_any_scalar(w, static_cast<bool>(item));
            } else {
              pb_any_scalar(w, item);
            }
            w.close(value);
          }
          w.close(array);
        }
      },
      v.storage());
}

void pb_attributes(ProtoWriter& w, std::uint32_t field, const std::vector<KeyValue>& attrs) {
  for (const KeyValue& kv : attrs) {
    auto m = w.open(field);
    w.field_string(1, kv.key);
    auto v = w.open(2);
    pb_any_value(w, kv.value);
    w.close(v);
    w.close(m);
  }
}

void pb_resource(ProtoWriter& w, std::uint32_t field, const Resource* r) {
  auto m = w.open(field, 2);
  if (r != nullptr) pb_attributes(w, 1, r->attributes());
  w.close(m);
}

void pb_scope(ProtoWriter& w, std::uint32_t field, std::string_view name,
              std::string_view version) {
  auto m = w.open(field);
  if (!name.empty()) w.field_string(1, name);
  if (!version.empty()) w.field_string(2, version);
  w.close(m);
}

void pb_span(ProtoWriter& w, const SpanData& s) {
  auto m = w.open(2, 2);  // ScopeSpans.spans
  w.field_bytes(1, s.context.trace_id().bytes.data(), 16);
  w.field_bytes(2, s.context.span_id().bytes.data(), 8);
  if (!s.context.trace_state().empty()) w.field_string(3, s.context.trace_state().serialize());
  if (s.has_parent()) w.field_bytes(4, s.parent_span_id.bytes.data(), 8);
  w.field_string(5, s.name);
  w.field_varint(6, static_cast<std::uint64_t>(s.kind));
  w.field_fixed64(7, s.start_time_unix_nano);
  w.field_fixed64(8, s.end_time_unix_nano);
  pb_attributes(w, 9, s.attributes);
  if (s.dropped_attributes_count != 0) w.field_varint(10, s.dropped_attributes_count);
  for (const SpanEvent& e : s.events) {
    auto em = w.open(11, 2);
    w.field_fixed64(1, e.time_unix_nano);
    w.field_string(2, e.name);
    pb_attributes(w, 3, e.attributes);
    if (e.dropped_attributes_count != 0) w.field_varint(4, e.dropped_attributes_count);
    w.close(em);
  }
  if (s.dropped_events_count != 0) w.field_varint(12, s.dropped_events_count);
  for (const SpanLink& l : s.links) {
    auto lm = w.open(13, 2);
    w.field_bytes(1, l.context.trace_id().bytes.data(), 16);
    w.field_bytes(2, l.context.span_id().bytes.data(), 8);
    if (!l.context.trace_state().empty()) w.field_string(3, l.context.trace_state().serialize());
    pb_attributes(w, 4, l.attributes);
    if (l.dropped_attributes_count != 0) w.field_varint(5, l.dropped_attributes_count);
    w.field_fixed32(6, link_flags(l.context));
    w.close(lm);
  }
  if (s.dropped_links_count != 0) w.field_varint(14, s.dropped_links_count);
  if (s.status.code != StatusCode::kUnset || !s.status.description.empty()) {
    auto st = w.open(15);
    if (!s.status.description.empty()) w.field_string(2, s.status.description);
    if (s.status.code != StatusCode::kUnset) {
      w.field_varint(3, static_cast<std::uint64_t>(s.status.code));
    }
    w.close(st);
  }
  w.field_fixed32(16, span_flags(s));
  w.close(m);
}

void pb_traces(std::span<const SpanData* const> spans, std::string& out) {
  ProtoWriter w(out);
  const std::vector<Group> groups = groups_of(spans);
  std::size_t i = 0;
  while (i < groups.size()) {
    const Resource* resource = groups[i].resource;
    auto rs = w.open(1, 3);  // ExportTraceServiceRequest.resource_spans
    pb_resource(w, 1, resource);
    for (; i < groups.size() && groups[i].resource == resource; ++i) {
      const InstrumentationScope* scope = groups[i].scope;
      auto ss = w.open(2, 3);  // ResourceSpans.scope_spans
      pb_scope(w, 1, scope != nullptr ? std::string_view(scope->name) : std::string_view(),
               scope != nullptr ? std::string_view(scope->version) : std::string_view());
      for (const SpanData* s : spans) {
        if (s->resource == resource && s->scope == scope) pb_span(w, *s);
      }
      w.close(ss);
    }
    w.close(rs);
  }
  w.finish();
}

void pb_exemplar(ProtoWriter& w, std::uint32_t field, const Exemplar& e) {
  auto m = w.open(field);
  w.field_fixed64(2, static_cast<std::uint64_t>(e.time_unix_nano));
  w.field_double(3, e.value);
  if (e.span_id.is_valid()) w.field_bytes(4, e.span_id.bytes.data(), 8);
  if (e.trace_id.is_valid()) w.field_bytes(5, e.trace_id.bytes.data(), 16);
  w.close(m);
}

std::size_t pb_metric(ProtoWriter& w, const MetricData& md) {
  auto m = w.open(2, 2);  // ScopeMetrics.metrics
  w.field_string(1, md.descriptor.name);
  if (!md.descriptor.description.empty()) w.field_string(2, md.descriptor.description);
  if (!md.descriptor.unit.empty()) w.field_string(3, md.descriptor.unit);
  const auto& first = md.points.front().value;
  const bool is_sum = std::holds_alternative<SumPoint>(first);
  const bool is_gauge = std::holds_alternative<GaugePoint>(first);
  auto data = w.open(is_sum ? 7 : is_gauge ? 5 : 9, 2);
  std::size_t written = 0;
  for (const PointData& p : md.points) {
    if (p.value.index() != first.index()) continue;  // one instrument has one point type
    ++written;
    if (const auto* h = std::get_if<HistogramPoint>(&p.value)) {
      auto dp = w.open(1, 2);
      pb_attributes(w, 9, *p.attributes);
      w.field_fixed64(2, static_cast<std::uint64_t>(p.start_time_unix_nano));
      w.field_fixed64(3, static_cast<std::uint64_t>(p.time_unix_nano));
      w.field_fixed64(4, h->count);
      w.field_double(5, h->sum);
      if (!h->bucket_counts.empty()) {
        w.tag(6, WireType::kLen);
        w.varint(8 * h->bucket_counts.size());
        for (std::uint64_t c : h->bucket_counts) w.fixed64(c);
      }
      if (h->boundaries && !h->boundaries->empty()) {
        w.tag(7, WireType::kLen);
        w.varint(8 * h->boundaries->size());
        for (double b : *h->boundaries) w.dbl(b);
      }
      for (const Exemplar& e : h->exemplars) pb_exemplar(w, 8, e);
      if (h->count > 0 && h->has_min_max) {
        w.field_double(11, h->min);
        w.field_double(12, h->max);
      }
      w.close(dp);
    } else {
      auto dp = w.open(1, 2);
      pb_attributes(w, 7, *p.attributes);
      if (is_sum) w.field_fixed64(2, static_cast<std::uint64_t>(p.start_time_unix_nano));
      w.field_fixed64(3, static_cast<std::uint64_t>(p.time_unix_nano));
      if (const auto* s = std::get_if<SumPoint>(&p.value)) {
        w.field_double(4, s->value);
        for (const Exemplar& e : s->exemplars) pb_exemplar(w, 5, e);
      } else {
        w.field_double(4, std::get<GaugePoint>(p.value).value);
      }
      w.close(dp);
    }
  }
  if (!is_gauge) w.field_varint(2, static_cast<std::uint64_t>(md.temporality));
  if (is_sum) w.field_varint(3, md.monotonic ? 1 : 0);
  w.close(data);
  w.close(m);
  return written;
}

bool same_scope(const InstrumentationScope& a, const InstrumentationScope& b) {
  return a.name == b.name && a.version == b.version;
}

// Metrics grouped by scope in order of first appearance (collect() already orders by meter).
template <class F>
void for_each_scope(std::span<const MetricData> metrics, F&& f) {
  std::vector<bool> done(metrics.size(), false);
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    if (done[i] || metrics[i].points.empty()) continue;
    std::vector<const MetricData*> group;
    for (std::size_t j = i; j < metrics.size(); ++j) {
      if (!done[j] && !metrics[j].points.empty() &&
          same_scope(metrics[i].scope, metrics[j].scope)) {
        group.push_back(&metrics[j]);
        done[j] = true;
      }
    }
    f(metrics[i].scope, group);
  }
}

std::size_t pb_metrics(const Resource& resource, std::span<const MetricData> metrics,
                       std::string& out) {
  ProtoWriter w(out);
  std::size_t points = 0;
  bool any = false;
  for (const MetricData& m : metrics) any = any || !m.points.empty();
  if (any) {
    auto rm = w.open(1, 3);
    pb_resource(w, 1, &resource);
    for_each_scope(metrics, [&](const InstrumentationScope& scope,
                                const std::vector<const MetricData*>& group) {
      auto sm = w.open(2, 3);
      pb_scope(w, 1, scope.name, scope.version);
      for (const MetricData* md : group) points += pb_metric(w, *md);
      w.close(sm);
    });
    w.close(rm);
  }
  w.finish();
  return points;
}

// ---------------------------------------------------------------------------------------------
// OTLP/JSON

void json_u64(common::JsonWriter& w, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  w.string(std::string_view(buf, static_cast<std::size_t>(end - buf)));
}
void json_i64(common::JsonWriter& w, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  w.string(std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

void json_hex(common::JsonWriter& w, std::string_view key, const TraceId& id) {
  char hex[32];
  id.write_hex(hex);
  w.key(key).string(std::string_view(hex, 32));
}
void json_hex(common::JsonWriter& w, std::string_view key, const SpanId& id) {
  char hex[16];
  id.write_hex(hex);
  w.key(key).string(std::string_view(hex, 16));
}

void json_any_scalar(common::JsonWriter& w, std::string_view s) {
  w.key("stringValue").string(s);
}
void json_any_scalar(common::JsonWriter& w, bool b) {
  w.key("boolValue").boolean(b);
}
void json_any_scalar(common::JsonWriter& w, std::int64_t i) {
  w.key("intValue");
  json_i64(w, i);
}
void json_any_scalar(common::JsonWriter& w, double d) {
  w.key("doubleValue").number(d);
}

void json_any_value(common::JsonWriter& w, const AttributeValue& v) {
  w.begin_object();
  std::visit(
      [&w](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          json_any_scalar(w, std::string_view(x));
        } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t> ||
                             std::is_same_v<T, double>) {
          json_any_scalar(w, x);
        } else {
          w.key("arrayValue").begin_object().key("values").begin_array();
          for (const auto& item : x) {
            w.begin_object();
            if constexpr (std::is_same_v<T, std::vector<std::string>>) {
              json_any_scalar(w, std::string_view(item));
            } else if constexpr (std::is_same_v<T, std::vector<bool>>) {
              json_any_scalar(w, static_cast<bool>(item));
            } else {
              json_any_scalar(w, item);
            }
            w.end_object();
          }
          w.end_array().end_object();
        }
      },
      v.storage());
  w.end_object();
}

void json_attributes(common::JsonWriter& w, std::string_view key,
                     const std::vector<KeyValue>& attrs) {
  if (attrs.empty()) return;
  w.key(key).begin_array();
  for (const KeyValue& kv : attrs) {
    w.begin_object().key("key").string(kv.key).key("value");
    json_any_value(w, kv.value);
    w.end_object();
  }
  w.end_array();
}

void json_resource(common::JsonWriter& w, const Resource* r) {
  w.key("resource").begin_object();
  if (r != nullptr) json_attributes(w, "attributes", r->attributes());
  w.end_object();
}

void json_scope(common::JsonWriter& w, std::string_view name, std::string_view version) {
  w.key("scope").begin_object();
  if (!name.empty()) w.key("name").string(name);
  if (!version.empty()) w.key("version").string(version);
  w.end_object();
}

void json_span(common::JsonWriter& w, const SpanData& s) {
  w.begin_object();
  json_hex(w, "traceId", s.context.trace_id());
  json_hex(w, "spanId", s.context.span_id());
  if (!s.context.trace_state().empty()) {
    w.key("traceState").string(s.context.trace_state().serialize());
  }
  if (s.has_parent()) json_hex(w, "parentSpanId", s.parent_span_id);
  w.key("flags").number(std::uint64_t{span_flags(s)});
  w.key("name").string(s.name);
  w.key("kind").number(static_cast<std::uint64_t>(s.kind));
  w.key("startTimeUnixNano");
  json_u64(w, s.start_time_unix_nano);
  w.key("endTimeUnixNano");
  json_u64(w, s.end_time_unix_nano);
  json_attributes(w, "attributes", s.attributes);
  if (s.dropped_attributes_count != 0) {
    w.key("droppedAttributesCount").number(std::uint64_t{s.dropped_attributes_count});
  }
  if (!s.events.empty()) {
    w.key("events").begin_array();
    for (const SpanEvent& e : s.events) {
      w.begin_object().key("timeUnixNano");
      json_u64(w, e.time_unix_nano);
      w.key("name").string(e.name);
      json_attributes(w, "attributes", e.attributes);
      if (e.dropped_attributes_count != 0) {
        w.key("droppedAttributesCount").number(std::uint64_t{e.dropped_attributes_count});
      }
      w.end_object();
    }
    w.end_array();
  }
  if (s.dropped_events_count != 0) {
    w.key("droppedEventsCount").number(std::uint64_t{s.dropped_events_count});
  }
  if (!s.links.empty()) {
    w.key("links").begin_array();
    for (const SpanLink& l : s.links) {
      w.begin_object();
      json_hex(w, "traceId", l.context.trace_id());
      json_hex(w, "spanId", l.context.span_id());
      if (!l.context.trace_state().empty()) {
        w.key("traceState").string(l.context.trace_state().serialize());
      }
      json_attributes(w, "attributes", l.attributes);
      if (l.dropped_attributes_count != 0) {
        w.key("droppedAttributesCount").number(std::uint64_t{l.dropped_attributes_count});
      }
      w.key("flags").number(std::uint64_t{link_flags(l.context)});
      w.end_object();
    }
    w.end_array();
  }
  if (s.dropped_links_count != 0) {
    w.key("droppedLinksCount").number(std::uint64_t{s.dropped_links_count});
  }
  if (s.status.code != StatusCode::kUnset || !s.status.description.empty()) {
    w.key("status").begin_object();
    if (!s.status.description.empty()) w.key("message").string(s.status.description);
    if (s.status.code != StatusCode::kUnset) {
      w.key("code").number(static_cast<std::uint64_t>(s.status.code));
    }
    w.end_object();
  }
  w.end_object();
}

void json_traces(std::span<const SpanData* const> spans, std::string& out) {
  common::JsonWriter w(out);
  w.begin_object().key("resourceSpans").begin_array();
  const std::vector<Group> groups = groups_of(spans);
  std::size_t i = 0;
  while (i < groups.size()) {
    const Resource* resource = groups[i].resource;
    w.begin_object();
    json_resource(w, resource);
    w.key("scopeSpans").begin_array();
    for (; i < groups.size() && groups[i].resource == resource; ++i) {
      const InstrumentationScope* scope = groups[i].scope;
      w.begin_object();
      json_scope(w, scope != nullptr ? std::string_view(scope->name) : std::string_view(),
                 scope != nullptr ? std::string_view(scope->version) : std::string_view());
      w.key("spans").begin_array();
      for (const SpanData* s : spans) {
        if (s->resource == resource && s->scope == scope) json_span(w, *s);
      }
      w.end_array().end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
}

void json_exemplars(common::JsonWriter& w, const std::vector<Exemplar>& exemplars) {
  if (exemplars.empty()) return;
  w.key("exemplars").begin_array();
  for (const Exemplar& e : exemplars) {
    w.begin_object().key("timeUnixNano");
    json_i64(w, e.time_unix_nano);
    w.key("asDouble").number(e.value);
    if (e.span_id.is_valid()) json_hex(w, "spanId", e.span_id);
    if (e.trace_id.is_valid()) json_hex(w, "traceId", e.trace_id);
    w.end_object();
  }
  w.end_array();
}

std::size_t json_metric(common::JsonWriter& w, const MetricData& md) {
  w.begin_object().key("name").string(md.descriptor.name);
  if (!md.descriptor.description.empty()) w.key("description").string(md.descriptor.description);
  if (!md.descriptor.unit.empty()) w.key("unit").string(md.descriptor.unit);
  const auto& first = md.points.front().value;
  const bool is_sum = std::holds_alternative<SumPoint>(first);
  const bool is_gauge = std::holds_alternative<GaugePoint>(first);
  w.key(is_sum ? "sum" : is_gauge ? "gauge" : "histogram").begin_object();
  w.key("dataPoints").begin_array();
  std::size_t written = 0;
  for (const PointData& p : md.points) {
    if (p.value.index() != first.index()) continue;
    ++written;
    w.begin_object();
    json_attributes(w, "attributes", *p.attributes);
    if (!is_gauge) {
      w.key("startTimeUnixNano");
      json_i64(w, p.start_time_unix_nano);
    }
    w.key("timeUnixNano");
    json_i64(w, p.time_unix_nano);
    if (const auto* h = std::get_if<HistogramPoint>(&p.value)) {
      w.key("count");
      json_u64(w, h->count);
      w.key("sum").number(h->sum);
      w.key("bucketCounts").begin_array();
      for (std::uint64_t c : h->bucket_counts) json_u64(w, c);
      w.end_array();
      w.key("explicitBounds").begin_array();
      if (h->boundaries) {
        for (double b : *h->boundaries) w.number(b);
      }
      w.end_array();
      json_exemplars(w, h->exemplars);
      if (h->count > 0 && h->has_min_max) {
        w.key("min").number(h->min);
        w.key("max").number(h->max);
      }
    } else if (const auto* s = std::get_if<SumPoint>(&p.value)) {
      w.key("asDouble").number(s->value);
      json_exemplars(w, s->exemplars);
    } else {
      w.key("asDouble").number(std::get<GaugePoint>(p.value).value);
    }
    w.end_object();
  }
  w.end_array();
  if (!is_gauge) w.key("aggregationTemporality").number(static_cast<std::uint64_t>(md.temporality));
  if (is_sum && md.monotonic) w.key("isMonotonic").boolean(true);
  w.end_object().end_object();
  return written;
}

std::size_t json_metrics(const Resource& resource, std::span<const MetricData> metrics,
                         std::string& out) {
  common::JsonWriter w(out);
  std::size_t points = 0;
  w.begin_object().key("resourceMetrics").begin_array();
  bool any = false;
  for (const MetricData& m : metrics) any = any || !m.points.empty();
  if (any) {
    w.begin_object();
    json_resource(w, &resource);
    w.key("scopeMetrics").begin_array();
    for_each_scope(metrics, [&](const InstrumentationScope& scope,
                                const std::vector<const MetricData*>& group) {
      w.begin_object();
      json_scope(w, scope.name, scope.version);
      w.key("metrics").begin_array();
      for (const MetricData* md : group) points += json_metric(w, *md);
      w.end_array().end_object();
    });
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return points;
}

// ---------------------------------------------------------------------------------------------
// Responses

// A minimal protobuf reader: enough to find fields 1 and 2 of a small message.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view data) : d_(data) {}
  bool done() const { return d_.empty(); }
  bool varint(std::uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (d_.empty()) return false;
      const auto b = static_cast<std::uint8_t>(d_.front());
      d_.remove_prefix(1);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  // Reads one field; for LEN fields `bytes` is its payload, otherwise `value` its number.
  bool field(std::uint32_t& number, std::uint64_t& value, std::string_view& bytes) {
    std::uint64_t key;
    if (!varint(key)) return false;
    number = static_cast<std::uint32_t>(key >> 3);
    switch (key & 7) {
      case 0:
        return varint(value);
      case 1:
        if (d_.size() < 8) return false;
        d_.remove_prefix(8);
        return true;
      case 5:
        if (d_.size() < 4) return false;
        d_.remove_prefix(4);
        return true;
      case 2: {
        std::uint64_t len;
        if (!varint(len) || len > d_.size()) return false;
        bytes = d_.substr(0, static_cast<std::size_t>(len));
        d_.remove_prefix(static_cast<std::size_t>(len));
        return true;
      }
      default:
        return false;
    }
  }

 private:
  std::string_view d_;
};

}  // namespace

void encode_traces(std::span<const SpanData* const> spans, Encoding encoding, std::string& out) {
  out.clear();
  if (encoding == Encoding::kProtobuf) {
    pb_traces(spans, out);
  } else {
    json_traces(spans, out);
  }
}

std::size_t encode_metrics(const Resource& resource, std::span<const MetricData> metrics,
                           Encoding encoding, std::string& out) {
  out.clear();
  return encoding == Encoding::kProtobuf ? pb_metrics(resource, metrics, out)
                                         : json_metrics(resource, metrics, out);
}

std::optional<PartialSuccess> decode_partial_success(std::string_view body, Encoding encoding) {
  PartialSuccess result;
  if (encoding == Encoding::kJson) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return result;
    const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return std::nullopt;
    const auto ps = j.find("partialSuccess");
    if (ps == j.end() || !ps->is_object()) return result;
    for (const char* key : {"rejectedSpans", "rejectedDataPoints"}) {
      const auto r = ps->find(key);
      if (r == ps->end()) continue;
      if (r->is_number_integer()) {
        result.rejected = r->get<std::int64_t>();
      } else if (r->is_string()) {
        const std::string& s = r->get_ref<const std::string&>();
        std::from_chars(s.data(), s.data() + s.size(), result.rejected);
      }
    }
    const auto m = ps->find("errorMessage");
    if (m != ps->end() && m->is_string()) result.error_message = m->get<std::string>();
    return result;
  }
  ProtoReader r(body);
  while (!r.done()) {
    std::uint32_t n = 0;
    std::uint64_t v = 0;
    std::string_view bytes;
    if (!r.field(n, v, bytes)) return std::nullopt;
    if (n != 1) continue;  // unknown fields are skipped
    ProtoReader inner(bytes);
    while (!inner.done()) {
      std::uint32_t in = 0;
      std::uint64_t iv = 0;
      std::string_view ib;
      if (!inner.field(in, iv, ib)) return std::nullopt;
      if (in == 1) result.rejected = static_cast<std::int64_t>(iv);
      if (in == 2) result.error_message = std::string(ib);
    }
  }
  return result;
}

std::string decode_error_message(std::string_view body, Encoding encoding) {
  if (encoding == Encoding::kJson) {
    const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      const auto m = j.find("message");
      if (m != j.end() && m->is_string()) return m->get<std::string>();
    }
    return {};
  }
  ProtoReader r(body);
  std::string message;
  while (!r.done()) {
    std::uint32_t n = 0;
    std::uint64_t v = 0;
    std::string_view bytes;
    if (!r.field(n, v, bytes)) return {};
    if (n == 2) message = std::string(bytes);
  }
  return message;
}

}  // namespace adminara::obs::otlp
