#include "sdk/config/env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string_view>

#include "fake_env.h"

namespace adminara::obs::config {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::reader_for;

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();

TEST(EnvReader, RawTreatsEmptyAsUnset) {
  auto env = reader_for({{"A", "x "}, {"EMPTY", ""}});
  EXPECT_EQ(env.raw("A"), "x ");
  EXPECT_EQ(env.raw("EMPTY"), std::nullopt);
  EXPECT_EQ(env.raw("MISSING"), std::nullopt);
}

TEST(EnvReader, NullGetterReadsTheProcessEnvironment) {
  EnvReader env;
  // PATH is set in every test environment; the name below in none.
  EXPECT_TRUE(env.raw("PATH").has_value());
  EXPECT_FALSE(env.raw("ADMINARA_OBS_TEST_SURELY_UNSET_VARIABLE").has_value());
}

TEST(EnvReader, BoolAcceptsTrueAndFalseInAnyCase) {
  auto env = reader_for({{"T1", "true"},
                         {"T2", "TRUE"},
                         {"T3", " True\t"},
                         {"F1", "false"},
                         {"F2", "FaLsE"},
                         {"E", ""},
                         {"W", "   "}});
  EXPECT_TRUE(env.get_bool("T1", false));
  EXPECT_TRUE(env.get_bool("T2", false));
  EXPECT_TRUE(env.get_bool("T3", false));
  EXPECT_FALSE(env.get_bool("F1", true));
  EXPECT_FALSE(env.get_bool("F2", true));
  EXPECT_TRUE(env.get_bool("E", true));
  EXPECT_FALSE(env.get_bool("W", false));
  EXPECT_TRUE(env.get_bool("UNSET", true));
  EXPECT_THAT(env.warnings(), IsEmpty());
}

TEST(EnvReader, BoolRejectsOtherWordsWithAWarning) {
  auto env = reader_for({{"ENABLE_TRACING", "yes"}, {"OTEL_SDK_DISABLED", "1"}});
  EXPECT_TRUE(env.get_bool("ENABLE_TRACING", true));
  EXPECT_FALSE(env.get_bool("OTEL_SDK_DISABLED", false));
  EXPECT_THAT(env.warnings(),
              ElementsAre("ENABLE_TRACING=\"yes\" is not a boolean; accepted: true or false "
                          "(case-insensitive); using the default true",
                          "OTEL_SDK_DISABLED=\"1\" is not a boolean; accepted: true or false "
                          "(case-insensitive); using the default false"));
}

TEST(EnvReader, IntParsesDecimalInRange) {
  auto env =
      reader_for({{"A", "42"}, {"B", " 7 "}, {"C", "+3"}, {"D", "-5"}, {"MAX", "2147483647"}});
  EXPECT_EQ(env.get_int("A", 0, 0, 100), 42);
  EXPECT_EQ(env.get_int("B", 0, 0, 100), 7);
  EXPECT_EQ(env.get_int("C", 0, 0, 100), 3);
  EXPECT_EQ(env.get_int("D", 0, -10, 100), -5);
  EXPECT_EQ(env.get_int("MAX", 0, 0, kInt32Max), kInt32Max);
  EXPECT_EQ(env.get_int("UNSET", 9, 0, 100), 9);
  EXPECT_THAT(env.warnings(), IsEmpty());
}

TEST(EnvReader, IntRejectsNonIntegers) {
  auto env = reader_for({{"OTEL_BSP_MAX_QUEUE_SIZE", "abc"},
                         {"B", "12abc"},
                         {"C", "1.5"},
                         {"D", "1e3"},
                         {"E", "0x10"},
                         {"F", "+-1"},
                         {"G", "1 2"}});
  EXPECT_EQ(env.get_int("OTEL_BSP_MAX_QUEUE_SIZE", 2048, 1, kInt32Max), 2048);
  for (const char* name : {"B", "C", "D", "E", "F", "G"})
    EXPECT_EQ(env.get_int(name, 5, 0, 100), 5);
  ASSERT_EQ(env.warnings().size(), 7u);
  EXPECT_EQ(env.warnings()[0],
            "OTEL_BSP_MAX_QUEUE_SIZE=\"abc\" is not an integer; accepted: an integer from 1 to "
            "2147483647; using the default 2048");
  EXPECT_EQ(env.warnings()[1],
            "B=\"12abc\" is not an integer; accepted: an integer from 0 to 100; using the "
            "default 5");
}

TEST(EnvReader, IntRejectsOutOfRange) {
  auto env = reader_for(
      {{"LOW", "0"}, {"HIGH", "2147483648"}, {"HUGE", "99999999999999999999999"}, {"NEG", "-1"}});
  EXPECT_EQ(env.get_int("LOW", 2048, 1, kInt32Max), 2048);
  EXPECT_EQ(env.get_int("HIGH", 2048, 1, kInt32Max), 2048);
  EXPECT_EQ(env.get_int("HUGE", 2048, 1, kInt32Max), 2048);
  EXPECT_EQ(env.get_int("NEG", 128, 0, kInt32Max), 128);
  EXPECT_THAT(
      env.warnings(),
      ElementsAre("LOW=\"0\" is out of range; accepted: an integer from 1 to 2147483647; using "
                  "the default 2048",
                  "HIGH=\"2147483648\" is out of range; accepted: an integer from 1 to "
                  "2147483647; using the default 2048",
                  "HUGE=\"99999999999999999999999\" is out of range; accepted: an integer from 1 "
                  "to 2147483647; using the default 2048",
                  "NEG=\"-1\" is out of range; accepted: an integer from 0 to 2147483647; using "
                  "the default 128"));
}

TEST(EnvReader, FindIntReturnsNulloptWhenUnsetOrInvalid) {
  auto env = reader_for({{"OK", "64"}, {"BAD", "x"}});
  EXPECT_EQ(env.find_int("OK", 0, 100, "the default 1"), 64);
  EXPECT_EQ(env.find_int("UNSET", 0, 100, "the default 1"), std::nullopt);
  EXPECT_EQ(env.find_int("BAD", 0, 100, "OTHER=3"), std::nullopt);
  EXPECT_THAT(env.warnings(),
              ElementsAre("BAD=\"x\" is not an integer; accepted: an integer from 0 to 100; "
                          "using OTHER=3"));
}

TEST(EnvReader, DoubleParsesNumbersInRange) {
  auto env = reader_for({{"A", "0.25"}, {"B", "1"}, {"C", "0"}, {"D", " 5e-1 "}, {"E", "+0.5"}});
  EXPECT_DOUBLE_EQ(env.get_double("A", 1.0, 0.0, 1.0), 0.25);
  EXPECT_DOUBLE_EQ(env.get_double("B", 0.5, 0.0, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(env.get_double("C", 0.5, 0.0, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(env.get_double("D", 1.0, 0.0, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(env.get_double("E", 1.0, 0.0, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(env.get_double("UNSET", 1.0, 0.0, 1.0), 1.0);
  EXPECT_THAT(env.warnings(), IsEmpty());
}

TEST(EnvReader, DoubleRejectsNonNumbersAndOutOfRange) {
  auto env = reader_for({{"OTEL_TRACES_SAMPLER_ARG", "half"},
                         {"B", "1.5"},
                         {"C", "-0.1"},
                         {"D", "nan"},
                         {"E", "inf"},
                         {"F", "0.5x"}});
  EXPECT_DOUBLE_EQ(env.get_double("OTEL_TRACES_SAMPLER_ARG", 1.0, 0.0, 1.0), 1.0);
  for (const char* name : {"B", "C", "D", "E", "F"}) {
    EXPECT_DOUBLE_EQ(env.get_double(name, 1.0, 0.0, 1.0), 1.0);
  }
  ASSERT_EQ(env.warnings().size(), 6u);
  EXPECT_EQ(env.warnings()[0],
            "OTEL_TRACES_SAMPLER_ARG=\"half\" is not a number; accepted: a number from 0 to 1; "
            "using the default 1");
  EXPECT_EQ(env.warnings()[1],
            "B=\"1.5\" is out of range; accepted: a number from 0 to 1; using the default 1");
  EXPECT_EQ(env.warnings()[2],
            "C=\"-0.1\" is out of range; accepted: a number from 0 to 1; using the default 1");
  EXPECT_THAT(env.warnings()[3], ::testing::HasSubstr("\"nan\" is not a number"));
  EXPECT_THAT(env.warnings()[4], ::testing::HasSubstr("\"inf\" is not a number"));
  EXPECT_THAT(env.warnings()[5], ::testing::HasSubstr("\"0.5x\" is not a number"));
}

TEST(EnvReader, DurationIsNonNegativeMilliseconds) {
  auto env = reader_for({{"A", "250"},
                         {"ZERO", "0"},
                         {"OTEL_BSP_SCHEDULE_DELAY", "-5"},
                         {"BIG", "2147483648"},
                         {"UNIT", "5s"}});
  EXPECT_EQ(env.get_duration("A", milliseconds(5000)), milliseconds(250));
  EXPECT_EQ(env.get_duration("ZERO", milliseconds(5000)), milliseconds(0));
  EXPECT_EQ(env.get_duration("UNSET", milliseconds(5000)), milliseconds(5000));
  EXPECT_EQ(env.get_duration("OTEL_BSP_SCHEDULE_DELAY", milliseconds(5000)), milliseconds(5000));
  EXPECT_EQ(env.get_duration("BIG", milliseconds(5000)), milliseconds(5000));
  EXPECT_EQ(env.get_duration("UNIT", milliseconds(5000)), milliseconds(5000));
  EXPECT_THAT(env.warnings(),
              ElementsAre("OTEL_BSP_SCHEDULE_DELAY=\"-5\" is out of range; accepted: an integer "
                          "number of milliseconds from 0 to 2147483647; using the default 5000",
                          "BIG=\"2147483648\" is out of range; accepted: an integer number of "
                          "milliseconds from 0 to 2147483647; using the default 5000",
                          "UNIT=\"5s\" is not an integer; accepted: an integer number of "
                          "milliseconds from 0 to 2147483647; using the default 5000"));
}

TEST(EnvReader, TimeoutZeroMeansNoLimit) {
  auto env = reader_for({{"A", "1500"}, {"ZERO", "0"}, {"OTEL_BSP_EXPORT_TIMEOUT", "-1"}});
  EXPECT_EQ(env.get_timeout("A", milliseconds(30000)), milliseconds(1500));
  EXPECT_EQ(env.get_timeout("ZERO", milliseconds(30000)), milliseconds::max());
  EXPECT_EQ(env.get_timeout("UNSET", milliseconds(30000)), milliseconds(30000));
  EXPECT_EQ(env.get_timeout("OTEL_BSP_EXPORT_TIMEOUT", milliseconds(30000)), milliseconds(30000));
  EXPECT_EQ(env.get_timeout("OTEL_BSP_EXPORT_TIMEOUT", milliseconds::max()), milliseconds::max());
  EXPECT_THAT(env.warnings(),
              ElementsAre("OTEL_BSP_EXPORT_TIMEOUT=\"-1\" is out of range; accepted: an integer "
                          "number of milliseconds from 0 to 2147483647, 0 meaning no limit; "
                          "using the default 30000",
                          "OTEL_BSP_EXPORT_TIMEOUT=\"-1\" is out of range; accepted: an integer "
                          "number of milliseconds from 0 to 2147483647, 0 meaning no limit; "
                          "using the default 0 (no limit)"));
}

constexpr std::array<std::string_view, 3> kColors = {"red", "green", "blue"};

TEST(EnvReader, EnumIsCaseInsensitiveAndLowercased) {
  auto env = reader_for({{"A", "GREEN"}, {"B", " Blue "}, {"E", ""}});
  EXPECT_EQ(env.get_enum("A", kColors), "green");
  EXPECT_EQ(env.get_enum("B", kColors), "blue");
  EXPECT_EQ(env.get_enum("E", kColors), std::nullopt);
  EXPECT_EQ(env.get_enum("UNSET", kColors), std::nullopt);
  EXPECT_THAT(env.warnings(), IsEmpty());
}

TEST(EnvReader, EnumWarnsOnUnknownValues) {
  auto env = reader_for({{"COLOR", "Purple"}});
  EXPECT_EQ(env.get_enum("COLOR", kColors, "the default red"), std::nullopt);
  EXPECT_EQ(env.get_enum("COLOR", kColors), std::nullopt);
  EXPECT_THAT(env.warnings(),
              ElementsAre("COLOR=\"Purple\" is not a known value; accepted: red, green, blue "
                          "(case-insensitive); using the default red",
                          "COLOR=\"Purple\" is not a known value; accepted: red, green, blue "
                          "(case-insensitive); ignored"));
}

TEST(EnvReader, ListIsTrimmedLowercasedAndDeduplicated) {
  auto env = reader_for({{"L", " Red, blue ,RED,,green , blue"}});
  EXPECT_THAT(env.get_list("L", kColors), ::testing::Optional(ElementsAre("red", "blue", "green")));
  EXPECT_EQ(env.get_list("UNSET", kColors), std::nullopt);
  EXPECT_THAT(env.warnings(), IsEmpty());
}

TEST(EnvReader, ListSkipsUnknownItemsWithAWarning) {
  auto env = reader_for({{"OTEL_TRACES_EXPORTER", "red,zipkin"}, {"ALL_BAD", "pink"}});
  EXPECT_THAT(env.get_list("OTEL_TRACES_EXPORTER", kColors),
              ::testing::Optional(ElementsAre("red")));
  EXPECT_EQ(env.get_list("ALL_BAD", kColors), std::nullopt);  // behaves as unset
  EXPECT_THAT(env.warnings(),
              ElementsAre("OTEL_TRACES_EXPORTER=\"red,zipkin\" contains the unknown item "
                          "\"zipkin\"; accepted: red, green, blue (comma-separated, "
                          "case-insensitive); skipped",
                          "ALL_BAD=\"pink\" contains the unknown item \"pink\"; accepted: red, "
                          "green, blue (comma-separated, case-insensitive); skipped"));
}

TEST(EnvReader, ListOfOnlyCommasIsUnset) {
  auto env = reader_for({{"L", " , ,"}});
  EXPECT_EQ(env.get_list("L", kColors), std::nullopt);
  EXPECT_THAT(env.warnings(), IsEmpty());
}

TEST(EnvReader, ParseListNamesItsSource) {
  auto env = reader_for({});
  EXPECT_THAT(env.parse_list("Options::traces_exporter", "Blue,x", kColors),
              ::testing::Optional(ElementsAre("blue")));
  ASSERT_EQ(env.warnings().size(), 1u);
  EXPECT_THAT(env.warnings()[0],
              ::testing::StartsWith("Options::traces_exporter=\"Blue,x\" contains the unknown"));
}

TEST(EnvReader, WarningsEscapeControlCharactersAndQuotes) {
  auto env = reader_for({{"A", "a\"b\\c\nd"}});
  env.get_bool("A", false);
  ASSERT_EQ(env.warnings().size(), 1u);
  EXPECT_THAT(env.warnings()[0], ::testing::StartsWith(R"(A="a\"b\\c\x0ad" is not a boolean)"));
}

TEST(EnvReader, WarnRecords) {
  auto env = reader_for({});
  env.warn("one");
  env.warn("two");
  EXPECT_THAT(env.warnings(), ElementsAre("one", "two"));
}

TEST(EnvHelpers, TrimNormalizeAndQuote) {
  EXPECT_EQ(trim_whitespace(" \t a b \r\n"), "a b");
  EXPECT_EQ(trim_whitespace("   "), "");
  EXPECT_EQ(normalize_word("  Parentbased_Always_ON "), "parentbased_always_on");
  EXPECT_EQ(quoted("plain"), "\"plain\"");
  EXPECT_EQ(quoted("tab\there"), "\"tab\\x09here\"");
}

// --- OTEL_RESOURCE_ATTRIBUTES ---

std::vector<KeyValue> parse_ok(std::string_view value) {
  std::string error;
  auto r = parse_resource_attributes(value, &error);
  EXPECT_TRUE(r.has_value()) << value << ": " << error;
  return r.value_or(std::vector<KeyValue>{});
}

std::string parse_error(std::string_view value) {
  std::string error;
  auto r = parse_resource_attributes(value, &error);
  EXPECT_FALSE(r.has_value()) << value;
  return error;
}

TEST(ResourceAttributes, ParsesPairs) {
  EXPECT_THAT(parse_ok("k1=v1,k2=v2"), ElementsAre(KeyValue{"k1", "v1"}, KeyValue{"k2", "v2"}));
  EXPECT_THAT(parse_ok("service.name=checkout"), ElementsAre(KeyValue{"service.name", "checkout"}));
  EXPECT_THAT(parse_ok(""), IsEmpty());
}

TEST(ResourceAttributes, TrimsWhitespaceAroundKeysAndValues) {
  EXPECT_THAT(parse_ok(" k1 = v1 ,\tk2=v 2\t"),
              ElementsAre(KeyValue{"k1", "v1"}, KeyValue{"k2", "v 2"}));
}

TEST(ResourceAttributes, PercentDecodes) {
  EXPECT_THAT(parse_ok("a%3Db=c%2Cd,e=%25,f=%20x%20,g=caf%C3%A9,h=a+b"),
              ElementsAre(KeyValue{"a=b", "c,d"}, KeyValue{"e", "%"}, KeyValue{"f", " x "},
                          KeyValue{"g", "caf\xC3\xA9"}, KeyValue{"h", "a+b"}));
  EXPECT_THAT(parse_ok("lower=%2c%3d"), ElementsAre(KeyValue{"lower", ",="}));
}

TEST(ResourceAttributes, KeepsEmptyValuesAndEqualsInValues) {
  EXPECT_THAT(parse_ok("a=,b=x=y"), ElementsAre(KeyValue{"a", ""}, KeyValue{"b", "x=y"}));
}

TEST(ResourceAttributes, SkipsEmptyMembers) {
  EXPECT_THAT(parse_ok(",a=1,, ,b=2,"), ElementsAre(KeyValue{"a", "1"}, KeyValue{"b", "2"}));
}

TEST(ResourceAttributes, DuplicateKeyKeepsFirstPositionAndLastValue) {
  EXPECT_THAT(parse_ok("a=1,b=2,a=3"), ElementsAre(KeyValue{"a", "3"}, KeyValue{"b", "2"}));
}

TEST(ResourceAttributes, RejectsTheWholeValueOnMissingEquals) {
  EXPECT_EQ(parse_error("a=1,broken,c=3"), "member \"broken\" has no '='");
}

TEST(ResourceAttributes, RejectsEmptyKeys) {
  EXPECT_EQ(parse_error("a=1,=2"), "member \"=2\" has an empty key");
  EXPECT_EQ(parse_error(" = x"), "member \"= x\" has an empty key");
}

TEST(ResourceAttributes, RejectsBadPercentEscapes) {
  EXPECT_EQ(parse_error("a=%zz"),
            "member \"a=%zz\" has the bad percent-escape \"%zz\" (expected % and two hex digits)");
  EXPECT_EQ(parse_error("a=1,b=x%4"),
            "member \"b=x%4\" has the bad percent-escape \"%4\" (expected % and two hex digits)");
  EXPECT_EQ(parse_error("k%g1=v"),
            "member \"k%g1=v\" has the bad percent-escape \"%g1\" (expected % and two hex "
            "digits)");
  EXPECT_EQ(parse_error("a=%"),
            "member \"a=%\" has the bad percent-escape \"%\" (expected % and two hex digits)");
}

TEST(ResourceAttributes, NullErrorPointerIsAllowed) {
  EXPECT_EQ(parse_resource_attributes("broken", nullptr), std::nullopt);
}

}  // namespace
}  // namespace adminara::obs::config
