#include "sdk/config/otlp_config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>

namespace adminara::obs::config {
namespace {

constexpr std::string_view kDefaultEndpoint = "http://localhost:4318";

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 9110 token characters (header field names).
bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return kSpecials.find(c) != std::string_view::npos;
}

std::string_view signal_word(OtlpSignal s) {
  return s == OtlpSignal::kTraces ? "TRACES" : "METRICS";
}

std::string var(std::string_view signal_part, std::string_view suffix) {
  std::string name = "OTEL_EXPORTER_OTLP_";
  if (!signal_part.empty()) {
    name += signal_part;
    name += '_';
  }
  name += suffix;
  return name;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out(trim_whitespace(url));
  const auto scheme = out.find("://");
  const std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const auto path_at = out.find_first_of("/?#", start);
  const auto at = out.rfind('@', path_at == std::string::npos ? out.size() : path_at);
  if (at != std::string::npos && at >= start) out.replace(start, at - start, "***");
  const auto query = out.find_first_of("?#", start);
  if (query != std::string::npos) out.replace(query + 1, std::string::npos, "***");
  return out;
}

std::string OtlpEndpoint::origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string OtlpEndpoint::url() const {
  return origin() + path;
}

std::optional<OtlpEndpoint> parse_otlp_endpoint(std::string_view url, std::string* error) {
  auto fail = [error](std::string message) -> std::optional<OtlpEndpoint> {
    if (error != nullptr) *error = std::move(message);
    return std::nullopt;
  };
  url = trim_whitespace(url);
  OtlpEndpoint e;
  const auto colon = url.find("://");
  if (colon == std::string_view::npos) return fail("it has no scheme (http:// or https://)");
  e.scheme = lower_ascii(url.substr(0, colon));
  if (e.scheme != "http" && e.scheme != "https") {
    return fail("the scheme " + quoted(e.scheme) + " is not http or https");
  }
  std::string_view rest = url.substr(colon + 3);
  const auto path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view path =
      path_at == std::string_view::npos ? std::string_view() : rest.substr(path_at);
  if (path.find('#') != std::string_view::npos) return fail("it has a fragment ('#')");
  if (authority.find('@') != std::string_view::npos) return fail("it has user information ('@')");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return fail("it contains whitespace or control characters");
    }
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("the IPv6 address has no closing ']'");
    e.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("unexpected text after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return fail("the port is empty");
    }
  } else {
    const auto c = authority.rfind(':');
    e.host = std::string(authority.substr(0, c));
    if (c != std::string_view::npos) {
      port_text = authority.substr(c + 1);
      if (port_text.empty()) return fail("the port is empty");
    }
  }
  if (e.host.empty()) return fail("the host is empty");
  if (!port_text.empty()) {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return fail("the port " + quoted(port_text) + " is not a number from 1 to 65535");
    }
    e.port = port;
  } else {
    e.port = e.scheme == "https" ? 443 : 80;
  }
  e.path = std::string(path);
  return e;
}

OtlpEndpoint signal_endpoint(OtlpEndpoint base, OtlpSignal signal) {
  // A query on a base URL stays at the end ("no other URL rewriting").
  std::string query;
  const auto q = base.path.find('?');
  if (q != std::string::npos) {
    query = base.path.substr(q);
    base.path.resize(q);
  }
  if (!base.path.ends_with('/')) base.path += '/';
  base.path += signal == OtlpSignal::kTraces ? "v1/traces" : "v1/metrics";
  base.path += query;
  return base;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_otlp_headers(
    std::string_view value, std::string* error) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string decoded;
  std::string bad;
  // The messages never quote a value, nor a key that is not a header name (it may be a mangled
  // token): they name the member by its position and a valid key by itself.
  int index = 0;
  std::string problem = for_each_list_member(
      value,
      [&](std::string_view key, std::string_view raw_value, std::string_view) -> std::string {
        ++index;
        for (char c : key) {
          if (!is_token_char(c)) {
            return "the key of member " + std::to_string(index) +
                   " is not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~)";
          }
        }
        if (!percent_decode(raw_value, decoded, bad)) {
          return "the value of " + quoted(key) +
                 " has a bad percent-escape (expected % and two hex digits)";
        }
        if (decoded.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
          return "the value of " + quoted(key) + " contains CR, LF or NUL once decoded";
        }
        const std::string lower_key = lower_ascii(key);
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const auto& kv) { return lower_ascii(kv.first) == lower_key; });
        if (it != out.end()) {
          it->second = decoded;
        } else {
          out.emplace_back(std::string(key), decoded);
        }
        return std::string();
      },
      /*secret_values=*/true);
  if (!problem.empty()) {
    if (error != nullptr) *error = std::move(problem);
    return std::nullopt;
  }
  return out;
}

OtlpExporterConfig load_otlp_exporter_config(EnvReader& env, OtlpSignal signal) {
  OtlpExporterConfig c;
  const std::string_view sig = signal_word(signal);
  const std::string lower_sig = lower_ascii(sig);

  // Endpoint: the signal variable as given, else the base variable + v1/<signal>, else default.
  const std::string signal_var = var(sig, "ENDPOINT");
  const std::string base_var = var("", "ENDPOINT");
  std::optional<OtlpEndpoint> base;
  std::string error;
  if (const auto v = env.raw(base_var); v && !trim_whitespace(*v).empty()) {
    base = parse_otlp_endpoint(*v, &error);
    if (!base) {
      env.warn(base_var + "=" + quoted(redact_url(*v)) + " is not a usable URL: " + error +
               "; accepted: an http:// or https:// URL such as http://collector:4318; using the "
               "default " +
               std::string(kDefaultEndpoint));
    }
  }
  const OtlpEndpoint from_base =
      signal_endpoint(base ? *base : *parse_otlp_endpoint(kDefaultEndpoint, nullptr), signal);
  c.endpoint = from_base;
  if (const auto v = env.raw(signal_var); v && !trim_whitespace(*v).empty()) {
    if (auto e = parse_otlp_endpoint(*v, &error)) {
      if (e->path.empty())
        e->path = "/";
      else if (e->path.front() == '?')
        e->path = "/" + e->path;
      c.endpoint = *e;
    } else {
      env.warn(signal_var + "=" + quoted(redact_url(*v)) + " is not a usable URL: " + error +
               "; accepted: an http:// or https:// URL, used as given (e.g. "
               "http://collector:4318/v1/" +
               lower_sig + "); using " + from_base.url());
    }
  }

  // The signal variable wins when set (and usable); otherwise the generic one.
  auto pick = [&](std::string_view suffix) -> std::pair<std::string, std::optional<std::string>> {
    const std::string s = var(sig, suffix);
    if (auto v = env.raw(s); v && !trim_whitespace(*v).empty()) return {s, v};
    const std::string g = var("", suffix);
    return {g, env.raw(g)};
  };

  // Headers. A rejected signal variable falls back to the generic one.
  for (const std::string& name : {var(sig, "HEADERS"), var("", "HEADERS")}) {
    const auto v = env.raw(name);
    if (!v || trim_whitespace(*v).empty()) continue;
    if (auto h = parse_otlp_headers(*v, &error)) {
      c.headers = std::move(*h);
      break;
    }
    // The value is not printed: headers carry credentials (Authorization, API keys).
    env.warn(name + " is rejected: " + error +
             "; accepted: comma-separated key=value pairs (keys are HTTP header names, values "
             "percent-encoded as %XX where needed); ignoring the whole variable");
  }

  // Timeout: the signal variable if it parses, else the generic one, else 10000 ms.
  {
    const std::string s = var(sig, "TIMEOUT");
    const std::string g = var("", "TIMEOUT");
    const auto generic = env.raw(g) ? std::optional<std::chrono::milliseconds>(
                                          env.get_timeout(g, std::chrono::milliseconds(10000)))
                                    : std::nullopt;
    c.timeout = env.get_timeout(s, generic.value_or(std::chrono::milliseconds(10000)));
  }

  // Protocol.
  {
    static constexpr std::array<std::string_view, 3> kProtocols = {"http/protobuf", "http/json",
                                                                   "grpc"};
    const auto [name, value] = pick("PROTOCOL");
    if (value) {
      if (auto p = env.get_enum(name, kProtocols, "the default http/protobuf")) {
        if (*p == "http/json") {
          c.protocol = OtlpProtocol::kHttpJson;
        } else if (*p == "grpc") {
          env.warn(name + "=" + quoted(*value) +
                   ": grpc is not supported by this SDK; accepted: http/protobuf, http/json; "
                   "using the default http/protobuf");
        }
      }
    }
  }

  // Compression.
  {
    static constexpr std::array<std::string_view, 2> kCompressions = {"gzip", "none"};
    const auto [name, value] = pick("COMPRESSION");
    if (value) {
      if (auto v = env.get_enum(name, kCompressions, "the default none")) c.gzip = *v == "gzip";
    }
  }

  // TLS files: must be readable, else they are ignored with a warning.
  auto file = [&](std::string_view suffix, std::string& out) {
    const auto [name, value] = pick(suffix);
    if (!value) return;
    const std::string path(trim_whitespace(*value));
    if (std::ifstream(path).good()) {
      out = path;
    } else {
      env.warn(name + "=" + quoted(*value) +
               " cannot be read; accepted: the path of a readable PEM file; ignored");
    }
  };
  file("CERTIFICATE", c.certificate);
  file("CLIENT_KEY", c.client_key);
  file("CLIENT_CERTIFICATE", c.client_certificate);
  if (c.client_key.empty() != c.client_certificate.empty()) {
    env.warn(var(sig, "CLIENT_KEY") + " / " + var(sig, "CLIENT_CERTIFICATE") +
             " (or the generic OTEL_EXPORTER_OTLP_CLIENT_KEY / _CLIENT_CERTIFICATE): only one of "
             "the pair is set; accepted: both or neither; no client certificate is used");
    c.client_key.clear();
    c.client_certificate.clear();
  }
  return c;
}

OtlpMetricReaderConfig load_otlp_metric_reader_config(EnvReader& env) {
  OtlpMetricReaderConfig c;
  c.interval = env.get_duration("OTEL_METRIC_EXPORT_INTERVAL", c.interval);
  if (c.interval.count() == 0) {
    env.warn(
        "OTEL_METRIC_EXPORT_INTERVAL=\"0\" is out of range; accepted: an integer number of "
        "milliseconds from 1 to 2147483647; using the default 60000");
    c.interval = std::chrono::milliseconds(60000);
  }
  c.timeout = env.get_timeout("OTEL_METRIC_EXPORT_TIMEOUT", c.timeout);
  static constexpr std::array<std::string_view, 3> kPreferences = {"cumulative", "delta",
                                                                   "lowmemory"};
  if (auto t = env.get_enum("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", kPreferences,
                            "the default cumulative")) {
    if (*t == "delta") c.temporality = TemporalityPreference::kDelta;
    if (*t == "lowmemory") c.temporality = TemporalityPreference::kLowMemory;
  }
  return c;
}

}  // namespace adminara::obs::config
