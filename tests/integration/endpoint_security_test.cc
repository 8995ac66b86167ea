// The /metrics + /debug endpoint behind TLS and basic auth from an exporter-toolkit web
// configuration, as init_observability() starts it: a real Prometheus 2.42 scrapes it over
// https with basic_auth (up is 1) and with a wrong password (up is 0); /debug fails closed; a
// bad file stops init with a ConfigError that names the key and no secret.
#include <crypt.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "adminara/obs.h"
#include "sdk/config/debug_pages_config.h"
#include "tests/common/env_options.h"
#include "tests/integration/prometheus_harness.h"

namespace adminara::obs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::options_with_env;

constexpr const char* kUser = "prometheus";
constexpr const char* kPassword = "correct horse battery staple";

// A bcrypt hash of `password` at cost 4 (fast for tests; the server accepts 4 to 31).
std::string bcrypt(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2y$", 4, nullptr, 0, salt, sizeof salt) == nullptr) {
    throw std::runtime_error("crypt_gensalt_rn failed");
  }
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), salt, &data, sizeof data);
  if (hash == nullptr) throw std::runtime_error("crypt_rn failed");
  return hash;
}

void run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
    throw std::runtime_error("failed: " + command);
  }
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return pred();
}

// A CA, a server certificate for 127.0.0.1 / localhost signed by it, and web configurations.
class EndpointSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("adminara-endpoint-security-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    const std::string d = dir_.string();
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout " + d +
        "/ca.key -out " + d + "/ca.crt");
    write(dir_ / "san.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    run("openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout " + d +
        "/server.key -out " + d + "/server.csr");
    run("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.crt -CAkey " + d +
        "/ca.key -CAcreateserial -days 2 -extfile " + d + "/san.ext -out " + d + "/server.crt");
    hash_ = bcrypt(kPassword);
    write(dir_ / "web.yml",
          "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
          "basic_auth_users:\n  " +
              std::string(kUser) + ": " + hash_ + "\n");
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void TearDown() override { shutdown(); }

  static fs::path dir_;
  static std::string hash_;
};
fs::path EndpointSecurityTest::dir_;
std::string EndpointSecurityTest::hash_;

TEST_F(EndpointSecurityTest, PrometheusScrapesOverHttpsWithBasicAuthAndAWrongPasswordFails) {
  Options o = options_with_env({{"ADMINARA_WEB_CONFIG_FILE", (dir_ / "web.yml").string()}});
  o.traces_exporter = "none";
  Observability& obs = init_observability(o);
  create_metrics(get_meter()).queue_wait_time.record(42);
  const std::string target = "127.0.0.1:" + std::to_string(obs.prometheus_port());

  auto job = [&](const std::string& name, const std::string& password) {
    return "  - job_name: " + name +
           "\n    scheme: https\n    tls_config:\n      ca_file: " + (dir_ / "ca.crt").string() +
           "\n    basic_auth:\n      username: " + kUser + "\n      password: '" + password +
           "'\n    static_configs:\n      - targets: ['" + target + "']\n";
  };
  testing::PrometheusServer prom(testing::PrometheusServer::Options{
      .targets = {target},
      .config_yaml = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n" +
                     job("good", kPassword) + job("bad", "wrong password")});
  auto up = [&](const std::string& name) -> std::string {
    const auto r = prom.query("up{job=\"" + name + "\"}");
    return r.empty() ? "" : r[0]["value"][1].get<std::string>();
  };
  EXPECT_TRUE(
      eventually([&] { return up("good") == "1" && up("bad") == "0"; }, std::chrono::seconds(60)))
      << "up{good}=" << up("good") << " up{bad}=" << up("bad") << "\n"
      << prom.log_tail();
  EXPECT_TRUE(eventually([&] { return !prom.query("queue_wait_time_count{job=\"good\"}").empty(); },
                         std::chrono::seconds(30)));
  EXPECT_TRUE(prom.query("queue_wait_time_count{job=\"bad\"}").empty());
}

TEST_F(EndpointSecurityTest, PlainHttpAndMissingOrWrongCredentialsAreRefused) {
  // Basic auth without TLS (exporter-toolkit allows it): 401 without or with wrong credentials.
  write(dir_ / "auth-only.yml", "basic_auth_users:\n  " + std::string(kUser) + ": " + hash_ + "\n");
  Options o = options_with_env({{"ADMINARA_WEB_CONFIG_FILE", (dir_ / "auth-only.yml").string()}});
  o.traces_exporter = "none";
  Observability& obs = init_observability(o);
  ASSERT_TRUE(obs.debug_pages_enabled());  // loopback and authenticated: served
  httplib::Client client("127.0.0.1", obs.prometheus_port());
  auto none = client.Get("/metrics");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Basic");
  client.set_basic_auth(kUser, "nope");
  auto wrong = client.Get("/debug/api/tracez");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  client.set_basic_auth(kUser, kPassword);
  auto good = client.Get("/metrics");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
  auto page = client.Get("/debug/api/tracez");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  // The refusals are counted in the self-metrics.
  EXPECT_THAT(obs.render_metrics(),
              HasSubstr("adminara_obs_http_requests_refused_total{reason=\"unauthorized\",otel_"
                        "scope_name=\"adminara.obs\",otel_scope_version=\"" +
                        std::string(version()) + "\"} 2\n"));
}

TEST_F(EndpointSecurityTest, ABadFileStopsInitNamingTheKeyAndNoSecret) {
  write(dir_ / "bad.yml", "basic_auth_users:\n  " + std::string(kUser) + ": " + hash_ +
                              "\nbasic_auth_user:\n  typo: " + hash_ + "\n");
  Options o = options_with_env({{"ADMINARA_WEB_CONFIG_FILE", (dir_ / "bad.yml").string()}});
  try {
    init_observability(o);
    FAIL() << "init accepted a web configuration with an unknown key";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("basic_auth_user"));
    EXPECT_THAT(e.what(), HasSubstr("bad.yml"));
    EXPECT_THAT(e.what(), Not(HasSubstr(hash_)));
  }
  EXPECT_EQ(observability(), nullptr);

  o = options_with_env({{"ADMINARA_WEB_CONFIG_FILE", (dir_ / "missing.yml").string()}});
  EXPECT_THROW(init_observability(o), ConfigError);
}

// The fail-closed rule itself: the e2e tests above cover loopback and authenticated endpoints;
// binding a non-loopback address in a test would expose it beyond this machine.
TEST(DebugPagesExposure, OffLoopbackWithoutAuthIsRefusedUnlessAllowed) {
  config::DebugPagesConfig c;
  std::string warning;
  EXPECT_TRUE(config::serve_debug_pages(c, "localhost", 9464, true, false, warning));
  EXPECT_EQ(warning, "");
  EXPECT_TRUE(config::serve_debug_pages(c, "0.0.0.0", 9464, false, true, warning));
  EXPECT_EQ(warning, "");
  EXPECT_FALSE(config::serve_debug_pages(c, "0.0.0.0", 9464, false, false, warning));
  EXPECT_THAT(warning, HasSubstr("0.0.0.0:9464"));
  EXPECT_THAT(warning, HasSubstr("not serving them"));
  EXPECT_THAT(warning, HasSubstr("ADMINARA_DEBUG_PAGES_ALLOW_UNPROTECTED"));
  c.allow_unprotected = true;
  EXPECT_TRUE(config::serve_debug_pages(c, "0.0.0.0", 9464, false, false, warning));
  EXPECT_THAT(warning, HasSubstr("serving them because"));
}

}  // namespace
}  // namespace adminara::obs
