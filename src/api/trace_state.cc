// W3C tracestate (W3C Trace Context, section 3.3). Keys follow the Level 2 grammar as the W3C test
// suite checks it at strict level 2: a simple key, or `tenant@system` with at most one '@'.
#include <algorithm>

#include "adminara/obs/span_context.h"
#include "api/header_list.h"

namespace adminara::obs {
namespace {

constexpr std::size_t kMaxKeyChars = 256;
constexpr std::size_t kMaxTenantChars = 241;
constexpr std::size_t kMaxSystemChars = 14;
constexpr std::size_t kMaxValueChars = 256;

constexpr bool is_lcalpha(char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_key_char(char c) {
  return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

// One '@'-free key segment: 1..max characters, the first accepted by `first_ok`.
template <class FirstOk>
bool is_valid_segment(std::string_view s, std::size_t max, FirstOk first_ok) {
  if (s.empty() || s.size() > max || !first_ok(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), is_key_char);
}

bool is_lcalpha_or_digit(char c) {
  return is_lcalpha(c) || is_digit(c);
}

}  // namespace

bool TraceState::is_valid_key(std::string_view key) {
  std::size_t at = key.find('@');
  if (at == std::string_view::npos) {
    // Level 2 lets a simple key start with a digit (Level 1 required a letter).
    return is_valid_segment(key, kMaxKeyChars, is_lcalpha_or_digit);
  }
  return is_valid_segment(key.substr(0, at), kMaxTenantChars, is_lcalpha_or_digit) &&
         is_valid_segment(key.substr(at + 1), kMaxSystemChars, is_lcalpha);
}

bool TraceState::is_valid_value(std::string_view value) {
  if (value.empty() || value.size() > kMaxValueChars || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return c >= 0x20 && c <= 0x7e && c != ',' && c != '='; });
}

TraceState TraceState::parse(std::string_view header) {
  TraceState ts;
  bool ok = detail::for_each_list_member(header, [&ts](std::string_view member) {
    if (member.empty()) return true;  // empty members and OWS-only members are allowed
    std::size_t eq = member.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view key = member.substr(0, eq);
    std::string_view value = member.substr(eq + 1);
    if (!is_valid_key(key) || !is_valid_value(value)) return false;
    // More than 32 members, or a key given twice, invalidates the whole header (test suite).
    if (ts.entries_.size() == kMaxEntries) return false;
    for (const Entry& e : ts.entries_) {
      if (e.first == key) return false;
    }
    ts.entries_.emplace_back(key, value);
    return true;
  });
  if (!ok) return TraceState();
  return ts;
}

std::string TraceState::serialize() const {
  std::size_t n = 0;
  for (const Entry& e : entries_) n += e.first.size() + e.second.size() + 2;
  std::string out;
  out.reserve(n);
  for (const Entry& e : entries_) {
    if (!out.empty()) out += ',';
    out += e.first;
    out += '=';
    out += e.second;
  }
  return out;
}

std::optional<std::string_view> TraceState::get(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.first == key) return std::string_view(e.second);
  }
  return std::nullopt;
}

TraceState TraceState::set(std::string_view key, std::string_view value) const {
  if (!is_valid_key(key) || !is_valid_value(value)) return *this;
  TraceState ts;
  ts.entries_.reserve(std::min(entries_.size() + 1, kMaxEntries));
  ts.entries_.emplace_back(key, value);
  for (const Entry& e : entries_) {
    if (ts.entries_.size() == kMaxEntries) break;  // full: the right-most entries go
    if (e.first != key) ts.entries_.push_back(e);
  }
  return ts;
}

TraceState TraceState::erase(std::string_view key) const {
  TraceState ts;
  ts.entries_.reserve(entries_.size());
  for (const Entry& e : entries_) {
    if (e.first != key) ts.entries_.push_back(e);
  }
  return ts;
}

}  // namespace adminara::obs
