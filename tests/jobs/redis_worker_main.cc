// A worker process for the Redis backend's fault tests: takes jobs from one queue and never
// finishes them (the processor sleeps until the process is killed), printing "started <id>" for
// each job it takes.
//   redis_test_worker <redis url> <prefix> <queue> <lock ms> <stalled interval ms>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "adminara/obs/jobs.h"

int main(int argc, char** argv) {
  namespace jobs = adminara::obs::jobs;
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s <redis url> <prefix> <queue> <lock ms> <stalled ms>\n",
                 argv[0]);
    return 2;
  }
  auto backend = jobs::make_redis_backend({.url = argv[1], .prefix = argv[2]});
  jobs::Queue queue(argv[3], {.connection = {.backend = backend}});
  jobs::Worker worker(queue,
                      [](jobs::Job& job) -> jobs::Json {
                        std::printf("started %s\n", job.id.c_str());
                        std::fflush(stdout);
                        for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
                      },
                      {.lock_duration = std::chrono::milliseconds(std::stoll(argv[4])),
                       .stalled_interval = std::chrono::milliseconds(std::stoll(argv[5]))});
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}
