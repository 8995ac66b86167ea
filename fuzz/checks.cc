#include "checks.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "adminara/obs/jobs.h"
#include "adminara/obs/options.h"
#include "adminara/obs/propagation.h"
#include "adminara/obs/web_config.h"
#include "common/utf8.h"
#include "export/prometheus/accept.h"
#include "export/prometheus/server.h"
#include "jobs/cron.h"
#include "net/basic_auth.h"
#include "sdk/config/otlp_config.h"

namespace adminara::obs::fuzzing {
namespace {

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  std::abort();
}

std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// `text` split at its first '=' (the whole text is the key when there is none).
std::pair<std::string_view, std::string_view> split_member(std::string_view text) {
  std::size_t eq = text.find('=');
  if (eq == std::string_view::npos) return {text, {}};
  return {text.substr(0, eq), text.substr(eq + 1)};
}

void check_trace_state_rules(const TraceState& ts) {
  require(ts.entries().size() <= TraceState::kMaxEntries, "tracestate: more than 32 entries");
  for (std::size_t i = 0; i < ts.entries().size(); ++i) {
    const auto& [key, value] = ts.entries()[i];
    require(TraceState::is_valid_key(key), "tracestate: invalid key kept");
    require(TraceState::is_valid_value(value), "tracestate: invalid value kept");
    for (std::size_t j = 0; j < i; ++j) {
      require(ts.entries()[j].first != key, "tracestate: duplicate key kept");
    }
  }
}

void check_trace_state_round_trip(const TraceState& ts) {
  std::string text = ts.serialize();
  require(ts.empty() == text.empty(), "tracestate: empty() disagrees with serialize()");
  TraceState again = TraceState::parse(text);
  require(again == ts, "tracestate: parse(serialize(x)) != x");
  require(again.serialize() == text, "tracestate: serialization not stable");
}

// Only parse() applies the limits; set() may grow a Baggage past them (serialize() trims).
void check_baggage_rules(const Baggage& b, bool parsed) {
  require(!parsed || b.entries().size() <= Baggage::kMaxMembers, "baggage: more than 64 members");
  for (const auto& e : b.entries()) {
    require(common::is_valid_utf8(e.value), "baggage: value is not valid UTF-8");
  }
}

void check_baggage_round_trip(const Baggage& b) {
  std::string text = b.serialize();
  require(text.size() <= Baggage::kMaxBytes, "baggage: serialization over 8192 bytes");
  Baggage again = Baggage::parse(text);
  // serialize() may leave members out to respect the limits, but only out of the end result:
  // what it keeps must read back unchanged, and a second pass must change nothing.
  if (again.entries().size() == b.entries().size()) {
    require(again == b, "baggage: parse(serialize(x)) != x");
  }
  require(again.serialize() == text, "baggage: serialization not stable");
}

bool same_span_context(const SpanContext& a, const SpanContext& b) {
  return a.is_valid() == b.is_valid() && a.trace_id() == b.trace_id() &&
         a.span_id() == b.span_id() && a.is_remote() == b.is_remote() &&
         (a.trace_flags().value & 0x03) == (b.trace_flags().value & 0x03) &&
         a.trace_state() == b.trace_state();
}

}  // namespace

int check_traceparent(const std::uint8_t* data, std::size_t size) {
  std::string_view text = as_text(data, size);
  std::optional<SpanContext> sc = parse_traceparent(text);
  if (sc) {
    require(sc->is_valid() && sc->is_remote(), "traceparent: parsed context not valid/remote");
    require(sc->trace_state_ptr() == nullptr, "traceparent: parse set a tracestate");
    char out[kTraceparentSize];
    require(format_traceparent(*sc, out), "traceparent: valid context not formatted");
    std::string_view formatted(out, sizeof out);
    require(formatted.substr(0, 3) == "00-", "traceparent: not formatted as version 00");
    require(format_traceparent(*sc) == formatted, "traceparent: the two formatters differ");
    std::optional<SpanContext> again = parse_traceparent(formatted);
    require(again.has_value(), "traceparent: formatted value does not parse");
    require(again->trace_id() == sc->trace_id() && again->span_id() == sc->span_id(),
            "traceparent: ids changed in the round trip");
    require(again->trace_flags().value == (sc->trace_flags().value & 0x03),
            "traceparent: reserved flag bits sent or known bits lost");
    char out2[kTraceparentSize];
    require(format_traceparent(*again, out2) && std::memcmp(out, out2, sizeof out) == 0,
            "traceparent: formatting not stable");
  }

  // The same bytes as all three headers of a carrier: extract, inject, extract again.
  const std::string value(text);
  const std::map<std::string, std::string> incoming{
      {"traceparent", value}, {"tracestate", value}, {"baggage", value}};
  Context first = extract(incoming);
  require(first.span_context().is_valid() == sc.has_value(),
          "extract: validity differs from parse_traceparent");
  std::map<std::string, std::string> outgoing;
  inject(first, outgoing);
  require(outgoing.count("traceparent") == (sc ? 1U : 0U), "inject: traceparent presence");
  Context second = extract(outgoing);
  require(same_span_context(first.span_context(), second.span_context()),
          "extract(inject(x)) changed the span context");
  require(first.baggage() == second.baggage(), "extract(inject(x)) changed the baggage");
  std::map<std::string, std::string> outgoing2;
  inject(second, outgoing2);
  require(outgoing2 == outgoing, "inject not stable");
  return 0;
}

int check_tracestate(const std::uint8_t* data, std::size_t size) {
  std::string_view text = as_text(data, size);
  TraceState ts = TraceState::parse(text);
  check_trace_state_rules(ts);
  check_trace_state_round_trip(ts);

  auto [key, value] = split_member(text);
  TraceState changed = ts.set(key, value);
  if (TraceState::is_valid_key(key) && TraceState::is_valid_value(value)) {
    require(!changed.empty() && changed.entries().front().first == key &&
                changed.entries().front().second == value,
            "tracestate: set() did not put the entry first");
    require(changed.entries().size() ==
                std::min(ts.entries().size() + (ts.get(key) ? 0 : 1), TraceState::kMaxEntries),
            "tracestate: set() changed the wrong number of entries");
  } else {
    require(changed == ts, "tracestate: set() with an invalid member changed the state");
  }
  check_trace_state_rules(changed);
  check_trace_state_round_trip(changed);
  TraceState erased = changed.erase(key);
  require(!erased.get(key).has_value(), "tracestate: erase() left the key");
  check_trace_state_round_trip(erased);
  return 0;
}

int check_baggage(const std::uint8_t* data, std::size_t size) {
  std::string_view text = as_text(data, size);
  Baggage b = Baggage::parse(text);
  check_baggage_rules(b, /*parsed=*/true);
  // Everything parse() keeps fits the limits, so serialize() must keep all of it.
  std::string serialized = b.serialize();
  require(Baggage::parse(serialized) == b, "baggage: parse(serialize(x)) != x");
  check_baggage_round_trip(b);

  // Percent-encoding: any bytes as a value read back as their UTF-8 repair.
  std::string repaired;
  common::append_valid_utf8(repaired, text);
  Baggage one = Baggage().set("k", text);
  require(one.get("k") == std::optional<std::string_view>(repaired), "baggage: set() value");
  const Baggage reread = Baggage::parse(one.serialize());
  std::optional<std::string_view> read = reread.get("k");
  require(!read || *read == repaired, "baggage: value changed by percent-coding");
  require(read.has_value() || one.serialize().empty(), "baggage: value lost under the limit");

  auto [key, value] = split_member(text);
  Baggage changed = b.set(key, value);
  check_baggage_rules(changed, /*parsed=*/false);
  check_baggage_round_trip(changed);
  require(!changed.erase(key).get(key).has_value(), "baggage: erase() left the key");
  return 0;
}

int check_accept(const std::uint8_t* data, std::size_t size) {
  using prometheus::Format;
  std::string_view text = as_text(data, size);
  Format f = prometheus::negotiate(text);
  require(f == Format::kText004 || f == Format::kOpenMetrics1, "accept: unknown format");
  require(prometheus::negotiate(text) == f, "accept: not deterministic");

  // A most specific OpenMetrics range at q=1 cannot be outbid (ties go to OpenMetrics).
  std::string first = "application/openmetrics-text;version=1.0.0,";
  first.append(text);
  require(prometheus::negotiate(first) == Format::kOpenMetrics1, "accept: q=1 OpenMetrics lost");

  // A trailing */*;q=0 changes nothing: it only rules text out where nothing else matched.
  std::string last(text);
  last.append(",*/*;q=0");
  require(prometheus::negotiate(last) == f, "accept: */*;q=0 changed the result");
  // The Accept-Encoding parser shares the shape; it must simply terminate.
  (void)prometheus::accepts_gzip(text);
  return 0;
}

int check_cron(const std::uint8_t* data, std::size_t size) {
  using jobs::detail::CronExpression;
  const std::string text(as_text(data, size));
  std::optional<CronExpression> expr;
  try {
    expr = CronExpression::parse(text);
  } catch (const jobs::ScheduleError& e) {
    require(std::strstr(e.what(), "accepted") != nullptr, "cron: error without the accepted form");
    return 0;  // rejected with the project's error type: fine
  }
  // From a few starting points (epoch, a leap day, a month end, a recent time): each next run is
  // a whole second strictly after the start, and it is a fixed point (searching from just before
  // it finds it again); the following run is strictly later.
  constexpr std::int64_t kStarts[] = {0, 951782400000 /* 2000-02-29 */,
                                      1774915199999 /* 2026-03-30T23:59:59.999 */,
                                      1767225600000 /* 2026-01-01 */};
  for (std::int64_t start : kStarts) {
    const std::optional<std::int64_t> next = expr->next_after(start);
    if (!next) {
      // Never matches: must not match from anywhere else either.
      require(!expr->next_after(start + 86400000).has_value(), "cron: no run, then a run");
      continue;
    }
    require(*next > start, "cron: next run not after the start");
    require(*next % 1000 == 0, "cron: next run not on a whole second");
    require(expr->next_after(*next - 1) == next, "cron: next run is not a fixed point");
    const std::optional<std::int64_t> after = expr->next_after(*next);
    require(!after || *after > *next, "cron: following run not later");
  }
  return 0;
}

int check_otlp_headers(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  std::string error;
  const auto headers = config::parse_otlp_headers(text, &error);
  if (!headers) {
    require(!error.empty(), "otlp headers: rejected without a message");
    return 0;
  }
  auto lower = [](std::string s) {
    for (char& c : s) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
  };
  std::string encoded;
  for (std::size_t i = 0; i < headers->size(); ++i) {
    const auto& [name, value] = (*headers)[i];
    require(!name.empty(), "otlp headers: empty name");
    for (char c : name) {
      const bool token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') ||
                         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
      require(token, "otlp headers: name is not an HTTP token");
    }
    require(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos,
            "otlp headers: CR, LF or NUL in a value");
    for (std::size_t j = 0; j < i; ++j) {
      require(lower((*headers)[j].first) != lower(name), "otlp headers: duplicate name");
    }
    // Re-encode: every byte of the value as %XX, so the round trip does not depend on trimming.
    if (!encoded.empty()) encoded += ',';
    encoded += name;
    encoded += '=';
    for (char c : value) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      encoded += buf;
    }
  }
  const auto again = config::parse_otlp_headers(encoded, &error);
  require(again.has_value(), "otlp headers: re-encoded headers rejected");
  require(*again == *headers, "otlp headers: round trip changed the headers");
  return 0;
}

int check_web_config(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  net::WebConfig config;
  try {
    config = net::parse_web_config(text, "/base", "web.yml");
  } catch (const ConfigError& e) {
    const std::string_view msg = e.what();
    require(msg.starts_with("web config web.yml"), "web config: error without the source");
    require(msg.size() < 4096, "web config: unbounded error message");
    return 0;
  }
  for (const auto& [user, hash] : config.basic_auth_users) {
    require(net::bcrypt_cost(hash).has_value(), "web config: invalid bcrypt hash accepted");
    require(user.find(':') == std::string::npos, "web config: user with ':' accepted");
  }
  for (const auto& [name, value] : config.headers) {
    require(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos,
            "web config: header value with a line break accepted");
    require(name == "Strict-Transport-Security" || name == "X-Content-Type-Options" ||
                name == "X-Frame-Options" || name == "X-XSS-Protection" ||
                name == "Content-Security-Policy",
            "web config: header not in exporter-toolkit's list accepted");
  }
  if (config.tls) {
    require(!config.tls->cert_file.empty() || !config.tls->cert.empty(), "web config: no cert");
    require(!config.tls->key_file.empty() || !config.tls->key.empty(), "web config: no key");
    require(config.tls->min_version <= config.tls->max_version, "web config: min > max");
    const bool has_ca = !config.tls->client_ca_file.empty() || !config.tls->client_ca.empty();
    require(!has_ca || config.tls->client_auth != net::ClientAuth::kNoClientCert,
            "web config: client CA without client_auth_type");
  }
  return 0;
}

int check_basic_authorization(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  const auto creds = net::parse_basic_authorization(text);
  if (!creds) return 0;
  require(creds->user.find(':') == std::string::npos, "basic auth: user with ':'");
  const std::string raw = creds->user + ":" + creds->password;
  std::string encoded(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()),
                                static_cast<int>(raw.size()));
  encoded.resize(static_cast<std::size_t>(n));
  const auto again = net::parse_basic_authorization("Basic " + encoded);
  require(again.has_value(), "basic auth: re-encoded credentials rejected");
  require(again->user == creds->user && again->password == creds->password,
          "basic auth: round trip changed the credentials");
  return 0;
}

}  // namespace adminara::obs::fuzzing
