#include "jobs/cron.h"

#include <array>
#include <charconv>
#include <string>
#include <vector>

#include "adminara/obs/jobs.h"

namespace adminara::obs::jobs::detail {
namespace {

struct FieldSpec {
  const char* name;
  int min;
  int max;                   // inclusive (day-of-week accepts 7 for Sunday)
  const char* const* names;  // null or (max - min + 1) names for min..max
  int name_base;             // value of names[0]
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr FieldSpec kSecond{"second", 0, 59, nullptr, 0};
constexpr FieldSpec kMinute{"minute", 0, 59, nullptr, 0};
constexpr FieldSpec kHour{"hour", 0, 23, nullptr, 0};
constexpr FieldSpec kDay{"day-of-month", 1, 31, nullptr, 0};
constexpr FieldSpec kMonth{"month", 1, 12, kMonthNames, 1};
constexpr FieldSpec kWeekday{"day-of-week", 0, 7, kDayNames, 0};

std::string accepted_form(const FieldSpec& f) {
  std::string s = std::to_string(f.min) + "-" + std::to_string(f.max);
  if (f.names == kMonthNames) s += " or JAN-DEC";
  if (f.names == kDayNames) s += " (0 and 7 are Sunday) or SUN-SAT";
  s += ", *";
  if (&f == &kDay || &f == &kWeekday) s += ", ?";
  s += ", lists (a,b), ranges (a-b) and steps (*/n, a/n, a-b/n)";
  return s;
}

// `s` in double quotes for an error message: control and non-ASCII bytes as \xNN, at most 100
// bytes of it.
std::string error_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < 100; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 100) out += "...";
  out += '"';
  return out;
}

[[noreturn]] void fail(std::string_view expr, const FieldSpec& f, std::string_view text,
                       std::string_view why) {
  throw ScheduleError("cron expression " + error_quote(expr) + ": " + f.name + " field " +
                      error_quote(text) + ": " + std::string(why) +
                      "; accepted: " + accepted_form(f));
}

char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// A number or a name of the field; nullopt when it is neither.
std::optional<int> parse_value(std::string_view s, const FieldSpec& f) {
  if (s.empty()) return std::nullopt;
  if (s[0] >= '0' && s[0] <= '9') {
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
  }
  if (f.names == nullptr || s.size() != 3) return std::nullopt;
  const int count = f.names == kMonthNames ? 12 : 7;
  for (int i = 0; i < count; ++i) {
    const char* n = f.names[i];
    if (upper(s[0]) == n[0] && upper(s[1]) == n[1] && upper(s[2]) == n[2]) return f.name_base + i;
  }
  return std::nullopt;
}

// Parses one field into `bits` (indexed by value). Returns false when the field is `*`/`?`.
template <std::size_t N>
bool parse_field(std::string_view expr, std::string_view field, const FieldSpec& f,
                 std::bitset<N>& bits) {
  if (field.empty()) fail(expr, f, field, "empty");
  bool all = false;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = field.find(',', start);
    const std::string_view item = field.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) fail(expr, f, field, "empty list item");
    std::string_view range = item;
    int step = 1;
    bool has_step = false;
    if (const std::size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const std::string_view st = item.substr(slash + 1);
      int v = 0;
      auto [p, ec] = std::from_chars(st.data(), st.data() + st.size(), v);
      if (st.empty() || ec != std::errc() || p != st.data() + st.size() || v < 1 || v > f.max) {
        fail(expr, f, field, "step " + error_quote(st) + " must be 1-" + std::to_string(f.max));
      }
      step = v;
      has_step = true;
    }
    int lo = 0;
    int hi = 0;
    if (range == "*" || (range == "?" && (&f == &kDay || &f == &kWeekday))) {
      lo = f.min;
      hi = (&f == &kWeekday) ? 6 : f.max;
      if (!has_step) all = true;
    } else {
      const std::size_t dash = range.find('-', 1);
      const std::string_view a = range.substr(0, dash);
      auto va = parse_value(a, f);
      if (!va) fail(expr, f, field, error_quote(a) + " is not a value");
      lo = *va;
      if (dash != std::string_view::npos) {
        const std::string_view b = range.substr(dash + 1);
        auto vb = parse_value(b, f);
        if (!vb) fail(expr, f, field, error_quote(b) + " is not a value");
        hi = *vb;
      } else {
        hi = has_step ? f.max : lo;  // `a/n` runs from a to the end of the range
      }
      if (lo < f.min || lo > f.max || hi < f.min || hi > f.max) {
        fail(expr, f, field, "value out of range");
      }
      if (lo > hi) fail(expr, f, field, "range start is after its end");
    }
    for (int v = lo; v <= hi; v += step) {
      const int idx = (&f == &kWeekday && v == 7) ? 0 : v;
      bits.set(static_cast<std::size_t>(idx));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return !all;
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

CronExpression CronExpression::parse(std::string_view expression) {
  std::string_view e = trim(expression);
  if (!e.empty() && e[0] == '@') {
    std::string lower;
    for (char c : e) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower == "@yearly" || lower == "@annually") return parse("0 0 1 1 *");
    if (lower == "@monthly") return parse("0 0 1 * *");
    if (lower == "@weekly") return parse("0 0 * * 0");
    if (lower == "@daily" || lower == "@midnight") return parse("0 0 * * *");
    if (lower == "@hourly") return parse("0 * * * *");
    throw ScheduleError("cron expression " + error_quote(expression) +
                        ": unknown macro; accepted: @yearly, @annually, @monthly, @weekly, "
                        "@daily, @midnight, @hourly");
  }
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < e.size()) {
    while (i < e.size() && (e[i] == ' ' || e[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < e.size() && e[i] != ' ' && e[i] != '\t') ++i;
    if (i > start) fields.push_back(e.substr(start, i - start));
  }
  if (fields.size() != 5 && fields.size() != 6) {
    throw ScheduleError("cron expression " + error_quote(expression) + ": has " +
                        std::to_string(fields.size()) +
                        " fields; accepted: 5 fields (minute hour day-of-month month "
                        "day-of-week) or 6 (second minute hour day-of-month month day-of-week), "
                        "or a macro such as @daily");
  }
  CronExpression c;
  std::size_t f = 0;
  if (fields.size() == 6) {
    parse_field(expression, fields[f++], kSecond, c.seconds_);
  } else {
    c.seconds_.set(0);
  }
  parse_field(expression, fields[f++], kMinute, c.minutes_);
  parse_field(expression, fields[f++], kHour, c.hours_);
  parse_field(expression, fields[f++], kDay, c.days_);
  parse_field(expression, fields[f++], kMonth, c.months_);
  parse_field(expression, fields[f++], kWeekday, c.weekdays_);
  // A day field covering its whole range is unrestricted, however it was written.
  c.days_restricted_ = (c.days_ >> 1).count() != 31;
  c.weekdays_restricted_ = c.weekdays_.count() != 7;
  return c;
}

bool CronExpression::day_matches(int year, int month, int day) const {
  const bool dom = days_.test(static_cast<std::size_t>(day));
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int wd = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  const bool dow = weekdays_.test(static_cast<std::size_t>(wd));
  if (days_restricted_ && weekdays_restricted_) return dom || dow;
  if (days_restricted_) return dom;
  if (weekdays_restricted_) return dow;
  return true;
}

std::optional<std::int64_t> CronExpression::next_after(std::int64_t after_ms) const {
  // The first whole second strictly after `after_ms`.
  std::int64_t secs = (after_ms >= 0 ? after_ms / 1000 : (after_ms - 999) / 1000) + 1;
  std::int64_t day_index = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  std::int64_t sod = secs - day_index * 86400;
  int y = 0;
  int mo = 0;
  int d = 0;
  civil_from_days(day_index, y, mo, d);
  int h = static_cast<int>(sod / 3600);
  int mi = static_cast<int>(sod % 3600 / 60);
  int s = static_cast<int>(sod % 60);
  const int last_year = y + 400;
  while (true) {
    if (s > 59) {
      s = 0;
      ++mi;
    }
    if (mi > 59) {
      mi = 0;
      ++h;
    }
    if (h > 23) {
      h = 0;
      ++d;
    }
    // The month first: a skipped month leaves mo at 13 with d = 1.
    if (mo > 12) {
      mo = 1;
      ++y;
    }
    if (d > days_in_month(y, mo)) {
      d = 1;
      if (++mo > 12) {
        mo = 1;
        ++y;
      }
    }
    if (y > last_year) return std::nullopt;
    if (!months_.test(static_cast<std::size_t>(mo))) {
      ++mo;
      d = 1;
      h = 0;
      mi = 0;
      s = 0;
      continue;
    }
    if (!day_matches(y, mo, d)) {
      ++d;
      h = 0;
      mi = 0;
      s = 0;
      continue;
    }
    if (!hours_.test(static_cast<std::size_t>(h))) {
      ++h;
      mi = 0;
      s = 0;
      continue;
    }
    if (!minutes_.test(static_cast<std::size_t>(mi))) {
      ++mi;
      s = 0;
      continue;
    }
    if (!seconds_.test(static_cast<std::size_t>(s))) {
      ++s;
      continue;
    }
    const std::int64_t days =
        days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return (days * 86400 + h * 3600 + mi * 60 + s) * 1000;
  }
}

}  // namespace adminara::obs::jobs::detail

namespace adminara::obs::jobs {

void validate_cron(std::string_view expression) {
  (void)detail::CronExpression::parse(expression);
}

std::optional<TimeMs> next_cron_run(std::string_view expression, TimeMs after) {
  return detail::CronExpression::parse(expression).next_after(after);
}

}  // namespace adminara::obs::jobs
