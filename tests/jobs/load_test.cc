// Exactly-once under load: producers add jobs from several threads while two workers with
// concurrency 8 each process them; every job runs once, none is lost and the counts add up. On
// the in-memory backend (100,000 jobs) and on Redis (20,000: each job is a few round trips);
// a tenth of each under TSan and ASan. Also a stress of the in-memory backend's copy of a taken
// job against the stalled check.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
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

// The in-memory backend copies a taken job after releasing its lock, and the stalled check is
// the only other writer of an active job. Here locks expire at once (duration 0 on a clock that
// stands still) and a thread runs the stalled check without pause, so jobs are recovered while
// their takers copy them: the data every taker sees must be its job's, and every job must end
// completed. TSan and ASan check the copies themselves.
TEST(JobsStress, TakesRacingTheStalledCheckCopyIntactJobs) {
  auto clock = std::make_shared<ManualClock>();
  std::shared_ptr<QueueBackend> q = make_memory_backend(clock)->queue("stress");
  const int kJobs = kMemoryJobs / 10;
  for (int i = 0; i < kJobs; ++i) {
    Job j;
    j.name = "s";
    j.data = {{"i", i}, {"pad", std::string(64, 'x')}};
    const std::string id = q->add(std::move(j)).id;
    ASSERT_EQ(id, std::to_string(i + 1));
  }
  std::atomic<bool> done{false};
  std::atomic<int> mismatched{0};
  std::atomic<int> recovered{0};
  std::vector<std::thread> takers;
  for (int t = 0; t < 3; ++t) {
    takers.emplace_back([&, t] {
      for (int n = 0; !done.load(); ++n) {
        const std::string token = "t" + std::to_string(t) + ":" + std::to_string(n);
        std::optional<Job> job = q->move_to_active(token, std::chrono::milliseconds(0));
        if (!job) {
          std::this_thread::yield();
          continue;
        }
        if (job->data["i"].get<int>() + 1 != std::stoi(job->id) ||
            job->data["pad"].get<std::string>().size() != 64) {
          mismatched.fetch_add(1);
        }
        // Hold it a little on its first take, so that the checker's two turns fall inside some
        // takes; a job taken back is completed at once the next time, so that all finish.
        if (job->stalled_count == 0) {
          for (int k = 0; k < 20; ++k) std::this_thread::yield();
        }
        q->complete(job->id, token, nullptr, Retention::keep_all());  // may have stalled: fine
      }
    });
  }
  std::thread checker([&] {
    // Until enough jobs were taken back to have raced many copies (then the rest completes).
    while (!done.load() && recovered.load() < 200) {
      recovered.fetch_add(static_cast<int>(
          q->check_stalled(1 << 30, std::chrono::milliseconds(0)).recovered.size()));
    }
  });
  const bool all =
      testing::wait_until([&] { return q->counts().completed == static_cast<std::size_t>(kJobs); },
                          std::chrono::seconds(100));
  done.store(true);
  for (auto& t : takers) t.join();
  checker.join();
  ASSERT_TRUE(all) << q->counts().completed << " of " << kJobs << " completed";
  EXPECT_EQ(mismatched.load(), 0);
  EXPECT_EQ(q->counts(), (JobCounts{.completed = static_cast<std::size_t>(kJobs)}));
  // The race was there: some jobs were taken back from their takers.
  EXPECT_GT(recovered.load(), 0);
}

}  // namespace
}  // namespace adminara::obs::jobs
