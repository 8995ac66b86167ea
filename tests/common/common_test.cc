// The small concurrency primitives of src/common: SpinMutex (mutual exclusion on every path: the
// uncontended CAS, the spin, the futex sleep) and thread naming.
#include <gtest/gtest.h>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/spin_mutex.h"
#include "common/thread_name.h"

namespace adminara::obs::common {
namespace {

TEST(SpinMutex, ExcludesUnderContention) {
  SpinMutex mu;
  long counter = 0;  // not atomic: only the mutex protects it (TSan checks)
  int inside = 0;
  bool overlapped = false;
  constexpr int kThreads = 4;
  constexpr int kIterations = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIterations; ++i) {
        std::lock_guard lock(mu);
        if (++inside != 1) overlapped = true;
        ++counter;
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(overlapped);
  EXPECT_EQ(counter, long{kThreads} * kIterations);
}

TEST(SpinMutex, WaitersThatSleepAreWokenByUnlock) {
  // The holder keeps the lock far longer than the spin, so the others sleep on the futex; each
  // unlock must wake one of them, or this test hangs (ctest's timeout fails it).
  SpinMutex mu;
  std::atomic<int> acquired{0};
  std::vector<std::thread> threads;
  mu.lock();
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      std::lock_guard lock(mu);
      acquired.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(acquired.load(), 0);
  mu.unlock();
  for (auto& t : threads) t.join();
  EXPECT_EQ(acquired.load(), 3);
}

TEST(SpinMutex, TryLockFailsWhileHeldAndSucceedsAfter) {
  SpinMutex mu;
  ASSERT_TRUE(mu.try_lock());
  bool second = true;
  std::thread([&] { second = mu.try_lock(); }).join();
  EXPECT_FALSE(second);
  mu.unlock();
  std::thread([&] {
    second = mu.try_lock();
    if (second) mu.unlock();
  }).join();
  EXPECT_TRUE(second);
}

TEST(SpinMutex, WorksWithConditionVariableAny) {
  SpinMutex mu;
  std::condition_variable_any cv;
  int produced = 0;
  int consumed = 0;
  constexpr int kItems = 2000;
  std::thread consumer([&] {
    std::unique_lock lock(mu);
    while (consumed < kItems) {
      cv.wait(lock, [&] { return produced > consumed; });
      consumed = produced;
    }
  });
  for (int i = 0; i < kItems; ++i) {
    {
      std::lock_guard lock(mu);
      ++produced;
    }
    cv.notify_one();
  }
  consumer.join();
  EXPECT_EQ(consumed, kItems);
}

std::string current_thread_name() {
  char buf[32] = {};
  pthread_getname_np(pthread_self(), buf, sizeof(buf));
  return buf;
}

TEST(ThreadName, SetsAndCutsToFifteenBytes) {
  std::string short_name, long_name;
  std::thread([&] {
    set_thread_name("obs-test");
    short_name = current_thread_name();
    set_thread_name("obs-job:a-very-long-queue-name");
    long_name = current_thread_name();
  }).join();
  EXPECT_EQ(short_name, "obs-test");
  EXPECT_EQ(long_name, "obs-job:a-very-");
}

}  // namespace
}  // namespace adminara::obs::common
