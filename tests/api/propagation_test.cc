// W3C traceparent parsing/formatting and inject/extract over callback and map carriers (W3C Trace
// Context, section 3.2; the traceparent cases of the W3C test suite).
#include "adminara/obs/propagation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "tests/common/allocation_counter.h"

namespace adminara::obs {
namespace {

const std::string kTrace = "12345678901234567890123456789012";
const std::string kParent = "1234567890123456";
const std::string kValid = "00-" + kTrace + "-" + kParent + "-01";

std::string tp(const std::string& version, const std::string& trace, const std::string& parent,
               const std::string& flags) {
  return version + "-" + trace + "-" + parent + "-" + flags;
}

SpanContext make_context(std::uint8_t flags, std::shared_ptr<const TraceState> ts = nullptr) {
  return SpanContext(*TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"),
                     *SpanId::from_hex("00f067aa0ba902b7"), TraceFlags{flags}, false,
                     std::move(ts));
}

// ---- parse_traceparent -------------------------------------------------------------------------

TEST(ParseTraceparent, ValidVersion00) {
  auto sc = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(sc.has_value());
  EXPECT_EQ(sc->trace_id().to_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(sc->span_id().to_hex(), "00f067aa0ba902b7");
  EXPECT_EQ(sc->trace_flags().value, 0x01);
  EXPECT_TRUE(sc->is_sampled());
  EXPECT_TRUE(sc->is_remote());
  EXPECT_TRUE(sc->is_valid());
  EXPECT_EQ(sc->trace_state_ptr(), nullptr);
}

struct Case {
  std::string value;
  const char* why;
};

TEST(ParseTraceparent, InvalidValues) {
  const std::string zeros32(32, '0');
  const std::string zeros16(16, '0');
  const std::vector<Case> cases = {
      {"", "empty"},
      {" \t ", "only whitespace"},
      {kValid + ".", "version 00 with a trailing character"},
      {kValid + "-what-the-future-will-be-like", "version 00 with extra fields"},
      {tp("cc", kTrace, kParent, "01.what-the-future-will-be-like"), "future version, no '-'"},
      {tp("ff", kTrace, kParent, "01"), "version ff"},
      {tp(".0", kTrace, kParent, "01"), "illegal version character"},
      {tp("0.", kTrace, kParent, "01"), "illegal version character"},
      {tp("000", kTrace, kParent, "01"), "version too long"},
      {tp("0000", kTrace, kParent, "01"), "version too long"},
      {tp("0", kTrace, kParent, "01"), "version too short"},
      {tp("CC", kTrace, kParent, "01"), "uppercase version"},
      {tp("00", zeros32, kParent, "01"), "all-zero trace-id"},
      {tp("00", "." + kTrace.substr(1), kParent, "01"), "illegal trace-id character"},
      {tp("00", kTrace.substr(0, 31) + ".", kParent, "01"), "illegal trace-id character"},
      {tp("00", kTrace + "3", kParent, "01"), "trace-id too long"},
      {tp("00", kTrace.substr(0, 31), kParent, "01"), "trace-id too short"},
      {tp("00", "4BF92F3577B34DA6A3CE929D0E0E4736", kParent, "01"), "uppercase trace-id"},
      {tp("00", kTrace, zeros16, "01"), "all-zero parent-id"},
      {tp("00", kTrace, "." + kParent.substr(1), "01"), "illegal parent-id character"},
      {tp("00", kTrace, kParent.substr(0, 15) + ".", "01"), "illegal parent-id character"},
      {tp("00", kTrace, kParent + "7", "01"), "parent-id too long"},
      {tp("00", kTrace, kParent.substr(0, 15), "01"), "parent-id too short"},
      {tp("00", kTrace, "00F067AA0BA902B7", "01"), "uppercase parent-id"},
      {tp("00", kTrace, kParent, ".0"), "illegal flags character"},
      {tp("00", kTrace, kParent, "0."), "illegal flags character"},
      {tp("00", kTrace, kParent, "001"), "flags too long"},
      {tp("00", kTrace, kParent, "1"), "flags too short"},
      {tp("00", kTrace, kParent, "0A"), "uppercase flags"},
      {tp("cc", kTrace, kParent, "1"), "future version shorter than 55"},
      {tp("cc", kTrace, kParent, "0x"), "future version, bad flags"},
      {kValid + "," + kValid, "two traceparent headers joined"},
      {kValid + ", " + kValid, "two traceparent headers joined with OWS"},
      {tp("cc", kTrace, kParent, "01") + "," + kValid, "two future-version headers joined"},
      {tp("cc", kTrace, kParent, "01-x") + "," + kValid, "future version with fields, joined"},
      {kValid + "\n", "a newline is not OWS"},
      {"00_" + kTrace + "-" + kParent + "-01", "wrong separator"},
      {"00-" + kTrace + " " + kParent + "-01", "wrong separator"},
      {"00-" + kTrace + "-" + kParent + "_01", "wrong separator"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(parse_traceparent(c.value).has_value()) << c.why << ": '" << c.value << "'";
  }
}

TEST(ParseTraceparent, SurroundingSpacesAndTabsAreTolerated) {
  for (const std::string& v :
       {" " + kValid, "\t" + kValid, kValid + " ", kValid + "\t", "\t " + kValid + " \t"}) {
    auto sc = parse_traceparent(v);
    ASSERT_TRUE(sc.has_value()) << '\'' << v << '\'';
    EXPECT_EQ(sc->trace_id().to_hex(), kTrace);
  }
}

TEST(ParseTraceparent, HigherVersionsAreReadAsVersion00) {
  for (const std::string& v :
       {tp("cc", kTrace, kParent, "01"),
        tp("cc", kTrace, kParent, "01-what-the-future-will-be-like"),
        tp("01", kTrace, kParent, "01-"), tp("fe", kTrace, kParent, "01-x-y-z")}) {
    auto sc = parse_traceparent(v);
    ASSERT_TRUE(sc.has_value()) << v;
    EXPECT_EQ(sc->trace_id().to_hex(), kTrace);
    EXPECT_EQ(sc->span_id().to_hex(), kParent);
    EXPECT_EQ(format_traceparent(*sc), kValid);  // re-emitted as version 00
  }
}

TEST(ParseTraceparent, FlagsAreKeptAsReceived) {
  EXPECT_EQ(parse_traceparent(tp("00", kTrace, kParent, "00"))->trace_flags().value, 0x00);
  EXPECT_EQ(parse_traceparent(tp("00", kTrace, kParent, "02"))->trace_flags().value, 0x02);
  auto reserved = parse_traceparent(tp("00", kTrace, kParent, "ff"));
  ASSERT_TRUE(reserved.has_value());
  EXPECT_EQ(reserved->trace_flags().value, 0xff);  // bits are tested, not the byte compared
  EXPECT_TRUE(reserved->is_sampled());
  EXPECT_FALSE(parse_traceparent(tp("00", kTrace, kParent, "fe"))->is_sampled());
}

// ---- format_traceparent ------------------------------------------------------------------------

TEST(FormatTraceparent, Version00) {
  EXPECT_EQ(format_traceparent(make_context(0x01)),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(format_traceparent(make_context(0x00)).substr(53), "00");
  EXPECT_EQ(format_traceparent(make_context(0x03)).substr(53), "03");
}

TEST(FormatTraceparent, ReservedFlagBitsAreSentAsZero) {
  EXPECT_EQ(format_traceparent(make_context(0xff)).substr(53), "03");
  EXPECT_EQ(format_traceparent(make_context(0x81)).substr(53), "01");
  EXPECT_EQ(format_traceparent(make_context(0xfc)).substr(53), "00");
}

TEST(FormatTraceparent, InvalidContextWritesNothing) {
  EXPECT_EQ(format_traceparent(SpanContext()), "");
  char buf[kTraceparentSize + 1];
  std::fill(std::begin(buf), std::end(buf), '#');
  EXPECT_FALSE(format_traceparent(SpanContext(), buf));
  EXPECT_EQ(std::string(buf, sizeof buf), std::string(sizeof buf, '#'));
  SpanContext zero_span(*TraceId::from_hex(kTrace), SpanId{}, TraceFlags{1}, false);
  EXPECT_FALSE(format_traceparent(zero_span, buf));
}

TEST(FormatTraceparent, BufferFormWritesExactly55Characters) {
  char buf[kTraceparentSize + 1];
  buf[kTraceparentSize] = '#';
  ASSERT_TRUE(format_traceparent(make_context(0x01), buf));
  EXPECT_EQ(buf[kTraceparentSize], '#');
  EXPECT_EQ(std::string(buf, kTraceparentSize), format_traceparent(make_context(0x01)));
}

TEST(Traceparent, ParseAndFormatDoNotAllocate) {
  const std::string value = " " + kValid + " ";
  SpanContext sc = make_context(0x01);
  char buf[kTraceparentSize];
  std::size_t before = testing::allocation_count();
  for (int i = 0; i < 100; ++i) {
    auto parsed = parse_traceparent(value);
    ASSERT_TRUE(parsed.has_value());
    ASSERT_TRUE(format_traceparent(*parsed, buf));
  }
  EXPECT_TRUE(format_traceparent(sc, buf));
  EXPECT_EQ(testing::allocation_count(), before);
}

// ---- inject ------------------------------------------------------------------------------------

using Headers = std::map<std::string, std::string>;

Headers inject_all(const Context& ctx) {
  Headers h;
  inject(ctx, [&h](std::string_view name, std::string_view value) {
    EXPECT_EQ(h.count(std::string(name)), 0U) << "header written twice: " << name;
    h[std::string(name)] = std::string(value);
  });
  return h;
}

TEST(Inject, WritesTraceparentOnly) {
  Headers h = inject_all(Context().with_span_context(make_context(0x01)));
  EXPECT_EQ(h,
            (Headers{{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}));
}

TEST(Inject, WritesTracestateAndBaggageWhenNonEmpty) {
  auto ts = std::make_shared<const TraceState>(TraceState::parse("rojo=1,congo=2"));
  Context ctx = Context()
                    .with_span_context(make_context(0x03, ts))
                    .with_baggage(Baggage().set("user", "alice bob"));
  Headers h = inject_all(ctx);
  EXPECT_EQ(h.at("traceparent").substr(53), "03");
  EXPECT_EQ(h.at("tracestate"), "rojo=1,congo=2");
  EXPECT_EQ(h.at("baggage"), "user=alice%20bob");
}

TEST(Inject, EmptyTracestateIsNotWritten) {
  auto empty = std::make_shared<const TraceState>();
  Headers h = inject_all(Context().with_span_context(make_context(0x01, empty)));
  EXPECT_EQ(h.count("tracestate"), 0U);
  EXPECT_EQ(h.count("baggage"), 0U);
}

TEST(Inject, InvalidSpanContextWritesOnlyBaggage) {
  auto ts = std::make_shared<const TraceState>(TraceState::parse("a=1"));
  SpanContext invalid(TraceId{}, SpanId{}, TraceFlags{1}, false, ts);
  EXPECT_TRUE(inject_all(Context().with_span_context(invalid)).empty());
  Headers h =
      inject_all(Context().with_span_context(invalid).with_baggage(Baggage().set("k", "v")));
  EXPECT_EQ(h, (Headers{{"baggage", "k=v"}}));
}

TEST(Inject, EmptySetterIsIgnored) {
  inject(Context().with_span_context(make_context(1)), HeaderSetter());
}

// ---- extract -----------------------------------------------------------------------------------

// A getter over `h` (exact names) that records which names were asked for.
HeaderGetter getter(const Headers& h, std::vector<std::string>* asked = nullptr) {
  return [&h, asked](std::string_view name) -> std::optional<std::string> {
    if (asked != nullptr) asked->emplace_back(name);
    auto it = h.find(std::string(name));
    if (it == h.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Extract, RemoteSpanContextWithTracestateAndBaggage) {
  Headers h{{"traceparent", kValid},
            {"tracestate", "foo=1, bar=2"},
            {"baggage", "user=alice,n=%C3%A9;p"}};
  Context ctx = extract(getter(h));
  const SpanContext& sc = ctx.span_context();
  ASSERT_TRUE(sc.is_valid());
  EXPECT_TRUE(sc.is_remote());
  EXPECT_EQ(sc.trace_id().to_hex(), kTrace);
  EXPECT_EQ(sc.span_id().to_hex(), kParent);
  ASSERT_NE(sc.trace_state_ptr(), nullptr);
  EXPECT_EQ(sc.trace_state().serialize(), "foo=1,bar=2");
  EXPECT_EQ(ctx.baggage().get("user"), "alice");
  EXPECT_EQ(ctx.baggage().get("n"), "\xc3\xa9");
  EXPECT_EQ(ctx.baggage().entries().back().metadata, "p");
}

TEST(Extract, NothingPresent) {
  Context ctx = extract(getter(Headers{}));
  EXPECT_FALSE(ctx.span_context().is_valid());
  EXPECT_EQ(ctx.baggage_ptr(), nullptr);
}

TEST(Extract, InvalidTraceparentDiscardsTracestateButKeepsBaggage) {
  Headers h{{"traceparent", tp("00", kTrace, kParent, "0.")},
            {"tracestate", "foo=1"},
            {"baggage", "k=v"}};
  std::vector<std::string> asked;
  Context ctx = extract(getter(h, &asked));
  EXPECT_FALSE(ctx.span_context().is_valid());
  EXPECT_EQ(ctx.span_context().trace_state_ptr(), nullptr);
  EXPECT_EQ(std::count(asked.begin(), asked.end(), "tracestate"), 0);  // not even read
  EXPECT_EQ(ctx.baggage().get("k"), "v");
}

TEST(Extract, TracestateWithoutTraceparentIsDiscarded) {
  Context ctx = extract(getter(Headers{{"tracestate", "foo=1"}}));
  EXPECT_FALSE(ctx.span_context().is_valid());
  EXPECT_TRUE(ctx.span_context().trace_state().empty());
}

TEST(Extract, EmptyOrInvalidTracestateLeavesItNull) {
  for (const char* state : {"", "foo=1,foo=2", "FOO=1"}) {
    Context ctx = extract(getter(Headers{{"traceparent", kValid}, {"tracestate", state}}));
    EXPECT_TRUE(ctx.span_context().is_valid()) << state;  // never affects traceparent
    EXPECT_EQ(ctx.span_context().trace_state_ptr(), nullptr) << state;
  }
}

TEST(Extract, DuplicateTraceparentJoinedByGetterIsInvalid) {
  Context ctx = extract(getter(Headers{{"traceparent", kValid + "," + kValid}}));
  EXPECT_FALSE(ctx.span_context().is_valid());
}

TEST(Extract, EmptyBaggageLeavesItNull) {
  Context ctx = extract(getter(Headers{{"traceparent", kValid}, {"baggage", "bad key=1"}}));
  EXPECT_EQ(ctx.baggage_ptr(), nullptr);
}

TEST(Extract, WrongHeaderNamesAreIgnored) {
  Context ctx = extract(Headers{{"trace-parent", kValid}, {"trace.state", "foo=1"}});
  EXPECT_FALSE(ctx.span_context().is_valid());
}

TEST(Extract, EmptyGetterYieldsEmptyContext) {
  EXPECT_FALSE(extract(HeaderGetter()).span_context().is_valid());
}

// ---- map carriers ------------------------------------------------------------------------------

TEST(MapCarrier, StdMapRoundTrip) {
  auto ts = std::make_shared<const TraceState>(TraceState::parse("a=1"));
  Context ctx =
      Context().with_span_context(make_context(0x81, ts)).with_baggage(Baggage().set("k", "v 1"));
  std::map<std::string, std::string> carrier{{"content-type", "text/plain"}};
  inject(ctx, carrier);
  EXPECT_EQ(carrier.size(), 4U);
  Context back = extract(carrier);
  EXPECT_EQ(back.span_context().trace_id(), ctx.span_context().trace_id());
  EXPECT_EQ(back.span_context().span_id(), ctx.span_context().span_id());
  EXPECT_EQ(back.span_context().trace_flags().value, 0x01);
  EXPECT_TRUE(back.span_context().is_remote());
  EXPECT_EQ(back.span_context().trace_state(), *ts);
  EXPECT_EQ(back.baggage(), ctx.baggage());
}

TEST(MapCarrier, UnorderedMapRoundTrip) {
  Context ctx = Context().with_span_context(make_context(0x01));
  std::unordered_map<std::string, std::string> carrier;
  inject(ctx, carrier);
  EXPECT_EQ(carrier.at("traceparent"), format_traceparent(ctx.span_context()));
  EXPECT_EQ(extract(carrier).span_context().trace_id(), ctx.span_context().trace_id());
}

TEST(MapCarrier, LookupIsCaseInsensitive) {
  for (const char* name : {"TraceParent", "TRACEPARENT", "TrAcEpArEnT"}) {
    std::map<std::string, std::string> carrier{{name, kValid}, {"TraceState", "foo=1"}};
    Context ctx = extract(carrier);
    EXPECT_TRUE(ctx.span_context().is_valid()) << name;
    EXPECT_EQ(ctx.span_context().trace_state().get("foo"), "1") << name;
  }
}

TEST(MapCarrier, InjectReplacesEveryExistingSpelling) {
  std::map<std::string, std::string> carrier{
      {"TraceParent", "stale"}, {"traceparent", "stale"}, {"Baggage", "old=1"}};
  inject(Context().with_span_context(make_context(0x01)).with_baggage(Baggage().set("k", "v")),
         carrier);
  EXPECT_EQ(carrier,
            (std::map<std::string, std::string>{
                {"baggage", "k=v"}, {"traceparent", format_traceparent(make_context(1))}}));
}

TEST(MapCarrier, MultimapJoinsRepeatedHeaders) {
  std::multimap<std::string, std::string> carrier{
      {"traceparent", kValid}, {"tracestate", "foo=1,bar=2"}, {"tracestate", "rojo=1,congo=2"},
      {"tracestate", ""},      {"tracestate", "baz=3"},       {"baggage", "a=1"},
      {"baggage", "b=2"}};
  Context ctx = extract(carrier);
  ASSERT_TRUE(ctx.span_context().is_valid());
  EXPECT_EQ(ctx.span_context().trace_state().serialize(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
  EXPECT_EQ(ctx.baggage().serialize(), "a=1,b=2");
}

TEST(MapCarrier, MultimapDuplicateTraceparentIsInvalid) {
  const std::string other = "00-" + kTrace.substr(0, 31) + "1-" + kParent + "-01";
  std::multimap<std::string, std::string> carrier{
      {"traceparent", kValid}, {"traceparent", other}, {"tracestate", "foo=1"}};
  Context ctx = extract(carrier);
  EXPECT_FALSE(ctx.span_context().is_valid());
  EXPECT_TRUE(ctx.span_context().trace_state().empty());
  // The same header twice is a duplicate too.
  std::multimap<std::string, std::string> same{{"traceparent", kValid}, {"traceparent", kValid}};
  EXPECT_FALSE(extract(same).span_context().is_valid());
}

TEST(MapCarrier, MultimapInjectLeavesOneEntryPerHeader) {
  std::multimap<std::string, std::string> carrier{
      {"traceparent", "a"}, {"traceparent", "b"}, {"x-other", "1"}, {"x-other", "2"}};
  inject(Context().with_span_context(make_context(0x01)), carrier);
  EXPECT_EQ(carrier.count("traceparent"), 1U);
  EXPECT_EQ(carrier.count("x-other"), 2U);
  EXPECT_TRUE(extract(carrier).span_context().is_valid());
}

// Like httplib::Headers: a multimap ordered case-insensitively.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) <
             std::tolower(static_cast<unsigned char>(y));
    });
  }
};

TEST(MapCarrier, CaseInsensitiveMultimap) {
  std::multimap<std::string, std::string, CaseInsensitiveLess> carrier{
      {"TraceParent", kValid}, {"TraceState", "foo=1"}, {"tracestate", "bar=2"}};
  Context ctx = extract(carrier);
  ASSERT_TRUE(ctx.span_context().is_valid());
  EXPECT_EQ(ctx.span_context().trace_state().serialize(), "foo=1,bar=2");
  inject(ctx, carrier);
  EXPECT_EQ(carrier.count("traceparent"), 1U);
  EXPECT_EQ(carrier.count("tracestate"), 1U);
  EXPECT_EQ(carrier.find("TRACESTATE")->second, "foo=1,bar=2");
}

// ---- round trips -------------------------------------------------------------------------------

TEST(RoundTrip, CallbackInjectThenExtract) {
  auto ts = std::make_shared<const TraceState>(TraceState::parse("vendor@sys=x,b=2"));
  Baggage bag = Baggage().set("user", "J\xc3\xbcrgen, 100%", "ttl=60").set("n", "");
  Context ctx = Context().with_span_context(make_context(0x02, ts)).with_baggage(bag);
  Headers h = inject_all(ctx);
  Context back = extract(getter(h));
  EXPECT_EQ(back.span_context().trace_id(), ctx.span_context().trace_id());
  EXPECT_EQ(back.span_context().span_id(), ctx.span_context().span_id());
  EXPECT_EQ(back.span_context().trace_flags().value, 0x02);
  EXPECT_EQ(back.span_context().trace_state(), *ts);
  EXPECT_EQ(back.baggage(), bag);
  EXPECT_EQ(inject_all(back), h);
}

}  // namespace
}  // namespace adminara::obs
