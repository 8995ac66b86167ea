#include "export/prometheus/naming.h"

#include <array>
#include <utility>

#include "common/strings.h"
#include "common/utf8.h"

namespace adminara::obs::prometheus {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Replaces characters outside [a-zA-Z0-9_] (plus ':' when `allow_colon`) by '_' and collapses
// runs of '_'. Multi-byte UTF-8 characters become one '_' each run, as they are "outside".
std::string replace_invalid(std::string_view name, bool allow_colon) {
  std::string out;
  out.reserve(name.size() + 4);
  for (char c : name) {
    bool ok = is_alpha(c) || is_digit(c) || c == '_' || (allow_colon && c == ':');
    char w = ok ? c : '_';
    if (w == '_' && !out.empty() && out.back() == '_') continue;
    out.push_back(w);
  }
  return out;
}

// UCUM units the OpenTelemetry specification ("Prometheus and OpenMetrics Compatibility") and
// prometheus/otlptranslator map to words.
constexpr std::array<std::pair<std::string_view, std::string_view>, 27> kUnitWords{{
    {"d", "days"},         {"h", "hours"},         {"min", "minutes"},
    {"s", "seconds"},      {"ms", "milliseconds"}, {"us", "microseconds"},
    {"ns", "nanoseconds"}, {"By", "bytes"},        {"KiBy", "kibibytes"},
    {"MiBy", "mebibytes"}, {"GiBy", "gibibytes"},  {"TiBy", "tebibytes"},
    {"kBy", "kilobytes"},  {"KBy", "kilobytes"},   {"MBy", "megabytes"},
    {"GBy", "gigabytes"},  {"TBy", "terabytes"},   {"m", "meters"},
    {"V", "volts"},        {"A", "amperes"},       {"J", "joules"},
    {"W", "watts"},        {"g", "grams"},         {"Cel", "celsius"},
    {"Hz", "hertz"},       {"%", "percent"},       {"1", ""},
}};

// Units after '/' take the singular word ("m/s" -> "meters_per_second").
constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kPerUnitWords{{
    {"s", "second"},
    {"m", "minute"},
    {"h", "hour"},
    {"d", "day"},
    {"w", "week"},
    {"mo", "month"},
    {"y", "year"},
}};

template <std::size_t N>
std::string word_from(const std::array<std::pair<std::string_view, std::string_view>, N>& table,
                      std::string_view unit) {
  for (const auto& [ucum, word] : table) {
    if (ucum == unit) return std::string(word);
  }
  // Unknown units pass through, reduced to label-safe characters without edge underscores.
  std::string out = replace_invalid(unit, /*allow_colon=*/false);
  while (!out.empty() && out.front() == '_') out.erase(out.begin());
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

// Appends `s` escaped; `escape_quotes` selects whether '"' is escaped. One pass: runs of plain
// bytes are appended in one call; invalid UTF-8 bytes become U+FFFD.
void append_escaped(std::string& out, std::string_view s, bool escape_quotes) {
  std::size_t run = 0;  // start of the pending run of bytes that need no change
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c != '\\' && c != '\n' && (c != '"' || !escape_quotes)) {
        ++i;
        continue;
      }
      out.append(s.data() + run, i - run);
      out.push_back('\\');
      out.push_back(c == '\n' ? 'n' : static_cast<char>(c));
      run = ++i;
      continue;
    }
    std::size_t len = common::utf8_sequence_length(s, i);
    if (len != 0) {
      i += len;
      continue;
    }
    out.append(s.data() + run, i - run);
    out.append("\xEF\xBF\xBD");
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
}

}  // namespace

std::string sanitize_metric_name(std::string_view name) {
  std::string out = replace_invalid(name, /*allow_colon=*/true);
  if (!out.empty() && is_digit(out.front())) out.insert(out.begin(), '_');
  return out;
}

std::string sanitize_label_name(std::string_view name) {
  std::string out = replace_invalid(name, /*allow_colon=*/false);
  if (out.empty()) return out;
  if (is_digit(out.front())) {
    out.insert(0, "key_");
  } else if (out.front() == '_') {
    out.insert(0, "key");
  }
  return out;
}

std::string unit_word(std::string_view ucum_unit) {
  // Drop {annotations}; an unterminated '{' drops the rest.
  std::string unit;
  for (std::size_t i = 0; i < ucum_unit.size(); ++i) {
    if (ucum_unit[i] == '{') {
      std::size_t close = ucum_unit.find('}', i);
      if (close == std::string_view::npos) break;
      i = close;
      continue;
    }
    unit.push_back(ucum_unit[i]);
  }
  std::string_view u = common::trim_ows(unit);
  std::size_t slash = u.find('/');
  std::string main_word = word_from(kUnitWords, common::trim_ows(u.substr(0, slash)));
  if (slash == std::string_view::npos) return main_word;
  std::string per_word = word_from(kPerUnitWords, common::trim_ows(u.substr(slash + 1)));
  if (per_word.empty()) return main_word;
  if (main_word.empty()) return "per_" + per_word;
  return main_word + "_per_" + per_word;
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  append_escaped(out, value, /*escape_quotes=*/true);
}

void append_escaped_help(std::string& out, std::string_view help, bool escape_quotes) {
  append_escaped(out, help, escape_quotes);
}

}  // namespace adminara::obs::prometheus
