// The HTTP API end to end in one process: every route's answers and errors, the server span per
// request (continuing an incoming traceparent, with the HTTP attributes), and the request
// duration histogram. Spans go to the in-memory exporter through the global tracer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "http_api.h"

namespace adminara::server {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using Json = obs::jobs::Json;

class HttpApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    obs::Options o;
    o.traces_exporter = "memory";
    o.span_processor = obs::ProcessorKind::kSimple;
    o.enable_metrics = false;
    o.getenv = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
    obs::init_observability(o);
  }
  static void TearDownTestSuite() { obs::shutdown(); }

  HttpApiTest() {
    ServerConfig config;
    config.max_body_bytes = 1024;
    store = make_memory_state_store();
    service = std::make_unique<AdminAraService>(config, *store, provider.get_meter("test"));
    service->ensure_turn_secret();
    api = std::make_unique<HttpApi>(*service, provider.get_meter("test"));
    port = api->bind("127.0.0.1", 0);
    server = std::thread([this] { api->run(); });
    api->set_ready(true);
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
    memory()->take();
  }
  ~HttpApiTest() override {
    api->stop();
    server.join();
  }

  static obs::InMemorySpanExporter* memory() { return obs::observability()->memory_exporter(); }

  httplib::Result post(const std::string& path, const std::string& body,
                       const httplib::Headers& headers = {}) {
    return client->Post(path, headers, body, "application/json");
  }
  static Json json(const httplib::Result& r) { return Json::parse(r->body); }

  // The server span of the last request (the exporter sees it once the response was written).
  obs::SpanData last_server_span() {
    for (int i = 0; i < 200; ++i) {
      for (auto& s : memory()->spans()) {
        if (s.kind == obs::SpanKind::kServer) {
          memory()->take();
          return s;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "no server span";
    return {};
  }

  obs::MeterProvider provider;
  std::unique_ptr<StateStore> store;
  std::unique_ptr<AdminAraService> service;
  std::unique_ptr<HttpApi> api;
  std::thread server;
  int port = 0;
  std::unique_ptr<httplib::Client> client;
};

std::string attr(const obs::SpanData& s, std::string_view key) {
  const obs::AttributeValue* v = s.attribute(key);
  return v == nullptr ? "<none>" : v->to_string();
}

TEST_F(HttpApiTest, HealthAndReadiness) {
  auto r = client->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json(r)["status"], "ok");
  EXPECT_EQ(client->Get("/readyz")->status, 200);
  api->set_ready(false);
  r = client->Get("/readyz");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
}

TEST_F(HttpApiTest, TheWholeCustomerJourney) {
  auto joined = post("/api/queue", R"({"customer":"alice"})");
  ASSERT_TRUE(joined);
  ASSERT_EQ(joined->status, 201) << joined->body;
  const std::string ticket = json(joined)["ticket"];
  EXPECT_EQ(json(joined)["position"], 1);
  EXPECT_EQ(json(joined)["state"], "waiting");

  auto status = client->Get("/api/queue/" + ticket);
  EXPECT_EQ(status->status, 200);
  EXPECT_EQ(json(status)["position"], 1);

  auto next = post("/api/queue/next", R"({"admin":"ann"})");
  ASSERT_EQ(next->status, 200);
  EXPECT_EQ(json(next)["ticket"], ticket);
  EXPECT_GE(json(next)["waited_ms"].get<long>(), 0);
  EXPECT_EQ(post("/api/queue/next", R"({"admin":"ann"})")->status, 204);

  auto connected = post("/api/calls/" + ticket + "/connected", R"({"connection_ms": 812})");
  ASSERT_EQ(connected->status, 200) << connected->body;
  EXPECT_EQ(json(connected)["state"], "connected");
  auto ended = client->Post("/api/calls/" + ticket + "/ended");  // no body, no Content-Length
  ASSERT_TRUE(ended);
  ASSERT_EQ(ended->status, 200) << ended->body;
  EXPECT_EQ(json(ended)["state"], "ended");

  auto creds = client->Get("/api/turn-credentials?user=alice");
  ASSERT_EQ(creds->status, 200);
  const Json c = json(creds);
  EXPECT_EQ(c["credential"],
            turn_credential(store->turn_secrets().current, c["username"].get<std::string>()));
  EXPECT_EQ(c["password"], c["credential"]);
  EXPECT_THAT(c["username"].get<std::string>(), ::testing::EndsWith(":alice"));
  EXPECT_EQ(c["ttl"], 86400);
  EXPECT_EQ(c["uris"].size(), 2u);
}

TEST_F(HttpApiTest, BadInputGets4xxWithAnErrorNamingTheProblem) {
  struct Case {
    std::string method, path, body;
    int status;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"POST", "/api/queue", "{oops", 400, "not valid JSON"},
      {"POST", "/api/queue", "[1,2]", 400, "must be a JSON object"},
      {"POST", "/api/queue", "{}", 400, "missing field 'customer'"},
      {"POST", "/api/queue", R"({"customer": 7})", 400, "field 'customer' must be a string"},
      {"POST", "/api/queue", R"({"customer": ""})", 400, "customer is empty"},
      {"POST", "/api/queue/next", "{}", 400, "missing field 'admin'"},
      {"POST", "/api/calls/t-nope/connected", R"({"connection_ms": 5})", 404, "unknown ticket"},
      {"POST", "/api/calls/t-nope/connected", R"({"connection_ms": "5"})", 400,
       "field 'connection_ms' must be a number"},
      {"POST", "/api/calls/t-nope/ended", "", 404, "unknown ticket"},
      {"GET", "/api/queue/t-nope", "", 404, "unknown ticket"},
      {"GET", "/api/turn-credentials", "", 400, "missing query parameter 'user'"},
      {"GET", "/api/turn-credentials?user=a:b", "", 400, "contains ':'"},
      {"GET", "/api/nothing", "", 404, "no such route: GET /api/nothing"},
      {"DELETE", "/api/queue", "", 405,
       "method DELETE is not allowed on /api/queue; allowed: POST"},
      {"GET", "/api/queue/next", "", 404, "unknown ticket"},
      {"PUT", "/healthz", "x", 405, "allowed: GET"},
      {"POST", "/api/queue", std::string(2000, ' '), 413, "larger than 1024 bytes"},
  };
  for (const Case& c : cases) {
    httplib::Request req;
    req.method = c.method;
    req.path = c.path;
    req.body = c.body;
    if (!c.body.empty()) req.set_header("Content-Type", "application/json");
    auto r = client->send(req);
    ASSERT_TRUE(r) << c.method << " " << c.path;
    EXPECT_EQ(r->status, c.status) << c.method << " " << c.path << ": " << r->body;
    const Json body = Json::parse(r->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r->body;
    EXPECT_THAT(body.value("error", ""), HasSubstr(c.error)) << c.method << " " << c.path;
  }
  auto r = client->Delete("/api/queue");
  EXPECT_EQ(r->get_header_value("Allow"), "POST");
  EXPECT_EQ(store->counts().waiting, 0u);  // nothing was half-done
}

// RFC 9112: a request without Content-Length or Transfer-Encoding has no body. curl -X POST
// sends exactly that; the answer must come at once, not after a read timeout.
TEST_F(HttpApiTest, ABodilessPostWithoutContentLengthIsAnsweredAtOnce) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  timeval timeout{2, 0};  // longer than any answer takes; cpp-httplib's own read timeout is 5 s
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string request =
      "POST /api/calls/t-x/ended HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string answer;  // headers and body may come in separate segments: read to the close
  char buf[512];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, n);
  ::close(fd);
  ASSERT_FALSE(answer.empty()) << "no answer within 2 s";
  EXPECT_THAT(answer, ::testing::StartsWith("HTTP/1.1 404"));
  EXPECT_THAT(answer, HasSubstr("unknown ticket"));
}

TEST_F(HttpApiTest, EveryRequestIsAServerSpanContinuingTheCallersTrace) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto r =
      post("/api/queue", R"({"customer":"bob"})",
           {{"traceparent", "00-" + trace + "-00f067aa0ba902b7-01"}, {"User-Agent", "loadgen/1"}});
  ASSERT_EQ(r->status, 201);
  const obs::SpanData s = last_server_span();
  EXPECT_EQ(s.name, "POST /api/queue");
  EXPECT_EQ(s.context.trace_id().to_hex(), trace);
  EXPECT_EQ(s.parent_span_id.to_hex(), "00f067aa0ba902b7");
  EXPECT_TRUE(s.parent_is_remote);
  EXPECT_EQ(attr(s, "http.request.method"), "POST");
  EXPECT_EQ(attr(s, "http.route"), "/api/queue");
  EXPECT_EQ(attr(s, "url.path"), "/api/queue");
  EXPECT_EQ(attr(s, "http.response.status_code"), "201");
  EXPECT_EQ(attr(s, "server.port"), std::to_string(port));
  EXPECT_EQ(attr(s, "user_agent.original"), "loadgen/1");
  // The ticket id is an access token: the span carries a keyed reference, never the id.
  const std::string ticket = json(r)["ticket"];
  EXPECT_THAT(attr(s, "adminara.ticket.ref"), MatchesRegex("[0-9a-f]{16}"));
  for (const auto& kv : s.attributes) {
    EXPECT_THAT(kv.value.to_string(), Not(HasSubstr(ticket))) << kv.key;
  }
  EXPECT_EQ(s.status.code, obs::StatusCode::kUnset);

  // Without a traceparent: a new trace. A route with a parameter reports the template.
  client->Get("/api/queue/t-nope");
  const obs::SpanData miss = last_server_span();
  EXPECT_EQ(miss.name, "GET /api/queue/{ticket}");
  EXPECT_EQ(attr(miss, "url.path"), "/api/queue/{ticket}");  // the id is not recorded
  EXPECT_FALSE(miss.has_parent());
  EXPECT_EQ(attr(miss, "http.response.status_code"), "404");
  ASSERT_FALSE(miss.events.empty());
  EXPECT_EQ(miss.events[0].name, "request.rejected");

  // No route: the span is named by the method alone and has no http.route.
  client->Get("/nowhere");
  const obs::SpanData none = last_server_span();
  EXPECT_EQ(none.name, "GET");
  EXPECT_EQ(attr(none, "http.route"), "<none>");
}

TEST_F(HttpApiTest, QueueAssignmentIsProfiledInsideItsSpan) {
  post("/api/queue", R"({"customer":"carl"})");
  last_server_span();
  post("/api/queue/next", R"({"admin":"ann"})");
  const obs::SpanData s = last_server_span();
  EXPECT_EQ(s.name, "POST /api/queue/next");
  EXPECT_NE(attr(s, "adminara.queue.wait_ms"), "<none>");
}

TEST_F(HttpApiTest, RequestDurationsAreRecordedPerRouteMethodAndStatus) {
  client->Get("/healthz");
  client->Get("/healthz");
  post("/api/queue", "{}");
  std::map<std::string, std::uint64_t> counts;
  for (const obs::MetricData& m : provider.collect()) {
    if (m.descriptor.name != "http.server.request.duration") continue;
    EXPECT_EQ(m.descriptor.unit, "s");
    for (const auto& p : m.points) {
      std::string key;
      for (const char* k : {"http.request.method", "http.route", "http.response.status_code"}) {
        const obs::AttributeValue* v = obs::find_attribute(*p.attributes, k);
        key += (v ? v->to_string() : "-") + " ";
      }
      counts[key] += std::get<obs::HistogramPoint>(p.value).count;
    }
  }
  EXPECT_EQ(counts["GET /healthz 200 "], 2u);
  EXPECT_EQ(counts["POST /api/queue 400 "], 1u);
}

}  // namespace
}  // namespace adminara::server
