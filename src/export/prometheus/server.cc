#include "export/prometheus/server.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/gzip.h"
#include "common/strings.h"
#include "export/prometheus/accept.h"
#include "net/http_text.h"

namespace adminara::obs::prometheus {
namespace {

constexpr std::string_view kMetricsPath = "/metrics";

// The q-value of one coding entry ("gzip;q=0.5" -> 0.5); a missing or malformed q counts as 1.
double coding_q(std::string_view params) {
  while (!params.empty()) {
    std::size_t semi = params.find(';');
    std::string_view p = common::trim_ows(params.substr(0, semi));
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') &&
        common::trim_ows(p.substr(1)).starts_with('=')) {
      std::string_view v = common::trim_ows(common::trim_ows(p.substr(1)).substr(1));
      if (v.empty() || (v[0] != '0' && v[0] != '1')) return 1;
      // Only the leading digit and the first decimals matter for "> 0".
      for (char c : v) {
        if (c >= '1' && c <= '9') return 1;
      }
      return 0;
    }
    if (semi == std::string_view::npos) break;
    params.remove_prefix(semi + 1);
  }
  return 1;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  int gzip_q = -1;  // -1: not mentioned
  int star_q = -1;
  while (!accept_encoding.empty()) {
    std::size_t comma = accept_encoding.find(',');
    std::string_view entry = accept_encoding.substr(0, comma);
    std::size_t semi = entry.find(';');
    std::string_view coding = common::trim_ows(entry.substr(0, semi));
    int q = semi == std::string_view::npos ? 1 : (coding_q(entry.substr(semi + 1)) > 0 ? 1 : 0);
    if (net::http_iequals(coding, "gzip") || net::http_iequals(coding, "x-gzip")) {
      gzip_q = std::max(gzip_q, q);
    } else if (coding == "*") {
      star_q = std::max(star_q, q);
    }
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

MetricsServer::MetricsServer(MetricsServerOptions options, RenderFn render)
    : render_(std::move(render)) {
  server_ = std::make_unique<net::HttpServer>(net::HttpServerOptions{
      .host = std::move(options.host),
      .port = options.port,
      .limits = options.limits,
      .io_threads = 1,
      .thread_name = "obs-prometheus",
      .blocking_threads = 2,
      .web_config = std::move(options.web_config),
      // Plain answers in the style of Prometheus' own endpoints.
      .server_response =
          [](net::Response& res) {
            if (res.status == 404) res.body = "404 page not found\n";
            if (res.status == 405) res.body = "405 method not allowed\n";
          },
  });
  server_->route(std::string(kMetricsPath), {"GET"},
                 [this](const net::Request& req, net::Response& res) { serve_metrics(req, res); });
  server_->start();
}

MetricsServer::MetricsServer(std::string host, int port, RenderFn render)
    : MetricsServer(MetricsServerOptions{.host = std::move(host), .port = port},
                    std::move(render)) {}

MetricsServer::~MetricsServer() {
  stop();
}

int MetricsServer::port() const {
  return server_->port();
}
const std::string& MetricsServer::host() const {
  return server_->host();
}
net::HttpServerStats MetricsServer::stats() const {
  return server_->stats();
}

void MetricsServer::stop() {
  server_->stop(std::chrono::seconds(2));
}

void MetricsServer::add_get_handler(std::string path, Handler handler, bool blocking) {
  server_->route(std::move(path), {"GET"}, std::move(handler), {.blocking = blocking});
}

void MetricsServer::serve_metrics(const net::Request& req, net::Response& res) const {
  const Format format = negotiate(req.header("Accept"));
  try {
    render_(format, res.body);
    if (!res.body.empty() && accepts_gzip(req.header("Accept-Encoding"))) {
      res.body = common::gzip(res.body);
      res.headers.set("Content-Encoding", "gzip");
    }
  } catch (const std::exception& e) {
    res = net::Response{.status = 500, .body = std::string("scrape failed: ") + e.what() + "\n"};
    return;
  } catch (...) {
    res = net::Response{.status = 500, .body = "scrape failed: unknown exception\n"};
    return;
  }
  res.status = 200;
  res.headers.set("Vary", "Accept, Accept-Encoding");
  res.content_type = std::string(content_type(format));
}

}  // namespace adminara::obs::prometheus
