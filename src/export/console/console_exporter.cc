// The console exporter: one JSON object per span per line, written with one call per batch.
#include <ostream>

#include "adminara/obs/exporter.h"
#include "adminara/obs/resource.h"
#include "api/attribute_json.h"
#include "common/json_writer.h"

namespace adminara::obs {
namespace {

void write_attributes(common::JsonWriter& w, const std::vector<KeyValue>& attrs) {
  w.begin_object();
  for (const auto& kv : attrs) {
    w.key(kv.key);
    write_json(w, kv.value);
  }
  w.end_object();
}

void write_span(std::string& out, const SpanData& s) {
  common::JsonWriter w(out);
  char hex[32];
  w.begin_object();
  s.context.trace_id().write_hex(hex);
  w.key("traceId").string(std::string_view(hex, 32));
  s.context.span_id().write_hex(hex);
  w.key("spanId").string(std::string_view(hex, 16));
  if (s.has_parent()) {
    s.parent_span_id.write_hex(hex);
    w.key("parentSpanId").string(std::string_view(hex, 16));
  }
  if (!s.context.trace_state().empty())
    w.key("traceState").string(s.context.trace_state().serialize());
  w.key("name").string(s.name);
  w.key("kind").string(to_string(s.kind));
  w.key("timestamp").number(s.start_time_unix_nano / 1000);
  w.key("duration").number(static_cast<double>(s.duration_nanos()) / 1000.0);
  w.key("attributes");
  write_attributes(w, s.attributes);
  w.key("status").begin_object().key("code").string(to_string(s.status.code));
  if (!s.status.description.empty()) w.key("message").string(s.status.description);
  w.end_object();
  w.key("events").begin_array();
  for (const auto& e : s.events) {
    w.begin_object().key("name").string(e.name);
    w.key("timestamp").number(e.time_unix_nano / 1000);
    w.key("attributes");
    write_attributes(w, e.attributes);
    if (e.dropped_attributes_count != 0) {
      w.key("droppedAttributesCount").number(std::uint64_t{e.dropped_attributes_count});
    }
    w.end_object();
  }
  w.end_array();
  if (!s.links.empty()) {
    w.key("links").begin_array();
    for (const auto& l : s.links) {
      w.begin_object();
      l.context.trace_id().write_hex(hex);
      w.key("traceId").string(std::string_view(hex, 32));
      l.context.span_id().write_hex(hex);
      w.key("spanId").string(std::string_view(hex, 16));
      w.key("attributes");
      write_attributes(w, l.attributes);
      w.end_object();
    }
    w.end_array();
  }
  if (s.dropped_attributes_count != 0) {
    w.key("droppedAttributesCount").number(std::uint64_t{s.dropped_attributes_count});
  }
  if (s.dropped_events_count != 0) {
    w.key("droppedEventsCount").number(std::uint64_t{s.dropped_events_count});
  }
  if (s.dropped_links_count != 0) {
    w.key("droppedLinksCount").number(std::uint64_t{s.dropped_links_count});
  }
  if (s.scope != nullptr) {
    w.key("instrumentationScope").begin_object().key("name").string(s.scope->name);
    if (!s.scope->version.empty()) w.key("version").string(s.scope->version);
    w.end_object();
  }
  if (s.resource != nullptr) {
    w.key("resource").begin_object().key("attributes");
    write_attributes(w, s.resource->attributes());
    w.end_object();
  }
  w.end_object();
  out += '\n';
}

class ConsoleSpanExporter final : public SpanExporter {
 public:
  explicit ConsoleSpanExporter(std::ostream& out) : out_(out) {}

  ExportResult export_spans(std::span<const SpanData* const> spans) override {
    buffer_.clear();
    for (const SpanData* s : spans) write_span(buffer_, *s);
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    out_.flush();
    return out_ ? ExportResult::kSuccess : ExportResult::kFailure;
  }

  bool force_flush() override {
    out_.flush();
    return static_cast<bool>(out_);
  }

 private:
  std::ostream& out_;
  std::string buffer_;  // reused between exports (calls are never concurrent)
};

class NoopSpanExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanData* const>) override {
    return ExportResult::kSuccess;
  }
};

}  // namespace

std::unique_ptr<SpanExporter> make_console_exporter(std::ostream& out) {
  return std::make_unique<ConsoleSpanExporter>(out);
}

std::unique_ptr<SpanExporter> make_noop_exporter() {
  return std::make_unique<NoopSpanExporter>();
}

}  // namespace adminara::obs
