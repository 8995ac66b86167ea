// Cron parsing and next-run computation (UTC): fields, names, steps, month ends, leap days, the
// day-of-month / day-of-week OR rule, and errors that name the field and the accepted form.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "adminara/obs/jobs.h"

namespace adminara::obs::jobs {
namespace {

using ::testing::HasSubstr;

// Unix ms of a UTC date and time.
TimeMs utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  y -= mo <= 2;
  const TimeMs era = y / 400;
  const TimeMs yoe = y - era * 400;
  const TimeMs doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const TimeMs doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const TimeMs days = era * 146097 + doe - 719468;
  return ((days * 24 + h) * 60 + mi) * 60000 + s * 1000;
}

TimeMs next(std::string_view expr, TimeMs after) {
  auto n = next_cron_run(expr, after);
  EXPECT_TRUE(n.has_value()) << expr;
  return n.value_or(0);
}

TEST(Cron, EveryMinuteAndStrictlyAfter) {
  EXPECT_EQ(next("* * * * *", utc(2026, 3, 1, 10, 0, 0)), utc(2026, 3, 1, 10, 1));
  EXPECT_EQ(next("* * * * *", utc(2026, 3, 1, 10, 0, 30)), utc(2026, 3, 1, 10, 1));
  EXPECT_EQ(next("*/15 * * * *", utc(2026, 3, 1, 10, 14, 59)), utc(2026, 3, 1, 10, 15));
  EXPECT_EQ(next("*/15 * * * *", utc(2026, 3, 1, 23, 45)), utc(2026, 3, 2, 0, 0));
}

TEST(Cron, SixFieldsWithSeconds) {
  EXPECT_EQ(next("*/10 * * * * *", utc(2026, 3, 1, 10, 0, 0) + 1), utc(2026, 3, 1, 10, 0, 10));
  EXPECT_EQ(next("30 0 12 * * *", utc(2026, 3, 1, 12, 0, 30)), utc(2026, 3, 2, 12, 0, 30));
  EXPECT_EQ(next("0-4/2 * * * * *", utc(2026, 3, 1, 10, 0, 4)), utc(2026, 3, 1, 10, 1, 0));
}

TEST(Cron, MonthEndsSkipMonthsWithoutTheDay) {
  // The 31st: skips February, April, June ...
  EXPECT_EQ(next("0 0 31 * *", utc(2026, 1, 31, 0, 0)), utc(2026, 3, 31));
  EXPECT_EQ(next("0 0 31 * *", utc(2026, 3, 31, 0, 0)), utc(2026, 5, 31));
  EXPECT_EQ(next("0 0 30 * *", utc(2026, 1, 30, 0, 0)), utc(2026, 3, 30));
  // Last days around the year end and in a leap year.
  EXPECT_EQ(next("59 23 31 12 *", utc(2026, 6, 1)), utc(2026, 12, 31, 23, 59));
  EXPECT_EQ(next("0 12 29 2 *", utc(2026, 1, 1)), utc(2028, 2, 29, 12, 0));
  EXPECT_EQ(next("0 0 28-31 2 *", utc(2027, 2, 28)), utc(2028, 2, 28));
  EXPECT_EQ(next("0 0 28-31 2 *", utc(2028, 2, 28)), utc(2028, 2, 29));
  // 2100 is not a leap year.
  EXPECT_EQ(next("0 0 29 2 *", utc(2096, 3, 1)), utc(2104, 2, 29));
}

TEST(Cron, NamesRangesAndLists) {
  // 2026-03-06 is a Friday.
  EXPECT_EQ(next("0 9 * * MON-FRI", utc(2026, 3, 6, 9, 0)), utc(2026, 3, 9, 9, 0));
  EXPECT_EQ(next("0 9 * * sat,SUN", utc(2026, 3, 6, 9, 0)), utc(2026, 3, 7, 9, 0));
  EXPECT_EQ(next("0 0 1 jan,JUL *", utc(2026, 2, 1)), utc(2026, 7, 1));
  EXPECT_EQ(next("0 0 * * 7", utc(2026, 3, 6)), utc(2026, 3, 8));  // 7 = Sunday
  EXPECT_EQ(next("0 0 * * 0", utc(2026, 3, 6)), utc(2026, 3, 8));
  EXPECT_EQ(next("5,10-12 3 * * *", utc(2026, 3, 6, 3, 5)), utc(2026, 3, 6, 3, 10));
  EXPECT_EQ(next("0 0 1 2/3 *", utc(2026, 3, 1)), utc(2026, 5, 1));
}

TEST(Cron, DayOfMonthOrDayOfWeek) {
  // Both restricted: the 13th OR any Friday. 2026-03-06 is a Friday, 2026-03-13 also.
  EXPECT_EQ(next("0 0 13 * FRI", utc(2026, 3, 6)), utc(2026, 3, 13));
  EXPECT_EQ(next("0 0 13 * FRI", utc(2026, 3, 13)), utc(2026, 3, 20));
  EXPECT_EQ(next("0 0 10 * MON", utc(2026, 3, 6)), utc(2026, 3, 9));
  // Only one restricted: that one alone.
  EXPECT_EQ(next("0 0 13 * *", utc(2026, 3, 6)), utc(2026, 3, 13));
  EXPECT_EQ(next("0 0 ? * MON", utc(2026, 3, 6)), utc(2026, 3, 9));
  EXPECT_EQ(next("0 0 * * 0-6", utc(2026, 3, 6)), utc(2026, 3, 7));
}

TEST(Cron, Macros) {
  EXPECT_EQ(next("@daily", utc(2026, 3, 6, 5)), utc(2026, 3, 7));
  EXPECT_EQ(next("@hourly", utc(2026, 3, 6, 5, 1)), utc(2026, 3, 6, 6));
  EXPECT_EQ(next("@monthly", utc(2026, 3, 6)), utc(2026, 4, 1));
  EXPECT_EQ(next("@yearly", utc(2026, 3, 6)), utc(2027, 1, 1));
  EXPECT_EQ(next("@weekly", utc(2026, 3, 6)), utc(2026, 3, 8));
}

TEST(Cron, NeverMatching) {
  EXPECT_FALSE(next_cron_run("0 0 30 2 *", utc(2026, 1, 1)).has_value());
  EXPECT_FALSE(next_cron_run("0 0 31 4,6,9,11 *", utc(2026, 1, 1)).has_value());
}

std::string error_of(std::string_view expr) {
  try {
    validate_cron(expr);
  } catch (const ScheduleError& e) {
    return e.what();
  }
  return "<no error>";
}

TEST(Cron, InvalidExpressionsNameTheFieldAndTheAcceptedForm) {
  EXPECT_THAT(error_of("61 * * * *"), HasSubstr("minute field \"61\""));
  EXPECT_THAT(error_of("61 * * * *"), HasSubstr("accepted: 0-59"));
  EXPECT_THAT(error_of("* 24 * * *"), HasSubstr("hour field"));
  EXPECT_THAT(error_of("* * 0 * *"), HasSubstr("day-of-month field"));
  EXPECT_THAT(error_of("* * * 13 *"), HasSubstr("month field"));
  EXPECT_THAT(error_of("* * * 13 *"), HasSubstr("JAN-DEC"));
  EXPECT_THAT(error_of("* * * * 8"), HasSubstr("day-of-week field"));
  EXPECT_THAT(error_of("* * * * FRIDAY"), HasSubstr("day-of-week field"));
  EXPECT_THAT(error_of("60 * * * * *"), HasSubstr("second field"));
  EXPECT_THAT(error_of("*/0 * * * *"), HasSubstr("step"));
  EXPECT_THAT(error_of("5-1 * * * *"), HasSubstr("range start is after its end"));
  EXPECT_THAT(error_of("1,,2 * * * *"), HasSubstr("empty list item"));
  EXPECT_THAT(error_of("* * * *"), HasSubstr("has 4 fields; accepted: 5 fields"));
  EXPECT_THAT(error_of("* * * * * * *"), HasSubstr("has 7 fields"));
  EXPECT_THAT(error_of(""), HasSubstr("has 0 fields"));
  EXPECT_THAT(error_of("@often"), HasSubstr("unknown macro"));
  EXPECT_THAT(error_of("? * * * *"), HasSubstr("minute field"));
  EXPECT_THAT(error_of("a-b * * * *"), HasSubstr("is not a value"));
}

}  // namespace
}  // namespace adminara::obs::jobs
