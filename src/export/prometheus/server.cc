#include "export/prometheus/server.h"

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "common/strings.h"
#include "common/thread_name.h"
#include "export/prometheus/accept.h"

namespace adminara::obs::prometheus {
namespace {

constexpr std::string_view kMetricsPath = "/metrics";
constexpr std::size_t kMaxBodyBytes = 16 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

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

// Binding with SO_REUSEADDR only: cpp-httplib's default also sets SO_REUSEPORT, which would let
// a second server share (and steal connections from) a port that is already in use.
void socket_options(int sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
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
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip")) {
      gzip_q = std::max(gzip_q, q);
    } else if (coding == "*") {
      star_q = std::max(star_q, q);
    }
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

std::string gzip(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  std::size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate failed");
  out.resize(produced);
  return out;
}

MetricsServer::MetricsServer(std::string host, int port, RenderFn render)
    : host_(std::move(host)),
      render_(std::move(render)),
      server_(std::make_unique<httplib::Server>()) {
  auto fail = [&](std::string_view reason) {
    throw std::runtime_error("cannot listen on " + host_ + ":" + std::to_string(port) + ": " +
                             std::string(reason));
  };
  if (port < 0 || port > 65535) fail("port out of range");
  {
    // Resolved here too so that a bad host is reported with the resolver's reason.
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* result = nullptr;
    int rc = getaddrinfo(host_.c_str(), std::to_string(port).c_str(), &hints, &result);
    if (rc != 0) fail(gai_strerror(rc));
    freeaddrinfo(result);
  }

  handlers_.emplace(
      std::string(kMetricsPath),
      [this](const httplib::Request& req, httplib::Response& res) { serve_metrics(req, res); });
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  // Nothing served here takes a body: a large one is refused (413) before it is read.
  server_->set_payload_max_length(kMaxBodyBytes);
  server_->set_socket_options(socket_options);
  server_->Get(
      ".*", [this](const httplib::Request& req, httplib::Response& res) { route_get(req, res); });
  auto other = [this](const httplib::Request& req, httplib::Response& res) {
    route_other(req, res);
  };
  server_->Post(".*", other);
  server_->Put(".*", other);
  server_->Patch(".*", other);
  server_->Delete(".*", other);
  server_->Options(".*", other);

  errno = 0;
  if (port == 0) {
    port_ = server_->bind_to_any_port(host_);
  } else {
    port_ = server_->bind_to_port(host_, port) ? port : -1;
  }
  if (port_ < 0) fail(errno != 0 ? std::strerror(errno) : "bind failed");

  listener_ = std::thread([this] {
    common::set_thread_name("obs-prometheus");
    server_->listen_after_bind();
    listener_done_ = true;
  });
  // httplib's stop() is a no-op until the listener runs, so wait for it before returning.
  while (!server_->is_running() && !listener_done_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

MetricsServer::~MetricsServer() {
  stop();
}

void MetricsServer::stop() {
  std::lock_guard lock(stop_mu_);
  server_->stop();
  if (listener_.joinable()) listener_.join();
}

void MetricsServer::add_get_handler(std::string path, Handler handler) {
  std::lock_guard lock(handlers_mu_);
  handlers_[std::move(path)] = std::move(handler);
}

void MetricsServer::route_get(const httplib::Request& req, httplib::Response& res) {
  Handler handler;
  {
    std::lock_guard lock(handlers_mu_);
    auto it = handlers_.find(req.path);
    if (it != handlers_.end()) handler = it->second;
  }
  if (!handler) {
    res.status = 404;
    res.set_content("404 page not found\n", "text/plain; charset=utf-8");
    return;
  }
  try {
    handler(req, res);
  } catch (const std::exception& e) {
    res.headers.clear();
    res.status = 500;
    res.set_content(std::string("internal error: ") + e.what() + "\n", "text/plain; charset=utf-8");
  }
}

void MetricsServer::route_other(const httplib::Request& req, httplib::Response& res) {
  bool known;
  {
    std::lock_guard lock(handlers_mu_);
    known = handlers_.find(req.path) != handlers_.end();
  }
  if (known) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("405 method not allowed\n", "text/plain; charset=utf-8");
  } else {
    res.status = 404;
    res.set_content("404 page not found\n", "text/plain; charset=utf-8");
  }
}

void MetricsServer::serve_metrics(const httplib::Request& req, httplib::Response& res) {
  Format format = negotiate(req.get_header_value("Accept"));
  auto body = std::make_shared<std::string>();
  try {
    render_(format, *body);
    if (accepts_gzip(req.get_header_value("Accept-Encoding"))) {
      *body = gzip(*body);
      res.set_header("Content-Encoding", "gzip");
    }
  } catch (const std::exception& e) {
    res.headers.clear();
    res.status = 500;
    res.set_content(std::string("scrape failed: ") + e.what() + "\n", "text/plain; charset=utf-8");
    return;
  } catch (...) {
    res.headers.clear();
    res.status = 500;
    res.set_content("scrape failed: unknown exception\n", "text/plain; charset=utf-8");
    return;
  }
  res.status = 200;
  res.set_header("Vary", "Accept, Accept-Encoding");
  std::string type(content_type(format));
  if (body->empty()) {
    res.set_content("", type);
    return;
  }
  // A sized content provider: cpp-httplib sends it as it is. (A body set with set_content()
  // would be compressed again by cpp-httplib, which compresses text/* bodies on its own, with
  // brotli first and without honouring q=0.)
  std::size_t size = body->size();
  res.set_content_provider(size, type,
                           [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             sink.write(body->data() + offset, length);
                             return true;
                           });
}

}  // namespace adminara::obs::prometheus
