// Helpers for the job tests: a manual clock and private tracer/meter providers per test, waiting
// for a condition without sleeping for job delays, and lookups in spans and collected metrics.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adminara/obs/exporter.h"
#include "adminara/obs/jobs.h"
#include "adminara/obs/metrics.h"
#include "adminara/obs/tracer.h"

namespace adminara::obs::jobs::testing {

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

/// A manual clock, an in-memory backend on it, and tracer/meter providers that belong to the test.
struct JobsEnv {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<Backend> backend = make_memory_backend(clock);
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

}  // namespace adminara::obs::jobs::testing
