// adminara-server: the AdminAra reference service (docs/api.md). A customer queue, calls and
// TURN credentials over HTTP, maintenance jobs on the scheduler, all traced and measured with
// the library: spans on the configured exporter (console in development), metrics on
// http://localhost:9464/metrics.
//
//   build/bin/adminara-server                       # embedded defaults, 127.0.0.1:8080
//   build/bin/adminara-server --print-config        # the effective configuration
//   SESSION_CLEANUP_INTERVAL=10s build/bin/adminara-server --http-port 9000
//
// SIGTERM or SIGINT: stop accepting, finish requests in flight, close the worker, flush
// telemetry, exit 0. Exit 2: bad configuration; exit 1: start-up failed.
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "config.h"
#include "http_api.h"
#include "maintenance.h"
#include "service.h"

namespace obs = adminara::obs;
namespace srv = adminara::server;

namespace {

std::optional<std::string> process_env(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

void log(const std::string& line) {
  std::cerr << "adminara-server: " << line << std::endl;
}

int serve(const srv::ServerConfig& config, sigset_t signals) {
  obs::Options options;
  options.service_name = "adminara";
  options.strict_config = true;
  if (!config.web_config_file.empty()) options.web_config_file = config.web_config_file;
  obs::Observability& o = obs::init_observability(options);
  for (const auto& w : o.config_warnings()) log("observability: " + w);

  std::unique_ptr<srv::StateStore> store;
  std::shared_ptr<obs::jobs::Backend> jobs_backend;
  if (config.redis_url.empty()) {
    store = srv::make_memory_state_store();
  } else {
    store = srv::make_redis_state_store(config.redis_url);
    jobs_backend = obs::jobs::make_redis_backend({.url = config.redis_url});
  }
  srv::AdminAraService service(config, *store, obs::get_meter());
  service.ensure_turn_secret();
  srv::Maintenance maintenance(service, jobs_backend);

  srv::HttpApi api(service, obs::get_meter());
  const int port = api.bind(config.http_host, config.http_port);
  std::thread http([&api] { api.run(); });
  api.set_ready(true);

  log("listening on http://" + config.http_host + ":" + std::to_string(port) +
      " (GET /healthz, POST /api/queue, ... see docs/api.md)");
  if (o.prometheus_port() > 0) {
    log("metrics on http://localhost:" + std::to_string(o.prometheus_port()) + "/metrics");
  }
  std::string exporters;
  for (const auto& e : o.span_exporter_names()) exporters += (exporters.empty() ? "" : ",") + e;
  log(std::string("state and jobs: ") +
      (config.redis_url.empty() ? "in memory" : "on Redis (REDIS_URL)"));
  log("environment " + o.deployment_environment() + ", span exporters: " +
      (exporters.empty() ? "none" : exporters) + "; stop with Ctrl-C or SIGTERM");

  int sig = 0;
  sigwait(&signals, &sig);
  log(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + "; shutting down");

  api.set_ready(false);
  api.stop();  // stops accepting; requests in flight finish before run() returns
  http.join();
  const obs::jobs::CloseResult closed = maintenance.close(config.shutdown_timeout);
  if (!closed.clean) {
    std::string ids;
    for (const auto& id : closed.still_running) ids += " " + id;
    log("jobs still running after " + srv::format_duration(config.shutdown_timeout) + ":" + ids);
  }
  obs::shutdown();
  log("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // SIGINT and SIGTERM are taken by sigwait() in serve(); blocked here, before any thread
  // exists, so every thread inherits the mask and none is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  srv::ServerConfig config;
  srv::CommandLine command_line;
  try {
    config = srv::load_config(std::vector<std::string>(argv + 1, argv + argc), process_env,
                              &command_line);
  } catch (const srv::ConfigError& e) {
    log(e.what());
    return 2;
  }
  if (command_line.help) {
    std::cout << srv::usage();
    return 0;
  }
  if (command_line.print_config) {
    std::cout << srv::describe_config(config, process_env);
    return 0;
  }
  try {
    return serve(config, signals);
  } catch (const obs::ConfigError& e) {
    log(e.what());
    return 2;
  } catch (const obs::jobs::ScheduleError& e) {
    log(e.what());
    return 2;
  } catch (const obs::jobs::RedisError& e) {
    log(std::string("start-up failed: ") + e.what());
    return 1;
  } catch (const std::exception& e) {
    log(std::string("start-up failed: ") + e.what());
    return 1;
  }
}
