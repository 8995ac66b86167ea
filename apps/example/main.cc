// adminara-example: the original design's tracing and metrics flow in C++. Prints one JSON line
// per span on stdout (the console exporter), records the AdminAra metrics and exits; with
// --serve it keeps http://localhost:9464/metrics up until interrupted.
//
//   build/bin/adminara-example            # development defaults: console exporter
//   build/bin/adminara-example --serve    # then: curl localhost:9464/metrics
//   OTEL_TRACES_SAMPLER=always_off build/bin/adminara-example
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include "adminara/obs.h"

namespace obs = adminara::obs;
using namespace std::chrono_literals;

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}
}  // namespace

int main(int argc, char** argv) {
  const bool serve = argc > 1 && std::strcmp(argv[1], "--serve") == 0;
  try {
    obs::init_observability("adminara");
  } catch (const obs::ConfigError& e) {
    std::cerr << "adminara-example: " << e.what() << "\n";
    return 1;
  }
  auto metrics = obs::create_metrics(obs::get_meter());

  // A span with attributes around some work.
  {
    auto span = obs::start_span("test.operation", {{"userId", "123"}});
    std::this_thread::sleep_for(100ms);
    span.set_attribute("result", "success");
    span.end();
  }

  // trace_async: scheduler.init with nested work.
  auto schedule = [](const char* what) {
    return obs::trace_async(std::string("schedule.") + what,
                            [] { std::this_thread::sleep_for(5ms); });
  };
  auto init_scheduler = obs::trace_async("scheduler.init", [&] {
    schedule("turn_rotation")();
    schedule("session_cleanup")();
    schedule("retention")();
    return true;
  });
  init_scheduler();

  // A job that fails: the span gets status=error and error.message; the exception reaches us.
  auto failing_job = obs::trace_async("job.turn_rotation",
                                      [] { throw std::runtime_error("state store unavailable"); });
  try {
    failing_job();
  } catch (const std::exception& e) {
    std::cerr << "job failed as expected: " << e.what() << "\n";
  }

  // An incoming request: continue the caller's trace from its headers, hand work to a thread.
  std::map<std::string, std::string> headers = {
      {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
  obs::Context incoming = obs::extract(headers);
  auto server = obs::start_span("POST /api/queue", {{"http.request.method", "POST"}},
                                {.kind = obs::SpanKind::kServer, .parent = &incoming});
  {
    obs::Scope scope = server.activate();
    obs::Context ctx = obs::Context::current();
    std::thread worker([ctx] {
      obs::Scope s = ctx.activate();
      obs::start_span("queue.assign", {{"queue.position", 1}}).end();
    });
    worker.join();
    std::map<std::string, std::string> outgoing;
    obs::inject(obs::Context::current(), outgoing);
    server.add_event("downstream.call", {{"traceparent", outgoing["traceparent"]}});
  }
  server.set_attribute("http.response.status_code", 201);
  server.end();

  // The AdminAra metrics: a WebRTC connection, a customer's wait in the queue, a job's duration.
  metrics.webrtc_connection_time.record(234);
  metrics.queue_wait_time.record(5000);
  metrics.job_processing_time.record(120);
  if (obs::Observability* o = obs::observability(); o != nullptr && o->prometheus_port() > 0) {
    std::cerr << "metrics: http://localhost:" << o->prometheus_port() << "/metrics\n";
    if (serve) {
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      std::cerr << "serving until Ctrl-C\n";
      while (g_stop == 0) std::this_thread::sleep_for(200ms);
    }
  }

  obs::shutdown();
  return 0;
}
