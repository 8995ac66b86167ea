#include "http_api.h"

#include <httplib.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <vector>

namespace adminara::server {
namespace {

using Json = obs::jobs::Json;

using Params = std::vector<std::string>;
using RouteHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const Params&)>;

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

// What the pre-routing handler started for the request this thread is serving; the
// post-routing handler finishes it. cpp-httplib serves a connection's requests on one thread,
// one after another, so a thread_local carries it from one handler to the other.
struct ActiveScope {
  explicit ActiveScope(obs::Span& span) : scope(span.activate()) {}
  obs::Scope scope;
};
struct RequestTrace {
  obs::Span span;
  std::optional<ActiveScope> scope;
  std::chrono::steady_clock::time_point start;
  const Route* route = nullptr;
  bool active = false;
};
thread_local RequestTrace t_request;

void send_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, Json{{"error", message}});
}

// The request body as a JSON object, or ApiError 400 naming what is wrong.
Json body_object(const httplib::Request& req) {
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
  httplib::Server server;
  obs::Histogram duration;
  std::vector<Route> routes;
  std::string host;
  int port = 0;

  Impl(AdminAraService& s, obs::Meter meter)
      : service(s),
        duration(meter.create_histogram("http.server.request.duration",
                                        {.description = "Duration of HTTP server requests",
                                         .unit = "s",
                                         .boundaries = duration_boundaries()})) {}

  // Runs `fn`, turning ApiError into its status and message (the span keeps the message as an
  // event; 4xx is the client's error, so the server span's status stays unset).
  static void guarded(httplib::Response& res, const std::function<void()>& fn) {
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
    add("GET", "/healthz", [](const httplib::Request&, httplib::Response& res, const Params&) {
      send_json(res, 200, {{"status", "ok"}});
    });
    add("GET", "/readyz", [&ready](const httplib::Request&, httplib::Response& res, const Params&) {
      if (ready.load()) {
        send_json(res, 200, {{"status", "ready"}});
      } else {
        send_json(res, 503, {{"status", "not ready"}, {"error", "starting or stopping"}});
      }
    });
    add("POST", "/api/queue", [this](const httplib::Request& req, auto& res, const Params&) {
      guarded(res, [&] {
        Json body = body_object(req);
        auto joined = service.join(string_field(body, "customer"));
        send_json(res, 201, ticket_json(joined.ticket, joined.position));
      });
    });
    add("POST", "/api/queue/next", [this](const httplib::Request& req, auto& res, const Params&) {
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
    add("GET", "/api/queue/{ticket}",
        [this](const httplib::Request&, auto& res, const Params& params) {
          guarded(res, [&] {
            auto [t, position] = service.status(params[0]);
            send_json(res, 200, ticket_json(t, position));
          });
        });
    add("POST", "/api/calls/{ticket}/connected",
        [this](const httplib::Request& req, auto& res, const Params& params) {
          guarded(res, [&] {
            Json body = body_object(req);
            const double ms = number_field(body, "connection_ms");
            Ticket t = service.connected(params[0], ms);
            send_json(res, 200, ticket_json(t, 0));
          });
        });
    add("POST", "/api/calls/{ticket}/ended",
        [this](const httplib::Request&, auto& res, const Params& params) {
          guarded(res, [&] {
            Ticket t = service.ended(params[0]);
            Json j = ticket_json(t, 0);
            if (t.connected_ms != 0) j["call_ms"] = t.finished_ms - t.connected_ms;
            send_json(res, 200, j);
          });
        });
    add("GET", "/api/turn-credentials",
        [this](const httplib::Request& req, auto& res, const Params&) {
          guarded(res, [&] {
            if (!req.has_param("user")) {
              throw ApiError(400, "missing query parameter 'user'");
            }
            TurnCredentials c = service.turn_credentials(req.get_param_value("user"));
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
  // exists for other methods only; else 404. HEAD is served as GET (cpp-httplib drops the body).
  void dispatch(const httplib::Request& req, httplib::Response& res) {
    const std::string_view method = req.method == "HEAD" ? "GET" : std::string_view(req.method);
    std::string allow;
    for (const Route& r : routes) {
      auto params = r.match(req.path);
      if (!params) continue;
      if (r.method == method) {
        t_request.route = &r;
        r.handler(req, res, *params);
        return;
      }
      if (allow.find(r.method) == std::string::npos) {
        allow += (allow.empty() ? "" : ", ") + r.method;
      }
    }
    if (!allow.empty()) {
      res.set_header("Allow", allow);
      send_error(res, 405,
                 "method " + req.method + " is not allowed on " + req.path + "; allowed: " + allow);
      return;
    }
    send_error(res, 404, "no such route: " + req.method + " " + req.path + " (see docs/api.md)");
  }

  void install() {
    const auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      dispatch(req, res);
    };
    server.Get(".*", handler);
    server.Post(".*", handler);
    server.Put(".*", handler);
    server.Delete(".*", handler);
    server.Patch(".*", handler);
    server.Options(".*", handler);
    server.set_tcp_nodelay(true);  // responses are written in pieces; don't let Nagle hold them
    server.set_payload_max_length(service.config().max_body_bytes);
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      begin(req);
      // A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3), but
      // cpp-httplib would read one until the connection closes: route it here, bodiless.
      if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
        dispatch(req, res);
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server.set_post_routing_handler(
        [this](const httplib::Request& req, httplib::Response& res) { finish(req, res); });
    server.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request&,
                                                                         httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (res.status == 413) {
        send_error(res, 413,
                   "request body larger than " + std::to_string(service.config().max_body_bytes) +
                       " bytes");
      } else {
        send_error(res, res.status,
                   res.status == 400 ? "malformed request (or an unsupported method)"
                                     : "request refused (HTTP " + std::to_string(res.status) + ")");
      }
      return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown exception";
          try {
            if (ep) std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          if (obs::Span* span = obs::current_span()) {
            span->record_exception("internal", what);
            span->set_status(obs::StatusCode::kError, what);
          }
          send_error(res, 500, "internal error");
        });
  }

  void begin(const httplib::Request& req) {
    if (t_request.active) abandon();
    const obs::Context parent = obs::extract(req.headers);
    t_request.span =
        obs::start_span(req.method,
                        {{"http.request.method", req.method},
                         {"url.path", req.path},
                         {"url.scheme", "http"},
                         {"server.address", host},
                         {"server.port", port},
                         {"client.address", req.remote_addr},
                         {"network.protocol.version",
                          req.version.size() > 5 ? req.version.substr(5) : req.version}},
                        {.kind = obs::SpanKind::kServer, .parent = &parent});
    if (req.has_header("User-Agent")) {
      t_request.span.set_attribute("user_agent.original", req.get_header_value("User-Agent"));
    }
    t_request.scope.emplace(t_request.span);
    t_request.start = std::chrono::steady_clock::now();
    t_request.route = nullptr;
    t_request.active = true;
  }

  void finish(const httplib::Request& req, const httplib::Response& res) {
    if (!t_request.active) return;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_request.start).count();
    obs::Span& span = t_request.span;
    span.set_attribute("http.response.status_code", res.status);
    if (res.status >= 500) {
      span.set_attribute("error.type", std::to_string(res.status));
      span.set_status(obs::StatusCode::kError);
    }
    if (t_request.route != nullptr) {
      span.set_attribute("http.route", t_request.route->route);
      span.update_name(req.method + " " + t_request.route->route);
      duration.record(seconds, {{"http.request.method", req.method},
                                {"http.route", t_request.route->route},
                                {"http.response.status_code", res.status}});
    } else {
      duration.record(seconds, {{"http.request.method", known_method(req.method)},
                                {"http.response.status_code", res.status}});
    }
    t_request.scope.reset();
    span.end();
    t_request.active = false;
  }

  // A request whose response was never written (the connection broke): end its span as such.
  void abandon() {
    t_request.span.set_status(obs::StatusCode::kError, "no response written");
    t_request.scope.reset();
    t_request.span.end();
    t_request.active = false;
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
  impl_->install();
}

HttpApi::~HttpApi() = default;

int HttpApi::bind(const std::string& host, int port) {
  int bound = port;
  if (port == 0) {
    bound = impl_->server.bind_to_any_port(host);
  } else if (!impl_->server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) +
                             " (in use, or not an address of this machine)");
  }
  impl_->host = host;
  impl_->port = bound;
  return bound;
}

void HttpApi::run() {
  impl_->server.listen_after_bind();
}

void HttpApi::stop() {
  impl_->server.stop();
}

}  // namespace adminara::server
