#include "sdk/config/env.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <system_error>
#include <utility>

namespace adminara::obs::config {
namespace {

// OTel requires at least 0..2^31-1 for integers; durations and timeouts stop there too, so that
// adding one to a clock reading can never overflow.
constexpr std::int64_t kMaxMillis = std::numeric_limits<std::int32_t>::max();

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string_view trim_whitespace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(kSpace);
  return s.substr(first, last - first + 1);
}

std::string normalize_word(std::string_view value) {
  return lower(trim_whitespace(value));
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

namespace {

std::string join(std::span<const std::string_view> items) {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string then_text(std::string_view fallback) {
  return fallback.empty() ? std::string("ignored") : "using " + std::string(fallback);
}

std::string format_number(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

// "+5" is accepted like "5"; std::from_chars alone rejects the sign.
std::string_view without_plus(std::string_view s) {
  if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  return s;
}

bool contains(std::span<const std::string_view> items, std::string_view s) {
  for (std::string_view item : items) {
    if (item == s) return true;
  }
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out, std::string& bad) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    const int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
    const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      bad = in.substr(i, 3);
      return false;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

EnvReader::EnvReader(Getter getter) : getter_(std::move(getter)) {
  if (!getter_) {
    getter_ = [](std::string_view name) -> std::optional<std::string> {
      const char* v = std::getenv(std::string(name).c_str());
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
  }
}

std::optional<std::string> EnvReader::raw(std::string_view name) const {
  std::optional<std::string> v = getter_(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

void EnvReader::warn(std::string message) {
  // Tracing, metrics and the profiler each read OTEL_SDK_DISABLED: one bad value, one warning.
  if (std::find(warnings_.begin(), warnings_.end(), message) != warnings_.end()) return;
  warnings_.push_back(std::move(message));
}

bool EnvReader::get_bool(std::string_view name, bool def) {
  const auto v = raw(name);
  if (!v) return def;
  const std::string t = normalize_word(*v);
  if (t.empty()) return def;
  if (t == "true") return true;
  if (t == "false") return false;
  warn(std::string(name) + "=" + quoted(*v) +
       " is not a boolean; accepted: true or false (case-insensitive); using the default " +
       (def ? "true" : "false"));
  return def;
}

std::optional<std::int64_t> EnvReader::parse_int(std::string_view name, std::int64_t min,
                                                 std::int64_t max, std::string_view accepted,
                                                 std::string_view fallback) {
  const auto v = raw(name);
  if (!v) return std::nullopt;
  const std::string_view t = without_plus(trim_whitespace(*v));
  if (t.empty()) return std::nullopt;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  const char* problem = nullptr;
  if (ec == std::errc::result_out_of_range && end == t.data() + t.size()) {
    problem = "is out of range";
  } else if (ec != std::errc() || end != t.data() + t.size()) {
    problem = "is not an integer";
  } else if (n < min || n > max) {
    problem = "is out of range";
  }
  if (problem == nullptr) return n;
  warn(std::string(name) + "=" + quoted(*v) + " " + problem +
       "; accepted: " + std::string(accepted) + "; " + then_text(fallback));
  return std::nullopt;
}

std::optional<std::int64_t> EnvReader::find_int(std::string_view name, std::int64_t min,
                                                std::int64_t max, std::string_view fallback) {
  const std::string accepted =
      "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  return parse_int(name, min, max, accepted, fallback);
}

std::int64_t EnvReader::get_int(std::string_view name, std::int64_t def, std::int64_t min,
                                std::int64_t max) {
  return find_int(name, min, max, "the default " + std::to_string(def)).value_or(def);
}

double EnvReader::get_double(std::string_view name, double def, double min, double max) {
  const auto v = raw(name);
  if (!v) return def;
  const std::string_view t = without_plus(trim_whitespace(*v));
  if (t.empty()) return def;
  double d = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  const char* problem = nullptr;
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(d)) {
    problem = "is not a number";
  } else if (d < min || d > max) {
    problem = "is out of range";
  }
  if (problem == nullptr) return d;
  warn(std::string(name) + "=" + quoted(*v) + " " + problem + "; accepted: a number from " +
       format_number(min) + " to " + format_number(max) + "; using the default " +
       format_number(def));
  return def;
}

std::optional<std::chrono::milliseconds> EnvReader::parse_millis(std::string_view name,
                                                                 bool zero_is_no_limit,
                                                                 std::string_view fallback) {
  const std::string accepted =
      zero_is_no_limit
          ? "an integer number of milliseconds from 0 to " + std::to_string(kMaxMillis) +
                ", 0 meaning no limit"
          : "an integer number of milliseconds from 0 to " + std::to_string(kMaxMillis);
  const auto n = parse_int(name, 0, kMaxMillis, accepted, fallback);
  if (!n) return std::nullopt;
  if (*n == 0 && zero_is_no_limit) return std::chrono::milliseconds::max();
  return std::chrono::milliseconds(*n);
}

std::chrono::milliseconds EnvReader::get_duration(std::string_view name,
                                                  std::chrono::milliseconds def) {
  return parse_millis(name, false, "the default " + std::to_string(def.count())).value_or(def);
}

std::chrono::milliseconds EnvReader::get_timeout(std::string_view name,
                                                 std::chrono::milliseconds def) {
  const std::string fallback = def == std::chrono::milliseconds::max()
                                   ? std::string("the default 0 (no limit)")
                                   : "the default " + std::to_string(def.count());
  return parse_millis(name, true, fallback).value_or(def);
}

std::optional<std::string> EnvReader::get_enum(std::string_view name,
                                               std::span<const std::string_view> accepted,
                                               std::string_view fallback) {
  const auto v = raw(name);
  if (!v) return std::nullopt;
  std::string t = normalize_word(*v);
  if (t.empty()) return std::nullopt;
  if (contains(accepted, t)) return t;
  warn(std::string(name) + "=" + quoted(*v) + " is not a known value; accepted: " + join(accepted) +
       " (case-insensitive); " + then_text(fallback));
  return std::nullopt;
}

std::optional<std::vector<std::string>> EnvReader::get_list(
    std::string_view name, std::span<const std::string_view> accepted) {
  const auto v = raw(name);
  if (!v) return std::nullopt;
  return parse_list(name, *v, accepted);
}

std::optional<std::vector<std::string>> EnvReader::parse_list(
    std::string_view name, std::string_view value, std::span<const std::string_view> accepted) {
  std::vector<std::string> items;
  std::string_view rest = value;
  while (true) {
    const auto comma = rest.find(',');
    const std::string item = normalize_word(rest.substr(0, comma));
    if (!item.empty()) {
      if (!contains(accepted, item)) {
        warn(std::string(name) + "=" + quoted(value) + " contains the unknown item " +
             quoted(item) + "; accepted: " + join(accepted) +
             " (comma-separated, case-insensitive); skipped");
      } else if (std::find(items.begin(), items.end(), item) == items.end()) {
        items.push_back(item);
      }
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (items.empty()) return std::nullopt;
  return items;
}

std::string for_each_list_member(
    std::string_view list,
    const std::function<std::string(std::string_view key, std::string_view value,
                                    std::string_view whole)>& member,
    bool secret_values) {
  std::string_view rest = list;
  int index = 0;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view whole = trim_whitespace(rest.substr(0, comma));
    if (!whole.empty()) {
      ++index;
      const std::string name =
          secret_values ? "member " + std::to_string(index) : "member " + quoted(whole);
      const auto eq = whole.find('=');
      if (eq == std::string_view::npos) return name + " has no '='";
      const std::string_view key = trim_whitespace(whole.substr(0, eq));
      if (key.empty()) return name + " has an empty key";
      std::string problem = member(key, trim_whitespace(whole.substr(eq + 1)), whole);
      if (!problem.empty()) return problem;
    }
    if (comma == std::string_view::npos) return {};
    rest.remove_prefix(comma + 1);
  }
}

std::string bad_escape_message(std::string_view member, std::string_view bad) {
  return "member " + quoted(member) + " has the bad percent-escape " + quoted(bad) +
         " (expected % and two hex digits)";
}

std::optional<std::vector<KeyValue>> parse_resource_attributes(std::string_view value,
                                                               std::string* error) {
  std::vector<KeyValue> out;
  std::string key;
  std::string decoded;
  std::string bad;
  std::string problem = for_each_list_member(
      value, [&](std::string_view raw_key, std::string_view raw_value, std::string_view whole) {
        if (!percent_decode(raw_key, key, bad) || !percent_decode(raw_value, decoded, bad)) {
          return bad_escape_message(whole, bad);
        }
        auto it =
            std::find_if(out.begin(), out.end(), [&](const KeyValue& kv) { return kv.key == key; });
        if (it != out.end()) {
          it->value = AttributeValue(decoded);
        } else {
          out.push_back(KeyValue{key, AttributeValue(decoded)});
        }
        return std::string();
      });
  if (!problem.empty()) {
    if (error != nullptr) *error = std::move(problem);
    return std::nullopt;
  }
  return out;
}

}  // namespace adminara::obs::config
