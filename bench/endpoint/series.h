// The series both endpoint programs serve (bench/endpoint/run compares their HTTP servers, so
// the two bodies must be the same exposition): 20 counter families, 20 gauge families and 10
// histogram families over OTel's default bounds, 10 series each with the same two labels,
// 500 series in all (series_per_family() can make it fewer), the same values in both programs.
#pragma once

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <pthread.h>
#include <unistd.h>

namespace endpoint_bench {

constexpr int kCounterFamilies = 20;
constexpr int kGaugeFamilies = 20;
constexpr int kHistogramFamilies = 10;
constexpr int kSeriesPerFamily = 10;  // at most; see series_per_family()

constexpr std::array<const char*, kSeriesPerFamily> kRoutes = {
    "/api/v1/queue",   "/api/v1/queue/{id}",
    "/api/v1/tickets", "/api/v1/tickets/{id}",
    "/api/v1/agents",  "/api/v1/agents/{id}",
    "/api/v1/search",  "/api/v1/reports",
    "/healthz",        "/metrics"};
constexpr std::array<const char*, 5> kStatus = {"200", "201", "404", "429", "500"};

// Each histogram series records these 16 values once (spread over the default buckets).
constexpr std::array<double, 16> kObservations = {0.5, 3,   7,   20,  40,   60,   90,   100,
                                                  234, 400, 600, 900, 2000, 4000, 8000, 12000};

// Series per family: ENDPOINT_SERIES_PER_FAMILY (1 to 10; default 10, 500 series). 1 gives
// 50 series and a body about a tenth the size, where the HTTP layer weighs more than rendering.
inline int series_per_family() {
  const char* v = std::getenv("ENDPOINT_SERIES_PER_FAMILY");
  const int n = v != nullptr ? std::atoi(v) : kSeriesPerFamily;
  return n >= 1 && n <= kSeriesPerFamily ? n : kSeriesPerFamily;
}

inline std::string family_name(const char* stem, int f) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s_%02d", stem, f);
  return buf;
}
inline const char* status(int series) {
  return kStatus[static_cast<std::size_t>(series) % kStatus.size()];
}
inline double counter_value(int f, int s) {
  return (f + 1) * 1000.0 + s * 37.0;
}
inline double gauge_value(int f, int s) {
  return f * 10.0 + s * 0.25;
}

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts afterwards: call
// first in main, before any thread exists, so that wait_until_stopped() receives them.
inline sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Returns on SIGTERM, SIGINT or end of standard input (the run script holds a pipe open, so the
// server also ends when the script dies).
inline void wait_until_stopped(const sigset_t& set) {
  std::thread([] {
    char buf[256];
    while (read(0, buf, sizeof buf) > 0) {
    }
    kill(getpid(), SIGTERM);
  }).detach();
  int sig = 0;
  sigwait(&set, &sig);
}

}  // namespace endpoint_bench
