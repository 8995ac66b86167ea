// Interop with Node BullMQ 6.7.0 (tests/interop/package.json): Node producers, workers, queue
// events, job schedulers and getters run as child processes (bullmq_cli.js, installed with its
// node_modules into the build directory by the ctest fixture interop_npm_ci) against the same
// private redis-server as our Queue, Worker and Scheduler. Each test is its own process (gtest
// discovery), so each has its own redis-server; each also uses a key prefix of its own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "adminara/obs/exporter.h"
#include "adminara/obs/jobs.h"
#include "adminara/obs/tracer.h"
#include "jobs/redis/redis_client.h"
#include "tests/common/redis_server.h"
#include "tests/integration/prometheus_harness.h"

namespace adminara::obs::jobs {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;

/// Polls `pred` every 10 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::string redis_url() {
  return obs::testing::shared_redis_server().url();
}

/// `node bullmq_cli.js <command> <options>` with url defaulted to the test's server; its stdout is
/// read as JSON lines.
class NodeCli {
 public:
  NodeCli(const std::string& command, Json options) {
    if (!std::filesystem::exists(ADMINARA_NODE)) {
      throw std::runtime_error(std::string("node (Node.js 20) was not found when configuring (") +
                               ADMINARA_NODE + "); the interop tests need it (scripts/setup)");
    }
    static std::atomic<int> n{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("adminara-interop-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    std::filesystem::create_directories(dir_);
    if (!options.contains("url")) options["url"] = redis_url();
    process_ = std::make_unique<obs::testing::ChildProcess>(obs::testing::ChildProcess::Options{
        .argv = {ADMINARA_NODE, std::string(ADMINARA_INTEROP_DIR) + "/bullmq_cli.js", command,
                 options.dump()},
        .env = {},
        .stdout_path = dir_ / "stdout",
        .stderr_path = dir_ / "stderr"});
  }
  ~NodeCli() {
    process_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  /// The complete lines printed so far.
  std::vector<Json> lines() const {
    std::vector<Json> out;
    std::istringstream in(process_->output());
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // no newline yet: still being written
      out.push_back(Json::parse(line));
    }
    return out;
  }
  std::vector<Json> lines_of(std::string_view type) const {
    std::vector<Json> out;
    for (Json& l : lines()) {
      if (l["type"] == type) out.push_back(std::move(l));
    }
    return out;
  }
  /// Waits for a line of `type` (e.g. "ready"); false when time runs out.
  bool wait_for(std::string_view type, std::chrono::milliseconds timeout = 30s) {
    return wait_until([&] { return !lines_of(type).empty(); }, timeout);
  }
  /// Waits for a successful exit and returns every line.
  std::vector<Json> finish(std::chrono::milliseconds timeout = 60s) {
    const std::optional<int> code = process_->wait(timeout);
    EXPECT_EQ(code, std::optional<int>(0)) << "node stderr:\n" << process_->errors();
    return lines();
  }
  std::string errors() const { return process_->errors(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<obs::testing::ChildProcess> process_;
};

/// Our side of a test: a Redis backend with the test's prefix, and a tracer whose spans the test
/// reads.
struct Cpp {
  explicit Cpp(const std::string& prefix, const std::string& worker_name = "")
      : backend(make_redis_backend(
            {.url = redis_url(), .prefix = prefix, .worker_name = worker_name, .retry_for = 10s})) {
  }
  std::shared_ptr<Backend> backend;
  std::shared_ptr<InMemorySpanExporter> spans = std::make_shared<InMemorySpanExporter>();
  TracerProvider tracer_provider{
      TracerProviderOptions{.exporters = {spans}, .processor = ProcessorKind::kSimple}};
  QueueOptions queue_options() {
    return {.connection = {.backend = backend, .tracer = tracer_provider.get_tracer("interop")},
            .queue_depth_metrics = false};
  }
  std::vector<SpanData> spans_named(std::string_view name) const {
    std::vector<SpanData> out;
    for (auto& s : spans->spans()) {
      if (s.name == name) out.push_back(s);
    }
    return out;
  }
};

// A returnvalue from Node as JSON (QueueEvents hands it over as stored text or parsed).
Json as_json(const Json& v) {
  if (v.is_string()) {
    Json parsed = Json::parse(v.get<std::string>(), nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) return parsed;
  }
  return v;
}

TEST(Interop, NodeAndPackagesAreInstalled) {
  // Fails with a clear message when node is missing (scripts/setup: Node 20 is a prerequisite;
  // the fixture interop_npm_ci checks its version).
  ASSERT_TRUE(std::filesystem::exists(ADMINARA_NODE))
      << "node (Node.js 20) not found; the interop tests need it";
  ASSERT_TRUE(std::filesystem::exists(std::string(ADMINARA_INTEROP_DIR) + "/node_modules/bullmq"))
      << "run the interop tests through ctest: the fixture interop_npm_ci installs node_modules";
}

// Node Queue.add / addBulk -> our Worker; Node QueueEvents sees our results.
TEST(Interop, NodeProducerOurWorkerAndNodeQueueEvents) {
  const std::string prefix = "np";
  // 7 completed, 2 failed (doomed, hopeless), 1 retries-exhausted (doomed).
  NodeCli events("events", {{"prefix", prefix}, {"queue", "orders"}, {"count", 10}});
  NodeCli adds(
      "add",
      {{"prefix", prefix},
       {"queue", "orders"},
       {"jobs",
        {{{"name", "plain"}, {"data", {{"k", "v/w"}, {"n", 1}}}},
         {{"name", "later"}, {"data", {{"n", 2}}}, {"opts", {{"delay", 400}}}},
         {{"name", "urgent"}, {"data", {{"n", 3}}}, {"opts", {{"priority", 7}}}},
         {{"name", "flaky"},
          {"data", {{"n", 4}}},
          {"opts", {{"attempts", 3}, {"backoff", {{"type", "exponential"}, {"delay", 100}}}}}},
         {{"name", "custom"}, {"data", {{"n", 5}}}, {"opts", {{"jobId", "node-custom-1"}}}},
         {{"name", "doomed"}, {"data", {{"n", 6}}}, {"opts", {{"attempts", 2}, {"backoff", 50}}}},
         {{"name", "hopeless"}, {"data", {{"n", 9}}}, {"opts", {{"attempts", 3}}}}}}});
  NodeCli bulk(
      "add",
      {{"prefix", prefix},
       {"queue", "orders"},
       {"bulk", true},
       {"telemetry", true},
       {"jobs",
        {{{"name", "traced"}, {"data", {{"n", 7}}}}, {{"name", "traced"}, {"data", {{"n", 8}}}}}}});
  const std::vector<Json> added = adds.finish();
  const std::vector<Json> bulk_out = bulk.finish();
  ASSERT_TRUE(events.wait_for("ready")) << events.errors();

  Cpp cpp(prefix);
  Queue queue("orders", cpp.queue_options());
  std::mutex mu;
  std::map<std::string, std::vector<Job>> seen;  // by name, one entry per attempt
  Worker worker(queue,
                [&](Job& job) -> Json {
                  {
                    std::lock_guard lock(mu);
                    seen[job.name].push_back(job);
                  }
                  if (job.name == "doomed") throw std::runtime_error("doomed " + job.id);
                  if (job.name == "hopeless") throw UnrecoverableError("hopeless");
                  if (job.name == "flaky" && job.attempts_made == 0)
                    throw std::runtime_error("flaky once");
                  return {{"got", job.data}, {"by", "cpp"}};
                },
                {.concurrency = 2});
  const std::vector<Json> heard = events.finish(60s);
  worker.close();

  std::lock_guard lock(mu);
  for (const char* name : {"plain", "later", "urgent", "custom"}) {
    ASSERT_EQ(seen[name].size(), 1u) << name;
    EXPECT_EQ(seen[name][0].options.attempts, 1) << name;  // Node stores attempts 0
  }
  EXPECT_EQ(seen["plain"][0].data, (Json{{"k", "v/w"}, {"n", 1}}));
  EXPECT_EQ(seen["later"][0].options.delay, 400ms);
  EXPECT_GE(seen["later"][0].processed_on - seen["later"][0].timestamp, 400);
  EXPECT_EQ(seen["urgent"][0].options.priority, 7u);
  EXPECT_EQ(seen["custom"][0].id, "node-custom-1");
  EXPECT_EQ(seen["custom"][0].options.job_id, "node-custom-1");
  ASSERT_EQ(seen["flaky"].size(), 2u);
  EXPECT_EQ(seen["flaky"][0].options.attempts, 3);
  EXPECT_EQ(seen["flaky"][0].options.backoff, Backoff::exponential(100ms));
  EXPECT_EQ(seen["flaky"][1].attempts_made, 1);
  EXPECT_GE(seen["flaky"][1].processed_on - seen["flaky"][0].processed_on, 100);
  ASSERT_EQ(seen["doomed"].size(), 2u);
  EXPECT_EQ(seen["doomed"][0].options.backoff, Backoff::fixed(50ms));
  ASSERT_EQ(seen["traced"].size(), 2u);

  // QueueEvents: our return values and failure reasons, by job id.
  std::map<std::string, Json> completed;
  std::map<std::string, std::string> failed;
  std::set<std::string> exhausted;
  for (const Json& e : heard) {
    if (e["type"] == "completed") completed[e["jobId"]] = as_json(e["returnvalue"]);
    if (e["type"] == "failed") failed[e["jobId"]] = e["failedReason"];
    if (e["type"] == "retries-exhausted") exhausted.insert(e["jobId"].get<std::string>());
  }
  EXPECT_EQ(completed.size(), 7u);
  EXPECT_EQ(failed.size(), 2u);
  // The queue emptied at least once (our worker finishes its last job with fetch next).
  EXPECT_EQ(heard.back()["type"], "drained") << Json(heard).dump();
  // An unrecoverable failure with attempts left exhausts no retries.
  EXPECT_EQ(exhausted, (std::set<std::string>{seen["doomed"].back().id}));
  for (const auto& [name, attempts] : seen) {
    const Job& last = attempts.back();
    if (name == "doomed") {
      EXPECT_EQ(failed[last.id], "doomed " + last.id);
    } else if (name == "hopeless") {
      EXPECT_EQ(attempts.size(), 1u);
      EXPECT_EQ(failed[last.id], "hopeless");
    } else {
      EXPECT_EQ(completed[last.id], (Json{{"got", last.data}, {"by", "cpp"}})) << name;
    }
  }
  ASSERT_EQ(added.at(0)["ids"].size(), 7u);

  // Telemetry: each `job.traced` span continues the Node producer span (`add`/`addBulk`, kind
  // PRODUCER = 3) whose context the job carries in opts.tm.
  std::map<std::string, std::string> producer;  // trace id -> span id
  for (const Json& s : bulk_out) {
    if (s["type"] == "span" && s["kind"] == 3) producer[s["traceId"]] = s["spanId"];
  }
  ASSERT_FALSE(producer.empty()) << "Node producer spans: " << Json(bulk_out).dump();
  const std::vector<SpanData> ours = cpp.spans_named("job.traced");
  ASSERT_EQ(ours.size(), 2u);
  for (const Job& job : seen["traced"]) {
    ASSERT_TRUE(job.trace_context.contains("traceparent"));
    const std::string& tp = job.trace_context.at("traceparent");  // 00-<trace>-<span>-01
    ASSERT_EQ(tp.size(), 55u) << tp;
    const std::string trace = tp.substr(3, 32);
    ASSERT_TRUE(producer.contains(trace)) << tp;
    EXPECT_EQ(tp, "00-" + trace + "-" + producer[trace] + "-01");
  }
  for (const SpanData& s : ours) {
    const std::string trace = s.context.trace_id().to_hex();
    ASSERT_TRUE(producer.contains(trace)) << "job.traced span in trace " << trace;
    EXPECT_EQ(s.parent_span_id.to_hex(), producer[trace]);
  }
}

// Our Queue::add -> a Node Worker, which continues our producer's trace with bullmq-otel.
TEST(Interop, OurProducerNodeWorker) {
  const std::string prefix = "op";
  NodeCli worker("worker", {{"prefix", prefix},
                            {"queue", "mail"},
                            {"count", 7},
                            {"concurrency", 2},
                            {"telemetry", true},
                            {"fail", {{"flaky", "node says no"}}}});
  Cpp cpp(prefix);
  Queue queue("mail", cpp.queue_options());
  const std::string plain = queue.add("plain", {{"to", "a@b.c"}, {"path", "/x"}});
  const std::string later = queue.add("later", {{"n", 2}}, {.delay = 300ms});
  const std::string urgent = queue.add("urgent", {{"n", 3}}, {.priority = 3});
  const std::string custom = queue.add("custom", {{"n", 4}}, {.job_id = "cpp-custom-1"});
  const std::string flaky =
      queue.add("flaky", {{"n", 5}}, {.attempts = 3, .backoff = Backoff::exponential(50ms)});
  EXPECT_EQ(custom, "cpp-custom-1");
  const std::vector<Json> out = worker.finish(60s);

  std::map<std::string, std::vector<Json>> by_id;
  for (const Json& p : out) {
    if (p["type"] == "processed") by_id[p["id"]].push_back(p);
  }
  ASSERT_EQ(by_id.size(), 5u) << Json(out).dump();
  EXPECT_EQ(by_id[plain][0]["name"], "plain");
  EXPECT_EQ(by_id[plain][0]["data"], (Json{{"to", "a@b.c"}, {"path", "/x"}}));
  EXPECT_EQ(by_id[later][0]["opts"]["delay"], 300);
  EXPECT_GE(
      by_id[later][0]["processedOn"].get<TimeMs>() - by_id[later][0]["timestamp"].get<TimeMs>(),
      300);
  EXPECT_EQ(by_id[urgent][0]["opts"]["priority"], 3);
  EXPECT_EQ(by_id[urgent][0]["priority"], 3);
  EXPECT_EQ(by_id[custom][0]["opts"]["jobId"], "cpp-custom-1");
  ASSERT_EQ(by_id[flaky].size(), 3u);
  EXPECT_EQ(by_id[flaky][0]["opts"]["attempts"], 3);
  EXPECT_EQ(by_id[flaky][0]["opts"]["backoff"], (Json{{"type", "exponential"}, {"delay", 50}}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(by_id[flaky][i]["attemptsMade"], i);
  EXPECT_GE(
      by_id[flaky][2]["processedOn"].get<TimeMs>() - by_id[flaky][1]["processedOn"].get<TimeMs>(),
      100);  // exponential: 50, then 100

  // The results as we read them back.
  ASSERT_TRUE(wait_until([&] { return queue.counts().failed == 1; }));
  const std::optional<Job> done = queue.get_job(plain);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->state, JobState::kCompleted);
  EXPECT_EQ(done->return_value,
            (Json{{"echo", {{"to", "a@b.c"}, {"path", "/x"}}}, {"by", "node"}}));
  const std::optional<Job> failed = queue.get_job(flaky);
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->state, JobState::kFailed);
  EXPECT_EQ(failed->failed_reason, "node says no");
  EXPECT_EQ(failed->attempts_made, 3);
  EXPECT_EQ(queue.counts(), (JobCounts{.completed = 4, .failed = 1}));

  // Trace context: Node's `process mail` span is a child of our `add mail.plain` span.
  const std::vector<SpanData> adds = cpp.spans_named("add mail.plain");
  ASSERT_EQ(adds.size(), 1u);
  bool found = false;
  for (const Json& s : out) {
    if (s["type"] != "span" || s["name"] != "process mail") continue;
    if (s["attributes"]["bullmq.job.id"] != plain) continue;
    found = true;
    EXPECT_EQ(s["traceId"], adds[0].context.trace_id().to_hex());
    EXPECT_EQ(s["parentSpanId"], adds[0].context.span_id().to_hex());
  }
  EXPECT_TRUE(found) << "no Node `process mail` span for job " << plain;
}

// One Node worker and one of ours on one queue: 10,000 jobs, each processed exactly once.
TEST(Interop, MixedFleetProcessesEachJobOnce) {
  constexpr int kJobs = 10000;
  const std::string prefix = "mix";
  NodeCli node("worker", {{"prefix", prefix},
                          {"queue", "fleet"},
                          {"concurrency", 8},
                          {"quiet", true},
                          {"untilCompleted", kJobs}});
  ASSERT_TRUE(node.wait_for("ready")) << node.errors();
  Cpp cpp(prefix);
  Queue queue("fleet", cpp.queue_options());
  std::mutex mu;
  std::vector<std::string> ours;
  Worker worker(queue,
                [&](Job& job) -> Json {
                  std::lock_guard lock(mu);
                  ours.push_back(job.id);
                  return nullptr;
                },
                {.concurrency = 4});
  // Half the jobs from a Node producer, half from ours.
  NodeCli node_producer("add", {{"prefix", prefix},
                                {"queue", "fleet"},
                                {"bulk", true},
                                {"generate", {{"name", "n"}, {"from", 0}, {"to", kJobs / 2}}}});
  std::vector<Queue::BulkJob> bulk;
  for (int i = kJobs / 2; i < kJobs; ++i) bulk.push_back({.name = "c", .data = {{"i", i}}});
  queue.add_bulk(std::move(bulk));
  node_producer.finish();
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == kJobs; }, 90s))
      << "completed: " << queue.counts().completed;
  const std::vector<Json> out = node.finish(30s);
  worker.close();

  std::map<std::string, int> times;
  std::lock_guard lock(mu);
  for (const std::string& id : ours) ++times[id];
  std::size_t by_node = 0;
  for (const Json& p : out) {
    if (p["type"] == "p") {
      ++times[p["id"].get<std::string>()];
      ++by_node;
    }
  }
  EXPECT_EQ(times.size(), static_cast<std::size_t>(kJobs));
  int twice = 0;
  for (const auto& [id, n] : times) twice += n != 1;
  EXPECT_EQ(twice, 0);
  EXPECT_EQ(ours.size() + by_node, static_cast<std::size_t>(kJobs));
  EXPECT_GT(ours.size(), 0u);
  EXPECT_GT(by_node, 0u);
  EXPECT_EQ(queue.counts(), (JobCounts{.completed = kJobs}));
}

// Runs of a schedule as millis (from ids `repeat:<id>:<millis>`).
std::vector<TimeMs> run_millis(const std::vector<std::string>& ids, const std::string& sched) {
  std::vector<TimeMs> out;
  const std::string head = "repeat:" + sched + ":";
  for (const std::string& id : ids) {
    if (id.rfind(head, 0) == 0) out.push_back(std::stoll(id.substr(head.size())));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Cron run times: ours (next_cron_run, chained from run to run as our workers advance schedules)
// against BullMQ's own getNextMillis (cron-parser) in UTC, for the forms docs/jobs.md lists, from
// starts on and between matches, around month ends, leap days and the year's end.
TEST(Interop, CronRunTimesMatchBullMQs) {
  const std::vector<std::string> patterns = {"0 3 * * *",        "*/5 * * * *",
                                             "0 */6 * * *",      "15,45 * * * *",
                                             "0 9-17/2 * * 1-5", "30 15 10 * * MON-FRI",
                                             "*/10 * * * * *",   "0 0 * * 0",
                                             "0 0 * * 7",        "0 0 13 * FRI",
                                             "0 0 1-7 * 1",      "0 0 31 * *",
                                             "0 0 29 2 *",       "0 12 * JAN,JUL SUN",
                                             "0 0 ? * 3",        "5-10/2 4 * * *",
                                             "0 0 1 */3 *",      "59 23 28-31 * *",
                                             "0 0 1 1 *",        "@yearly",
                                             "@annually",        "@monthly",
                                             "@weekly",          "@daily",
                                             "@hourly",          "0 0 * * *"};
  const std::vector<TimeMs> from = {
      1767225599500,  // 2025-12-31 23:59:59.500
      1767225600000,  // 2026-01-01 00:00:00.000, a match of many
      1709164799999,  // 2024-02-28 23:59:59.999 (a leap year)
      1798761599000,  // 2026-12-31 23:59:59.000
      1795791723456,  // 2026-11-27 15:02:03.456
  };
  constexpr int kCount = 8;
  NodeCli node("cron", {{"patterns", patterns}, {"from", from}, {"count", kCount}});
  const std::vector<Json> lines = node.finish();
  std::size_t compared = 0;
  for (const Json& l : lines) {
    if (l["type"] != "cron") continue;
    const std::string pattern = l["pattern"];
    const TimeMs start = l["from"];
    std::vector<TimeMs> ours;
    TimeMs at = start;
    for (int i = 0; i < kCount; ++i) {
      const std::optional<TimeMs> next = next_cron_run(pattern, at);
      if (!next) break;
      ours.push_back(*next);
      at = *next;
    }
    EXPECT_EQ(ours, l["next"].get<std::vector<TimeMs>>()) << pattern << " from " << start;
    ++compared;
  }
  EXPECT_EQ(compared, patterns.size() * from.size());
}

// Node upsertJobScheduler (every, cron with seconds) -> advanced by our worker.
TEST(Interop, NodeJobSchedulersAdvanceOnOurWorker) {
  const std::string prefix = "ns";
  NodeCli every("scheduler", {{"prefix", prefix},
                              {"queue", "ticks"},
                              {"id", "every-300"},
                              {"repeat", {{"every", 300}}},
                              {"template", {{"name", "tick"}, {"data", {{"x", 1}}}}}});
  NodeCli cron("scheduler", {{"prefix", prefix},
                             {"queue", "ticks"},
                             {"id", "cron-1s"},
                             {"repeat", {{"pattern", "* * * * * *"}}},
                             {"template", {{"name", "cron-tick"}, {"data", {{"y", 2}}}}}});
  // Two runs only (Node's `limit`), each removed when it completes.
  NodeCli limited(
      "scheduler",
      {{"prefix", prefix},
       {"queue", "ticks"},
       {"id", "limited"},
       {"repeat", {{"every", 200}, {"limit", 2}}},
       {"template", {{"name", "once-or-twice"}, {"opts", {{"removeOnComplete", true}}}}}});
  every.finish();
  cron.finish();
  limited.finish();
  // Our worker starts behind the schedule (its first run is already late), so creating the next
  // run realigns it; it must land on Node's grid (every-300 stores offset = first run % 300).
  std::this_thread::sleep_for(700ms);
  Cpp cpp(prefix);
  Queue queue("ticks", cpp.queue_options());
  std::mutex mu;
  std::vector<std::string> ids;
  std::map<std::string, Json> data;
  Worker worker(queue,
                [&](Job& job) -> Json {
                  std::lock_guard lock(mu);
                  ids.push_back(job.id);
                  data[job.name] = job.data;
                  return nullptr;
                },
                {.concurrency = 2});
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mu);
    return run_millis(ids, "every-300").size() >= 5 && run_millis(ids, "cron-1s").size() >= 3;
  }));
  worker.close();
  std::lock_guard lock(mu);
  const std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size()) << "a run was processed twice";
  const std::vector<TimeMs> e = run_millis(ids, "every-300");
  for (std::size_t i = 1; i < e.size(); ++i) {
    EXPECT_EQ((e[i] - e[0]) % 300, 0) << "off the schedule's grid: " << e[i];
  }
  for (TimeMs t : run_millis(ids, "cron-1s")) EXPECT_EQ(t % 1000, 0) << t;
  EXPECT_EQ(run_millis(ids, "limited").size(), 2u);
  EXPECT_EQ(queue.counts().completed, ids.size() - 2);  // the limited runs were removed
  EXPECT_EQ(data["tick"], (Json{{"x", 1}}));
  EXPECT_EQ(data["cron-tick"], (Json{{"y", 2}}));
  // The schedules as stored: the iteration count went up with each run.
  for (const ScheduleRecord& s : Scheduler(queue).list()) {
    EXPECT_GE(s.iterations, s.id == "every-300" ? 5 : s.id == "cron-1s" ? 3 : 2) << s.id;
  }
}

// Our Scheduler -> advanced by a Node worker.
TEST(Interop, OurSchedulesAdvanceOnANodeWorker) {
  const std::string prefix = "os";
  Cpp cpp(prefix);
  Queue queue("ticks", cpp.queue_options());
  Scheduler scheduler(queue);
  scheduler.upsert("every-250", {.job_name = "tick", .every = 250ms, .data = {{"x", 1}}});
  scheduler.upsert("cron-1s", {.job_name = "cron-tick", .cron = "* * * * * *"});
  NodeCli worker("worker", {{"prefix", prefix}, {"queue", "ticks"}, {"count", 10}});
  const std::vector<Json> out = worker.finish(60s);
  std::vector<std::string> ids;
  for (const Json& p : out) {
    if (p["type"] == "processed") ids.push_back(p["id"]);
  }
  const std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  const std::vector<TimeMs> e = run_millis(ids, "every-250");
  ASSERT_GE(e.size(), 4u) << Json(ids).dump();
  for (TimeMs t : e) EXPECT_EQ(t % 250, 0) << t;
  const std::vector<TimeMs> c = run_millis(ids, "cron-1s");
  ASSERT_GE(c.size(), 2u) << Json(ids).dump();
  for (TimeMs t : c) EXPECT_EQ(t % 1000, 0) << t;
  // The Node worker created the next runs: our Scheduler sees them as pending.
  const std::optional<ScheduleRecord> s = scheduler.get("every-250");
  ASSERT_TRUE(s.has_value());
  EXPECT_GT(s->next_run, e.back());
  EXPECT_GE(s->iterations, static_cast<std::int64_t>(e.size()));
}

// Node's pause/resume, deduplication and Job.retry() on a queue that our worker serves.
TEST(Interop, NodeQueueAdministrationWithOurWorker) {
  const std::string prefix = "adm";
  Cpp cpp(prefix);
  Queue queue("admin", cpp.queue_options());
  std::mutex mu;
  std::vector<std::pair<std::string, Json>> runs;  // name, data
  std::atomic<bool> fail_next{true};
  Worker worker(queue,
                [&](Job& job) -> Json {
                  {
                    std::lock_guard lock(mu);
                    runs.emplace_back(job.name, job.data);
                  }
                  if (job.name == "fails-once" && fail_next.exchange(false)) {
                    throw std::runtime_error("first try");
                  }
                  return job.data;
                },
                {.concurrency = 2});
  const Json dedup = {{"deduplication", {{"id", "d1"}}}};
  NodeCli admin(
      "admin",
      {{"prefix", prefix},
       {"queue", "admin"},
       {"steps",
        {{{"op", "pause"}},
         {{"op", "add"}, {"name", "while-paused"}, {"data", {{"n", 1}}}},
         {{"op", "sleep"}, {"ms", 500}},
         {{"op", "counts"}},
         {{"op", "resume"}},
         // Deduplicated while the first is delayed; once it completed, a new job.
         {{"op", "add"},
          {"name", "dedup"},
          {"data", {{"n", 2}}},
          {"opts", {{"delay", 300}, {"deduplication", {{"id", "d1"}}}}}},
         {{"op", "add"}, {"name", "dedup"}, {"data", {{"n", 3}}}, {"opts", dedup}},
         {{"op", "wait"}, {"state", "completed"}, {"n", 2}},
         {{"op", "add"}, {"name", "dedup"}, {"data", {{"n", 4}}}, {"opts", dedup}},
         // Failed by our worker, retried by Node, completed by our worker.
         {{"op", "add"}, {"name", "fails-once"}, {"data", {{"n", 5}}}, {"opts", {{"jobId", "f1"}}}},
         {{"op", "wait"}, {"state", "failed"}, {"n", 1}},
         {{"op", "retry"}, {"id", "f1"}},
         {{"op", "wait"}, {"state", "completed"}, {"n", 4}}}}});
  const std::vector<Json> steps = admin.finish(60s);
  worker.close();
  ASSERT_EQ(steps.size(), 13u) << Json(steps).dump();
  const Json& paused_counts = steps[3]["result"];
  EXPECT_EQ(paused_counts["waiting"], 1) << paused_counts.dump();
  EXPECT_EQ(paused_counts["active"], 0);
  EXPECT_EQ(steps[6]["result"], steps[5]["result"]) << "the second add was not deduplicated";
  EXPECT_NE(steps[8]["result"], steps[5]["result"]) << "the dedup id outlived its job";
  std::lock_guard lock(mu);
  EXPECT_THAT(runs, ::testing::UnorderedElementsAre(
                        std::pair<std::string, Json>{"while-paused", {{"n", 1}}},
                        std::pair<std::string, Json>{"dedup", {{"n", 2}}},
                        std::pair<std::string, Json>{"dedup", {{"n", 4}}},
                        std::pair<std::string, Json>{"fails-once", {{"n", 5}}},
                        std::pair<std::string, Json>{"fails-once", {{"n", 5}}}));
  const std::optional<Job> f1 = queue.get_job("f1");
  ASSERT_TRUE(f1.has_value());
  EXPECT_EQ(f1->state, JobState::kCompleted);
  EXPECT_EQ(f1->return_value, (Json{{"n", 5}}));
}

// Node's getJobCounts, getJob and getWorkers on our jobs and our worker.
TEST(Interop, NodeGettersReportOurJobsAndWorker) {
  const std::string prefix = "ng";
  Cpp cpp(prefix, "cpp-worker");
  Queue queue("reports", cpp.queue_options());
  const std::string ok = queue.add("ok", {{"n", 1}});
  const std::string bad = queue.add("bad", {{"n", 2}}, {.attempts = 2});
  Worker worker(queue, [&](Job& job) -> Json {
    if (job.name == "bad") throw std::runtime_error("bad input " + job.id);
    return {{"sum", 42}};
  });
  ASSERT_TRUE(
      wait_until([&] { return queue.counts().failed == 1 && queue.counts().completed == 1; }));
  const std::string waiting = queue.add("later", {}, {.delay = 60s});
  // Our idle worker blocks on the marker with its named connection.
  Cpp plain(prefix);
  Queue queue2("reports", plain.queue_options());
  Worker unnamed(queue2, [](Job&) -> Json { return nullptr; });
  redis::RedisConnection raw(redis::parse_redis_url(redis_url()), 2s, 5s);
  ASSERT_TRUE(wait_until([&] {
    const std::string clients = raw.command({"CLIENT", "LIST"}).str;
    return clients.find("name=ng:cmVwb3J0cw== ") != std::string::npos &&
           clients.find("name=ng:cmVwb3J0cw==:w:cpp-worker ") != std::string::npos;
  }));

  NodeCli inspect("inspect",
                  {{"prefix", prefix}, {"queue", "reports"}, {"jobs", {ok, bad, waiting}}});
  const std::vector<Json> out = inspect.finish();
  ASSERT_EQ(out.size(), 1u);
  const Json& r = out[0];
  EXPECT_EQ(r["counts"]["completed"], 1);
  EXPECT_EQ(r["counts"]["failed"], 1);
  EXPECT_EQ(r["counts"]["delayed"], 1);
  EXPECT_EQ(r["counts"]["waiting"], 0);
  EXPECT_EQ(r["counts"]["active"], 0);
  const Json& j_ok = r["jobs"][ok];
  EXPECT_EQ(j_ok["state"], "completed");
  EXPECT_EQ(j_ok["name"], "ok");
  EXPECT_EQ(j_ok["returnvalue"], (Json{{"sum", 42}}));
  EXPECT_EQ(j_ok["attemptsMade"], 1);
  const Json& j_bad = r["jobs"][bad];
  EXPECT_EQ(j_bad["state"], "failed");
  EXPECT_EQ(j_bad["failedReason"], "bad input " + bad);
  EXPECT_EQ(j_bad["attemptsMade"], 2);
  // One entry per failed attempt (we have no stack: the reason).
  EXPECT_EQ(j_bad["stacktrace"], (Json{"bad input " + bad, "bad input " + bad}));
  EXPECT_EQ(j_ok["stacktrace"], Json::array());
  EXPECT_EQ(r["jobs"][waiting]["state"], "delayed");
  // <prefix>:<base64("reports")>, and with a worker name `...:w:<name>`.
  std::vector<std::string> workers = r["workers"];
  std::sort(workers.begin(), workers.end());
  EXPECT_THAT(workers, ElementsAre("ng:cmVwb3J0cw==", "ng:cmVwb3J0cw==:w:cpp-worker"));
  worker.close();
  unnamed.close();
}

}  // namespace
}  // namespace adminara::obs::jobs
