// TracerProvider, spans, context and the processors, without the global init.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "adminara/obs.h"
#include "tests/sdk/test_exporters.h"

namespace adminara::obs {
namespace {

struct Fixture {
  explicit Fixture(ProcessorKind kind = ProcessorKind::kSimple, SpanLimits limits = {},
                   std::shared_ptr<const Sampler> sampler = nullptr)
      : memory(std::make_shared<InMemorySpanExporter>()),
        provider(TracerProviderOptions{
            .resource = Resource(std::vector<KeyValue>{{"service.name", "test"}}),
            .sampler = std::move(sampler),
            .exporters = {memory},
            .processor = kind,
            .limits = limits}),
        tracer(provider.get_tracer("tests", "1.0")) {}
  std::shared_ptr<InMemorySpanExporter> memory;
  TracerProvider provider;
  Tracer tracer;
};

TEST(Tracer, SpanCarriesNameAttributesTimesAndIds) {
  Fixture f;
  {
    Span s = f.tracer.start_span("op", {{"userId", "123"}, {"n", 7}, {"ok", true}, {"x", 1.5}});
    EXPECT_TRUE(s.is_recording());
    EXPECT_TRUE(s.context().is_valid());
    EXPECT_TRUE(s.context().is_sampled());
    s.set_attribute("result", "success");
    s.set_attribute("n", 8);  // replaces
    s.set_attribute("tags", std::vector<std::string>{"a", "b"});
    s.end();
    EXPECT_FALSE(s.is_recording());
    s.set_attribute("after", "end");  // ignored
    s.end();                          // idempotent
  }
  auto spans = f.memory->spans();
  ASSERT_EQ(spans.size(), 1u);
  const SpanData& d = spans[0];
  EXPECT_EQ(d.name, "op");
  EXPECT_FALSE(d.has_parent());
  EXPECT_EQ(d.kind, SpanKind::kInternal);
  EXPECT_GE(d.end_time_unix_nano, d.start_time_unix_nano);
  EXPECT_GT(d.start_time_unix_nano, 1'600'000'000'000'000'000ULL);  // after 2020
  ASSERT_EQ(d.attributes.size(), 6u);
  EXPECT_EQ(*d.attribute("userId"), AttributeValue("123"));
  EXPECT_EQ(*d.attribute("n"), AttributeValue(8));
  EXPECT_EQ(*d.attribute("ok"), AttributeValue(true));
  EXPECT_EQ(*d.attribute("x"), AttributeValue(1.5));
  EXPECT_EQ(*d.attribute("result"), AttributeValue("success"));
  EXPECT_EQ(d.attribute("after"), nullptr);
  ASSERT_NE(d.scope, nullptr);
  EXPECT_EQ(d.scope->name, "tests");
  EXPECT_EQ(d.scope->version, "1.0");
  ASSERT_NE(d.resource, nullptr);
  EXPECT_EQ(d.resource->get_string("service.name"), "test");
}

TEST(Tracer, SpanEndsWhenDestroyed) {
  Fixture f;
  { Span s = f.tracer.start_span("scoped"); }
  EXPECT_EQ(f.memory->size(), 1u);
}

TEST(Tracer, MovedSpanEndsOnce) {
  Fixture f;
  Span a = f.tracer.start_span("moved");
  Span b = std::move(a);
  EXPECT_FALSE(a.is_recording());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  b.end();
  a.end();
  EXPECT_EQ(f.memory->size(), 1u);
}

TEST(Tracer, ChildParentsOnActiveSpanAndScopeRestores) {
  Fixture f;
  Span parent = f.tracer.start_span("parent");
  {
    Scope scope = parent.activate();
    EXPECT_EQ(current_span(), &parent);
    Span child = f.tracer.start_span("child");
    EXPECT_EQ(child.context().trace_id(), parent.context().trace_id());
    {
      Scope inner = child.activate();
      Span grandchild = f.tracer.start_span("grandchild");
      grandchild.end();
    }
    EXPECT_EQ(current_span(), &parent);
    child.end();
  }
  EXPECT_EQ(current_span(), nullptr);
  Span sibling_root = f.tracer.start_span("root2");
  EXPECT_NE(sibling_root.context().trace_id(), parent.context().trace_id());
  sibling_root.end();
  parent.end();

  auto spans = f.memory->spans();
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_EQ(spans[0].name, "grandchild");
  EXPECT_EQ(spans[1].name, "child");
  EXPECT_EQ(spans[0].parent_span_id, spans[1].context.span_id());
  EXPECT_EQ(spans[1].parent_span_id, spans[3].context.span_id());
  EXPECT_FALSE(spans[3].has_parent());
  EXPECT_FALSE(spans[2].has_parent());
}

TEST(Tracer, ExplicitParentAndRootOptions) {
  Fixture f;
  auto remote = SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                            *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{1}, true);
  Context parent = Context().with_span_context(remote);
  Span server = f.tracer.start_span("server", {}, {.kind = SpanKind::kServer, .parent = &parent});
  EXPECT_EQ(server.context().trace_id(), remote.trace_id());
  {
    Scope s = server.activate();
    Span root = f.tracer.start_span("fresh", {}, {.root = true});
    EXPECT_NE(root.context().trace_id(), remote.trace_id());
  }
  server.end();
  auto spans = f.memory->spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].parent_span_id, remote.span_id());
  EXPECT_TRUE(spans[1].parent_is_remote);
  EXPECT_EQ(spans[1].kind, SpanKind::kServer);
}

TEST(Tracer, ContextCarriesToAnotherThread) {
  Fixture f;
  Span parent = f.tracer.start_span("request");
  Context captured;
  {
    Scope s = parent.activate();
    captured = Context::current();
  }
  std::thread worker([&] {
    EXPECT_EQ(current_span(), nullptr);
    Scope s = captured.activate();
    EXPECT_EQ(current_span(), nullptr);  // the Span handle stays on its own thread
    Span child = f.tracer.start_span("on.worker");
    child.end();
  });
  worker.join();
  parent.end();
  auto spans = f.memory->spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].name, "on.worker");
  EXPECT_EQ(spans[0].context.trace_id(), spans[1].context.trace_id());
  EXPECT_EQ(spans[0].parent_span_id, spans[1].context.span_id());
}

TEST(Tracer, AlwaysOffSpansCarryContextButRecordNothing) {
  Fixture f(ProcessorKind::kSimple, {}, always_off_sampler());
  Span s = f.tracer.start_span("unsampled", {{"k", "v"}});
  EXPECT_FALSE(s.is_recording());
  EXPECT_TRUE(s.context().is_valid());
  EXPECT_FALSE(s.context().is_sampled());
  {
    Scope scope = s.activate();
    Span child = f.tracer.start_span("child");
    EXPECT_EQ(child.context().trace_id(), s.context().trace_id());
  }
  s.end();
  EXPECT_EQ(f.memory->size(), 0u);
}

TEST(Tracer, ParentBasedFollowsRemoteParentFlag) {
  Fixture f;  // default sampler: parentbased_always_on
  auto make_parent = [](std::uint8_t flags) {
    return Context().with_span_context(
        SpanContext(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                    *SpanId::from_hex("b7ad6b7169203331"), TraceFlags{flags}, true));
  };
  Context sampled = make_parent(1);
  Context unsampled = make_parent(0);
  EXPECT_TRUE(f.tracer.start_span("a", {}, {.parent = &sampled}).is_recording());
  EXPECT_FALSE(f.tracer.start_span("b", {}, {.parent = &unsampled}).is_recording());
}

TEST(Tracer, LimitsDropAndCount) {
  SpanLimits limits;
  limits.attribute_count = 2;
  limits.attribute_value_length = 4;
  limits.event_count = 1;
  limits.event_attribute_count = 1;
  limits.link_count = 1;
  Fixture f(ProcessorKind::kSimple, limits);
  SpanContext other(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                    *SpanId::from_hex("b7ad6b7169203331"), TraceFlags{1}, true);
  {
    Span s = f.tracer.start_span("limited", {{"a", "abcdefgh"}, {"b", 1}, {"c", 2}});
    s.set_attribute("a", "xyz");  // replacing an existing key is not a drop
    s.set_attribute("d", 3);
    s.set_attribute("arr", std::vector<std::string>{"toolong"});
    s.add_event("e1", {{"x", 1}, {"y", 2}});
    s.add_event("e2");
    s.add_link(other);
    s.add_link(other);
    s.add_link(SpanContext());  // invalid: ignored, not counted
  }
  auto spans = f.memory->spans();
  ASSERT_EQ(spans.size(), 1u);
  const SpanData& d = spans[0];
  EXPECT_EQ(d.attributes.size(), 2u);
  EXPECT_EQ(d.dropped_attributes_count, 3u);
  EXPECT_EQ(*d.attribute("a"), AttributeValue("xyz"));
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.dropped_events_count, 1u);
  EXPECT_EQ(d.events[0].attributes.size(), 1u);
  EXPECT_EQ(d.events[0].dropped_attributes_count, 1u);
  EXPECT_EQ(d.links.size(), 1u);
  EXPECT_EQ(d.dropped_links_count, 1u);
}

TEST(Tracer, ValueLengthLimitTruncatesWithoutSplittingUtf8) {
  SpanLimits limits;
  limits.attribute_value_length = 4;
  Fixture f(ProcessorKind::kSimple, limits);
  f.tracer.start_span("utf8", {{"s", "ab\xc3\xa9\xc3\xa9"}, {"plain", "abcdef"}}).end();
  auto d = f.memory->spans().at(0);
  EXPECT_EQ(*d.attribute("s"), AttributeValue("ab\xc3\xa9"));
  EXPECT_EQ(*d.attribute("plain"), AttributeValue("abcd"));
}

TEST(Tracer, StatusRules) {
  Fixture f;
  {
    Span s = f.tracer.start_span("st");
    s.set_status(StatusCode::kError, "boom");
    s.set_status(StatusCode::kUnset);  // ignored
  }
  {
    Span s = f.tracer.start_span("ok-final");
    s.set_status(StatusCode::kOk, "ignored description");
    s.set_status(StatusCode::kError, "too late");
  }
  auto spans = f.memory->spans();
  EXPECT_EQ(spans[0].status.code, StatusCode::kError);
  EXPECT_EQ(spans[0].status.description, "boom");
  EXPECT_EQ(spans[1].status.code, StatusCode::kOk);
  EXPECT_EQ(spans[1].status.description, "");
}

TEST(Tracer, RecordExceptionAddsEvent) {
  Fixture f;
  {
    Span s = f.tracer.start_span("ex");
    s.record_exception(std::invalid_argument("bad input"));
  }
  auto d = f.memory->spans().at(0);
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].name, "exception");
  EXPECT_EQ(*find_attribute(d.events[0].attributes, "exception.type"),
            AttributeValue("std::invalid_argument"));
  EXPECT_EQ(*find_attribute(d.events[0].attributes, "exception.message"),
            AttributeValue("bad input"));
}

TEST(Tracer, DisabledProviderRecordsNothingButPropagates) {
  auto memory = std::make_shared<InMemorySpanExporter>();
  TracerProvider p(TracerProviderOptions{.exporters = {memory}, .enabled = false});
  Tracer t = p.get_tracer("x");
  auto remote = Context().with_span_context(
      SpanContext(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                  *SpanId::from_hex("b7ad6b7169203331"), TraceFlags{1}, true));
  Span s = t.start_span("off", {}, {.parent = &remote});
  EXPECT_FALSE(s.is_recording());
  EXPECT_EQ(s.context().trace_id(), remote.span_context().trace_id());
  s.end();
  EXPECT_FALSE(t.start_span("root").context().is_valid());
  p.force_flush();
  EXPECT_EQ(memory->size(), 0u);
}

TEST(BatchProcessor, ShutdownExportsEverythingQueued) {
  auto memory = std::make_shared<InMemorySpanExporter>();
  TracerProvider p(TracerProviderOptions{.exporters = {memory},
                                         .batch = {.schedule_delay = std::chrono::hours(1),
                                                   .max_queue_size = 2048,
                                                   .max_export_batch_size = 512}});
  Tracer t = p.get_tracer("x");
  for (int i = 0; i < 1000; ++i) t.start_span("s").end();
  p.shutdown();
  EXPECT_EQ(memory->size(), 1000u);
  TracerStats st = p.stats();
  EXPECT_EQ(st.spans_ended, 1000u);
  EXPECT_EQ(st.spans_exported, 1000u);
  EXPECT_EQ(st.spans_dropped, 0u);
  // After shutdown, new spans are dropped and counted.
  t.start_span("late").end();
  EXPECT_EQ(p.stats().spans_dropped, 1u);
  EXPECT_EQ(memory->size(), 1000u);
}

TEST(BatchProcessor, ForceFlushExportsWithoutWaitingForTheDelay) {
  auto memory = std::make_shared<InMemorySpanExporter>();
  TracerProvider p(TracerProviderOptions{.exporters = {memory},
                                         .batch = {.schedule_delay = std::chrono::hours(1)}});
  Tracer t = p.get_tracer("x");
  for (int i = 0; i < 10; ++i) t.start_span("s").end();
  EXPECT_TRUE(p.force_flush());
  EXPECT_EQ(memory->size(), 10u);
}

TEST(BatchProcessor, FullQueueDropsAndCountsWithoutBlocking) {
  auto gate = std::make_shared<testing::GateExporter>();
  TracerProvider p(TracerProviderOptions{.exporters = {gate},
                                         .batch = {.schedule_delay = std::chrono::milliseconds(1),
                                                   .max_queue_size = 8,
                                                   .max_export_batch_size = 4}});
  Tracer t = p.get_tracer("x");
  for (int i = 0; i < 4; ++i) t.start_span("first").end();
  gate->wait_until_entered();  // the worker is now stuck inside export
  // The exporter is blocked: these calls must all return; the queue keeps 8, the rest drop.
  for (int i = 0; i < 100; ++i) t.start_span("s").end();
  TracerStats st = p.stats();
  EXPECT_EQ(st.spans_ended, 104u);
  EXPECT_GE(st.spans_dropped, 100u - 8u);
  gate->release();
  p.shutdown();
  st = p.stats();
  EXPECT_EQ(gate->received() + st.spans_dropped, 104u);
  EXPECT_EQ(st.spans_exported, gate->received());
}

TEST(BatchProcessor, FailingAndThrowingExportersAreCounted) {
  auto failing = std::make_shared<testing::FailingExporter>(false);
  auto throwing = std::make_shared<testing::FailingExporter>(true);
  for (auto& e : {failing, throwing}) {
    TracerProvider p(TracerProviderOptions{.exporters = {e}});
    Tracer t = p.get_tracer("x");
    for (int i = 0; i < 5; ++i) t.start_span("s").end();
    p.shutdown();
    EXPECT_EQ(p.stats().spans_failed, 5u);
    EXPECT_EQ(p.stats().spans_exported, 0u);
    EXPECT_GE(e->calls.load(), 1);
  }
}

TEST(BatchProcessor, RejectsInconsistentOptions) {
  EXPECT_THROW(TracerProvider(TracerProviderOptions{
                   .batch = {.max_queue_size = 10, .max_export_batch_size = 11}}),
               std::invalid_argument);
}

TEST(BatchProcessorConcurrency, ManyThreadsExportEverySpanOnce) {
  auto memory = std::make_shared<InMemorySpanExporter>();
  TracerProvider p(TracerProviderOptions{.exporters = {memory},
                                         .batch = {.schedule_delay = std::chrono::milliseconds(5),
                                                   .max_queue_size = 100000,
                                                   .max_export_batch_size = 256}});
  Tracer t = p.get_tracer("x");
  constexpr int kThreads = 4, kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kPerThread; ++j) {
        Span s = t.start_span("work", {{"thread", i}, {"j", j}});
        Scope sc = s.activate();
        t.start_span("child").end();
      }
    });
  }
  for (auto& th : threads) th.join();
  p.shutdown();
  auto spans = memory->spans();
  ASSERT_EQ(spans.size(), static_cast<std::size_t>(kThreads * kPerThread * 2));
  std::set<std::pair<std::int64_t, std::int64_t>> seen;
  for (const auto& s : spans) {
    if (s.name != "work") continue;
    seen.emplace(*s.attribute("thread")->get_if<std::int64_t>(),
                 *s.attribute("j")->get_if<std::int64_t>());
  }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(p.stats().spans_dropped, 0u);
}

TEST(BatchProcessorConcurrency, ShortLivedThreadsDoNotLoseSpans) {
  auto memory = std::make_shared<InMemorySpanExporter>();
  TracerProvider p(TracerProviderOptions{
      .exporters = {memory}, .batch = {.schedule_delay = std::chrono::milliseconds(2)}});
  Tracer t = p.get_tracer("x");
  for (int round = 0; round < 50; ++round) {
    std::thread([&] {
      for (int j = 0; j < 20; ++j) t.start_span("s").end();
    }).join();
  }
  p.shutdown();
  EXPECT_EQ(memory->size(), 1000u);
}

TEST(BatchProcessorConcurrency, SpansEndedOnAnotherThreadAreExportedAndRecordsReused) {
  auto memory = std::make_shared<InMemorySpanExporter>();
  TracerProvider p(TracerProviderOptions{.exporters = {memory},
                                         .batch = {.schedule_delay = std::chrono::milliseconds(1),
                                                   .max_queue_size = 64,
                                                   .max_export_batch_size = 16}});
  Tracer t = p.get_tracer("x");
  constexpr int kRounds = 20, kPerRound = 200;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<Span> handed;
    std::thread starter([&] {
      for (int i = 0; i < kPerRound; ++i) handed.push_back(t.start_span("moved", {{"i", i}}));
    });
    starter.join();
    std::thread ender([&] {
      for (auto& s : handed) s.end();
    });
    ender.join();
    // Also end some on this long-lived thread so its queue cycles records it did not start.
    for (int i = 0; i < 50; ++i) t.start_span("local").end();
  }
  p.shutdown();
  TracerStats st = p.stats();
  EXPECT_EQ(st.spans_ended, static_cast<std::uint64_t>(kRounds * (kPerRound + 50)));
  EXPECT_EQ(memory->size() + st.spans_dropped, st.spans_ended);
  EXPECT_EQ(st.spans_exported, memory->size());
}

}  // namespace
}  // namespace adminara::obs
