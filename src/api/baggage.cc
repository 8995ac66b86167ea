// W3C Baggage (its header format and limits): parsing, percent-coding and the propagation limits.
#include <algorithm>
#include <string_view>

#include "adminara/obs/context.h"
#include "api/header_list.h"
#include "common/utf8.h"

namespace adminara::obs {
namespace {

// RFC 7230 tchar.
constexpr bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// baggage-octet: printable ASCII without space, '"', ',', ';' and '\'.
constexpr bool is_baggage_octet(char ch) {
  auto c = static_cast<unsigned char>(ch);
  return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
         (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

// Bytes written as themselves when encoding; everything else, '%' included, becomes %XX.
constexpr bool is_unescaped(char c) {
  return is_baggage_octet(c) && c != '%';
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

bool is_octets(std::string_view s) {
  return std::all_of(s.begin(), s.end(), is_baggage_octet);
}

// property *( OWS ";" OWS property ), property = key OWS "=" OWS value / key.
bool is_valid_properties(std::string_view props) {
  while (true) {
    std::size_t semi = props.find(';');
    std::string_view p = detail::trim_ows(props.substr(0, semi));
    std::size_t eq = p.find('=');
    if (!is_token(detail::trim_ows(p.substr(0, eq)))) return false;
    if (eq != std::string_view::npos && !is_octets(detail::trim_ows(p.substr(eq + 1)))) {
      return false;
    }
    if (semi == std::string_view::npos) return true;
    props.remove_prefix(semi + 1);
  }
}

// Percent-escapes accept either hex case on input (RFC 3986).
int escape_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes, then repairs the bytes to valid UTF-8 (the W3C rule: invalid sequences
// become U+FFFD). A '%' not followed by two hex digits is not an escape and is kept as is.
std::string decode_value(std::string_view raw) {
  if (raw.find('%') == std::string_view::npos) return std::string(raw);  // all ASCII already
  std::string bytes;
  bytes.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && raw.size() - i >= 3) {
      int hi = escape_digit(raw[i + 1]);
      int lo = escape_digit(raw[i + 2]);
      if (hi >= 0 && lo >= 0) {
        bytes += static_cast<char>((hi << 4) | lo);
        i += 2;
        continue;
      }
    }
    bytes += raw[i];
  }
  if (common::is_valid_utf8(bytes)) return bytes;
  std::string text;
  common::append_valid_utf8(text, bytes);
  return text;
}

std::size_t encoded_value_size(std::string_view value) {
  std::size_t n = 0;
  for (char c : value) n += is_unescaped(c) ? 1 : 3;
  return n;
}

// Size of `e` in the header, without the separating ','.
std::size_t encoded_size(const Baggage::Entry& e) {
  std::size_t n = e.key.size() + 1 + encoded_value_size(e.value);
  if (!e.metadata.empty()) n += 1 + e.metadata.size();
  return n;
}

void append_encoded(std::string& out, const Baggage::Entry& e) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += e.key;
  out += '=';
  for (char c : e.value) {
    if (is_unescaped(c)) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0x0f];
    }
  }
  if (!e.metadata.empty()) {
    out += ';';
    out += e.metadata;
  }
}

// member = key OWS "=" OWS value *( OWS ";" OWS property ); `member` is already OWS-trimmed.
bool parse_member(std::string_view member, Baggage::Entry& out) {
  std::size_t semi = member.find(';');
  std::string_view kv = member.substr(0, semi);
  std::size_t eq = kv.find('=');
  if (eq == std::string_view::npos) return false;
  std::string_view key = detail::trim_ows(kv.substr(0, eq));
  std::string_view value = detail::trim_ows(kv.substr(eq + 1));
  if (!is_token(key) || !is_octets(value)) return false;
  std::string_view props;
  if (semi != std::string_view::npos) {
    props = detail::trim_ows(member.substr(semi + 1));
    if (!is_valid_properties(props)) return false;
  }
  out.key = std::string(key);
  out.value = decode_value(value);
  out.metadata = std::string(props);
  return true;
}

// Both parse and serialize keep a member only when, in its canonical encoding, it still fits in
// the limits after the members already kept. Using the canonical size on both sides makes
// parse(serialize(b)) == b for every parsed b.
class LimitBudget {
 public:
  bool admit(const Baggage::Entry& e) {
    std::size_t n = encoded_size(e) + (members_ == 0 ? 0 : 1);
    if (members_ == Baggage::kMaxMembers || bytes_ + n > Baggage::kMaxBytes) return false;
    ++members_;
    bytes_ += n;
    return true;
  }
  bool full() const { return members_ == Baggage::kMaxMembers; }

 private:
  std::size_t members_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace

Baggage Baggage::parse(std::string_view header) {
  Baggage b;
  LimitBudget budget;
  detail::for_each_list_member(header, [&](std::string_view member) {
    if (member.empty()) return true;  // tolerated, like in tracestate
    Entry e;
    // An invalid member is skipped; one over the byte limit is dropped whole and a later, smaller
    // one may still fit.
    if (parse_member(member, e) && budget.admit(e)) b.entries_.push_back(std::move(e));
    return !budget.full();
  });
  return b;
}

std::string Baggage::serialize() const {
  std::string out;
  LimitBudget budget;
  for (const Entry& e : entries_) {
    if (budget.full()) break;
    if (!budget.admit(e)) continue;
    if (!out.empty()) out += ',';
    append_encoded(out, e);
  }
  return out;
}

std::optional<std::string_view> Baggage::get(std::string_view key) const {
  // Duplicated keys are kept as received; the last one wins, as in a map filled in order.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->key == key) return std::string_view(it->value);
  }
  return std::nullopt;
}

Baggage Baggage::set(std::string_view key, std::string_view value,
                     std::string_view metadata) const {
  metadata = detail::trim_ows(metadata);
  if (!is_token(key) || (!metadata.empty() && !is_valid_properties(metadata))) return *this;
  Entry entry{std::string(key), {}, std::string(metadata)};
  // Stored as the receiver would decode it, so a value survives a round trip unchanged.
  common::append_valid_utf8(entry.value, value);

  Baggage b;
  b.entries_.reserve(entries_.size() + 1);
  bool replaced = false;
  for (const Entry& e : entries_) {
    if (e.key != key) {
      b.entries_.push_back(e);
    } else if (!replaced) {  // the first entry of the key keeps its place; later ones go
      b.entries_.push_back(entry);
      replaced = true;
    }
  }
  if (!replaced) b.entries_.push_back(std::move(entry));
  return b;
}

Baggage Baggage::erase(std::string_view key) const {
  Baggage b;
  b.entries_.reserve(entries_.size());
  for (const Entry& e : entries_) {
    if (e.key != key) b.entries_.push_back(e);
  }
  return b;
}

}  // namespace adminara::obs
