// Exactly-once under load: producers add jobs from several threads while two workers with
// concurrency 8 each process them; every job runs once, none is lost and the counts add up.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "adminara/obs/jobs.h"
#include "tests/jobs/jobs_test_util.h"

#if defined(__SANITIZE_THREAD__)
#define OBS_JOBS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define OBS_JOBS_TSAN 1
#endif
#endif

namespace adminara::obs::jobs {
namespace {

#ifdef OBS_JOBS_TSAN
constexpr int kJobs = 10000;
#else
constexpr int kJobs = 100000;
#endif
constexpr int kProducers = 4;

TEST(JobsLoad, EveryJobIsProcessedExactlyOnce) {
  Queue queue("load", QueueOptions{.connection = {.backend = make_memory_backend()}});
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
  ASSERT_TRUE(testing::wait_until([&] { return queue.counts().completed == kJobs; },
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
  EXPECT_EQ(c, (JobCounts{.completed = kJobs}));
}

}  // namespace
}  // namespace adminara::obs::jobs
