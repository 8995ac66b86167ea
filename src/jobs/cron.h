// Cron expressions for repeat schedules: parsing (with errors that name the field and the
// accepted form) and the next matching time, in UTC.
//
// Syntax: 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds
// field; each field a comma list of `*`, `?` (day fields), values, ranges `a-b` and steps
// (`*/n`, `a/n`, `a-b/n`); month names JAN-DEC and day names SUN-SAT in any case; day-of-week 0
// or 7 is Sunday; @yearly @annually @monthly @weekly @daily @midnight @hourly. When both day
// fields are restricted, a day matches if either does (cron's OR rule); a day field that covers
// its whole range counts as unrestricted (as cron-parser, which BullMQ uses, does).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>

namespace adminara::obs::jobs::detail {

class CronExpression {
 public:
  /// Throws ScheduleError (adminara/obs/jobs.h) naming the field and the accepted form.
  static CronExpression parse(std::string_view expression);
  /// The first matching second strictly after `after_ms` (Unix ms), in Unix ms; nullopt when
  /// nothing matches within 400 years (e.g. `0 0 30 2 *`).
  std::optional<std::int64_t> next_after(std::int64_t after_ms) const;

 private:
  bool day_matches(int year, int month, int day) const;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0..6, Sunday = 0
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace adminara::obs::jobs::detail
