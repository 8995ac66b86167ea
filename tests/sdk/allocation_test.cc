// Span start/end allocates nothing in steady state (design.md: hot paths do not allocate).
#include "tests/common/allocation_counter.h"

#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "adminara/obs.h"

namespace adminara::obs {
namespace {

TEST(Allocation, SampledSpanWithAttributesAllocatesNothingInSteadyState) {
  TracerProvider p(TracerProviderOptions{
      .exporters = {std::shared_ptr<SpanExporter>(make_noop_exporter())},
      // The worker only runs on flush, so the pool's size is decided by the warm-up alone and
      // the measurement does not depend on how fast the exporter thread happens to run.
      .batch = {.schedule_delay = std::chrono::hours(1),
                .max_queue_size = 8192,
                .max_export_batch_size = 8192}});
  Tracer t = p.get_tracer("alloc");
  auto run = [&](int n) {
    for (int i = 0; i < n; ++i) {
      Span s = t.start_span("http.request.handler", {{"http.request.method", "GET"}});
      s.set_attribute("http.response.status_code", 200);
      Scope scope = s.activate();
      t.start_span("child").end();
    }
  };
  // Warm up twice: the first round creates the records the measured run needs, the second lets
  // the per-thread caches grow to hold them all when they come back from the exporter.
  for (int round = 0; round < 2; ++round) {
    run(1000);
    ASSERT_TRUE(p.force_flush());
  }
  const std::uint64_t before = testing::allocation_count();
  run(1000);
  const std::uint64_t allocations = testing::allocation_count() - before;
  EXPECT_EQ(allocations, 0u) << "allocations per 1000 span pairs";
}

// Remembers the address of every span record it is handed (the SDK passes the records' own
// SpanData, so an address is a record).
class AddressExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanData* const> spans) override {
    std::lock_guard lock(mu_);
    if (recording_) seen_.insert(spans.begin(), spans.end());
    return ExportResult::kSuccess;
  }
  void start_recording() {
    std::lock_guard lock(mu_);
    recording_ = true;
  }
  std::size_t distinct() {
    std::lock_guard lock(mu_);
    return seen_.size();
  }

 private:
  std::mutex mu_;
  bool recording_ = false;
  std::set<const SpanData*> seen_;
};

// After a burst has grown the pool to thousands of records, a thread that then ends spans at a
// steady pace keeps reusing the few records it freed last (they are still in its core's cache),
// instead of cycling through the whole pool oldest first.
TEST(Allocation, AfterABurstAThreadCyclesThroughFewRecords) {
  auto exporter = std::make_shared<AddressExporter>();
  TracerProvider p(TracerProviderOptions{.exporters = {exporter},
                                         .batch = {.schedule_delay = std::chrono::hours(1),
                                                   .max_queue_size = 8192,
                                                   .max_export_batch_size = 8192}});
  Tracer t = p.get_tracer("pool");
  for (int i = 0; i < 5000; ++i) t.start_span("burst").end();  // 5000 records in flight
  ASSERT_TRUE(p.force_flush());
  exporter->start_recording();
  for (int round = 0; round < 100; ++round) {  // 5000 more spans, 50 in flight at a time
    for (int i = 0; i < 50; ++i) t.start_span("steady").end();
    ASSERT_TRUE(p.force_flush());
  }
  // 50 in flight plus the cache a refill keeps ready (64): before records were reused most
  // recently freed first, all 5000 went round.
  EXPECT_LE(exporter->distinct(), 200u);
}

TEST(Allocation, UnsampledSpanAllocatesNothing) {
  TracerProvider p(TracerProviderOptions{.sampler = always_off_sampler()});
  Tracer t = p.get_tracer("alloc");
  t.start_span("warm").end();
  const std::uint64_t before = testing::allocation_count();
  for (int i = 0; i < 1000; ++i) t.start_span("unsampled", {{"k", 1}}).end();
  EXPECT_EQ(testing::allocation_count() - before, 0u);
}

}  // namespace
}  // namespace adminara::obs
