// A real Prometheus server scrapes the golden expositions from a MetricsServer: the OpenMetrics
// golden through /metrics (Prometheus asks for OpenMetrics first) and the text 0.0.4 golden
// through a second path. Both targets must come up healthy and their samples be queryable.
// Skipped when /usr/bin/prometheus is not installed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "export/prometheus/server.h"

namespace adminara::obs::prometheus {
namespace {

namespace fs = std::filesystem;
constexpr char kPrometheus[] = "/usr/bin/prometheus";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(PrometheusScrape, RealPrometheusIngestsBothFormats) {
  if (!fs::exists(kPrometheus)) GTEST_SKIP() << kPrometheus << " not installed";
  const std::string golden = ADMINARA_OBS_GOLDEN_DIR;
  const std::string om = read_file(golden + "/all_openmetrics_1.0.txt");
  const std::string text = read_file(golden + "/all_text_0.0.4.txt");
  ASSERT_FALSE(om.empty());
  ASSERT_FALSE(text.empty());

  MetricsServer server("127.0.0.1", 0, [&](Format f, std::string& out) {
    out += f == Format::kOpenMetrics1 ? om : text;
  });
  server.add_get_handler("/metrics004", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(text, std::string(content_type(Format::kText004)));
  });

  fs::path dir = fs::temp_directory_path() / ("adminara-prom-" + std::to_string(getpid()));
  fs::create_directories(dir);
  int prom_port = free_port();
  std::string target = "127.0.0.1:" + std::to_string(server.port());
  std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                                        << "scrape_configs:\n"
                                        << "  - job_name: om\n    static_configs:\n"
                                        << "      - targets: ['" << target << "']\n"
                                        << "  - job_name: text004\n    metrics_path: /metrics004\n"
                                        << "    static_configs:\n"
                                        << "      - targets: ['" << target << "']\n";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::string config = "--config.file=" + (dir / "prometheus.yml").string();
    std::string storage = "--storage.tsdb.path=" + (dir / "data").string();
    std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(prom_port);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(kPrometheus, kPrometheus, config.c_str(), storage.c_str(), listen.c_str(),
          "--enable-feature=exemplar-storage", static_cast<char*>(nullptr));
    _exit(127);
  }

  httplib::Client api("127.0.0.1", prom_port);
  nlohmann::json targets;
  bool healthy = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!healthy && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto res = api.Get("/api/v1/targets");
    if (!res || res->status != 200) continue;
    targets = nlohmann::json::parse(res->body, nullptr, false);
    if (targets.is_discarded()) continue;
    int up = 0;
    for (const auto& t : targets["data"]["activeTargets"]) {
      if (t["health"] == "up" && t["lastError"] == "") ++up;
    }
    healthy = up == 2;
  }
  // Samples from both jobs, including the merged counter family and a histogram bucket.
  int series = 0;
  if (healthy) {
    auto res = api.Get(
        "/api/v1/query?query=count(http_server_requests_total)%20or%20"
        "count(webrtc_connection_time_bucket)");
    if (res && res->status == 200) {
      auto j = nlohmann::json::parse(res->body, nullptr, false);
      if (!j.is_discarded()) series = static_cast<int>(j["data"]["result"].size());
    }
  }
  // Exemplars exist only in OpenMetrics, so stored ones prove that format was parsed.
  int exemplars = 0;
  if (healthy) {
    auto res = api.Get(
        "/api/v1/query_exemplars?query=webrtc_connection_time_bucket&start=0&end=4000000000");
    if (res && res->status == 200) {
      auto j = nlohmann::json::parse(res->body, nullptr, false);
      if (!j.is_discarded()) {
        for (const auto& r : j["data"]) exemplars += static_cast<int>(r["exemplars"].size());
      }
    }
  }
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  fs::remove_all(dir);

  EXPECT_TRUE(healthy) << targets.dump(2);
  EXPECT_GE(series, 1);
  EXPECT_GE(exemplars, 1);
}

}  // namespace
}  // namespace adminara::obs::prometheus
