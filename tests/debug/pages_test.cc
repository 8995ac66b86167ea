// The debug pages end to end in one process: init_observability() with the pages on and off,
// real HTTP requests to the Prometheus endpoint's server, the sampling thread, and the data the
// pages gather from real spans, metrics, profiler measures and jobs. Threaded, so it also runs
// under ThreadSanitizer (label concurrency).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "adminara/obs.h"
#include "adminara/obs/jobs.h"
#include "debug/job_registry.h"
#include "debug/pages.h"
#include "tests/common/env_options.h"

namespace adminara::obs {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Env = std::map<std::string, std::string>;

// No console output: the tests read spans through the pages.
Options options_with_env(Env env) {
  env.emplace("OTEL_TRACES_EXPORTER", "none");
  return testing::options_with_env(std::move(env));
}

class DebugPagesTest : public ::testing::Test {
 protected:
  void TearDown() override { shutdown(); }

  httplib::Result get(const std::string& path) {
    httplib::Client c("127.0.0.1", observability()->prometheus_port());
    c.set_read_timeout(10, 0);
    return c.Get(path);
  }
  json get_json(const std::string& path) {
    auto r = get(path);
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << path << ": " << r->body;
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json; charset=utf-8");
    return json::parse(r->body);
  }
};

// Polls `condition` until it holds (up to 30 s): the exporter and sampling threads run on
// their own schedule. Not a timing assertion: a slow machine only waits longer.
template <class F>
bool eventually(F condition) {
  for (int i = 0; i < 3000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

TEST_F(DebugPagesTest, OnInDevelopmentByDefaultAndEveryPageAnswers) {
  Observability& o = init_observability(options_with_env({}));
  ASSERT_TRUE(o.debug_pages_enabled());
  for (std::string page :
       {"/debug/", "/debug/tracez", "/debug/metricz", "/debug/profilez", "/debug/jobz"}) {
    auto r = get(page);
    ASSERT_TRUE(r) << page;
    EXPECT_EQ(r->status, 200) << page;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("script-src 'self'"),
              std::string::npos);
    EXPECT_NE(r->body.find("/debug/assets/app.js"), std::string::npos);
  }
  auto js = get("/debug/assets/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js->body.find("textContent"), std::string::npos);
  auto css = get("/debug/assets/style.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);
  const json api = get_json("/debug/api/");
  EXPECT_GE(api["endpoints"].size(), 7u);
  for (const auto& e : api["endpoints"]) {
    const std::string path = e.get<std::string>();
    if (path.ends_with("/samples") || path.ends_with("/trace")) continue;  // need parameters
    auto r = get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
  }
  // /metrics is still there.
  auto m = get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
}

TEST_F(DebugPagesTest, OffInProductionByDefault404AndNothingGathered) {
  Observability& o = init_observability(options_with_env({{"ADMINARA_ENV", "production"}}));
  EXPECT_FALSE(o.debug_pages_enabled());
  for (std::string path : {"/debug/", "/debug/tracez", "/debug/api/tracez", "/debug/api/jobz"}) {
    auto r = get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << path;
  }
  start_span("x").end();
  EXPECT_TRUE(o.tracer_provider().running_spans().empty());
  EXPECT_FALSE(debug::job_registry().gathering());
  EXPECT_TRUE(o.span_exporter_names().empty());
}

TEST_F(DebugPagesTest, TheVariableAndTheOptionDecide) {
  {
    Observability& o = init_observability(
        options_with_env({{"ADMINARA_ENV", "production"}, {"ADMINARA_DEBUG_PAGES", "true"}}));
    EXPECT_TRUE(o.debug_pages_enabled());
    EXPECT_TRUE(debug::job_registry().gathering());
    shutdown();
    EXPECT_FALSE(debug::job_registry().gathering());
  }
  {
    Observability& o = init_observability(options_with_env({{"ADMINARA_DEBUG_PAGES", "false"}}));
    EXPECT_FALSE(o.debug_pages_enabled());
    shutdown();
  }
  {
    Options opts = options_with_env({{"ADMINARA_DEBUG_PAGES", "false"}});
    opts.debug_pages = true;  // code wins
    EXPECT_TRUE(init_observability(opts).debug_pages_enabled());
    shutdown();
  }
  {
    // The pages need the Prometheus endpoint.
    Observability& o = init_observability(
        options_with_env({{"ADMINARA_DEBUG_PAGES", "true"}, {"OTEL_METRICS_EXPORTER", "none"}}));
    EXPECT_FALSE(o.debug_pages_enabled());
    shutdown();
  }
  {
    Options opts = options_with_env(
        {{"ADMINARA_DEBUG_PAGES", "yes"}, {"ADMINARA_DEBUG_PAGES_INTERVAL", "10"}});
    opts.strict_config = true;
    try {
      init_observability(opts);
      FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("ADMINARA_DEBUG_PAGES=\"yes\""), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("ADMINARA_DEBUG_PAGES_INTERVAL"), std::string::npos)
          << e.what();
    }
  }
}

TEST_F(DebugPagesTest, BadRequestsGetClear4xx) {
  init_observability(options_with_env({}));
  struct Case {
    std::string path;
    int status;
    std::string says;
  };
  const std::string long_name(debug::DebugPages::kMaxNameBytes + 1, 'n');
  const std::vector<Case> cases = {
      {"/debug/api/tracez/samples?bucket=1", 400, "parameter name"},
      {"/debug/api/tracez/samples?name=" + long_name + "&bucket=1", 400, "parameter name"},
      {"/debug/api/tracez/samples?name=x&bucket=9", 400, "parameter bucket"},
      {"/debug/api/tracez/samples?name=x&bucket=", 400, "parameter bucket"},
      {"/debug/api/tracez/trace?trace_id=xyz", 400, "parameter trace_id"},
      {"/debug/api/tracez/trace", 400, "parameter trace_id"},
      {"/debug/api/profilez?threshold_ms=-1", 400, "parameter threshold_ms"},
      {"/debug/api/profilez?threshold_ms=abc", 400, "parameter threshold_ms"},
      {"/debug/api/tracez?pad=" + std::string(debug::DebugPages::kMaxQueryBytes, 'p'), 400,
       "query string"},
      {"/debug/nope", 404, "not found"},
  };
  for (const Case& c : cases) {
    auto r = get(c.path);
    ASSERT_TRUE(r) << c.path;
    EXPECT_EQ(r->status, c.status) << c.path.substr(0, 80);
    EXPECT_NE(r->body.find(c.says), std::string::npos) << c.path.substr(0, 80) << ": " << r->body;
  }
  httplib::Client client("127.0.0.1", observability()->prometheus_port());
  auto post = client.Post("/debug/api/tracez", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  // A body is refused before it is read.
  auto big = client.Post("/debug/api/tracez", std::string(1 << 20, 'x'), "text/plain");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
}

TEST_F(DebugPagesTest, TracezShowsEndedRunningAndSampledSpans) {
  init_observability(options_with_env({{"OTEL_BSP_SCHEDULE_DELAY", "50"}}));
  Span running = start_span("long.running");
  TraceId trace;
  {
    Span parent = start_span("parent.op", {{"user.id", "<b>42</b>"}});
    trace = parent.context().trace_id();
    Scope scope = parent.activate();
    start_span("child.op").end();
  }
  ASSERT_TRUE(force_flush());
  json summary;
  ASSERT_TRUE(eventually([&] {
    summary = get_json("/debug/api/tracez");
    return summary["spans"].size() >= 3;
  })) << summary.dump();
  std::map<std::string, json> rows;
  for (const auto& r : summary["spans"]) rows[r["name"]] = r;
  EXPECT_EQ(rows["long.running"]["running"], 1);
  EXPECT_EQ(rows["parent.op"]["running"], 0);
  std::uint64_t ended = 0;
  for (const auto& c : rows["child.op"]["latency"]) ended += c.get<std::uint64_t>();
  EXPECT_EQ(ended, 1u);
  std::size_t bucket = 0;
  while (rows["parent.op"]["latency"][bucket] == 0) ++bucket;
  const json samples =
      get_json("/debug/api/tracez/samples?name=parent.op&bucket=" + std::to_string(bucket));
  ASSERT_EQ(samples["samples"].size(), 1u);
  EXPECT_EQ(samples["samples"][0]["attributes"][0]["value"], "<b>42</b>");
  const json trace_json = get_json("/debug/api/tracez/trace?trace_id=" + trace.to_hex());
  ASSERT_EQ(trace_json["spans"].size(), 2u);
  EXPECT_EQ(trace_json["spans"][0]["name"], "parent.op");
  EXPECT_EQ(trace_json["spans"][1]["name"], "child.op");
  running.end();
}

TEST_F(DebugPagesTest, MetriczSamplesOnItsThread) {
  Options opts = options_with_env({});
  opts.debug_pages_interval = 100ms;
  init_observability(opts);
  const AdminAraMetrics metrics = create_metrics(get_meter());
  for (int i = 0; i < 5; ++i) metrics.webrtc_connection_time.record(250);
  json metric;
  ASSERT_TRUE(eventually([&] {
    // Keep recording so that some interval has values.
    metrics.webrtc_connection_time.record(250);
    const json all = get_json("/debug/api/metricz");
    if (all["metrics"].empty()) return false;
    metric = all["metrics"][0];  // the AdminAra metrics come first
    if (metric["name"] != "webrtc_connection_time") return false;
    for (const auto& p : metric["series"][0]["points"]) {
      if (!p[2].is_null()) return true;  // a p95
    }
    return false;
  })) << metric.dump();
  EXPECT_EQ(metric["name"], "webrtc_connection_time");
  EXPECT_EQ(get_json("/debug/api/metricz")["interval_ms"], 100);
}

TEST_F(DebugPagesTest, ProfilezListsBottlenecksAndDownloadsTheChromeTrace) {
  init_observability(options_with_env({}));
  PerformanceProfiler& p = get_profiler();
  { auto m = p.scope("fast.step"); }
  p.mark("a");
  std::this_thread::sleep_for(5ms);
  p.mark("b");
  p.measure("slow.step", "a", "b");
  const json j = get_json("/debug/api/profilez?threshold_ms=2");
  EXPECT_TRUE(j["enabled"]);
  EXPECT_EQ(j["threshold_ms"], 2);
  ASSERT_EQ(j["bottlenecks"].size(), 1u);
  EXPECT_EQ(j["bottlenecks"][0]["name"], "slow.step");
  EXPECT_EQ(j["recent"].size(), 2u);
  auto trace = get("/debug/api/profilez/chrome-trace");
  ASSERT_TRUE(trace);
  EXPECT_NE(trace->get_header_value("Content-Disposition").find("attachment"), std::string::npos);
  EXPECT_EQ(json::parse(trace->body)["traceEvents"].size(), 2u);
  p.clear();
}

TEST_F(DebugPagesTest, JobzShowsQueuesSchedulesWorkersAndFailures) {
  init_observability(options_with_env({}));
  auto backend = jobs::make_memory_backend();
  {
    jobs::Queue queue("debug-jobs", {.connection = {.backend = backend}});
    jobs::Scheduler scheduler(queue);
    scheduler.upsert("hourly", {.job_name = "tick", .every = std::chrono::hours(1)});
    std::atomic<int> runs{0};
    jobs::Worker worker(queue,
                        [&](jobs::Job&) -> jobs::Json {
                          ++runs;
                          throw std::runtime_error("<i>disk full</i>");
                        },
                        {.concurrency = 3});
    queue.add("cleanup", jobs::Json::object(), {.attempts = 2});
    ASSERT_TRUE(eventually([&] { return queue.counts().failed == 1; }));
    const json j = get_json("/debug/api/jobz");
    const json* q = nullptr;
    for (const auto& e : j["queues"]) {
      if (e["name"] == "debug-jobs") q = &e;
    }
    ASSERT_NE(q, nullptr) << j.dump();
    EXPECT_EQ((*q)["counts"]["failed"], 1);
    ASSERT_EQ((*q)["schedules"].size(), 1u);
    EXPECT_EQ((*q)["schedules"][0]["id"], "hourly");
    EXPECT_GT((*q)["schedules"][0]["next_run_ms"].get<std::int64_t>(), 0);
    bool found_worker = false;
    for (const auto& w : j["workers"]) {
      if (w["queue"] == "debug-jobs" && w["concurrency"] == 3) found_worker = true;
    }
    EXPECT_TRUE(found_worker);
    std::vector<json> failures;
    for (const auto& f : j["failures"]) {
      if (f["queue"] == "debug-jobs") failures.push_back(f);
    }
    ASSERT_EQ(failures.size(), 2u);  // newest first: the final attempt, then the retried one
    EXPECT_EQ(failures[0]["attempt"], 2);
    EXPECT_TRUE(failures[0]["final"]);
    EXPECT_EQ(failures[1]["attempt"], 1);
    EXPECT_FALSE(failures[1]["final"]);
    EXPECT_EQ(failures[0]["reason"], "<i>disk full</i>");
    worker.close(5s);
  }
  // Destroyed objects leave the page.
  const json after = get_json("/debug/api/jobz");
  for (const auto& e : after["queues"]) EXPECT_NE(e["name"], "debug-jobs");
  for (const auto& w : after["workers"]) EXPECT_NE(w["queue"], "debug-jobs");
}

TEST_F(DebugPagesTest, RunningCountsStayExactUnderConcurrentSpans) {
  init_observability(options_with_env({}));
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&go, t] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < 2000; ++i) {
        Span a = start_span("concurrent.a");
        Span b = start_span(t % 2 == 0 ? "concurrent.b" : "concurrent.c");
        b.end();
        a.end();
      }
    });
  }
  Span held = start_span("concurrent.a");
  go = true;
  // Read while the threads write (ThreadSanitizer checks the table's synchronization).
  for (int i = 0; i < 50; ++i) (void)observability()->tracer_provider().running_spans();
  for (auto& t : threads) t.join();
  std::map<std::string, std::uint64_t> running;
  for (const auto& r : observability()->tracer_provider().running_spans()) {
    running[r.name] = r.running;
  }
  EXPECT_EQ(running["concurrent.a"], 1u);
  EXPECT_EQ(running["concurrent.b"], 0u);
  EXPECT_EQ(running["concurrent.c"], 0u);
  held.end();
}

}  // namespace
}  // namespace adminara::obs
