#include "export/prometheus/accept.h"

#include "adminara/obs/propagation.h"
#include "common/strings.h"

#include <charconv>
#include <cstddef>

namespace adminara::obs::prometheus {
namespace {

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

// RFC 9110 qvalue: "0", "0.", "0.ddd", "1", "1.", "1.000"; anything else is invalid (-1).
// Milli-units avoid floating point.
int parse_qvalue(std::string_view v) {
  if (v.empty() || v.size() > 5 || (v[0] != '0' && v[0] != '1')) return -1;
  if (v.size() > 1 && v[1] != '.') return -1;
  int milli = (v[0] - '0') * 1000;
  int scale = 100;
  for (std::size_t i = 2; i < v.size(); ++i, scale /= 10) {
    if (v[i] < '0' || v[i] > '9') return -1;
    milli += (v[i] - '0') * scale;
  }
  return milli > 1000 ? -1 : milli;
}

// What one media range says about one of our formats.
struct Match {
  int specificity = -1;  // -1: no range matched yet
  int q = 0;             // milli-units

  void offer(int spec, int qvalue) {
    if (spec > specificity) {
      specificity = spec;
      q = qvalue;
    } else if (spec == specificity && qvalue > q) {
      q = qvalue;
    }
  }
};

// Parses one media range and records what it offers.
void consider(std::string_view range, Match& om, Match& text) {
  std::size_t semi = range.find(';');
  std::string_view type = common::trim_ows(range.substr(0, semi));
  std::string_view version;
  bool has_version = false;
  int q = 1000;
  while (semi != std::string_view::npos) {
    range.remove_prefix(semi + 1);
    semi = range.find(';');
    std::string_view param = range.substr(0, semi);
    std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = common::trim_ows(param.substr(0, eq));
    std::string_view value = unquote(common::trim_ows(param.substr(eq + 1)));
    if (detail::equals_ignore_ascii_case(name, "q")) {
      q = parse_qvalue(value);
      if (q < 0) return;  // a malformed range is ignored
    } else if (detail::equals_ignore_ascii_case(name, "version")) {
      version = value;
      has_version = true;
    }
  }
  if (detail::equals_ignore_ascii_case(type, "application/openmetrics-text")) {
    if (!has_version) {
      om.offer(2, q);
    } else if (version == "1.0.0" || version == "0.0.1") {
      om.offer(3, q);
    }
  } else if (detail::equals_ignore_ascii_case(type, "text/plain")) {
    if (!has_version) {
      text.offer(2, q);
    } else if (version == "0.0.4" || version == "1.0.0") {
      text.offer(3, q);
    }
  } else if (detail::equals_ignore_ascii_case(type, "text/*")) {
    text.offer(1, q);
  } else if (detail::equals_ignore_ascii_case(type, "*/*")) {
    text.offer(0, q);  // a client that takes anything gets the format every scraper reads
  }
}

}  // namespace

Format negotiate(std::string_view accept_header) {
  Match om;
  Match text;
  while (!accept_header.empty()) {
    std::size_t comma = accept_header.find(',');
    consider(accept_header.substr(0, comma), om, text);
    if (comma == std::string_view::npos) break;
    accept_header.remove_prefix(comma + 1);
  }
  if (om.specificity >= 0 && om.q > 0 && om.q >= text.q) return Format::kOpenMetrics1;
  return Format::kText004;
}

}  // namespace adminara::obs::prometheus
