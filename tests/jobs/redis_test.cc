// The Redis backend beyond the tests it shares with the in-memory one (jobs_test.cc): URL
// parsing, BullMQ's data layout as stored in Redis, jobs written the way Node BullMQ writes them,
// several processes (backends) on one Redis, a Redis restart under load and a worker process
// killed mid-job.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "adminara/obs/jobs.h"
#include "adminara/obs/propagation.h"
#include "adminara/obs/version.h"
#include "jobs/redis/redis_client.h"
#include "tests/common/redis_server.h"
#include "tests/integration/prometheus_harness.h"
#include "tests/jobs/jobs_test_util.h"

namespace adminara::obs::jobs {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::JobsEnv;
using ::testing::Not;
using testing::wait_until;

// Raw commands on the test server, to look at what the backend stored.
struct Raw {
  redis::RedisConnection c{redis::parse_redis_url(obs::testing::shared_redis_server().url()), 2s,
                           5s};
  redis::Reply operator()(const std::vector<std::string>& argv) { return c.command(argv); }
  std::string type(const std::string& key) { return c.command({"TYPE", key}).str; }
  std::map<std::string, std::string> hash(const std::string& key) {
    std::map<std::string, std::string> out;
    const redis::Reply r = c.command({"HGETALL", key});
    for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2) {
      out[r.elements[i].str] = r.elements[i + 1].str;
    }
    return out;
  }
  std::string score(const std::string& key, const std::string& member) {
    return c.command({"ZSCORE", key, member}).str;
  }
};

std::string error_of(std::string_view url) {
  try {
    redis::parse_redis_url(url);
  } catch (const RedisError& e) {
    return e.what();
  }
  return "";
}

TEST(RedisUrl, ParsesEveryPartAndRejectsWhatItCannotUse) {
  redis::RedisUrl u = redis::parse_redis_url("redis://127.0.0.1:6390/3");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 6390);
  EXPECT_EQ(u.db, 3);
  EXPECT_TRUE(u.password.empty());
  u = redis::parse_redis_url("redis://app:p%40ss@cache.internal");
  EXPECT_EQ(u.host, "cache.internal");
  EXPECT_EQ(u.port, 6379);
  EXPECT_EQ(u.user, "app");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.display(), "cache.internal:6379/0");  // never the password
  u = redis::parse_redis_url("redis://secret@[::1]:7000/");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 7000);
  EXPECT_EQ(u.password, "secret");
  EXPECT_TRUE(u.user.empty());

  EXPECT_THAT(error_of("rediss://h:6380"), HasSubstr("TLS (rediss://) is not supported"));
  EXPECT_THAT(error_of("http://h"), HasSubstr("unknown scheme"));
  EXPECT_THAT(error_of("redis://h:port"), HasSubstr("bad port \"port\""));
  EXPECT_THAT(error_of("redis://h:70000"), HasSubstr("port out of range"));
  EXPECT_THAT(error_of("redis://:6379"), HasSubstr("empty host"));
  EXPECT_THAT(error_of("redis://h/x"), HasSubstr("bad database number"));
  for (const char* bad : {"rediss://h", "http://h", "redis://h:port", "redis://:1"}) {
    EXPECT_THAT(error_of(bad), HasSubstr("accepted: redis://[user:password@]host[:port][/db]"));
  }
  // Errors show the URL with the password masked.
  EXPECT_THAT(error_of("redis://u:hunter2@h:x"), Not(HasSubstr("hunter2")));
  EXPECT_THAT(error_of("redis://u:hunter2@h:x"), HasSubstr("redis://u:***@h:x"));
  EXPECT_THAT(error_of("redis://hunter2@h/x"), HasSubstr("redis://***@h/x"));
  EXPECT_THROW(make_redis_backend({.url = "redis://h:0"}), RedisError);
  EXPECT_THROW(make_redis_backend({.prefix = "a:b"}), RedisError);
}

TEST(RedisBackend, UnreachableServerIsAnErrorAfterRetryFor) {
  const int port = obs::testing::free_loopback_port();
  Queue queue("q", {.connection = {.backend = make_redis_backend(
                                       {.url = "redis://127.0.0.1:" + std::to_string(port),
                                        .retry_for = 200ms})}});
  try {
    queue.add("x");
    FAIL() << "add succeeded without a server";
  } catch (const RedisError& e) {
    EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:" + std::to_string(port)));
    EXPECT_THAT(e.what(), HasSubstr("cannot connect"));
  }
}

TEST(RedisBackend, StoresJobsInBullMQsLayout) {
  testing::current_backend_kind() = testing::BackendKind::kRedis;
  JobsEnv env;
  Raw raw;
  const std::string url = obs::testing::shared_redis_server().url();
  auto backend = make_redis_backend({.url = url, .prefix = "layout", .clock = env.clock});
  Queue queue("mail", {.connection = {.backend = backend,
                                      .tracer = env.tracer_provider.get_tracer("t"),
                                      .meter = env.meter_provider.get_meter("t")}});
  const TimeMs t0 = env.clock->now_ms();
  const std::string plain = queue.add("send", {{"to", "a@b.c"}, {"path", "/x"}});
  const std::string prio = queue.add("send", {}, {.priority = 5});
  const std::string later = queue.add("send", {}, {.delay = 1500ms});
  const std::string custom = queue.add("send", {},
                                       {.attempts = 3,
                                        .backoff = Backoff::exponential(500ms),
                                        .job_id = "my-id",
                                        .remove_on_complete = Retention::keep_last(10),
                                        .remove_on_fail = Retention::keep_for(3600s)});
  EXPECT_EQ(plain, "1");
  EXPECT_EQ(prio, "2");
  EXPECT_EQ(later, "3");
  EXPECT_EQ(custom, "my-id");
  EXPECT_EQ(raw({"GET", "layout:mail:id"}).str, "4");  // custom ids count too, as in BullMQ

  EXPECT_EQ(raw.type("layout:mail:wait"), "list");
  EXPECT_EQ(raw.type("layout:mail:prioritized"), "zset");
  EXPECT_EQ(raw.type("layout:mail:delayed"), "zset");
  EXPECT_EQ(raw.type("layout:mail:marker"), "zset");
  EXPECT_EQ(raw.type("layout:mail:events"), "stream");
  EXPECT_EQ(raw.type("layout:mail:1"), "hash");
  // FIFO: LPUSH in, taken from the right.
  const redis::Reply wait = raw({"LRANGE", "layout:mail:wait", "0", "-1"});
  ASSERT_EQ(wait.elements.size(), 2u);
  EXPECT_EQ(wait.elements[0].str, "my-id");
  EXPECT_EQ(wait.elements[1].str, "1");
  // priority * 2^32 + counter; due * 4096 (+ n within one ms).
  EXPECT_EQ(raw.score("layout:mail:prioritized", "2"), std::to_string(5LL * 4294967296LL + 1));
  EXPECT_EQ(raw.score("layout:mail:delayed", "3"), std::to_string((t0 + 1500) * 4096));
  EXPECT_EQ(raw.score("layout:mail:marker", "0"), "0");
  EXPECT_EQ(raw.score("layout:mail:marker", "1"), std::to_string(t0 + 1500));

  auto h = raw.hash("layout:mail:1");
  EXPECT_EQ(h["name"], "send");
  EXPECT_EQ(Json::parse(h["data"]), (Json{{"to", "a@b.c"}, {"path", "/x"}}));
  EXPECT_EQ(h["timestamp"], std::to_string(t0));
  EXPECT_EQ(h["delay"], "0");
  EXPECT_EQ(h["priority"], "0");
  const Json opts = Json::parse(h["opts"]);
  EXPECT_EQ(opts["attempts"], 1);
  ASSERT_TRUE(opts.contains("tm"));  // the producer span's context, as bullmq-otel stores it
  const Json tm = Json::parse(opts["tm"].get<std::string>());
  EXPECT_THAT(tm["traceparent"].get<std::string>(), ::testing::StartsWith("00-"));
  EXPECT_EQ(raw.hash("layout:mail:3")["delay"], "1500");
  const Json custom_opts = Json::parse(raw.hash("layout:mail:my-id")["opts"]);
  EXPECT_EQ(custom_opts["jobId"], "my-id");
  EXPECT_EQ(custom_opts["backoff"], (Json{{"type", "exponential"}, {"delay", 500}}));
  EXPECT_EQ(custom_opts["removeOnComplete"], 10);
  EXPECT_EQ(custom_opts["removeOnFail"], (Json{{"age", 3600.0}}));  // seconds, as BullMQ's

  // meta: the fields a Node Queue writes on start, `version` naming us in BullMQ's form.
  const auto meta = raw.hash("layout:mail:meta");
  EXPECT_EQ(meta.at("opts.maxLenEvents"), "10000");
  EXPECT_EQ(meta.at("version"), "adminara-obs:" + std::string(kVersion));

  // Events: added then waiting/delayed, with BullMQ's fields.
  const redis::Reply events = raw({"XRANGE", "layout:mail:events", "-", "+", "COUNT", "2"});
  ASSERT_EQ(events.elements.size(), 2u);
  const auto& added = events.elements[0].elements[1].elements;
  ASSERT_EQ(added.size(), 6u);
  EXPECT_EQ(added[0].str, "event");
  EXPECT_EQ(added[1].str, "added");
  EXPECT_EQ(added[3].str, "1");
  EXPECT_EQ(added[5].str, "send");

  // Processing: lock while active; then completed with returnvalue JSON, failed with the plain
  // reason, attempts counted.
  std::mutex mu;
  std::string seen_lock;
  Worker worker(queue, [&](Job& job) -> Json {
    if (job.id == "1") {
      std::lock_guard lock(mu);
      seen_lock = raw({"GET", "layout:mail:1:lock"}).str;
    }
    if (job.id == "my-id") throw std::runtime_error("smtp said \"no\"");
    return {{"sent", true}};
  });
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 2; }));
  // `later` (not due on the manual clock) and my-id, back for its retry after 500 ms.
  ASSERT_TRUE(wait_until([&] { return queue.counts().delayed == 2; }));
  worker.close();
  {
    std::lock_guard lock(mu);
    EXPECT_THAT(seen_lock, ::testing::StartsWith(worker.id() + ":"));
  }
  h = raw.hash("layout:mail:1");
  EXPECT_EQ(Json::parse(h["returnvalue"]), (Json{{"sent", true}}));
  EXPECT_EQ(h["atm"], "1");
  EXPECT_EQ(h["ats"], "1");
  EXPECT_FALSE(h["finishedOn"].empty());
  EXPECT_EQ(raw.type("layout:mail:1:lock"), "none");
  EXPECT_EQ(raw.score("layout:mail:completed", "1"), h["finishedOn"]);
  h = raw.hash("layout:mail:my-id");
  EXPECT_EQ(h["failedReason"], "smtp said \"no\"");
  EXPECT_EQ(h["atm"], "1");
  EXPECT_EQ(h["delay"], "500");
}

TEST(RedisBackend, ScriptsAreLoadedAgainAfterTheServerForgetsThem) {
  Raw raw;
  Queue queue(
      "flush",
      {.connection = {.backend = make_redis_backend(
                          {.url = obs::testing::shared_redis_server().url(), .prefix = "flush"})},
       .queue_depth_metrics = false});
  EXPECT_EQ(queue.add("a"), "1");
  raw({"SCRIPT", "FLUSH"});  // as after a restart: every EVALSHA answers NOSCRIPT
  EXPECT_EQ(queue.add("b"), "2");
  raw({"SCRIPT", "FLUSH"});
  std::vector<Queue::BulkJob> bulk(250, Queue::BulkJob{.name = "c"});
  const std::vector<std::string> ids = queue.add_bulk(std::move(bulk));
  ASSERT_EQ(ids.size(), 250u);
  EXPECT_EQ(ids.front(), "3");
  EXPECT_EQ(ids.back(), "252");
  EXPECT_EQ(queue.counts().waiting, 252u);
}

// Script calls from many threads share one pipelined connection: every call gets its own reply,
// two scripts mix in one batch (also right after the server forgot both), and Redis reads fewer
// times than there are calls (the batching that makes a busy worker cheap for Redis).
TEST(RedisPool, ConcurrentScriptCallsArePipelinedOnOneConnection) {
  Raw raw;
  redis::Pool pool({.url = redis::parse_redis_url(obs::testing::shared_redis_server().url())});
  const redis::Script incr("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  const redis::Script echo("return ARGV[1] .. ':' .. redis.call('GET', KEYS[1])");
  const std::vector<std::string> keys{"pool:counter"};
  raw({"DEL", "pool:counter"});
  raw({"SET", "pool:fixed", "x"});
  raw({"SCRIPT", "FLUSH"});
  const auto stat = [&](std::string_view name) {
    const std::string info = raw({"INFO", "stats"}).str;
    const std::size_t at = info.find(std::string(name) + ":");
    return at == std::string::npos ? -1 : std::stoll(info.substr(at + name.size() + 1));
  };
  const long long reads_before = stat("total_reads_processed");
  const long long connections_before = stat("total_connections_received");
  constexpr int kThreads = 8, kCalls = 500;
  std::vector<std::vector<long long>> seen(kThreads);
  std::atomic<int> wrong_echoes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::vector<std::string> fixed{"pool:fixed"};
      for (int i = 0; i < kCalls; ++i) {
        seen[t].push_back(pool.run(incr, keys, {"1"}).as_int());
        const std::string tag = std::to_string(t) + "." + std::to_string(i);
        if (pool.run(echo, fixed, {tag}).as_string() != tag + ":x") ++wrong_echoes;
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<long long> all;
  for (const auto& v : seen) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));  // each thread's calls run in its order
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kThreads * kCalls));  // one reply per call
  EXPECT_EQ(*all.rbegin(), kThreads * kCalls);
  EXPECT_EQ(wrong_echoes.load(), 0);
  EXPECT_EQ(stat("total_connections_received") - connections_before, 1);
  EXPECT_LT(stat("total_reads_processed") - reads_before, 2 * kThreads * kCalls);
  EXPECT_EQ(pool.stats().reply_errors.load(), 0u);
  EXPECT_THROW(pool.run(redis::Script("return redis.error_reply('ERR broken')"), keys, {}),
               redis::RedisReplyError);
}

TEST(RedisBackend, ProcessesAJobWrittenTheWayNodeBullMQWritesIt) {
  testing::current_backend_kind() = testing::BackendKind::kRedis;
  JobsEnv env;
  Raw raw;
  // As Node's addStandardJob leaves it: opts with attempts 0, a numeric backoff and `tm`.
  const std::string trace_id = "61bc6e9a2d3e4f5061bc6e9a2d3e4f50";
  const std::string parent = "e2c56b21c9985531";
  const std::string opts = R"({"tm":"{\"traceparent\":\"00-)" + trace_id + "-" + parent +
                           R"(-01\"}","attempts":0,"backoff":2000})";
  raw({"HSET", "node:orders:9", "name", "ship", "data", R"({"order":42})", "opts", opts,
       "timestamp", std::to_string(env.clock->now_ms()), "delay", "0", "priority", "0"});
  raw({"LPUSH", "node:orders:wait", "9"});
  raw({"ZADD", "node:orders:marker", "0", "0"});
  auto backend = make_redis_backend(
      {.url = obs::testing::shared_redis_server().url(), .prefix = "node", .clock = env.clock});
  Queue queue("orders", {.connection = {.backend = backend,
                                        .tracer = env.tracer_provider.get_tracer("t"),
                                        .meter = env.meter_provider.get_meter("t")}});
  const std::optional<Job> before = queue.get_job("9");
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->state, JobState::kWaiting);
  EXPECT_EQ(before->options.attempts, 1);
  EXPECT_EQ(before->options.backoff, Backoff::fixed(2000ms));
  Json seen;
  Worker worker(queue, [&](Job& job) -> Json {
    seen = job.data;
    return job.data["order"];
  });
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 1; }));
  worker.close();
  EXPECT_EQ(seen, (Json{{"order", 42}}));
  EXPECT_EQ(raw.hash("node:orders:9")["returnvalue"], "42");
  const auto spans = env.spans_named("job.ship");
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].context.trace_id().to_hex(), trace_id);
  EXPECT_EQ(spans[0].parent_span_id.to_hex(), parent);
}

TEST(RedisBackend, WorkersInSeveralProcessesProcessEachJobOnce) {
  // Each backend is what one process has: its own connections and blocking waiter.
  const std::string url = obs::testing::shared_redis_server().url();
  constexpr int kJobs = 3000;
  std::unique_ptr<std::atomic<int>[]> seen(new std::atomic<int>[kJobs]);
  for (int i = 0; i < kJobs; ++i) seen[i].store(0);
  auto processor = [&](Job& job) -> Json {
    seen[job.data["i"].get<int>()].fetch_add(1);
    return nullptr;
  };
  auto connect = [&] {
    return QueueOptions{
        .connection = {.backend = make_redis_backend({.url = url, .prefix = "fleet"})},
        .queue_depth_metrics = false};
  };
  Queue producer("work", connect());
  Queue q1("work", connect());
  Queue q2("work", connect());
  Worker w1(q1, processor, {.concurrency = 4});
  Worker w2(q2, processor, {.concurrency = 4});
  std::vector<Queue::BulkJob> bulk;
  for (int i = 0; i < kJobs; ++i) bulk.push_back({.name = "w", .data = {{"i", i}}});
  ASSERT_EQ(producer.add_bulk(std::move(bulk)).size(), static_cast<std::size_t>(kJobs));
  ASSERT_TRUE(wait_until([&] { return producer.counts().completed == kJobs; }, 60s));
  w1.close();
  w2.close();
  int wrong = 0;
  for (int i = 0; i < kJobs; ++i) wrong += seen[i].load() != 1;
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(producer.counts(), (JobCounts{.completed = kJobs}));
}

TEST(RedisBackend, SchedulersInTwoProcessesRunEachOccurrenceOnce) {
  const std::string url = obs::testing::shared_redis_server().url();
  auto connect = [&] {
    return QueueOptions{
        .connection = {.backend = make_redis_backend({.url = url, .prefix = "sched2"})},
        .queue_depth_metrics = false};
  };
  Queue a("rotation", connect());
  Queue b("rotation", connect());
  Scheduler sa(a);
  Scheduler sb(b);
  const ScheduleOptions every = {.job_name = "turn_rotation", .every = 200ms};
  EXPECT_EQ(sa.upsert("turn", every), sb.upsert("turn", every));
  std::mutex mu;
  std::vector<std::string> runs;
  auto processor = [&](Job& job) -> Json {
    std::lock_guard lock(mu);
    runs.push_back(job.id);
    return nullptr;
  };
  Worker wa(a, processor, {.concurrency = 2});
  Worker wb(b, processor, {.concurrency = 2});
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard lock(mu);
    return runs.size() >= 6;
  }));
  wa.close();
  wb.close();
  std::lock_guard lock(mu);
  const std::set<std::string> unique(runs.begin(), runs.end());
  EXPECT_EQ(unique.size(), runs.size()) << "an occurrence ran twice";
  for (const std::string& id : runs) EXPECT_THAT(id, ::testing::StartsWith("repeat:turn:"));
  ASSERT_EQ(sa.list().size(), 1u);
}

TEST(RedisBackend, ARestartedRedisLosesNoAcknowledgedJob) {
  obs::testing::RedisServer server(/*durable=*/true);
  constexpr int kJobs = 1500;
  auto backend = make_redis_backend({.url = server.url(), .retry_for = 20s});
  Queue queue("restart", {.connection = {.backend = backend}, .queue_depth_metrics = false});
  std::mutex mu;
  std::map<std::string, int> processed;
  Worker worker(queue,
                [&](Job& job) -> Json {
                  std::lock_guard lock(mu);
                  ++processed[job.id];
                  return nullptr;
                },
                {.concurrency = 4, .lock_duration = 2000ms, .stalled_interval = 1000ms});
  std::vector<std::string> acknowledged;
  for (int i = 0; i < kJobs; ++i) {
    if (i == kJobs / 2) server.restart();
    acknowledged.push_back(queue.add("r", {{"i", i}}));
  }
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed >= kJobs; }, 60s))
      << queue.counts().completed;
  worker.close();
  std::lock_guard lock(mu);
  int missing = 0;
  int twice = 0;
  for (const std::string& id : acknowledged) {
    const std::optional<Job> job = queue.get_job(id);
    missing += !job || job->state != JobState::kCompleted;
    twice += processed[id] > 1;
  }
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(twice, 0);
  EXPECT_EQ(queue.counts().completed, static_cast<std::size_t>(kJobs));
}

TEST(RedisBackend, AJobOfAKilledWorkerProcessIsRecoveredAndCompletedElsewhere) {
  const std::string url = obs::testing::shared_redis_server().url();
  const auto dir = std::filesystem::temp_directory_path() /
                   ("adminara-killed-worker-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Queue queue("killed",
              {.connection = {.backend = make_redis_backend({.url = url, .prefix = "kill"})},
               .queue_depth_metrics = false});
  const std::string id = queue.add("slow", {{"n", 1}});
  obs::testing::ChildProcess child(
      {.argv = {ADMINARA_REDIS_TEST_WORKER, url, "kill", "killed", "1000", "500"},
       .stdout_path = dir / "out",
       .stderr_path = dir / "err"});
  ASSERT_TRUE(wait_until([&] { return child.output().find("started " + id) != std::string::npos; }))
      << child.errors();
  EXPECT_EQ(queue.get_job(id)->state, JobState::kActive);
  child.signal(SIGKILL);
  child.wait(5s);
  std::atomic<int> runs{0};
  Worker rescuer(queue,
                 [&](Job&) -> Json {
                   ++runs;
                   return "done";
                 },
                 {.lock_duration = 1000ms, .stalled_interval = 500ms});
  ASSERT_TRUE(wait_until([&] { return queue.get_job(id)->state == JobState::kCompleted; }));
  rescuer.close();
  EXPECT_EQ(runs.load(), 1);
  const Job job = *queue.get_job(id);
  EXPECT_EQ(job.stalled_count, 1);
  EXPECT_EQ(job.attempts_started, 2);
  EXPECT_EQ(job.return_value, "done");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace adminara::obs::jobs
