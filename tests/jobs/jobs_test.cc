// Queue, Worker and Scheduler on each backend (in-memory, and Redis on a private redis-server):
// the job-tracing examples (a 50 ms job, TURN rotation), retries and backoff, priorities, delays,
// dedup ids, pause/resume, concurrency, timeouts, close, retention, the stalled path through the
// backend interface, schedules and metrics. Time-based behaviour runs on a ManualClock: no test
// sleeps through a delay (except Redis' lock expiries, which run on Redis' own clock).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "adminara/obs/jobs.h"
#include "adminara/obs/observability.h"
#include "tests/jobs/jobs_test_util.h"

namespace adminara::obs::jobs {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::find_metric;
using testing::find_point;
using ::testing::HasSubstr;
using testing::JobsEnv;
using testing::scrape_text;
using testing::str_attr;
using testing::wait_until;

Json noop(Job&) {
  return Json::object();
}

ADMINARA_BACKEND_SUITE(Jobs);
ADMINARA_BACKEND_SUITE(JobsBackend);
ADMINARA_BACKEND_SUITE(JobsSchedule);

TEST_P(Jobs, DesignExampleFiftyMillisecondJobIsTraced) {
  JobsEnv env;
  Queue queue("design", env.queue_options());
  Worker worker(queue, [](Job&) -> Json {
    std::this_thread::sleep_for(50ms);
    return {{"processed", true}};
  });
  const std::string id = queue.add("test", {{"id", 1}});
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 1; }));
  worker.close();
  const auto spans = env.spans_named("job.test");
  ASSERT_EQ(spans.size(), 1u);
  const SpanData& s = spans[0];
  EXPECT_EQ(s.kind, SpanKind::kConsumer);
  EXPECT_EQ(str_attr(s, "status"), "success");
  ASSERT_NE(s.attribute("duration_ms"), nullptr);
  EXPECT_GE(*s.attribute("duration_ms")->get_if<double>(), 50.0);
  EXPECT_EQ(str_attr(s, "messaging.system"), "adminara.jobs");
  EXPECT_EQ(str_attr(s, "messaging.destination.name"), "design");
  EXPECT_EQ(str_attr(s, "messaging.message.id"), id);
  EXPECT_EQ(str_attr(s, "job.name"), "test");
  EXPECT_EQ(*s.attribute("job.attempt")->get_if<std::int64_t>(), 1);
  EXPECT_EQ(queue.get_job(id)->return_value, (Json{{"processed", true}}));
}

TEST_P(Jobs, DesignExampleTurnRotationStoresARandomSecret) {
  JobsEnv env;
  Queue queue("maintenance", env.queue_options());
  std::mutex store_mu;
  std::map<std::string, std::string> state_store;
  Worker worker(queue, [&](Job&) -> Json {
    static constexpr char kB64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::random_device rd;
    unsigned char bytes[32];
    for (auto& b : bytes) b = static_cast<unsigned char>(rd());
    std::string secret;
    for (int i = 0; i < 32; i += 3) {
      const unsigned n = (bytes[i] << 16) | ((i + 1 < 32 ? bytes[i + 1] : 0) << 8) |
                         (i + 2 < 32 ? bytes[i + 2] : 0);
      secret += kB64[(n >> 18) & 63];
      secret += kB64[(n >> 12) & 63];
      secret += i + 1 < 32 ? kB64[(n >> 6) & 63] : '=';
      secret += i + 2 < 32 ? kB64[n & 63] : '=';
    }
    std::lock_guard lock(store_mu);
    state_store["turn:secret"] = secret;
    return {{"secret", secret}};
  });
  const std::string id = queue.add("turn_rotation");
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 1; }));
  worker.close();
  const std::string secret = queue.get_job(id)->return_value["secret"];
  EXPECT_EQ(secret.size(), 44u);  // base64 of 32 bytes
  EXPECT_EQ(secret.back(), '=');
  std::lock_guard lock(store_mu);
  EXPECT_EQ(state_store["turn:secret"], secret);
  ASSERT_EQ(env.spans_named("job.turn_rotation").size(), 1u);
  EXPECT_EQ(str_attr(env.spans_named("job.turn_rotation")[0], "status"), "success");
}

TEST_P(Jobs, SchedulerInitIsTraced) {
  JobsEnv env;
  Queue queue("maintenance", env.queue_options());
  Scheduler scheduler(queue);
  scheduler.init([](Scheduler& s) {
    s.upsert("turn-rotation", {.job_name = "turn_rotation", .cron = "0 3 * * *"});
    s.upsert("session-cleanup", {.job_name = "session_cleanup", .every = 60s});
  });
  const auto spans = env.spans_named("scheduler.init");
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(str_attr(spans[0], "status"), "success");
  EXPECT_NE(spans[0].attribute("duration_ms"), nullptr);
  EXPECT_EQ(*spans[0].attribute("schedules")->get_if<std::int64_t>(), 2);

  EXPECT_THROW(
      scheduler.init([](Scheduler& s) { s.upsert("bad", {.job_name = "x", .cron = "* *"}); }),
      ScheduleError);
  const auto again = env.spans_named("scheduler.init");
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(str_attr(again[1], "status"), "error");
  EXPECT_THAT(str_attr(again[1], "error.message"), HasSubstr("has 2 fields"));
}

TEST_P(Jobs, TraceContinuesFromProducerToWorkerThread) {
  JobsEnv env;
  Queue queue("traced", env.queue_options());
  std::thread::id worker_thread;
  SpanContext seen_in_processor;
  Worker worker(queue, [&](Job&) -> Json {
    worker_thread = std::this_thread::get_id();
    seen_in_processor = Context::current().span_context();
    // A span started in the processor is a child of the job's span.
    Span child = env.tracer_provider.get_tracer("jobs-test").start_span("inner");
    return nullptr;
  });
  Span request = env.tracer_provider.get_tracer("jobs-test").start_span("http.request");
  {
    Scope scope = request.activate();
    queue.add("email", {{"to", "a@example.com"}});
  }
  request.end();
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 1; }));
  worker.close();
  EXPECT_NE(worker_thread, std::this_thread::get_id());
  const auto producer = env.spans_named("add traced.email");
  const auto consumer = env.spans_named("job.email");
  const auto inner = env.spans_named("inner");
  ASSERT_EQ(producer.size(), 1u);
  ASSERT_EQ(consumer.size(), 1u);
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(producer[0].kind, SpanKind::kProducer);
  EXPECT_EQ(producer[0].context.trace_id(), request.context().trace_id());
  EXPECT_EQ(producer[0].parent_span_id, request.context().span_id());
  EXPECT_EQ(consumer[0].context.trace_id(), request.context().trace_id());
  EXPECT_EQ(consumer[0].parent_span_id, producer[0].context.span_id());
  EXPECT_TRUE(consumer[0].parent_is_remote);
  EXPECT_EQ(seen_in_processor.span_id(), consumer[0].context.span_id());
  EXPECT_EQ(inner[0].parent_span_id, consumer[0].context.span_id());
  EXPECT_EQ(inner[0].context.trace_id(), request.context().trace_id());
}

TEST_P(Jobs, RetriesWithExponentialBackoffOnTheManualClock) {
  JobsEnv env;
  Queue queue("retry", env.queue_options());
  std::atomic<int> calls{0};
  Worker worker(queue, [&](Job& job) -> Json {
    ++calls;
    throw std::runtime_error("attempt " + std::to_string(job.attempts_made + 1) + " failed");
  });
  const std::string id =
      queue.add("flaky", {}, {.attempts = 3, .backoff = Backoff::exponential(1000ms)});
  auto job = [&] { return *queue.get_job(id); };
  ASSERT_TRUE(wait_until([&] { return job().attempts_made == 1; }));
  EXPECT_EQ(job().state, JobState::kDelayed);
  EXPECT_EQ(job().failed_reason, "attempt 1 failed");
  EXPECT_EQ(job().ready_on, env.clock->now_ms() + 1000);
  env.clock->advance(999ms);
  EXPECT_EQ(job().state, JobState::kDelayed);
  EXPECT_EQ(calls.load(), 1);
  env.clock->advance(1ms);
  ASSERT_TRUE(wait_until([&] { return job().attempts_made == 2; }));
  EXPECT_EQ(job().state, JobState::kDelayed);
  EXPECT_EQ(job().ready_on, env.clock->now_ms() + 2000);  // exponential: 1000, 2000
  env.clock->advance(2000ms);
  ASSERT_TRUE(wait_until([&] { return job().state == JobState::kFailed; }));
  EXPECT_EQ(job().attempts_made, 3);
  EXPECT_EQ(job().failed_reason, "attempt 3 failed");
  EXPECT_EQ(calls.load(), 3);
  worker.close();
  const auto spans = env.spans_named("job.flaky");
  ASSERT_EQ(spans.size(), 3u);
  for (const auto& s : spans) {
    EXPECT_EQ(str_attr(s, "status"), "error");
    EXPECT_EQ(s.status.code, StatusCode::kError);
    ASSERT_FALSE(s.events.empty());
    EXPECT_EQ(s.events[0].name, "exception");
  }
  EXPECT_EQ(*spans[2].attribute("job.attempt")->get_if<std::int64_t>(), 3);
}

TEST_P(Jobs, FixedBackoffAndSuccessOnRetryAndUnrecoverable) {
  JobsEnv env;
  Queue queue("retry2", env.queue_options());
  Worker worker(queue, [&](Job& job) -> Json {
    if (job.name == "fatal") throw UnrecoverableError("bad input");
    if (job.attempts_made == 0) throw std::runtime_error("transient");
    return job.attempts_made;
  });
  const std::string ok = queue.add("ok", {}, {.attempts = 5, .backoff = Backoff::fixed(500ms)});
  const std::string fatal = queue.add("fatal", {}, {.attempts = 5});
  ASSERT_TRUE(wait_until([&] { return queue.get_job(ok)->state == JobState::kDelayed; }));
  EXPECT_EQ(queue.get_job(ok)->ready_on, env.clock->now_ms() + 500);
  ASSERT_TRUE(wait_until([&] { return queue.get_job(fatal)->state == JobState::kFailed; }));
  EXPECT_EQ(queue.get_job(fatal)->attempts_made, 1);
  EXPECT_EQ(queue.get_job(fatal)->failed_reason, "bad input");
  env.clock->advance(500ms);
  ASSERT_TRUE(wait_until([&] { return queue.get_job(ok)->state == JobState::kCompleted; }));
  EXPECT_EQ(queue.get_job(ok)->return_value, 1);
  EXPECT_EQ(queue.get_job(ok)->attempts_made, 2);
  worker.close();
}

TEST_P(Jobs, BackoffArithmetic) {
  EXPECT_EQ(Backoff::exponential(500ms).delay_after(1), 500ms);
  EXPECT_EQ(Backoff::exponential(500ms).delay_after(2), 1000ms);
  EXPECT_EQ(Backoff::exponential(500ms).delay_after(4), 4000ms);
  EXPECT_EQ(Backoff::fixed(300ms).delay_after(7), 300ms);
  EXPECT_GT(Backoff::exponential(1000ms).delay_after(1000), 0ms);  // saturates, no overflow
}

TEST_P(Jobs, PriorityOrderWithPlainJobsFirstAsInBullMQ) {
  JobsEnv env;
  Queue queue("prio", env.queue_options());
  queue.pause();
  queue.add("a");
  queue.add("b", {}, {.priority = 3});
  queue.add("c", {}, {.priority = 1});
  queue.add("d");
  queue.add("e", {}, {.priority = 2});
  queue.add("f", {}, {.priority = 1});
  EXPECT_EQ(queue.counts().waiting, 2u);
  EXPECT_EQ(queue.counts().prioritized, 4u);
  std::mutex mu;
  std::vector<std::string> order;
  Worker worker(queue, [&](Job& job) -> Json {
    std::lock_guard lock(mu);
    order.push_back(job.name);
    return nullptr;
  });
  queue.resume();
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 6; }));
  worker.close();
  EXPECT_THAT(order, ElementsAre("a", "d", "c", "f", "e", "b"));
  EXPECT_THROW(queue.add("x", {}, {.priority = JobOptions::kMaxPriority + 1}), JobError);
}

TEST_P(Jobs, DelayedJobsRunWhenDue) {
  JobsEnv env;
  Queue queue("delay", env.queue_options());
  std::mutex mu;
  std::vector<std::string> order;
  Worker worker(queue, [&](Job& job) -> Json {
    std::lock_guard lock(mu);
    order.push_back(job.name);
    return nullptr;
  });
  queue.add("later", {}, {.delay = 5000ms});
  queue.add("sooner", {}, {.delay = 1000ms});
  queue.add("now");
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 1; }));
  EXPECT_EQ(queue.counts().delayed, 2u);
  env.clock->advance(1000ms);
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 2; }));
  EXPECT_EQ(queue.counts().delayed, 1u);
  env.clock->advance(4000ms);
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 3; }));
  worker.close();
  EXPECT_THAT(order, ElementsAre("now", "sooner", "later"));
}

TEST_P(Jobs, JobIdDeduplicates) {
  JobsEnv env;
  Queue queue("dedup", env.queue_options());
  EXPECT_EQ(queue.add("sync", {{"v", 1}}, {.job_id = "user-42"}), "user-42");
  EXPECT_EQ(queue.add("sync", {{"v", 2}}, {.job_id = "user-42"}), "user-42");
  EXPECT_EQ(queue.counts().waiting, 1u);
  EXPECT_EQ(queue.get_job("user-42")->data, (Json{{"v", 1}}));
  const auto ids = queue.add_bulk({{"a", {}, {.job_id = "x"}}, {"b", {}, {.job_id = "x"}}, {"c"}});
  EXPECT_EQ(ids[0], "x");
  EXPECT_EQ(ids[1], "x");
  EXPECT_EQ(queue.counts().waiting, 3u);
  const auto dup = env.spans_named("add dedup.b");
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_NE(dup[0].attribute("job.deduplicated"), nullptr);
  EXPECT_THROW(queue.add("x", {}, {.job_id = "0"}), JobError);
  EXPECT_THROW(queue.add("x", {}, {.job_id = "repeat:x:1"}), JobError);
  // Refused as Node BullMQ refuses them: integers (the queue's own ids), ':' but not 3 parts.
  EXPECT_THROW(queue.add("x", {}, {.job_id = "42"}), JobError);
  EXPECT_THROW(queue.add("x", {}, {.job_id = "-7"}), JobError);
  EXPECT_THROW(queue.add("x", {}, {.job_id = "a:b"}), JobError);
  Queue ids_queue("ids", env.queue_options());
  EXPECT_EQ(ids_queue.add("x", {}, {.job_id = "007"}), "007");
  EXPECT_EQ(ids_queue.add("x", {}, {.job_id = "a:b:c"}), "a:b:c");
  // Kept finished jobs still deduplicate; removed ones do not.
  Worker worker(queue, noop);
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 3; }));
  EXPECT_EQ(queue.add("sync", {}, {.job_id = "user-42"}), "user-42");
  EXPECT_EQ(queue.counts().waiting, 0u);
  queue.add("gone", {}, {.job_id = "tmp", .remove_on_complete = Retention::remove()});
  ASSERT_TRUE(wait_until([&] { return !queue.get_job("tmp").has_value(); }));
  queue.add("gone", {}, {.job_id = "tmp", .remove_on_complete = Retention::remove()});
  ASSERT_TRUE(wait_until([&] { return queue.counts().waiting == 0 && !queue.get_job("tmp"); }));
  worker.close();
}

TEST_P(Jobs, PauseAndResumeAndDrain) {
  JobsEnv env;
  Queue queue("pause", env.queue_options());
  std::atomic<int> done{0};
  Worker worker(queue,
                [&](Job&) -> Json {
                  ++done;
                  return nullptr;
                },
                {.concurrency = 2});
  queue.pause();
  EXPECT_TRUE(queue.is_paused());
  for (int i = 0; i < 3; ++i) queue.add("p");
  std::this_thread::sleep_for(30ms);  // a worker that ignored the pause would have run them
  EXPECT_EQ(done.load(), 0);
  EXPECT_EQ(queue.counts().waiting, 3u);
  queue.resume();
  // Completed, not just run: a job counts as completed only after its processor returned.
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 3; }));
  queue.pause();
  queue.add("x");
  queue.add("y", {}, {.priority = 4});
  queue.add("z", {}, {.delay = 10s});
  EXPECT_EQ(queue.drain(), 2u);
  EXPECT_EQ(queue.counts().delayed, 1u);
  EXPECT_EQ(queue.drain(true), 1u);
  EXPECT_EQ(queue.counts(), (JobCounts{.completed = 3}));
  worker.close();
}

TEST_P(Jobs, ConcurrencyIsNeverExceeded) {
  JobsEnv env;
  Queue queue("conc", env.queue_options());
  std::atomic<int> now_running{0};
  std::atomic<int> max_running{0};
  Worker worker(queue,
                [&](Job&) -> Json {
                  const int n = ++now_running;
                  int m = max_running.load();
                  while (n > m && !max_running.compare_exchange_weak(m, n)) {
                  }
                  std::this_thread::sleep_for(2ms);
                  --now_running;
                  return nullptr;
                },
                {.concurrency = 4});
  for (int i = 0; i < 60; ++i) queue.add("c");
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 60; }));
  worker.close();
  EXPECT_LE(max_running.load(), 4);
  EXPECT_GE(max_running.load(), 2);
  EXPECT_THROW(Worker(queue, noop, {.concurrency = 0}), JobError);
}

// The worker's threads carry names (top -H, perf, gdb): "obs-job:<queue>" for the processing
// threads, "obs-jobhk:<queue>" for the housekeeper, cut to Linux's 15 bytes.
TEST_P(Jobs, WorkerThreadsAreNamedAfterTheQueue) {
  JobsEnv env;
  Queue queue("named", env.queue_options());
  std::string name_in_processor;
  Worker worker(queue,
                [&](Job&) -> Json {
                  char buf[32] = {};
                  pthread_getname_np(pthread_self(), buf, sizeof(buf));
                  name_in_processor = buf;
                  return nullptr;
                },
                {.concurrency = 2});
  queue.add("n");
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 1; }));
  worker.close();
  EXPECT_EQ(name_in_processor, "obs-job:named");
}

// Idle threads are woken one after the other (a chain, not a herd): a burst of blocking jobs
// must still bring every idle thread in, whether added one by one or in bulk, and again after
// the threads went back to sleep.
TEST_P(Jobs, BurstsIntoAnIdleWorkerUseTheFullConcurrency) {
  JobsEnv env;
  Queue queue("burst", env.queue_options());
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;  // in this round
  Worker worker(queue,
                [&](Job&) -> Json {
                  std::unique_lock lock(mu);
                  ++started;
                  cv.notify_all();
                  // Returns only once all 4 jobs of the round run at the same time.
                  EXPECT_TRUE(cv.wait_for(lock, 20s, [&] { return started >= 4; }))
                      << "only " << started << " of 4 ran at once";
                  return nullptr;
                },
                // Idle threads only come back on their own after a minute: a missed wake-up
                // shows.
                {.concurrency = 4, .drain_delay = 60s});
  for (int round = 0; round < 3; ++round) {
    {
      std::lock_guard lock(mu);
      started = 0;
    }
    std::this_thread::sleep_for(5ms);  // every thread idle again (asleep, or one spinning)
    if (round == 1) {
      queue.add_bulk(std::vector<Queue::BulkJob>(4, Queue::BulkJob{.name = "b"}));
    } else {
      for (int i = 0; i < 4; ++i) queue.add("b");
    }
    const std::size_t done = 4 * (static_cast<std::size_t>(round) + 1);
    ASSERT_TRUE(wait_until([&] { return queue.counts().completed == done; }));
  }
  worker.close();
}

TEST_P(Jobs, TimeoutFailsTheJobAndAsksTheProcessorToStop) {
  JobsEnv env;
  Queue queue("timeout", env.queue_options());
  std::atomic<bool> started{false};
  std::atomic<bool> saw_stop{false};
  Worker worker(queue, [&](Job& job) -> Json {
    started = true;
    while (!job.stop_token.stop_requested()) std::this_thread::sleep_for(1ms);
    saw_stop = true;
    return "too late";
  });
  const std::string id = queue.add("slow", {}, {.timeout = 100ms});
  ASSERT_TRUE(wait_until([&] { return started.load(); }));
  env.clock->advance(99ms);
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(queue.get_job(id)->state, JobState::kActive);
  env.clock->advance(1ms);
  ASSERT_TRUE(wait_until([&] { return queue.get_job(id)->state == JobState::kFailed; }));
  EXPECT_EQ(queue.get_job(id)->failed_reason, "job " + id + " timed out after 100 ms");
  ASSERT_TRUE(wait_until([&] { return env.spans_named("job.slow").size() == 1; }));
  EXPECT_TRUE(saw_stop.load());
  const auto span = env.spans_named("job.slow")[0];
  EXPECT_EQ(str_attr(span, "status"), "error");
  EXPECT_THAT(str_attr(span, "error.message"), HasSubstr("timed out after 100 ms"));
  EXPECT_TRUE(queue.get_job(id)->return_value.is_null());  // the late result is discarded
  worker.close();
}

TEST_P(Jobs, CloseWaitsForRunningJobsOrReportsThem) {
  JobsEnv env;
  Queue queue("close", env.queue_options());
  {
    Worker worker(queue, [](Job&) -> Json {
      std::this_thread::sleep_for(20ms);
      return nullptr;
    });
    queue.add("short");
    ASSERT_TRUE(wait_until([&] { return worker.running() == 1; }));
    const CloseResult r = worker.close(5s);
    EXPECT_TRUE(r.clean);
    EXPECT_TRUE(r.still_running.empty());
    EXPECT_EQ(queue.counts().completed, 1u);
    // Closed: new jobs are not taken.
    queue.add("after");
    std::this_thread::sleep_for(10ms);
    EXPECT_EQ(queue.counts().waiting, 1u);
  }
  queue.drain();
  // A processor that does not return in time: close reports it; this Worker uses the global
  // tracer and meter so that nothing the detached thread touches belongs to this test.
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  Queue stuck_queue("close", QueueOptions{.connection = {.backend = env.backend}});
  Worker worker(stuck_queue, [release, finished](Job&) -> Json {
    while (!release->load()) std::this_thread::sleep_for(1ms);
    finished->store(true);
    return nullptr;
  });
  const std::string id = stuck_queue.add("stuck");
  ASSERT_TRUE(wait_until([&] { return worker.running() == 1; }));
  const CloseResult r = worker.close(30ms);
  EXPECT_FALSE(r.clean);
  EXPECT_THAT(r.still_running, ElementsAre(id));
  EXPECT_FALSE(finished->load());
  EXPECT_EQ(worker.close().still_running.size(), 1u);  // idempotent
  release->store(true);
  ASSERT_TRUE(wait_until([&] { return stuck_queue.get_job(id)->state == JobState::kCompleted; }));
}

TEST_P(Jobs, RetentionKeepsTheLastNAndForAnAge) {
  JobsEnv env;
  Queue queue("retain", env.queue_options());
  Worker worker(queue, [](Job& job) -> Json {
    if (job.name == "bad") throw std::runtime_error("no");
    return nullptr;
  });
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(queue.add("good", {}, {.remove_on_complete = Retention::keep_last(2)}));
    ASSERT_TRUE(
        wait_until([&] { return queue.get_job(ids.back())->state == JobState::kCompleted; }));
  }
  EXPECT_EQ(queue.counts().completed, 2u);
  EXPECT_FALSE(queue.get_job(ids[0]).has_value());
  EXPECT_TRUE(queue.get_job(ids[4]).has_value());
  const std::string old_fail =
      queue.add("bad", {}, {.remove_on_fail = Retention::keep_for(1000ms)});
  ASSERT_TRUE(wait_until([&] { return queue.counts().failed == 1; }));
  env.clock->advance(1001ms);
  queue.add("bad", {}, {.remove_on_fail = Retention::keep_for(1000ms)});
  ASSERT_TRUE(wait_until([&] { return !queue.get_job(old_fail).has_value(); }));
  EXPECT_EQ(queue.counts().failed, 1u);
  worker.close();
}

TEST_P(JobsBackend, StalledJobsGoBackToWaitingThenFailAfterTheMaximum) {
  JobsEnv env;
  std::shared_ptr<QueueBackend> q = env.backend->queue("stall");
  Job j;
  j.name = "s";
  j.options.attempts = 5;
  const std::string id = q->add(j).id;
  ASSERT_TRUE(q->move_to_active("tok-1", 1000ms).has_value());
  // First check: remembers what is active.
  StalledResult r = q->check_stalled(1, 500ms);
  EXPECT_TRUE(r.ran);
  EXPECT_TRUE(r.recovered.empty());
  EXPECT_FALSE(q->check_stalled(1, 500ms).ran);  // shared interval
  // A renewed lock does not stall.
  env.pass(600ms);
  EXPECT_TRUE(q->extend_lock(id, "tok-1", 1000ms));
  EXPECT_FALSE(q->extend_lock(id, "other", 1000ms));
  env.pass(600ms);
  r = q->check_stalled(1, 500ms);
  EXPECT_TRUE(r.recovered.empty());
  // Expired and still not renewed at the next check: back to waiting, first in line.
  env.pass(1001ms);
  r = q->check_stalled(1, 500ms);
  EXPECT_THAT(r.recovered, ElementsAre(id));
  EXPECT_TRUE(r.deferred.empty());
  EXPECT_EQ(q->get_job(id)->state, JobState::kWaiting);
  EXPECT_EQ(q->get_job(id)->stalled_count, 1);
  // The old owner cannot finish it any more.
  EXPECT_EQ(q->complete(id, "tok-1", nullptr, {}), FinishStatus::kLockMissing);
  // Stalls again: over max_stalled_count, marked to fail.
  ASSERT_TRUE(q->move_to_active("tok-2", 1000ms).has_value());
  EXPECT_EQ(q->complete(id, "tok-1", nullptr, {}), FinishStatus::kLockMismatch);
  env.pass(600ms);
  q->check_stalled(1, 500ms);
  env.pass(1001ms);
  r = q->check_stalled(1, 500ms);
  EXPECT_THAT(r.deferred, ElementsAre(id));
  EXPECT_EQ(q->get_job(id)->deferred_failure, "job stalled more than allowable limit");
  EXPECT_EQ(q->complete("nope", "t", nullptr, {}), FinishStatus::kJobMissing);
  // A worker fails it without running the processor, attempts left or not.
  Queue queue("stall", env.queue_options());
  std::atomic<int> calls{0};
  Worker worker(queue, [&](Job&) -> Json {
    ++calls;
    return nullptr;
  });
  ASSERT_TRUE(wait_until([&] { return q->get_job(id)->state == JobState::kFailed; }));
  worker.close();
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(q->get_job(id)->failed_reason, "job stalled more than allowable limit");
  EXPECT_TRUE(q->get_job(id)->deferred_failure.empty());
}

TEST_P(JobsBackend, CompleteAndTakeFinishesAndTakesTheNextJobInOneStep) {
  JobsEnv env;
  std::shared_ptr<QueueBackend> q = env.backend->queue("fetch-next");
  Job j;
  j.name = "a";
  const std::string first = q->add(j).id;
  j.name = "b";
  j.options.priority = 3;
  const std::string prioritized = q->add(j).id;
  j.options.priority = 0;
  const std::string second = q->add(j).id;
  ASSERT_EQ(q->move_to_active("tok-1", 1000ms)->id, first);
  // A wrong token finishes nothing and takes nothing.
  CompleteResult r = q->complete_and_take(first, "tok-x", nullptr, {}, "tok-2", 1000ms);
  EXPECT_EQ(r.status, FinishStatus::kLockMismatch);
  EXPECT_FALSE(r.next.has_value());
  EXPECT_EQ(q->counts(), (JobCounts{.waiting = 1, .prioritized = 1, .active = 1}));
  // Completed, and the next job (waiting before prioritized) is active under the new token.
  r = q->complete_and_take(first, "tok-1", Json{{"ok", true}}, {}, "tok-2", 1000ms);
  EXPECT_EQ(r.status, FinishStatus::kOk);
  ASSERT_TRUE(r.next.has_value());
  EXPECT_EQ(r.next->id, second);
  EXPECT_EQ(r.next->state, JobState::kActive);
  EXPECT_EQ(r.next->attempts_started, 1);
  EXPECT_EQ(q->get_job(first)->return_value, (Json{{"ok", true}}));
  EXPECT_EQ(q->get_job(first)->state, JobState::kCompleted);
  EXPECT_EQ(q->complete(second, "tok-1", nullptr, {}), FinishStatus::kLockMismatch);
  r = q->complete_and_take(second, "tok-2", nullptr, {}, "tok-3", 1000ms);
  ASSERT_TRUE(r.next.has_value());
  EXPECT_EQ(r.next->id, prioritized);
  // Paused: completes but takes nothing; empty: nothing to take.
  q->pause();
  j.name = "c";
  const std::string third = q->add(j).id;
  r = q->complete_and_take(prioritized, "tok-3", nullptr, {}, "tok-4", 1000ms);
  EXPECT_EQ(r.status, FinishStatus::kOk);
  EXPECT_FALSE(r.next.has_value());
  q->resume();
  ASSERT_EQ(q->move_to_active("tok-5", 1000ms)->id, third);
  r = q->complete_and_take(third, "tok-5", nullptr, Retention::remove(), "tok-6", 1000ms);
  EXPECT_EQ(r.status, FinishStatus::kOk);
  EXPECT_FALSE(r.next.has_value());
  EXPECT_FALSE(q->get_job(third).has_value());
  EXPECT_EQ(q->counts(), (JobCounts{.completed = 3}));
}

TEST_P(JobsSchedule, IntervalRunsOnTheGridWithDeterministicIds) {
  JobsEnv env;
  const TimeMs t0 = env.clock->now_ms();  // a multiple of 1000
  Queue queue("sched", env.queue_options());
  Scheduler a(queue);
  Scheduler b(queue);  // a second scheduler (another process) upserting the same schedule
  EXPECT_EQ(a.upsert("tick", {.job_name = "tick", .every = 1000ms, .data = {{"x", 1}}}), t0);
  EXPECT_EQ(b.upsert("tick", {.job_name = "tick", .every = 1000ms, .data = {{"x", 1}}}), t0);
  EXPECT_EQ(queue.counts().waiting, 1u);
  std::mutex mu;
  std::vector<std::string> runs;
  Worker w1(queue, [&](Job& job) -> Json {
    std::lock_guard lock(mu);
    runs.push_back(job.id);
    EXPECT_EQ(job.data, (Json{{"x", 1}}));
    return nullptr;
  });
  Worker w2(queue, [&](Job& job) -> Json {
    std::lock_guard lock(mu);
    runs.push_back(job.id);
    return nullptr;
  });
  auto count = [&] {
    std::lock_guard lock(mu);
    return runs.size();
  };
  ASSERT_TRUE(wait_until([&] { return count() == 1 && queue.counts().delayed == 1; }));
  for (int i = 1; i <= 3; ++i) {
    env.clock->advance(1000ms);
    ASSERT_TRUE(wait_until(
        [&] { return count() == static_cast<std::size_t>(i + 1) && queue.counts().delayed == 1; }));
  }
  // Far behind (no worker ran for a while): the missed runs are skipped.
  env.clock->advance(10500ms);
  ASSERT_TRUE(wait_until([&] { return count() == 5 && queue.counts().delayed == 1; }));
  w1.close();
  w2.close();
  std::vector<std::string> expected;
  for (TimeMs m : {t0, t0 + 1000, t0 + 2000, t0 + 3000, t0 + 4000}) {
    expected.push_back(schedule_run_id("tick", m));
  }
  EXPECT_EQ(runs, expected);
  EXPECT_EQ(a.get("tick")->next_run, t0 + 14000);  // the next slot after t0 + 13500
  EXPECT_EQ(a.get("tick")->iterations, 6);
}

TEST_P(JobsSchedule, CronRunsOnTheManualClock) {
  JobsEnv env;
  env.clock->set(1772323200000 - 1000);  // 2026-02-28T23:59:59Z
  Queue queue("cron", env.queue_options());
  Scheduler s(queue);
  // Midnight on the last day of each month and on the 1st.
  const TimeMs first = s.upsert("eom", {.job_name = "eom", .cron = "0 0 1,31 * *"});
  EXPECT_EQ(first, 1772323200000);  // 2026-03-01T00:00Z
  std::mutex mu;
  std::vector<std::string> runs;
  Worker w(queue, [&](Job& job) -> Json {
    std::lock_guard lock(mu);
    runs.push_back(job.id);
    return nullptr;
  });
  auto count = [&] {
    std::lock_guard lock(mu);
    return runs.size();
  };
  env.clock->advance(1000ms);
  ASSERT_TRUE(wait_until([&] { return count() == 1 && queue.counts().delayed == 1; }));
  EXPECT_EQ(s.get("eom")->next_run, 1774915200000);  // 2026-03-31T00:00Z
  env.clock->set(1774915200000);
  ASSERT_TRUE(wait_until([&] { return count() == 2 && queue.counts().delayed == 1; }));
  EXPECT_EQ(s.get("eom")->next_run, 1775001600000);  // 2026-04-01T00:00Z (April has no 31st)
  w.close();
}

// A scheduler knows its job names before any run: their counters exist at 0 from upsert on.
TEST_P(JobsSchedule, UpsertMakesTheJobCountersExistAtZero) {
  JobsEnv env;
  Queue queue("nightly", env.queue_options());
  Scheduler s(queue);
  s.init([](Scheduler& sc) { sc.upsert("report", {.job_name = "report", .cron = "0 3 * * *"}); });
  const std::string text = scrape_text(env.meter_provider);
  EXPECT_THAT(text, HasSubstr("\njobs_completed_total{job_name=\"report\",queue=\"nightly\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\njobs_failed_total{job_name=\"report\",queue=\"nightly\"} 0\n"));
  // Bound, not added to: no exemplar points at the scheduler.init span.
  std::string om;
  prometheus::render(Resource(), env.meter_provider.collect(), prometheus::Format::kOpenMetrics1,
                     {.scope_labels = false, .target_info = false}, om);
  EXPECT_THAT(om, HasSubstr("\njobs_failed_total{job_name=\"report\",queue=\"nightly\"} 0\n"));
}

TEST_P(JobsSchedule, UpdateListRemoveAndErrors) {
  JobsEnv env;
  Queue queue("sched2", env.queue_options());
  Scheduler s(queue);
  const TimeMs t0 = env.clock->now_ms();
  s.upsert("a", {.job_name = "a", .every = 60000ms});
  s.upsert("b", {.job_name = "b", .cron = "0 3 * * *"});
  ASSERT_EQ(s.list().size(), 2u);
  EXPECT_EQ(queue.counts().waiting + queue.counts().delayed, 2u);
  // Updating replaces the pending run.
  env.clock->advance(1000ms);
  const TimeMs next = s.upsert("a", {.job_name = "a", .every = 7000ms});
  EXPECT_EQ(next, t0 + 7000);
  EXPECT_FALSE(queue.get_job(schedule_run_id("a", t0)).has_value());
  EXPECT_TRUE(queue.get_job(schedule_run_id("a", t0 + 7000)).has_value());
  EXPECT_EQ(s.get("a")->every, 7000ms);
  EXPECT_TRUE(s.remove("a"));
  EXPECT_FALSE(s.remove("a"));
  EXPECT_FALSE(queue.get_job(schedule_run_id("a", t0 + 7000)).has_value());
  EXPECT_EQ(s.list().size(), 1u);

  auto error_of = [&](const ScheduleOptions& o) -> std::string {
    try {
      s.upsert("bad", o);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "<no error>";
  };
  EXPECT_THAT(error_of({.job_name = "x", .every = -5ms}),
              HasSubstr("accepted: a positive number of milliseconds"));
  EXPECT_THAT(error_of({.job_name = "x"}), HasSubstr("exactly one of every"));
  EXPECT_THAT(error_of({.job_name = "x", .every = 5ms, .cron = "* * * * *"}),
              HasSubstr("exactly one of every"));
  EXPECT_THAT(error_of({.job_name = "x", .cron = "0 0 30 2 *"}), HasSubstr("never matches"));
  EXPECT_THAT(error_of({.job_name = "x", .cron = "0 25 * * *"}), HasSubstr("hour field"));
  EXPECT_THROW(s.upsert("a:b", {.job_name = "x", .every = 5ms}), JobError);
  EXPECT_EQ(s.list().size(), 1u);
}

TEST_P(Jobs, MetricsAreRecorded) {
  JobsEnv env;
  Queue queue("metered", env.queue_options());
  Worker worker(queue, [](Job& job) -> Json {
    if (job.name == "bad") throw std::runtime_error("no");
    return nullptr;
  });
  queue.add("good");
  queue.add("good");
  queue.add("bad");
  queue.add("later", {}, {.delay = 5000ms});
  ASSERT_TRUE(
      wait_until([&] { return queue.counts().completed == 2 && queue.counts().failed == 1; }));
  worker.close();
  const auto data = env.meter_provider.collect();
  const MetricData* proc = find_metric(data, "job_processing_time");
  ASSERT_NE(proc, nullptr);
  EXPECT_EQ(proc->descriptor.unit, "ms");
  const PointData* ok = find_point(*proc, {{"job_name", "good"}, {"status", "success"}});
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(std::get<HistogramPoint>(ok->value).count, 2u);
  ASSERT_NE(find_point(*proc, {{"job_name", "bad"}, {"status", "error"}}), nullptr);
  const MetricData* wait = find_metric(data, "job_wait_time");
  ASSERT_NE(wait, nullptr);
  ASSERT_NE(find_point(*wait, {{"queue", "metered"}, {"job_name", "good"}}), nullptr);
  const MetricData* completed = find_metric(data, "jobs_completed");
  ASSERT_NE(completed, nullptr);
  EXPECT_EQ(std::get<SumPoint>(find_point(*completed, {{"job_name", "good"}})->value).value, 2);
  const MetricData* failed = find_metric(data, "jobs_failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(std::get<SumPoint>(find_point(*failed, {{"job_name", "bad"}})->value).value, 1);
  const MetricData* depth = find_metric(data, "job_queue_depth");
  ASSERT_NE(depth, nullptr);
  auto depth_of = [&](const char* state) {
    const PointData* p = find_point(*depth, {{"queue", "metered"}, {"state", state}});
    return p == nullptr ? -1.0 : std::get<GaugePoint>(p->value).value;
  };
  EXPECT_EQ(depth_of("completed"), 2);
  EXPECT_EQ(depth_of("failed"), 1);
  EXPECT_EQ(depth_of("delayed"), 1);
  EXPECT_EQ(depth_of("waiting"), 0);
  EXPECT_EQ(depth_of("active"), 0);
  EXPECT_EQ(depth_of("prioritized"), 0);
}

// A job name that never failed shows jobs_failed_total 0, not a missing series (the Grafana
// dashboard's job-failure panels and the AdminAraJobsFailing alert read it); likewise
// jobs_completed_total for a name that never completed.
TEST_P(Jobs, JobCountersExistAtZeroFromTheFirstJobOfAName) {
  JobsEnv env;
  Queue queue("healthy", env.queue_options());
  Worker worker(queue, [](Job& job) -> Json {
    if (job.name == "bad") throw std::runtime_error("no");
    return nullptr;
  });
  queue.add("good");
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 1; }));
  std::string text = scrape_text(env.meter_provider);
  EXPECT_THAT(text, HasSubstr("\njobs_completed_total{job_name=\"good\",queue=\"healthy\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\njobs_failed_total{job_name=\"good\",queue=\"healthy\"} 0\n"));
  queue.add("bad");
  ASSERT_TRUE(wait_until([&] { return queue.counts().failed == 1; }));
  worker.close();
  text = scrape_text(env.meter_provider);
  EXPECT_THAT(text, HasSubstr("\njobs_completed_total{job_name=\"bad\",queue=\"healthy\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\njobs_failed_total{job_name=\"bad\",queue=\"healthy\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("\njobs_failed_total{job_name=\"good\",queue=\"healthy\"} 0\n"));
}

TEST_P(Jobs, WaitTimeCountsFromReadyToStart) {
  JobsEnv env;
  Queue queue("waits", env.queue_options());
  queue.pause();
  queue.add("w");
  env.clock->advance(250ms);
  Worker worker(queue, noop);
  queue.resume();
  ASSERT_TRUE(wait_until([&] { return queue.counts().completed == 1; }));
  worker.close();
  const auto data = env.meter_provider.collect();
  const PointData* p = find_point(*find_metric(data, "job_wait_time"), {{"job_name", "w"}});
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::get<HistogramPoint>(p->value).sum, 250.0);
}

TEST_P(Jobs, InvalidNamesAndOptions) {
  EXPECT_THROW(Queue(""), JobError);
  EXPECT_THROW(Queue("a:b"), JobError);
  JobsEnv env;
  Queue queue("opts", env.queue_options());
  EXPECT_THROW(queue.add("x", {}, {.delay = -1ms}), JobError);
  EXPECT_THROW(Worker(queue, nullptr), JobError);
  EXPECT_THROW(Worker(queue, noop, {.lock_duration = 0ms}), JobError);
}

}  // namespace
}  // namespace adminara::obs::jobs
