// The reference service end to end, with every part real: adminara-server with short schedules,
// the load generator, a Prometheus configured from deploy/prometheus (ports substituted, rules
// loaded, every `for:` shortened), an Alertmanager configured by deploy/alertmanager's renderer
// whose Telegram receiver points at a loopback stub of the Telegram Bot API.
//
// It checks what the issue promises: the four AdminAra queries (docs/metrics.md) return values
// consistent with what the load generator sent (exactly, for counts and sums); every PromQL
// expression of the dashboard and the alert rules evaluates and returns data; job spans are
// exported; no TURN secret appears in any span or log line; a rule made to fire reaches the
// Telegram stub as a sendMessage; SIGTERM exits 0 with every request's span flushed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/prometheus_harness.h"

namespace adminara::obs::testing {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const fs::path kDeploy = ADMINARA_DEPLOY_DIR;

// Replaces every match of `pattern` in `text`.
std::string replace_all(const std::string& text, const std::string& pattern,
                        const std::string& with) {
  return std::regex_replace(text, std::regex(pattern), with);
}

// Runs a program to completion; its stdout. Fails the test on a non-zero exit.
std::string run(const fs::path& dir, const std::vector<std::string>& argv,
                const std::vector<std::pair<std::string, std::string>>& env = {}) {
  ChildProcess p({argv, env, dir / "run.out", dir / "run.err"});
  const auto code = p.wait(120s);
  EXPECT_EQ(code, 0) << argv[0] << ":\n" << p.errors();
  return p.output();
}

// Polls `fn` until it returns true or `timeout` passes; false on timeout.
bool eventually(const std::function<bool()>& fn, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return fn();
}

double scalar(const Json& result) {
  if (result.empty()) return std::nan("");
  return std::stod(result[0]["value"][1].get<std::string>());
}

// A stand-in for the Telegram Bot API on loopback: records every call, answers like Telegram.
class TelegramStub {
 public:
  TelegramStub() {
    server_.Post(R"(/bot([^/]+)/(\w+))", [this](const httplib::Request& req, auto& res) {
      {
        std::lock_guard lock(mu_);
        calls_.push_back({req.matches[1], req.matches[2], req.body});
      }
      const Json message = {{"message_id", 1},
                            {"date", 0},
                            {"chat", {{"id", 42}, {"type", "private"}}},
                            {"text", "ok"}};
      res.set_content(Json{{"ok", true}, {"result", message}}.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TelegramStub() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

  struct Call {
    std::string token, method, body;
  };
  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::vector<Call> calls_;
};

// Collects every TURN secret the server writes to its secrets file while the test runs.
class SecretWatcher {
 public:
  explicit SecretWatcher(fs::path file) : file_(std::move(file)) {
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        read_once();
        std::this_thread::sleep_for(50ms);
      }
    });
  }
  ~SecretWatcher() { stop(); }
  void stop() {
    if (thread_.joinable()) {
      stop_.store(true);
      thread_.join();
    }
  }
  void read_from(const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    std::lock_guard lock(mu_);
    while (std::getline(in, line)) {
      if (!line.empty()) secrets_.insert(line);
    }
  }
  std::set<std::string> secrets() const {
    std::lock_guard lock(mu_);
    return secrets_;
  }

 private:
  void read_once() { read_from(file_); }
  fs::path file_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::set<std::string> secrets_;
};

// `expr` with every comparison against a number made a `bool` comparison (`x > 5000` ->
// `x > bool 5000`): it then returns a 0/1 sample for every series the condition looks at, so
// "returns data" means the metrics behind a rule exist whether or not the rule fires.
std::string with_bool_comparisons(const std::string& expr) {
  static const std::regex kComparison(R"((==|!=|>=|<=|>|<)\s*(?=[0-9.]))");
  return std::regex_replace(expr, kComparison, "$1 bool ");
}

class ServerEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("adminara-e2e-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "secrets");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

TEST_F(ServerEndToEnd, TrafficMetricsAlertsAndShutdownAgainstRealPrometheusAndAlertmanager) {
  const int http_port = free_loopback_port();
  const int metrics_port = free_loopback_port();
  const fs::path secrets_file = dir_ / "secrets" / "turn-secrets";

  // --- the server, with schedules in seconds --------------------------------------------------
  ChildProcess server({{ADMINARA_SERVER_BIN},
                       {{"ADMINARA_ENV", "development"},
                        {"OTEL_TRACES_EXPORTER", "console"},
                        {"OTEL_BSP_SCHEDULE_DELAY", "200"},
                        {"OTEL_EXPORTER_PROMETHEUS_HOST", "127.0.0.1"},
                        {"OTEL_EXPORTER_PROMETHEUS_PORT", std::to_string(metrics_port)},
                        {"ADMINARA_HTTP_PORT", std::to_string(http_port)},
                        {"TURN_ROTATION_INTERVAL", "2s"},
                        {"SESSION_CLEANUP_INTERVAL", "1s"},
                        {"RETENTION_SCHEDULE", "*/3 * * * * *"},
                        {"RETENTION_PERIOD", "1h"},
                        {"TURN_SECRETS_FILE", secrets_file.string()}},
                       dir_ / "server.out",
                       dir_ / "server.err"});
  httplib::Client api("127.0.0.1", http_port);
  ASSERT_TRUE(eventually(
      [&] {
        auto r = api.Get("/readyz");
        return r && r->status == 200;
      },
      20s))
      << server.errors();
  SecretWatcher watcher(secrets_file);

  // --- the Telegram stub and Alertmanager, configured by deploy/alertmanager/render-config ------
  TelegramStub telegram;
  const fs::path am_config = dir_ / "alertmanager" / "alertmanager.yml";
  run(dir_,
      {"/bin/bash", (kDeploy / "alertmanager" / "render-config").string(),
       (dir_ / "alertmanager").string()},
      {{"TELEGRAM_BOT_TOKEN", "123456:e2e-test-token"},
       {"TELEGRAM_CHAT_ID", "-1001234"},
       {"TELEGRAM_API_URL", "http://127.0.0.1:" + std::to_string(telegram.port())}});
  // Notify at once in the test (group_wait and group_interval of a real deployment are minutes).
  std::string am_text = read_file(am_config);
  am_text = replace_all(am_text, R"(group_wait:\s*\S+)", "group_wait: 1s");
  am_text = replace_all(am_text, R"(group_interval:\s*\S+)", "group_interval: 1s");
  std::ofstream(am_config) << am_text;
  const int am_port = free_loopback_port();
  ChildProcess alertmanager(
      {{"/usr/bin/prometheus-alertmanager", "--config.file=" + am_config.string(),
        "--storage.path=" + (dir_ / "am-data").string(),
        "--web.listen-address=127.0.0.1:" + std::to_string(am_port),
        "--cluster.listen-address=", "--log.level=warn"},
       {},
       dir_ / "am.out",
       dir_ / "am.err"});
  httplib::Client am("127.0.0.1", am_port);
  ASSERT_TRUE(eventually(
      [&] {
        auto r = am.Get("/-/ready");
        return r && r->status == 200;
      },
      30s))
      << alertmanager.errors();

  // --- Prometheus from deploy/prometheus: ports substituted, intervals and every `for:` shortened
  std::string prom_config = read_file(kDeploy / "prometheus" / "prometheus.yml");
  ASSERT_THAT(prom_config, ::testing::HasSubstr("localhost:9464"));
  prom_config =
      replace_all(prom_config, "localhost:9464", "127.0.0.1:" + std::to_string(metrics_port));
  prom_config = replace_all(prom_config, "localhost:9093", "127.0.0.1:" + std::to_string(am_port));
  prom_config =
      replace_all(prom_config, R"((scrape_interval|evaluation_interval):\s*\S+)", "$1: 1s");
  std::string rules = read_file(kDeploy / "prometheus" / "alerts.yml");
  rules = replace_all(rules, R"(\bfor:\s*\S+)", "for: 0s");
  PrometheusServer::Options prom_options;
  prom_options.targets = {"127.0.0.1:" + std::to_string(metrics_port)};
  prom_options.job = "adminara-otel";
  prom_options.config_yaml = prom_config;
  prom_options.files = {{"alerts.yml", rules}};
  PrometheusServer prometheus(prom_options);
  prometheus.wait_for_scrapes(2, 30s);

  // --- traffic: half of the WebRTC connections slow, so the p95 alert must fire ---------------
  const std::string summary_line =
      run(dir_, {ADMINARA_LOADGEN_BIN, "--url", "http://127.0.0.1:" + std::to_string(http_port),
                 "--duration", "6s", "--rate", "25", "--admins", "6", "--slow-fraction", "0.5",
                 "--max-call", "100ms", "--seed", "42", "--quiet"});
  const Json sent = Json::parse(summary_line);
  ASSERT_EQ(sent["errors"], 0) << summary_line;
  ASSERT_GT(sent["connected"].get<long>(), 50) << summary_line;

  // A failing job: the secrets file's directory becomes a plain file, so turn_rotation fails
  // (all attempts) and jobs_failed_total gets its series.
  fs::rename(dir_ / "secrets", dir_ / "secrets.moved");
  std::ofstream(dir_ / "secrets") << "not a directory\n";

  // Prometheus has what the load generator sent once a scrape after its end came in.
  ASSERT_TRUE(eventually(
      [&] {
        return scalar(prometheus.query("webrtc_connection_time_count")) ==
               sent["connected"].get<double>();
      },
      30s))
      << "webrtc_connection_time_count never reached " << sent["connected"];

  // The four AdminAra queries.
  const double p95 =
      scalar(prometheus.query("histogram_quantile(0.95, rate(webrtc_connection_time_bucket[5m]))"));
  EXPECT_GT(p95, 5000) << "half the connections took 6-12 s";
  EXPECT_LE(p95, 12000);
  const double avg_wait =
      scalar(prometheus.query("rate(queue_wait_time_sum[5m]) / rate(queue_wait_time_count[5m])"));
  EXPECT_GE(avg_wait, 0);
  EXPECT_FALSE(std::isnan(avg_wait));
  const Json job_p99 =
      prometheus.query("histogram_quantile(0.99, rate(job_processing_time_bucket[5m]))");
  EXPECT_FALSE(job_p99.empty());
  EXPECT_FALSE(prometheus.query("active_spans").empty());

  // Counts and sums exactly as sent.
  EXPECT_EQ(scalar(prometheus.query("webrtc_connection_time_sum")),
            sent["connection_ms_sum"].get<double>());
  EXPECT_EQ(scalar(prometheus.query("queue_wait_time_count")), sent["assigned"].get<double>());
  EXPECT_EQ(scalar(prometheus.query("queue_wait_time_sum")),
            sent["queue_wait_ms_sum"].get<double>());
  EXPECT_EQ(scalar(prometheus.query("adminara_tickets_created_total")),
            sent["customers_joined"].get<double>());
  EXPECT_EQ(scalar(prometheus.query("adminara_turn_credentials_issued_total")),
            sent["credentials_issued"].get<double>());
  EXPECT_EQ(
      scalar(prometheus.query(
          R"(sum(http_server_request_duration_count{http_route="/api/queue",http_response_status_code="201"}))")),
      sent["customers_joined"].get<double>());
  EXPECT_GT(scalar(prometheus.query(
                R"(sum(job_processing_time_count{job_name="session_cleanup",status="success"}))")),
            0);

  // The failing rotation reaches Prometheus (two samples of the new series, so rates exist).
  EXPECT_TRUE(eventually(
      [&] {
        return !prometheus.query(R"(rate(jobs_failed_total{job_name="turn_rotation"}[5m]))")
                    .empty();
      },
      30s))
      << server.errors();

  // Every expression of the dashboard and the alert rules evaluates and returns data (a rule's
  // comparisons made `bool`, so the data behind it shows whether or not it fires).
  const std::string exprs = run(dir_, {"/bin/bash", (kDeploy / "list-exprs").string()});
  std::istringstream lines(exprs);
  int checked = 0;
  for (std::string expr; std::getline(lines, expr);) {
    if (expr.empty()) continue;
    SCOPED_TRACE(expr);
    ASSERT_NO_THROW(prometheus.query(expr));
    if (expr.rfind("absent(", 0) == 0) continue;  // empty while the metric exists
    const std::string data_expr = with_bool_comparisons(expr);
    EXPECT_FALSE(prometheus.query(data_expr).empty()) << "no data for: " << data_expr;
    ++checked;
  }
  EXPECT_GT(checked, 40);

  // The slow-WebRTC rule fires, and Alertmanager tells "Telegram".
  const bool fired = eventually(
      [&] {
        const Json alerts = prometheus.get("/api/v1/alerts");  // kept alive for the loop
        for (const Json& a : alerts["alerts"]) {
          if (a["labels"].value("alertname", "") == "AdminAraSlowWebRTCConnections" &&
              a.value("state", "") == "firing") {
            return true;
          }
        }
        return false;
      },
      60s);
  ASSERT_TRUE(fired) << "alerts: " << prometheus.get("/api/v1/alerts").dump()
                     << "\nrule groups: " << prometheus.get("/api/v1/rules").dump().substr(0, 4000);
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& c : telegram.calls()) {
          if (c.method == "sendMessage" &&
              c.body.find("AdminAraSlowWebRTCConnections") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      60s))
      << "no sendMessage reached the stub; alertmanager log:\n"
      << alertmanager.errors();
  for (const auto& c : telegram.calls()) {
    EXPECT_EQ(c.token, "123456:e2e-test-token");
    EXPECT_THAT(c.body, ::testing::HasSubstr("-1001234")) << "chat id";
  }

  httplib::Client metrics("127.0.0.1", metrics_port);
  auto scraped = metrics.Get("/metrics");
  ASSERT_TRUE(scraped);
  const std::string exposition = scraped->body;

  // SIGTERM: a clean exit with everything flushed.
  server.signal(SIGTERM);
  const auto code = server.wait(30s);
  ASSERT_TRUE(code.has_value()) << "the server did not exit within 30 s of SIGTERM";
  EXPECT_EQ(*code, 0) << server.errors();
  EXPECT_THAT(server.errors(), ::testing::HasSubstr("stopped"));

  const std::string spans = server.output();
  const std::string logs = server.errors();
  long joined_spans = 0;
  std::set<std::string> job_spans;
  std::istringstream span_lines(spans);
  for (std::string line; std::getline(span_lines, line);) {
    const Json s = Json::parse(line, nullptr, false);
    ASSERT_FALSE(s.is_discarded()) << "not a JSON line: " << line;
    const std::string name = s.value("name", "");
    if (name.rfind("job.", 0) == 0) job_spans.insert(name);
    if (name == "POST /api/queue" && s["attributes"].value("http.response.status_code", 0) == 201) {
      ++joined_spans;
    }
  }
  EXPECT_EQ(joined_spans, sent["customers_joined"].get<long>()) << "a request's span was lost";
  EXPECT_TRUE(job_spans.contains("job.turn_rotation"));
  EXPECT_TRUE(job_spans.contains("job.session_cleanup"));
  EXPECT_TRUE(job_spans.contains("job.retention"));
  EXPECT_THAT(spans, ::testing::HasSubstr("\"name\":\"scheduler.init\""));

  // No secret anywhere: spans, logs, and what Prometheus scraped (it saw every metric).
  watcher.stop();
  watcher.read_from(dir_ / "secrets.moved" / "turn-secrets");
  const std::set<std::string> secrets = watcher.secrets();
  EXPECT_GE(secrets.size(), 2u) << "the secret was never rotated";
  for (const std::string& secret : secrets) {
    EXPECT_EQ(spans.find(secret), std::string::npos) << "a TURN secret is in a span";
    EXPECT_EQ(logs.find(secret), std::string::npos) << "a TURN secret is in a log line";
    EXPECT_EQ(exposition.find(secret), std::string::npos) << "a TURN secret is in a metric";
  }
}

}  // namespace
}  // namespace adminara::obs::testing
