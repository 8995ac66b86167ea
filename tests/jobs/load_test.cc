// Exactly-once under load: producers add jobs from several threads while two workers with
// concurrency 8 each process them; every job runs once, none is lost and the counts add up. On
// the in-memory backend (100,000 jobs) and on Redis (20,000: each job is a few round trips);
// a tenth of each under TSan and ASan.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "adminara/obs/jobs.h"
#include "tests/jobs/jobs_test_util.h"

// Under a sanitizer the same paths run with fewer jobs: the full counts run in the dev build,
// and a sanitizer finds its errors in the first thousands as well as in the last.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define OBS_JOBS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define OBS_JOBS_SANITIZED 1
#endif
#endif

namespace adminara::obs::jobs {
namespace {

#ifdef OBS_JOBS_SANITIZED
constexpr int kMemoryJobs = 10000;
constexpr int kRedisJobs = 2000;
#else
constexpr int kMemoryJobs = 100000;
constexpr int kRedisJobs = 20000;
#endif
constexpr int kProducers = 4;

ADMINARA_BACKEND_SUITE(JobsLoad);

TEST_P(JobsLoad, EveryJobIsProcessedExactlyOnce) {
  const bool redis = GetParam() == testing::BackendKind::kRedis;
  const int kJobs = redis ? kRedisJobs : kMemoryJobs;
  Queue queue("load",
              QueueOptions{.connection = {.backend = testing::make_test_backend(system_clock())}});
  std::unique_ptr<std::atomic<int>[]> seen(new std::atomic<int>[kJobs]);
  for (int i = 0; i < kJobs; ++i) seen[i].store(0);
  std::atomic<int> processed{0};
  auto processor = [&](Job& job) -> Json {
    seen[job.data["i"].get<int>()].fetch_add(1);
    processed.fetch_add(1);
    return nullptr;
  };
  Worker w1(queue, processor, {.concurrency = 8});
  Worker w2(queue, processor, {.concurrency = 8});
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = p; i < kJobs; i += kProducers) queue.add("load", {{"i", i}});
    });
  }
  for (auto& t : producers) t.join();
  ASSERT_TRUE(testing::wait_until(
      [&] { return queue.counts().completed == static_cast<std::size_t>(kJobs); },
      std::chrono::seconds(100)));
  const CloseResult r1 = w1.close();
  const CloseResult r2 = w2.close();
  EXPECT_TRUE(r1.clean);
  EXPECT_TRUE(r2.clean);
  EXPECT_EQ(processed.load(), kJobs);
  int wrong = 0;
  for (int i = 0; i < kJobs; ++i) wrong += seen[i].load() != 1;
  EXPECT_EQ(wrong, 0);
  const JobCounts c = queue.counts();
  EXPECT_EQ(c, (JobCounts{.completed = static_cast<std::size_t>(kJobs)}));
}

}  // namespace
}  // namespace adminara::obs::jobs
