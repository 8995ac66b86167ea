// OTLP export costs. Spans per second encoded into an ExportTraceServiceRequest (batches of 512
// spans with 8 attributes), in protobuf (the exporter's direct wire-format encoder) and
// OTLP/JSON, against a same-run baseline that builds the protoc-generated message objects of
// the same .proto files and serializes them (what an exporter built on libprotobuf would do);
// and end to end: encode + HTTP POST to a local receiver that answers 200. Read the rows as
// ratios within one run; absolute numbers on these shared 2-core machines are noise.
#include <benchmark/benchmark.h>
#include <google/protobuf/arena.h>
#include <httplib.h>

#include <string>
#include <thread>
#include <vector>

#include "adminara/obs.h"
#include "export/otlp/encoder.h"
#include "export/otlp/proto/collector.pb.h"
#include "export/otlp/span_exporter.h"

namespace obs = adminara::obs;
namespace pb = adminara::otlp;

namespace {

constexpr std::size_t kBatch = 512;

struct Batch {
  obs::Resource resource{std::vector<obs::KeyValue>{
      {"service.name", "adminara"}, {"service.version", "0.1.0"}, {"host.name", "bench-host"}}};
  obs::InstrumentationScope scope{"adminara", "0.1.0"};
  std::vector<obs::SpanData> spans{kBatch};
  std::vector<const obs::SpanData*> views;

  Batch() {
    for (std::size_t i = 0; i < kBatch; ++i) {
      obs::SpanData& s = spans[i];
      s.name = "GET /api/queue";
      obs::TraceId t;
      obs::SpanId id;
      for (std::size_t b = 0; b < 16; ++b) t.bytes[b] = static_cast<std::uint8_t>(i * 7 + b);
      for (std::size_t b = 0; b < 8; ++b) id.bytes[b] = static_cast<std::uint8_t>(i * 13 + b + 1);
      s.context = obs::SpanContext(t, id, obs::TraceFlags{1}, false);
      s.parent_span_id = id;
      s.parent_span_id.bytes[0] ^= 0x55;
      s.kind = obs::SpanKind::kServer;
      s.start_time_unix_nano = 1'700'000'000'000'000'000ULL + i * 1000;
      s.end_time_unix_nano = s.start_time_unix_nano + 250'000;
      // 8 attributes: 4 strings, 2 ints, a double and a bool.
      s.attributes = {{"http.request.method", "GET"},
                      {"url.path", "/api/queue"},
                      {"http.route", "/api/queue"},
                      {"user_agent.original", "adminara-loadgen/1.0"},
                      {"http.response.status_code", std::int64_t{200}},
                      {"server.port", std::int64_t{8080}},
                      {"duration_ms", 0.25},
                      {"cache.hit", true}};
      s.status = obs::Status{obs::StatusCode::kOk, ""};
      s.scope = &scope;
      s.resource = &resource;
      views.push_back(&s);
    }
  }
};

const Batch& batch() {
  static const Batch b;
  return b;
}

void BM_OtlpEncodeProtobuf(benchmark::State& state) {
  const Batch& b = batch();
  std::string out;
  for (auto _ : state) {
    obs::otlp::encode_traces(b.views, obs::otlp::Encoding::kProtobuf, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["bytes_per_span"] = static_cast<double>(out.size()) / kBatch;
}
BENCHMARK(BM_OtlpEncodeProtobuf);

void BM_OtlpEncodeJson(benchmark::State& state) {
  const Batch& b = batch();
  std::string out;
  for (auto _ : state) {
    obs::otlp::encode_traces(b.views, obs::otlp::Encoding::kJson, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["bytes_per_span"] = static_cast<double>(out.size()) / kBatch;
}
BENCHMARK(BM_OtlpEncodeJson);

void fill_any(pb::AnyValue* v, const obs::AttributeValue& a) {
  if (const auto* s = a.get_if<std::string>()) {
    v->set_string_value(*s);
  } else if (const auto* i = a.get_if<std::int64_t>()) {
    v->set_int_value(*i);
  } else if (const auto* d = a.get_if<double>()) {
    v->set_double_value(*d);
  } else if (const auto* f = a.get_if<bool>()) {
    v->set_bool_value(*f);
  }
}

// The same request built as libprotobuf message objects and serialized.
void build_with_libprotobuf(const Batch& b, pb::ExportTraceServiceRequest& req) {
  pb::ResourceSpans* rs = req.add_resource_spans();
  for (const auto& kv : b.resource.attributes()) {
    pb::KeyValue* a = rs->mutable_resource()->add_attributes();
    a->set_key(kv.key);
    fill_any(a->mutable_value(), kv.value);
  }
  pb::ScopeSpans* ss = rs->add_scope_spans();
  ss->mutable_scope()->set_name(b.scope.name);
  ss->mutable_scope()->set_version(b.scope.version);
  for (const obs::SpanData* s : b.views) {
    pb::Span* p = ss->add_spans();
    p->set_trace_id(s->context.trace_id().bytes.data(), 16);
    p->set_span_id(s->context.span_id().bytes.data(), 8);
    p->set_parent_span_id(s->parent_span_id.bytes.data(), 8);
    p->set_name(s->name);
    p->set_kind(static_cast<pb::Span::SpanKind>(s->kind));
    p->set_start_time_unix_nano(s->start_time_unix_nano);
    p->set_end_time_unix_nano(s->end_time_unix_nano);
    for (const auto& kv : s->attributes) {
      pb::KeyValue* a = p->add_attributes();
      a->set_key(kv.key);
      fill_any(a->mutable_value(), kv.value);
    }
    p->mutable_status()->set_code(pb::Status::STATUS_CODE_OK);
    p->set_flags(0x101);
  }
}

void BM_Baseline_LibprotobufBuildAndSerialize(benchmark::State& state) {
  const Batch& b = batch();
  std::string out;
  for (auto _ : state) {
    pb::ExportTraceServiceRequest req;
    build_with_libprotobuf(b, req);
    req.SerializeToString(&out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  state.counters["bytes_per_span"] = static_cast<double>(out.size()) / kBatch;
}
BENCHMARK(BM_Baseline_LibprotobufBuildAndSerialize);

void BM_Baseline_LibprotobufArenaBuildAndSerialize(benchmark::State& state) {
  const Batch& b = batch();
  std::string out;
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* req = google::protobuf::Arena::CreateMessage<pb::ExportTraceServiceRequest>(&arena);
    build_with_libprotobuf(b, *req);
    req->SerializeToString(&out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_Baseline_LibprotobufArenaBuildAndSerialize);

// End to end: the exporter (encode + keep-alive HTTP POST) against a local receiver on the same
// machine that reads the body and answers 200 (it does not decode, so the rows measure the
// client side plus HTTP, sharing the 2 cores with the server thread).
void export_to_local_receiver(benchmark::State& state, obs::config::OtlpProtocol protocol) {
  httplib::Server server;
  server.Post("/v1/traces", [](const httplib::Request& req, httplib::Response& res) {
    benchmark::DoNotOptimize(req.body.size());
    res.status = 200;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  obs::config::OtlpExporterConfig config;
  config.endpoint = *obs::config::parse_otlp_endpoint(
      "http://127.0.0.1:" + std::to_string(port) + "/v1/traces", nullptr);
  config.protocol = protocol;
  obs::otlp::OtlpStats stats;
  {
    obs::otlp::OtlpHttpSpanExporter exporter(config, stats);
    const Batch& b = batch();
    for (auto _ : state) {
      if (exporter.export_spans(b.views) != obs::ExportResult::kSuccess) {
        state.SkipWithError("export failed");
        break;
      }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
    exporter.shutdown();
  }
  server.stop();
  t.join();
}

void BM_OtlpExportProtobufToLocalReceiver(benchmark::State& state) {
  export_to_local_receiver(state, obs::config::OtlpProtocol::kHttpProtobuf);
}
BENCHMARK(BM_OtlpExportProtobufToLocalReceiver)->UseRealTime();

void BM_OtlpExportJsonToLocalReceiver(benchmark::State& state) {
  export_to_local_receiver(state, obs::config::OtlpProtocol::kHttpJson);
}
BENCHMARK(BM_OtlpExportJsonToLocalReceiver)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
