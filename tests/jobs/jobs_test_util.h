// Helpers for the job tests: a manual clock and private tracer/meter providers per test, waiting
// for a condition without sleeping for job delays, and lookups in spans and collected metrics.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "adminara/obs/exporter.h"
#include "adminara/obs/jobs.h"
#include "adminara/obs/metrics.h"
#include "adminara/obs/tracer.h"
#include "export/prometheus/text_format.h"
#include "tests/common/redis_server.h"

namespace adminara::obs::jobs::testing {

using ::adminara::obs::testing::shared_redis_server;

/// Polls `pred` every millisecond of real time until it holds or `timeout` passes.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

/// Which backend JobsEnv creates; set by BackendTest for each parameterized test.
enum class BackendKind { kMemory, kRedis };
inline BackendKind& current_backend_kind() {
  static BackendKind kind = BackendKind::kMemory;
  return kind;
}

/// A backend of the current kind on `clock`. Redis: the process' shared test server, with a key
/// prefix of its own per call so that tests in one process never see each other's queues.
inline std::shared_ptr<Backend> make_test_backend(const std::shared_ptr<const Clock>& clock) {
  if (current_backend_kind() == BackendKind::kMemory) return make_memory_backend(clock);
  static int n = 0;
  return make_redis_backend(RedisOptions{.url = shared_redis_server().url(),
                                         .prefix = "t" + std::to_string(++n),
                                         .retry_for = std::chrono::seconds(5),
                                         .clock = clock});
}

inline void PrintTo(BackendKind kind, std::ostream* os) {
  *os << (kind == BackendKind::kMemory ? "memory" : "redis");
}

/// Runs each test of a suite once per backend (test names end in /Memory and /Redis).
class BackendTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override { current_backend_kind() = GetParam(); }
};
inline std::string backend_name(const ::testing::TestParamInfo<BackendKind>& info) {
  return info.param == BackendKind::kMemory ? "Memory" : "Redis";
}
#define ADMINARA_BACKEND_SUITE(suite)                                                              \
  class suite : public ::adminara::obs::jobs::testing::BackendTest {};                             \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                        \
                           ::testing::Values(::adminara::obs::jobs::testing::BackendKind::kMemory, \
                                             ::adminara::obs::jobs::testing::BackendKind::kRedis), \
                           ::adminara::obs::jobs::testing::backend_name)

/// A manual clock, a backend of the current kind on it, and tracer/meter providers that belong to
/// the test.
struct JobsEnv {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<Backend> backend = make_test_backend(clock);

  /// Moves the clock by `by`. On Redis, whose lock and stalled-check expiries run on its own
  /// clock, real time passes too.
  void pass(std::chrono::milliseconds by) {
    clock->advance(by);
    if (current_backend_kind() == BackendKind::kRedis) std::this_thread::sleep_for(by);
  }
  std::shared_ptr<InMemorySpanExporter> spans = std::make_shared<InMemorySpanExporter>();
  TracerProvider tracer_provider{
      TracerProviderOptions{.exporters = {spans}, .processor = ProcessorKind::kSimple}};
  MeterProvider meter_provider;

  Connection connection() {
    return Connection{.backend = backend,
                      .tracer = tracer_provider.get_tracer("jobs-test"),
                      .meter = meter_provider.get_meter("jobs-test")};
  }
  QueueOptions queue_options() { return QueueOptions{.connection = connection()}; }

  std::vector<SpanData> spans_named(std::string_view name) const {
    std::vector<SpanData> out;
    for (auto& s : spans->spans()) {
      if (s.name == name) out.push_back(s);
    }
    return out;
  }
};

inline std::string str_attr(const SpanData& s, std::string_view key) {
  const AttributeValue* v = s.attribute(key);
  if (v == nullptr) return "<missing>";
  if (const auto* p = v->get_if<std::string>()) return *p;
  return "<not a string>";
}

inline const MetricData* find_metric(const std::vector<MetricData>& all, std::string_view name) {
  for (const auto& m : all) {
    if (m.descriptor.name == name) return &m;
  }
  return nullptr;
}

/// The point whose attributes include every pair of `attrs`.
inline const PointData* find_point(const MetricData& m, const std::vector<KeyValue>& attrs) {
  for (const auto& p : m.points) {
    bool all = true;
    for (const auto& kv : attrs) {
      bool found = false;
      for (const auto& have : *p.attributes) found = found || have == kv;
      all = all && found;
    }
    if (all) return &p;
  }
  return nullptr;
}

/// What /metrics would show for `provider` (text format 0.0.4), without the scope labels and
/// target_info: `jobs_failed_total{job_name="x",queue="q"} 0`.
inline std::string scrape_text(MeterProvider& provider) {
  std::string out;
  prometheus::render(Resource(), provider.collect(), prometheus::Format::kText004,
                     {.scope_labels = false, .target_info = false}, out);
  return out;
}

}  // namespace adminara::obs::jobs::testing
