// The OTLP encoders checked against the project's .proto files: every field the exporter writes
// is decoded with the protoc-generated classes (protobuf) or by the OTLP/JSON rules, and the
// .proto files themselves are checked against the field numbers of opentelemetry-proto v1.11.0.
#include "export/otlp/encoder.h"

#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "export/otlp/proto/collector.pb.h"
#include "export/otlp/temporality.h"
#include "tests/export/otlp_receiver.h"

namespace adminara::obs {
namespace {

namespace pb = adminara::otlp;
using google::protobuf::FieldDescriptor;
using otlp::Encoding;

// --- the .proto files against opentelemetry-proto v1.11.0 -----------------------------------

void expect_field(const google::protobuf::Descriptor* d, const char* name, int number,
                  FieldDescriptor::Type type, bool repeated = false) {
  SCOPED_TRACE(std::string(d->full_name()) + "." + name);
  const FieldDescriptor* f = d->FindFieldByName(name);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->number(), number);
  EXPECT_EQ(f->type(), type);
  EXPECT_EQ(f->is_repeated(), repeated);
}

TEST(OtlpProto, FieldNumbersAndTypesMatchTheFacts) {
  using T = FieldDescriptor;
  auto* span = pb::Span::descriptor();
  expect_field(span, "trace_id", 1, T::TYPE_BYTES);
  expect_field(span, "span_id", 2, T::TYPE_BYTES);
  expect_field(span, "trace_state", 3, T::TYPE_STRING);
  expect_field(span, "parent_span_id", 4, T::TYPE_BYTES);
  expect_field(span, "name", 5, T::TYPE_STRING);
  expect_field(span, "kind", 6, T::TYPE_ENUM);
  expect_field(span, "start_time_unix_nano", 7, T::TYPE_FIXED64);
  expect_field(span, "end_time_unix_nano", 8, T::TYPE_FIXED64);
  expect_field(span, "attributes", 9, T::TYPE_MESSAGE, true);
  expect_field(span, "dropped_attributes_count", 10, T::TYPE_UINT32);
  expect_field(span, "events", 11, T::TYPE_MESSAGE, true);
  expect_field(span, "dropped_events_count", 12, T::TYPE_UINT32);
  expect_field(span, "links", 13, T::TYPE_MESSAGE, true);
  expect_field(span, "dropped_links_count", 14, T::TYPE_UINT32);
  expect_field(span, "status", 15, T::TYPE_MESSAGE);
  expect_field(span, "flags", 16, T::TYPE_FIXED32);
  auto* event = pb::Span::Event::descriptor();
  expect_field(event, "time_unix_nano", 1, T::TYPE_FIXED64);
  expect_field(event, "name", 2, T::TYPE_STRING);
  expect_field(event, "attributes", 3, T::TYPE_MESSAGE, true);
  expect_field(event, "dropped_attributes_count", 4, T::TYPE_UINT32);
  auto* link = pb::Span::Link::descriptor();
  expect_field(link, "trace_id", 1, T::TYPE_BYTES);
  expect_field(link, "span_id", 2, T::TYPE_BYTES);
  expect_field(link, "trace_state", 3, T::TYPE_STRING);
  expect_field(link, "attributes", 4, T::TYPE_MESSAGE, true);
  expect_field(link, "dropped_attributes_count", 5, T::TYPE_UINT32);
  expect_field(link, "flags", 6, T::TYPE_FIXED32);
  expect_field(pb::Status::descriptor(), "message", 2, T::TYPE_STRING);
  expect_field(pb::Status::descriptor(), "code", 3, T::TYPE_ENUM);
  expect_field(pb::ResourceSpans::descriptor(), "resource", 1, T::TYPE_MESSAGE);
  expect_field(pb::ResourceSpans::descriptor(), "scope_spans", 2, T::TYPE_MESSAGE, true);
  expect_field(pb::ResourceSpans::descriptor(), "schema_url", 3, T::TYPE_STRING);
  expect_field(pb::ScopeSpans::descriptor(), "scope", 1, T::TYPE_MESSAGE);
  expect_field(pb::ScopeSpans::descriptor(), "spans", 2, T::TYPE_MESSAGE, true);
  expect_field(pb::Resource::descriptor(), "attributes", 1, T::TYPE_MESSAGE, true);
  expect_field(pb::Resource::descriptor(), "dropped_attributes_count", 2, T::TYPE_UINT32);
  auto* scope = pb::InstrumentationScope::descriptor();
  expect_field(scope, "name", 1, T::TYPE_STRING);
  expect_field(scope, "version", 2, T::TYPE_STRING);
  expect_field(scope, "attributes", 3, T::TYPE_MESSAGE, true);
  expect_field(scope, "dropped_attributes_count", 4, T::TYPE_UINT32);
  expect_field(pb::KeyValue::descriptor(), "key", 1, T::TYPE_STRING);
  expect_field(pb::KeyValue::descriptor(), "value", 2, T::TYPE_MESSAGE);
  auto* any = pb::AnyValue::descriptor();
  expect_field(any, "string_value", 1, T::TYPE_STRING);
  expect_field(any, "bool_value", 2, T::TYPE_BOOL);
  expect_field(any, "int_value", 3, T::TYPE_INT64);
  expect_field(any, "double_value", 4, T::TYPE_DOUBLE);
  expect_field(any, "array_value", 5, T::TYPE_MESSAGE);
  expect_field(any, "kvlist_value", 6, T::TYPE_MESSAGE);
  expect_field(any, "bytes_value", 7, T::TYPE_BYTES);
  expect_field(pb::ArrayValue::descriptor(), "values", 1, T::TYPE_MESSAGE, true);
  expect_field(pb::KeyValueList::descriptor(), "values", 1, T::TYPE_MESSAGE, true);
  // Metrics.
  expect_field(pb::ResourceMetrics::descriptor(), "resource", 1, T::TYPE_MESSAGE);
  expect_field(pb::ResourceMetrics::descriptor(), "scope_metrics", 2, T::TYPE_MESSAGE, true);
  expect_field(pb::ScopeMetrics::descriptor(), "scope", 1, T::TYPE_MESSAGE);
  expect_field(pb::ScopeMetrics::descriptor(), "metrics", 2, T::TYPE_MESSAGE, true);
  auto* metric = pb::Metric::descriptor();
  expect_field(metric, "name", 1, T::TYPE_STRING);
  expect_field(metric, "description", 2, T::TYPE_STRING);
  expect_field(metric, "unit", 3, T::TYPE_STRING);
  expect_field(metric, "gauge", 5, T::TYPE_MESSAGE);
  expect_field(metric, "sum", 7, T::TYPE_MESSAGE);
  expect_field(metric, "histogram", 9, T::TYPE_MESSAGE);
  expect_field(pb::Gauge::descriptor(), "data_points", 1, T::TYPE_MESSAGE, true);
  expect_field(pb::Sum::descriptor(), "data_points", 1, T::TYPE_MESSAGE, true);
  expect_field(pb::Sum::descriptor(), "aggregation_temporality", 2, T::TYPE_ENUM);
  expect_field(pb::Sum::descriptor(), "is_monotonic", 3, T::TYPE_BOOL);
  expect_field(pb::Histogram::descriptor(), "data_points", 1, T::TYPE_MESSAGE, true);
  expect_field(pb::Histogram::descriptor(), "aggregation_temporality", 2, T::TYPE_ENUM);
  auto* ndp = pb::NumberDataPoint::descriptor();
  expect_field(ndp, "attributes", 7, T::TYPE_MESSAGE, true);
  expect_field(ndp, "start_time_unix_nano", 2, T::TYPE_FIXED64);
  expect_field(ndp, "time_unix_nano", 3, T::TYPE_FIXED64);
  expect_field(ndp, "as_double", 4, T::TYPE_DOUBLE);
  expect_field(ndp, "as_int", 6, T::TYPE_SFIXED64);
  expect_field(ndp, "exemplars", 5, T::TYPE_MESSAGE, true);
  expect_field(ndp, "flags", 8, T::TYPE_UINT32);
  auto* hdp = pb::HistogramDataPoint::descriptor();
  expect_field(hdp, "attributes", 9, T::TYPE_MESSAGE, true);
  expect_field(hdp, "start_time_unix_nano", 2, T::TYPE_FIXED64);
  expect_field(hdp, "time_unix_nano", 3, T::TYPE_FIXED64);
  expect_field(hdp, "count", 4, T::TYPE_FIXED64);
  expect_field(hdp, "sum", 5, T::TYPE_DOUBLE);
  expect_field(hdp, "bucket_counts", 6, T::TYPE_FIXED64, true);
  expect_field(hdp, "explicit_bounds", 7, T::TYPE_DOUBLE, true);
  expect_field(hdp, "exemplars", 8, T::TYPE_MESSAGE, true);
  expect_field(hdp, "flags", 10, T::TYPE_UINT32);
  expect_field(hdp, "min", 11, T::TYPE_DOUBLE);
  expect_field(hdp, "max", 12, T::TYPE_DOUBLE);
  EXPECT_TRUE(hdp->FindFieldByName("sum")->has_presence());
  EXPECT_TRUE(hdp->FindFieldByName("min")->has_presence());
  EXPECT_TRUE(hdp->FindFieldByName("bucket_counts")->is_packed());
  auto* ex = pb::Exemplar::descriptor();
  expect_field(ex, "filtered_attributes", 7, T::TYPE_MESSAGE, true);
  expect_field(ex, "time_unix_nano", 2, T::TYPE_FIXED64);
  expect_field(ex, "as_double", 3, T::TYPE_DOUBLE);
  expect_field(ex, "as_int", 6, T::TYPE_SFIXED64);
  expect_field(ex, "span_id", 4, T::TYPE_BYTES);
  expect_field(ex, "trace_id", 5, T::TYPE_BYTES);
  // Requests and responses.
  expect_field(pb::ExportTraceServiceRequest::descriptor(), "resource_spans", 1, T::TYPE_MESSAGE,
               true);
  expect_field(pb::ExportMetricsServiceRequest::descriptor(), "resource_metrics", 1,
               T::TYPE_MESSAGE, true);
  expect_field(pb::ExportTraceServiceResponse::descriptor(), "partial_success", 1, T::TYPE_MESSAGE);
  expect_field(pb::ExportTracePartialSuccess::descriptor(), "rejected_spans", 1, T::TYPE_INT64);
  expect_field(pb::ExportTracePartialSuccess::descriptor(), "error_message", 2, T::TYPE_STRING);
  expect_field(pb::ExportMetricsPartialSuccess::descriptor(), "rejected_data_points", 1,
               T::TYPE_INT64);
  // Enums (section 2.3).
  EXPECT_EQ(pb::Span::SPAN_KIND_CONSUMER, 5);
  EXPECT_EQ(pb::Status::STATUS_CODE_ERROR, 2);
  EXPECT_EQ(pb::AGGREGATION_TEMPORALITY_DELTA, 1);
  EXPECT_EQ(pb::AGGREGATION_TEMPORALITY_CUMULATIVE, 2);
}

// --- spans ---------------------------------------------------------------------------------

TraceId trace_id(std::uint8_t seed) {
  TraceId t;
  for (std::size_t i = 0; i < 16; ++i) t.bytes[i] = static_cast<std::uint8_t>(seed + i);
  return t;
}
SpanId span_id(std::uint8_t seed) {
  SpanId s;
  for (std::size_t i = 0; i < 8; ++i) s.bytes[i] = static_cast<std::uint8_t>(seed + 3 * i);
  return s;
}
std::string bytes_of(const TraceId& t) {
  return std::string(reinterpret_cast<const char*>(t.bytes.data()), 16);
}
std::string bytes_of(const SpanId& s) {
  return std::string(reinterpret_cast<const char*>(s.bytes.data()), 8);
}

struct Fixture {
  Resource resource{
      std::vector<KeyValue>{{"service.name", "checkout"}, {"process.pid", std::int64_t{4242}}}};
  Resource other_resource{std::vector<KeyValue>{{"service.name", "other"}}};
  InstrumentationScope scope{"adminara", "1.2.3"};
  InstrumentationScope scope2{"jobs", ""};
  std::vector<SpanData> spans;

  Fixture() {
    SpanData s;
    s.name = "GET /orders";
    s.context = SpanContext(trace_id(1), span_id(2), TraceFlags{TraceFlags::kSampled}, false,
                            std::make_shared<TraceState>(TraceState::parse("vendor=abc,x=1")));
    s.parent_span_id = span_id(9);
    s.parent_is_remote = true;
    s.kind = SpanKind::kServer;
    s.start_time_unix_nano = 1'700'000'000'123'456'789ULL;
    s.end_time_unix_nano = 1'700'000'000'223'456'789ULL;
    s.attributes = {
        {"str", "value ü"},
        {"flag", true},
        {"neg", std::int64_t{-42}},
        {"big", std::int64_t{9'007'199'254'740'993}},  // not representable as a double
        {"pi", 3.25},
        {"strs", std::vector<std::string>{"a", "b"}},
        {"bools", std::vector<bool>{true, false}},
        {"ints", std::vector<std::int64_t>{1, -2}},
        {"doubles", std::vector<double>{0.5, -1.5}},
    };
    s.dropped_attributes_count = 3;
    SpanEvent e;
    e.name = "exception";
    e.time_unix_nano = 1'700'000'000'200'000'000ULL;
    e.attributes = {{"exception.type", "std::runtime_error"}};
    e.dropped_attributes_count = 1;
    s.events.push_back(e);
    s.events.push_back(SpanEvent{"plain", 1'700'000'000'210'000'000ULL, {}, 0});
    s.dropped_events_count = 4;
    SpanLink l;
    l.context = SpanContext(trace_id(50), span_id(60), TraceFlags{0}, true,
                            std::make_shared<TraceState>(TraceState::parse("k=v")));
    l.attributes = {{"link.kind", "follows"}};
    l.dropped_attributes_count = 2;
    s.links.push_back(l);
    s.dropped_links_count = 5;
    s.status = Status{StatusCode::kError, "boom"};
    s.scope = &scope;
    s.resource = &resource;
    spans.push_back(s);

    SpanData root;  // a root span, other scope, defaults everywhere
    root.name = "job";
    root.context =
        SpanContext(trace_id(100), span_id(101), TraceFlags{TraceFlags::kSampled}, false);
    root.kind = SpanKind::kConsumer;
    root.start_time_unix_nano = 5;
    root.end_time_unix_nano = 6;
    root.status = Status{StatusCode::kOk, ""};
    root.scope = &scope2;
    root.resource = &resource;
    spans.push_back(root);

    SpanData third = root;  // same scope as the first, after another scope
    third.name = "third";
    third.context = SpanContext(trace_id(7), span_id(8), TraceFlags{TraceFlags::kSampled}, false);
    third.status = Status{};
    third.scope = &scope;
    spans.push_back(third);

    SpanData fourth = third;  // another resource
    fourth.name = "fourth";
    fourth.resource = &other_resource;
    spans.push_back(fourth);
  }

  std::vector<const SpanData*> views() const {
    std::vector<const SpanData*> v;
    for (const auto& s : spans) v.push_back(&s);
    return v;
  }
};

// An export request decoded from `body` with the generated classes (JSON through the OTLP/JSON
// rules).
template <class Request>
Request decode(const std::string& body, Encoding e) {
  Request req;
  if (e == Encoding::kProtobuf) {
    EXPECT_TRUE(req.ParseFromString(body));
  } else {
    std::string error;
    EXPECT_TRUE(testing::decode_otlp_json(body, req, &error)) << error << "\n" << body;
  }
  return req;
}

pb::ExportTraceServiceRequest decode_traces(const std::string& body, Encoding e) {
  return decode<pb::ExportTraceServiceRequest>(body, e);
}

const pb::AnyValue& attr(const google::protobuf::RepeatedPtrField<pb::KeyValue>& list,
                         const std::string& key) {
  for (const auto& kv : list) {
    if (kv.key() == key) return kv.value();
  }
  ADD_FAILURE() << "no attribute " << key;
  static pb::AnyValue empty;
  return empty;
}

void check_traces(const pb::ExportTraceServiceRequest& req, const Fixture& f) {
  ASSERT_EQ(req.resource_spans_size(), 2);
  const auto& rs = req.resource_spans(0);
  EXPECT_EQ(attr(rs.resource().attributes(), "service.name").string_value(), "checkout");
  EXPECT_EQ(attr(rs.resource().attributes(), "process.pid").int_value(), 4242);
  ASSERT_EQ(rs.scope_spans_size(), 2);
  EXPECT_EQ(rs.scope_spans(0).scope().name(), "adminara");
  EXPECT_EQ(rs.scope_spans(0).scope().version(), "1.2.3");
  EXPECT_EQ(rs.scope_spans(1).scope().name(), "jobs");
  EXPECT_EQ(rs.scope_spans(1).scope().version(), "");
  ASSERT_EQ(rs.scope_spans(0).spans_size(), 2);  // the first and the third span
  ASSERT_EQ(rs.scope_spans(1).spans_size(), 1);
  EXPECT_EQ(rs.scope_spans(0).spans(1).name(), "third");
  EXPECT_EQ(req.resource_spans(1).scope_spans(0).spans(0).name(), "fourth");
  EXPECT_EQ(attr(req.resource_spans(1).resource().attributes(), "service.name").string_value(),
            "other");

  const SpanData& want = f.spans[0];
  const pb::Span& s = rs.scope_spans(0).spans(0);
  EXPECT_EQ(s.trace_id(), bytes_of(want.context.trace_id()));
  EXPECT_EQ(s.span_id(), bytes_of(want.context.span_id()));
  EXPECT_EQ(s.trace_state(), "vendor=abc,x=1");
  EXPECT_EQ(s.parent_span_id(), bytes_of(want.parent_span_id));
  EXPECT_EQ(s.name(), "GET /orders");
  EXPECT_EQ(s.kind(), pb::Span::SPAN_KIND_SERVER);
  EXPECT_EQ(s.start_time_unix_nano(), want.start_time_unix_nano);
  EXPECT_EQ(s.end_time_unix_nano(), want.end_time_unix_nano);
  EXPECT_EQ(s.flags(), 0x01u | 0x100u | 0x200u);  // sampled, parent remoteness known, remote
  ASSERT_EQ(s.attributes_size(), 9);
  EXPECT_EQ(s.attributes(0).key(), "str");  // order kept
  EXPECT_EQ(attr(s.attributes(), "str").string_value(), "value ü");
  EXPECT_TRUE(attr(s.attributes(), "flag").has_bool_value());
  EXPECT_TRUE(attr(s.attributes(), "flag").bool_value());
  EXPECT_EQ(attr(s.attributes(), "neg").int_value(), -42);
  EXPECT_EQ(attr(s.attributes(), "big").int_value(), 9'007'199'254'740'993);
  EXPECT_EQ(attr(s.attributes(), "pi").double_value(), 3.25);
  const auto& strs = attr(s.attributes(), "strs").array_value();
  ASSERT_EQ(strs.values_size(), 2);
  EXPECT_EQ(strs.values(1).string_value(), "b");
  const auto& bools = attr(s.attributes(), "bools").array_value();
  ASSERT_EQ(bools.values_size(), 2);
  EXPECT_TRUE(bools.values(0).bool_value());
  EXPECT_TRUE(bools.values(1).has_bool_value());  // false is present as a oneof member
  EXPECT_FALSE(bools.values(1).bool_value());
  const auto& ints = attr(s.attributes(), "ints").array_value();
  ASSERT_EQ(ints.values_size(), 2);
  EXPECT_EQ(ints.values(1).int_value(), -2);
  const auto& doubles = attr(s.attributes(), "doubles").array_value();
  ASSERT_EQ(doubles.values_size(), 2);
  EXPECT_EQ(doubles.values(1).double_value(), -1.5);
  EXPECT_EQ(s.dropped_attributes_count(), 3u);
  ASSERT_EQ(s.events_size(), 2);
  EXPECT_EQ(s.events(0).name(), "exception");
  EXPECT_EQ(s.events(0).time_unix_nano(), 1'700'000'000'200'000'000ULL);
  EXPECT_EQ(attr(s.events(0).attributes(), "exception.type").string_value(), "std::runtime_error");
  EXPECT_EQ(s.events(0).dropped_attributes_count(), 1u);
  EXPECT_EQ(s.events(1).name(), "plain");
  EXPECT_EQ(s.events(1).attributes_size(), 0);
  EXPECT_EQ(s.dropped_events_count(), 4u);
  ASSERT_EQ(s.links_size(), 1);
  EXPECT_EQ(s.links(0).trace_id(), bytes_of(trace_id(50)));
  EXPECT_EQ(s.links(0).span_id(), bytes_of(span_id(60)));
  EXPECT_EQ(s.links(0).trace_state(), "k=v");
  EXPECT_EQ(attr(s.links(0).attributes(), "link.kind").string_value(), "follows");
  EXPECT_EQ(s.links(0).dropped_attributes_count(), 2u);
  EXPECT_EQ(s.links(0).flags(), 0x100u | 0x200u);  // not sampled, remote
  EXPECT_EQ(s.dropped_links_count(), 5u);
  EXPECT_EQ(s.status().code(), pb::Status::STATUS_CODE_ERROR);
  EXPECT_EQ(s.status().message(), "boom");

  const pb::Span& root = rs.scope_spans(1).spans(0);
  EXPECT_EQ(root.name(), "job");
  EXPECT_TRUE(root.parent_span_id().empty());
  EXPECT_EQ(root.kind(), pb::Span::SPAN_KIND_CONSUMER);
  EXPECT_EQ(root.flags(), 0x01u | 0x100u);  // local root: remoteness known, not remote
  EXPECT_EQ(root.status().code(), pb::Status::STATUS_CODE_OK);
  EXPECT_FALSE(rs.scope_spans(0).spans(1).has_status());  // unset status is not written
}

TEST(OtlpEncoder, SpansInProtobufDecodeWithEveryField) {
  Fixture f;
  std::string body;
  otlp::encode_traces(f.views(), Encoding::kProtobuf, body);
  check_traces(decode_traces(body, Encoding::kProtobuf), f);
}

TEST(OtlpEncoder, SpansInJsonDecodeWithEveryField) {
  Fixture f;
  std::string body;
  otlp::encode_traces(f.views(), Encoding::kJson, body);
  check_traces(decode_traces(body, Encoding::kJson), f);
}

// Collects every object key of a JSON document.
void keys_of(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      out.push_back(it.key());
      keys_of(*it, out);
    }
  } else if (j.is_array()) {
    for (const auto& e : j) keys_of(e, out);
  }
}

TEST(OtlpEncoder, JsonFollowsTheOtlpJsonRules) {
  Fixture f;
  std::string body;
  otlp::encode_traces(f.views(), Encoding::kJson, body);
  const nlohmann::json j = nlohmann::json::parse(body);
  const auto& span = j["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(span["traceId"], trace_id(1).to_hex());  // hex, not base64
  EXPECT_EQ(span["spanId"], span_id(2).to_hex());
  EXPECT_EQ(span["parentSpanId"], span_id(9).to_hex());
  EXPECT_EQ(span["kind"], 2);  // integer enum
  EXPECT_EQ(span["status"]["code"], 2);
  EXPECT_EQ(span["startTimeUnixNano"], "1700000000123456789");  // 64-bit as string
  EXPECT_EQ(span["flags"], 0x301);                              // 32-bit as number
  EXPECT_EQ(span["droppedAttributesCount"], 3);
  for (const auto& kv : span["attributes"]) {
    if (kv["key"] == "big") {
      EXPECT_EQ(kv["value"]["intValue"], "9007199254740993");
    }
    if (kv["key"] == "neg") {
      EXPECT_EQ(kv["value"]["intValue"], "-42");
    }
  }
  EXPECT_EQ(span["links"][0]["traceId"], trace_id(50).to_hex());
  std::vector<std::string> keys;
  keys_of(j, keys);
  for (const auto& k : keys) EXPECT_EQ(k.find('_'), std::string::npos) << k;  // lowerCamelCase
  // The root span has no parentSpanId, and unset fields are left out.
  const auto& root = j["resourceSpans"][0]["scopeSpans"][1]["spans"][0];
  EXPECT_FALSE(root.contains("parentSpanId"));
  EXPECT_FALSE(root.contains("droppedAttributesCount"));
}

TEST(OtlpEncoder, EmptyBatchHasNoEnvelopes) {
  std::string body = "stale";
  otlp::encode_traces({}, Encoding::kProtobuf, body);
  EXPECT_TRUE(body.empty());
  otlp::encode_traces({}, Encoding::kJson, body);
  EXPECT_EQ(body, R"({"resourceSpans":[]})");
}

TEST(OtlpEncoder, LargeSpansAndAttributesNeedLongerLengths) {
  // Lengths of 128+ and 16384+ bytes take 2 and 3 varint bytes: the writer's guesses are wrong
  // at every nesting level here and must shift correctly.
  Resource r(std::vector<KeyValue>{{"k", std::string(20000, 'r')}});
  InstrumentationScope scope{"s", ""};
  std::vector<SpanData> spans(3);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    spans[i].name = std::string(i == 1 ? 200 : 3, 'n');
    spans[i].context =
        SpanContext(trace_id(1), span_id(static_cast<std::uint8_t>(i + 1)), TraceFlags{1}, false);
    spans[i].attributes = {{"a", std::string(i * 9000, 'x')}, {"b", std::int64_t(i)}};
    spans[i].resource = &r;
    spans[i].scope = &scope;
  }
  std::vector<const SpanData*> views = {&spans[0], &spans[1], &spans[2]};
  std::string body;
  otlp::encode_traces(views, Encoding::kProtobuf, body);
  const auto req = decode_traces(body, Encoding::kProtobuf);
  ASSERT_EQ(req.resource_spans_size(), 1);
  EXPECT_EQ(attr(req.resource_spans(0).resource().attributes(), "k").string_value().size(), 20000u);
  const auto& out = req.resource_spans(0).scope_spans(0).spans();
  ASSERT_EQ(out.size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(attr(out[i].attributes(), "a").string_value().size(),
              static_cast<std::size_t>(i) * 9000);
    EXPECT_EQ(attr(out[i].attributes(), "b").int_value(), i);
  }
  EXPECT_EQ(out[1].name().size(), 200u);
}

// --- metrics -------------------------------------------------------------------------------

std::shared_ptr<const AttributeSet> attrs(std::vector<KeyValue> kv) {
  return std::make_shared<const AttributeSet>(std::move(kv));
}

std::vector<MetricData> sample_metrics() {
  std::vector<MetricData> out;
  MetricData counter;
  counter.scope = {"adminara", "0.1.0"};
  counter.descriptor = {"requests", "Requests served", "1", InstrumentKind::kCounter};
  counter.monotonic = true;
  PointData p;
  p.attributes = attrs({{"route", "/a"}});
  p.start_time_unix_nano = 100;
  p.time_unix_nano = 200;
  SumPoint sp;
  sp.value = 7;
  Exemplar ex;
  ex.value = 2;
  ex.time_unix_nano = 150;
  ex.trace_id = trace_id(1);
  ex.span_id = span_id(2);
  sp.exemplars.push_back(ex);
  p.value = sp;
  counter.points.push_back(p);
  out.push_back(counter);

  MetricData updown;
  updown.scope = {"adminara", "0.1.0"};
  updown.descriptor = {"active", "", "", InstrumentKind::kUpDownCounter};
  PointData u;
  u.attributes = attrs({});
  u.start_time_unix_nano = 100;
  u.time_unix_nano = 200;
  u.value = SumPoint{-3, {}};
  updown.points.push_back(u);
  out.push_back(updown);

  MetricData gauge;
  gauge.scope = {"other", ""};
  gauge.descriptor = {"temperature", "", "Cel", InstrumentKind::kObservableGauge};
  PointData g;
  g.attributes = attrs({{"room", "a"}, {"floor", std::int64_t{2}}});
  g.start_time_unix_nano = 100;
  g.time_unix_nano = 200;
  g.value = GaugePoint{21.5};
  gauge.points.push_back(g);
  out.push_back(gauge);

  MetricData hist;
  hist.scope = {"adminara", "0.1.0"};
  hist.descriptor = {"latency", "Latency", "ms", InstrumentKind::kHistogram};
  PointData h;
  h.attributes = attrs({{"route", "/a"}});
  h.start_time_unix_nano = 100;
  h.time_unix_nano = 200;
  HistogramPoint hp;
  hp.boundaries = std::make_shared<const std::vector<double>>(std::vector<double>{0, 5, 10});
  hp.bucket_counts = {1, 2, 0, 3};
  hp.count = 6;
  hp.sum = 70.5;
  hp.min = 0;
  hp.max = 30;
  Exemplar hx = ex;
  hx.value = 30;
  hp.exemplars.push_back(hx);
  h.value = hp;
  hist.points.push_back(h);
  out.push_back(hist);

  MetricData empty;  // no points: left out
  empty.scope = {"adminara", "0.1.0"};
  empty.descriptor = {"unused", "", "", InstrumentKind::kCounter};
  out.push_back(empty);
  return out;
}

pb::ExportMetricsServiceRequest decode_metrics(const std::string& body, Encoding e) {
  return decode<pb::ExportMetricsServiceRequest>(body, e);
}

void check_metrics(const pb::ExportMetricsServiceRequest& req) {
  ASSERT_EQ(req.resource_metrics_size(), 1);
  const auto& rm = req.resource_metrics(0);
  EXPECT_EQ(attr(rm.resource().attributes(), "service.name").string_value(), "svc");
  ASSERT_EQ(rm.scope_metrics_size(), 2);
  const auto& sm = rm.scope_metrics(0);
  EXPECT_EQ(sm.scope().name(), "adminara");
  EXPECT_EQ(sm.scope().version(), "0.1.0");
  ASSERT_EQ(sm.metrics_size(), 3);  // requests, active, latency (grouped by scope)

  const auto& counter = sm.metrics(0);
  EXPECT_EQ(counter.name(), "requests");
  EXPECT_EQ(counter.description(), "Requests served");
  EXPECT_EQ(counter.unit(), "1");
  ASSERT_TRUE(counter.has_sum());
  EXPECT_TRUE(counter.sum().is_monotonic());
  EXPECT_EQ(counter.sum().aggregation_temporality(), pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  ASSERT_EQ(counter.sum().data_points_size(), 1);
  const auto& p = counter.sum().data_points(0);
  EXPECT_EQ(attr(p.attributes(), "route").string_value(), "/a");
  EXPECT_EQ(p.start_time_unix_nano(), 100u);
  EXPECT_EQ(p.time_unix_nano(), 200u);
  EXPECT_EQ(p.value_case(), pb::NumberDataPoint::kAsDouble);
  EXPECT_EQ(p.as_double(), 7);
  ASSERT_EQ(p.exemplars_size(), 1);
  EXPECT_EQ(p.exemplars(0).as_double(), 2);
  EXPECT_EQ(p.exemplars(0).time_unix_nano(), 150u);
  EXPECT_EQ(p.exemplars(0).trace_id(), bytes_of(trace_id(1)));
  EXPECT_EQ(p.exemplars(0).span_id(), bytes_of(span_id(2)));

  const auto& updown = sm.metrics(1);
  ASSERT_TRUE(updown.has_sum());
  EXPECT_FALSE(updown.sum().is_monotonic());
  EXPECT_EQ(updown.sum().data_points(0).as_double(), -3);
  EXPECT_EQ(updown.sum().data_points(0).attributes_size(), 0);

  const auto& hist = sm.metrics(2);
  ASSERT_TRUE(hist.has_histogram());
  EXPECT_EQ(hist.unit(), "ms");
  EXPECT_EQ(hist.histogram().aggregation_temporality(), pb::AGGREGATION_TEMPORALITY_CUMULATIVE);
  const auto& h = hist.histogram().data_points(0);
  EXPECT_THAT(h.explicit_bounds(), ::testing::ElementsAre(0, 5, 10));
  EXPECT_THAT(h.bucket_counts(), ::testing::ElementsAre(1u, 2u, 0u, 3u));
  EXPECT_EQ(h.count(), 6u);
  ASSERT_TRUE(h.has_sum());
  EXPECT_EQ(h.sum(), 70.5);
  ASSERT_TRUE(h.has_min());  // min = 0 is present (explicit presence)
  EXPECT_EQ(h.min(), 0);
  ASSERT_TRUE(h.has_max());
  EXPECT_EQ(h.max(), 30);
  EXPECT_EQ(h.start_time_unix_nano(), 100u);
  ASSERT_EQ(h.exemplars_size(), 1);
  EXPECT_EQ(h.exemplars(0).as_double(), 30);

  const auto& gauge_scope = rm.scope_metrics(1);
  EXPECT_EQ(gauge_scope.scope().name(), "other");
  ASSERT_EQ(gauge_scope.metrics_size(), 1);
  const auto& gauge = gauge_scope.metrics(0);
  ASSERT_TRUE(gauge.has_gauge());
  EXPECT_EQ(gauge.unit(), "Cel");
  const auto& g = gauge.gauge().data_points(0);
  EXPECT_EQ(g.as_double(), 21.5);
  EXPECT_EQ(g.start_time_unix_nano(), 0u);  // gauges carry no start time
  EXPECT_EQ(attr(g.attributes(), "floor").int_value(), 2);
}

TEST(OtlpEncoder, MetricsInProtobufDecodeWithEveryField) {
  const Resource r(std::vector<KeyValue>{{"service.name", "svc"}});
  std::string body;
  EXPECT_EQ(otlp::encode_metrics(r, sample_metrics(), Encoding::kProtobuf, body), 4u);
  check_metrics(decode_metrics(body, Encoding::kProtobuf));
}

TEST(OtlpEncoder, MetricsInJsonDecodeWithEveryField) {
  const Resource r(std::vector<KeyValue>{{"service.name", "svc"}});
  std::string body;
  EXPECT_EQ(otlp::encode_metrics(r, sample_metrics(), Encoding::kJson, body), 4u);
  check_metrics(decode_metrics(body, Encoding::kJson));
  const nlohmann::json j = nlohmann::json::parse(body);
  const auto& hist = j["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][2]["histogram"];
  EXPECT_EQ(hist["aggregationTemporality"], 2);
  EXPECT_EQ(hist["dataPoints"][0]["count"], "6");
  EXPECT_EQ(hist["dataPoints"][0]["bucketCounts"], nlohmann::json({"1", "2", "0", "3"}));
  EXPECT_EQ(hist["dataPoints"][0]["exemplars"][0]["traceId"], trace_id(1).to_hex());
  std::vector<std::string> keys;
  keys_of(j, keys);
  for (const auto& k : keys) EXPECT_EQ(k.find('_'), std::string::npos) << k;
}

TEST(OtlpEncoder, NoPointsNoEnvelopes) {
  std::vector<MetricData> none(1);
  none[0].descriptor.name = "x";
  std::string body;
  EXPECT_EQ(otlp::encode_metrics(Resource(), none, Encoding::kProtobuf, body), 0u);
  EXPECT_TRUE(body.empty());
}

// --- responses -----------------------------------------------------------------------------

TEST(OtlpEncoder, PartialSuccessIsRead) {
  pb::ExportTraceServiceResponse resp;
  resp.mutable_partial_success()->set_rejected_spans(3);
  resp.mutable_partial_success()->set_error_message("too old");
  auto ps = otlp::decode_partial_success(resp.SerializeAsString(), Encoding::kProtobuf);
  ASSERT_TRUE(ps);
  EXPECT_EQ(ps->rejected, 3);
  EXPECT_EQ(ps->error_message, "too old");
  ps = otlp::decode_partial_success("", Encoding::kProtobuf);
  ASSERT_TRUE(ps);
  EXPECT_EQ(ps->rejected, 0);
  ps = otlp::decode_partial_success(
      R"({"partialSuccess":{"rejectedDataPoints":"12","errorMessage":"bad"},"extra":1})",
      Encoding::kJson);
  ASSERT_TRUE(ps);
  EXPECT_EQ(ps->rejected, 12);
  EXPECT_EQ(ps->error_message, "bad");
  ps = otlp::decode_partial_success(R"({"partialSuccess":{"rejectedSpans":5}})", Encoding::kJson);
  ASSERT_TRUE(ps);
  EXPECT_EQ(ps->rejected, 5);
  EXPECT_EQ(otlp::decode_partial_success("{}", Encoding::kJson)->rejected, 0);
  EXPECT_FALSE(otlp::decode_partial_success("\x0a\x05\x08", Encoding::kProtobuf));  // truncated
  EXPECT_FALSE(otlp::decode_partial_success("not json", Encoding::kJson));

  pb::RpcStatus status;
  status.set_code(3);
  status.set_message("invalid span");
  EXPECT_EQ(otlp::decode_error_message(status.SerializeAsString(), Encoding::kProtobuf),
            "invalid span");
  EXPECT_EQ(otlp::decode_error_message(R"({"code":3,"message":"nope"})", Encoding::kJson), "nope");
}

// --- temporality ---------------------------------------------------------------------------

MetricData counter_at(double value, std::int64_t time,
                      InstrumentKind kind = InstrumentKind::kCounter,
                      std::vector<Exemplar> exemplars = {}) {
  MetricData m;
  m.scope = {"s", ""};
  m.descriptor = {"c", "", "", kind};
  m.monotonic = kind == InstrumentKind::kCounter || kind == InstrumentKind::kObservableCounter;
  PointData p;
  p.attributes = attrs({{"k", "v"}});
  p.start_time_unix_nano = 10;
  p.time_unix_nano = time;
  p.value = SumPoint{value, std::move(exemplars)};
  m.points.push_back(p);
  return m;
}

MetricData histogram_at(std::vector<std::uint64_t> buckets, double sum, double min, double max,
                        std::int64_t time) {
  MetricData m;
  m.scope = {"s", ""};
  m.descriptor = {"h", "", "", InstrumentKind::kHistogram};
  PointData p;
  p.attributes = attrs({});
  p.start_time_unix_nano = 10;
  p.time_unix_nano = time;
  HistogramPoint hp;
  hp.boundaries = std::make_shared<const std::vector<double>>(std::vector<double>{1, 2});
  hp.bucket_counts = buckets;
  for (auto b : buckets) hp.count += b;
  hp.sum = sum;
  hp.min = min;
  hp.max = max;
  p.value = hp;
  m.points.push_back(p);
  return m;
}

TEST(OtlpTemporality, CumulativeLeavesDataAlone) {
  otlp::DeltaConverter c(config::TemporalityPreference::kCumulative);
  std::vector<MetricData> d = {counter_at(5, 100)};
  c.convert(d);
  EXPECT_EQ(d[0].temporality, AggregationTemporality::kCumulative);
  EXPECT_EQ(std::get<SumPoint>(d[0].points[0].value).value, 5);
}

TEST(OtlpTemporality, DeltaSumsAreDifferencesPerSeries) {
  otlp::DeltaConverter c(config::TemporalityPreference::kDelta);
  Exemplar old_ex{.value = 1, .time_unix_nano = 50, .trace_id = {}, .span_id = {}};
  std::vector<MetricData> d = {counter_at(5, 100, InstrumentKind::kCounter, {old_ex})};
  c.convert(d);
  EXPECT_EQ(d[0].temporality, AggregationTemporality::kDelta);
  EXPECT_EQ(std::get<SumPoint>(d[0].points[0].value).value, 5);
  EXPECT_EQ(d[0].points[0].start_time_unix_nano, 10);  // first: the series' start
  EXPECT_EQ(std::get<SumPoint>(d[0].points[0].value).exemplars.size(), 1u);

  Exemplar new_ex{.value = 4, .time_unix_nano = 150, .trace_id = {}, .span_id = {}};
  d = {counter_at(12, 200, InstrumentKind::kCounter, {old_ex, new_ex})};
  c.convert(d);
  ASSERT_EQ(d[0].points.size(), 1u);
  EXPECT_EQ(std::get<SumPoint>(d[0].points[0].value).value, 7);
  EXPECT_EQ(d[0].points[0].start_time_unix_nano, 100);  // where the last point ended
  EXPECT_EQ(d[0].points[0].time_unix_nano, 200);
  // Only the exemplar recorded in this interval.
  ASSERT_EQ(std::get<SumPoint>(d[0].points[0].value).exemplars.size(), 1u);
  EXPECT_EQ(std::get<SumPoint>(d[0].points[0].value).exemplars[0].value, 4);

  // Unchanged synchronous series are not reported.
  d = {counter_at(12, 300)};
  c.convert(d);
  EXPECT_TRUE(d[0].points.empty());
  d = {counter_at(13, 400)};
  c.convert(d);
  EXPECT_EQ(std::get<SumPoint>(d[0].points[0].value).value, 1);
  EXPECT_EQ(d[0].points[0].start_time_unix_nano, 300);
}

TEST(OtlpTemporality, PreferencesChooseInstrumentKinds) {
  otlp::DeltaConverter delta(config::TemporalityPreference::kDelta);
  otlp::DeltaConverter low(config::TemporalityPreference::kLowMemory);
  EXPECT_TRUE(delta.is_delta(InstrumentKind::kCounter));
  EXPECT_TRUE(delta.is_delta(InstrumentKind::kObservableCounter));
  EXPECT_TRUE(delta.is_delta(InstrumentKind::kHistogram));
  EXPECT_FALSE(delta.is_delta(InstrumentKind::kUpDownCounter));
  EXPECT_FALSE(delta.is_delta(InstrumentKind::kObservableUpDownCounter));
  EXPECT_FALSE(delta.is_delta(InstrumentKind::kGauge));
  EXPECT_TRUE(low.is_delta(InstrumentKind::kCounter));
  EXPECT_TRUE(low.is_delta(InstrumentKind::kHistogram));
  EXPECT_FALSE(low.is_delta(InstrumentKind::kObservableCounter));
  EXPECT_FALSE(low.is_delta(InstrumentKind::kUpDownCounter));

  // An up-down counter stays cumulative under delta.
  std::vector<MetricData> d = {counter_at(5, 100, InstrumentKind::kUpDownCounter)};
  delta.convert(d);
  d = {counter_at(8, 200, InstrumentKind::kUpDownCounter)};
  delta.convert(d);
  EXPECT_EQ(d[0].temporality, AggregationTemporality::kCumulative);
  EXPECT_EQ(std::get<SumPoint>(d[0].points[0].value).value, 8);

  // An observable counter is reported every time under delta, even unchanged.
  d = {counter_at(5, 100, InstrumentKind::kObservableCounter)};
  delta.convert(d);
  d = {counter_at(5, 200, InstrumentKind::kObservableCounter)};
  delta.convert(d);
  ASSERT_EQ(d[0].points.size(), 1u);
  EXPECT_EQ(std::get<SumPoint>(d[0].points[0].value).value, 0);
  // ... and stays cumulative under lowmemory.
  d = {counter_at(5, 100, InstrumentKind::kObservableCounter)};
  low.convert(d);
  EXPECT_EQ(d[0].temporality, AggregationTemporality::kCumulative);
}

TEST(OtlpTemporality, DeltaHistogramsSubtractBucketsAndKnowMinMaxOnlyWhenNew) {
  otlp::DeltaConverter c(config::TemporalityPreference::kDelta);
  std::vector<MetricData> d = {histogram_at({1, 1, 0}, 2.5, 0.5, 2, 100)};
  c.convert(d);
  auto h = std::get<HistogramPoint>(d[0].points[0].value);
  EXPECT_EQ(h.count, 2u);
  EXPECT_TRUE(h.has_min_max);

  d = {histogram_at({1, 3, 1}, 12.5, 0.5, 5, 200)};  // +2 in (1,2], +1 above 2: max 5 is new
  c.convert(d);
  h = std::get<HistogramPoint>(d[0].points[0].value);
  EXPECT_EQ(d[0].temporality, AggregationTemporality::kDelta);
  EXPECT_THAT(h.bucket_counts, ::testing::ElementsAre(0u, 2u, 1u));
  EXPECT_EQ(h.count, 3u);
  EXPECT_EQ(h.sum, 10);
  EXPECT_FALSE(h.has_min_max);  // the interval's min is not known (cumulative min unchanged)
  EXPECT_EQ(d[0].points[0].start_time_unix_nano, 100);

  d = {histogram_at({2, 3, 2}, 18.5, 0.25, 6, 300)};  // both extremes new in this interval
  c.convert(d);
  h = std::get<HistogramPoint>(d[0].points[0].value);
  EXPECT_TRUE(h.has_min_max);
  EXPECT_EQ(h.min, 0.25);
  EXPECT_EQ(h.max, 6);

  // Encoded: no min/max when unknown.
  d = {histogram_at({2, 4, 2}, 20, 0.25, 6, 400)};
  c.convert(d);
  std::string body;
  otlp::encode_metrics(Resource(), d, Encoding::kProtobuf, body);
  const auto req = decode_metrics(body, Encoding::kProtobuf);
  const auto& p = req.resource_metrics(0).scope_metrics(0).metrics(0).histogram().data_points(0);
  EXPECT_EQ(
      req.resource_metrics(0).scope_metrics(0).metrics(0).histogram().aggregation_temporality(),
      pb::AGGREGATION_TEMPORALITY_DELTA);
  EXPECT_EQ(p.count(), 1u);
  EXPECT_FALSE(p.has_min());
  EXPECT_FALSE(p.has_max());
}

}  // namespace
}  // namespace adminara::obs
