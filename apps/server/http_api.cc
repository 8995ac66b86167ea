#include "http_api.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "adminara/obs/http_server.h"

namespace adminara::server {
namespace {

using Json = obs::jobs::Json;

namespace net = obs::net;
using Params = std::vector<std::string>;
using RouteHandler = std::function<void(const net::Request&, net::Response&, const Params&)>;

// One route: the method and the template reported as `http.route`, whose `{name}` segments
// match any non-empty path segment and are passed to the handler in order.
struct Route {
  std::string method;
  std::string route;
  RouteHandler handler;

  // The `{...}` values when `path` matches the template, else nullopt. Segment by segment, no
  // regex: routing costs a few string compares.
  std::optional<Params> match(std::string_view path) const {
    Params params;
    std::string_view tmpl = route;
    while (!tmpl.empty() || !path.empty()) {
      if (tmpl.empty() || path.empty() || tmpl[0] != '/' || path[0] != '/') return std::nullopt;
      tmpl.remove_prefix(1);
      path.remove_prefix(1);
      const std::string_view t = tmpl.substr(0, tmpl.find('/'));
      const std::string_view p = path.substr(0, path.find('/'));
      if (t.size() > 1 && t.front() == '{' && t.back() == '}') {
        if (p.empty()) return std::nullopt;
        params.emplace_back(p);
      } else if (t != p) {
        return std::nullopt;
      }
      tmpl.remove_prefix(t.size());
      path.remove_prefix(p.size());
    }
    return params;
  }
};

void send_json(net::Response& res, int status, const Json& body) {
  res.status = status;
  res.content_type = "application/json";
  res.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void send_error(net::Response& res, int status, const std::string& message) {
  send_json(res, status, Json{{"error", message}});
}

// The request body as a JSON object, or ApiError 400 naming what is wrong.
Json body_object(const net::Request& req) {
  if (req.body.empty()) throw ApiError(400, "the request body is empty; expected a JSON object");
  Json body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded()) throw ApiError(400, "the request body is not valid JSON");
  if (!body.is_object()) throw ApiError(400, "the request body must be a JSON object");
  return body;
}

std::string string_field(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) throw ApiError(400, std::string("missing field '") + name + "'");
  if (!it->is_string()) throw ApiError(400, std::string("field '") + name + "' must be a string");
  return it->get<std::string>();
}

double number_field(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) throw ApiError(400, std::string("missing field '") + name + "'");
  if (!it->is_number()) throw ApiError(400, std::string("field '") + name + "' must be a number");
  return it->get<double>();
}

Json ticket_json(const Ticket& t, std::size_t position) {
  Json j = {{"ticket", t.id},
            {"customer", t.customer},
            {"state", to_string(t.state)},
            {"created_ms", t.created_ms}};
  if (t.state == TicketState::kWaiting) j["position"] = position;
  if (!t.admin.empty()) j["admin"] = t.admin;
  if (t.assigned_ms != 0) j["waited_ms"] = t.assigned_ms - t.created_ms;
  if (t.connection_ms >= 0) j["connection_ms"] = t.connection_ms;
  if (!t.end_reason.empty()) j["end_reason"] = t.end_reason;
  return j;
}

const std::vector<double>& duration_boundaries() {
  // OTel semantic conventions' advice for http.server.request.duration (seconds).
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                        0.5,   0.75, 1,     2.5,  5,     7.5, 10};
  return b;
}

}  // namespace

struct HttpApi::Impl {
  AdminAraService& service;
  obs::Histogram duration;
  std::vector<Route> routes;
  std::string host;
  int port = 0;
  std::unique_ptr<net::HttpServer> server;
  std::mutex mu;
  std::condition_variable stopped_cv;
  bool stopped = false;  // guarded by mu

  Impl(AdminAraService& s, obs::Meter meter)
      : service(s),
        duration(meter.create_histogram("http.server.request.duration",
                                        {.description = "Duration of HTTP server requests",
                                         .unit = "s",
                                         .boundaries = duration_boundaries()})) {}

  // Runs `fn`, turning ApiError into its status and message (the span keeps the message as an
  // event; 4xx is the client's error, so the server span's status stays unset).
  static void guarded(net::Response& res, const std::function<void()>& fn) {
    try {
      fn();
    } catch (const ApiError& e) {
      if (obs::Span* span = obs::current_span()) {
        span->add_event("request.rejected", {{"error.message", e.what()}});
      }
      send_error(res, e.status(), e.what());
    }
  }

  void add(std::string method, std::string route, RouteHandler fn) {
    routes.push_back(Route{std::move(method), std::move(route), std::move(fn)});
  }

  void define_routes(const std::atomic<bool>& ready) {
    add("GET", "/healthz", [](const net::Request&, net::Response& res, const Params&) {
      send_json(res, 200, {{"status", "ok"}});
    });
    add("GET", "/readyz", [&ready](const net::Request&, net::Response& res, const Params&) {
      if (ready.load()) {
        send_json(res, 200, {{"status", "ready"}});
      } else {
        send_json(res, 503, {{"status", "not ready"}, {"error", "starting or stopping"}});
      }
    });
    add("POST", "/api/queue", [this](const net::Request& req, auto& res, const Params&) {
      guarded(res, [&] {
        Json body = body_object(req);
        auto joined = service.join(string_field(body, "customer"));
        send_json(res, 201, ticket_json(joined.ticket, joined.position));
      });
    });
    add("POST", "/api/queue/next", [this](const net::Request& req, auto& res, const Params&) {
      guarded(res, [&] {
        Json body = body_object(req);
        auto t = service.next(string_field(body, "admin"));
        if (!t) {
          res.status = 204;
          return;
        }
        send_json(res, 200, ticket_json(*t, 0));
      });
    });
    add("GET", "/api/queue/{ticket}", [this](const net::Request&, auto& res, const Params& params) {
      guarded(res, [&] {
        auto [t, position] = service.status(params[0]);
        send_json(res, 200, ticket_json(t, position));
      });
    });
    add("POST", "/api/calls/{ticket}/connected",
        [this](const net::Request& req, auto& res, const Params& params) {
          guarded(res, [&] {
            Json body = body_object(req);
            const double ms = number_field(body, "connection_ms");
            Ticket t = service.connected(params[0], ms);
            send_json(res, 200, ticket_json(t, 0));
          });
        });
    add("POST", "/api/calls/{ticket}/ended",
        [this](const net::Request&, auto& res, const Params& params) {
          guarded(res, [&] {
            Ticket t = service.ended(params[0]);
            Json j = ticket_json(t, 0);
            if (t.connected_ms != 0) j["call_ms"] = t.finished_ms - t.connected_ms;
            send_json(res, 200, j);
          });
        });
    add("GET", "/api/turn-credentials", [this](const net::Request& req, auto& res, const Params&) {
      guarded(res, [&] {
        const auto query = net::parse_query(req.query);
        const auto user = query.find("user");
        if (user == query.end()) throw ApiError(400, "missing query parameter 'user'");
        TurnCredentials c = service.turn_credentials(user->second);
        send_json(res, 200,
                  {{"username", c.username},
                   {"credential", c.credential},
                   {"password", c.credential},
                   {"ttl", c.ttl_s},
                   {"uris", c.uris}});
      });
    });
  }

  // The one router: the route whose method and template match; 405 with Allow when the path
  // exists for other methods only; else 404. HEAD is served as GET (the server drops the body).
  const Route* dispatch(const net::Request& req, net::Response& res) {
    const std::string_view method = req.method == "HEAD" ? "GET" : std::string_view(req.method);
    std::string allow;
    for (const Route& r : routes) {
      auto params = r.match(req.path);
      if (!params) continue;
      if (r.method == method) {
        r.handler(req, res, *params);
        return &r;
      }
      if (allow.find(r.method) == std::string::npos) {
        allow += (allow.empty() ? "" : ", ") + r.method;
      }
    }
    if (!allow.empty()) {
      res.headers.set("Allow", allow);
      send_error(res, 405,
                 "method " + req.method + " is not allowed on " + req.path + "; allowed: " + allow);
      return nullptr;
    }
    send_error(res, 404, "no such route: " + req.method + " " + req.path + " (see docs/api.md)");
    return nullptr;
  }

  // The route template a path matches, for the span's url.path: ticket ids are access tokens
  // (docs/api.md), so a path is recorded with its `{ticket}` segments, never their values.
  std::string redacted_path(std::string_view path) const {
    for (const Route& r : routes) {
      if (r.match(path)) return r.route;
    }
    const std::size_t second = path.find('/', 1);  // no route: its first segment only
    return second == std::string_view::npos ? std::string(path)
                                            : std::string(path.substr(0, second)) + "/...";
  }

  // Every request: a server span continuing the caller's trace, current while the route runs,
  // and one http.server.request.duration value. Runs on the server's blocking pool (a handler
  // may wait on Redis).
  void handle(const net::Request& req, net::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    const obs::Context parent =
        obs::extract([&req](std::string_view name) { return req.headers.joined(name); });
    obs::Span span =
        obs::start_span(req.method,
                        {{"http.request.method", known_method(req.method)},
                         {"url.path", redacted_path(req.path)},
                         {"url.scheme", req.tls ? "https" : "http"},
                         {"server.address", host},
                         {"server.port", port},
                         {"client.address", req.remote},
                         {"network.protocol.version", req.version == 10 ? "1.0" : "1.1"}},
                        {.kind = obs::SpanKind::kServer, .parent = &parent});
    if (const auto ua = req.headers.get("User-Agent")) {
      span.set_attribute("user_agent.original", *ua);
    }
    const Route* route = nullptr;
    {
      obs::Scope scope = span.activate();
      try {
        route = dispatch(req, res);
      } catch (const std::exception& e) {
        span.record_exception("internal", e.what());
        span.set_status(obs::StatusCode::kError, e.what());
        res = net::Response{};
        send_error(res, 500, "internal error");
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    span.set_attribute("http.response.status_code", res.status);
    if (res.status >= 500) {
      span.set_attribute("error.type", std::to_string(res.status));
      span.set_status(obs::StatusCode::kError);
    }
    if (route != nullptr) {
      span.set_attribute("http.route", route->route);
      span.update_name(req.method + " " + route->route);
      duration.record(seconds, {{"http.request.method", req.method},
                                {"http.route", route->route},
                                {"http.response.status_code", res.status}});
    } else {
      duration.record(seconds, {{"http.request.method", known_method(req.method)},
                                {"http.response.status_code", res.status}});
    }
  }

  // The server's own refusals (413, 431, 400, ...) in the API's JSON error form.
  void json_refusal(net::Response& res) const {
    std::string message;
    if (res.status == 413) {
      message =
          "request body larger than " + std::to_string(service.config().max_body_bytes) + " bytes";
    } else {
      message = res.body;
      while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
        message.pop_back();
      }
    }
    send_error(res, res.status, message);
  }

  // Semantic conventions: methods outside the known set are reported as _OTHER, so a client
  // cannot create series at will.
  static std::string known_method(const std::string& m) {
    for (const char* k :
         {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"}) {
      if (m == k) return m;
    }
    return "_OTHER";
  }
};

HttpApi::HttpApi(AdminAraService& service, obs::Meter meter)
    : impl_(std::make_unique<Impl>(service, std::move(meter))) {
  impl_->define_routes(ready_);
}

HttpApi::~HttpApi() {
  stop();
}

int HttpApi::bind(const std::string& host, int port) {
  net::HttpLimits limits;
  limits.max_body_bytes = impl_->service.config().max_body_bytes;
  impl_->server = std::make_unique<net::HttpServer>(net::HttpServerOptions{
      .host = host,
      .port = port,
      .limits = limits,
      .io_threads = 1,
      .thread_name = "adminara-http",
      // Handlers wait on the state store (Redis); one in flight per thread.
      .blocking_threads = 8,
      .server_response = [this](net::Response& res) { impl_->json_refusal(res); },
  });
  impl_->server->fallback(
      [this](const net::Request& req, net::Response& res) { impl_->handle(req, res); },
      {.blocking = true});
  impl_->host = host;
  impl_->port = impl_->server->port();
  return impl_->port;
}

void HttpApi::run() {
  if (!impl_->server) throw std::logic_error("HttpApi::run() before bind()");
  impl_->server->start();
  std::unique_lock lock(impl_->mu);
  impl_->stopped_cv.wait(lock, [this] { return impl_->stopped; });
}

void HttpApi::stop() {
  if (impl_->server) impl_->server->stop(std::chrono::seconds(5));
  std::lock_guard lock(impl_->mu);
  impl_->stopped = true;
  impl_->stopped_cv.notify_all();
}

}  // namespace adminara::server
