// Test harness around the real Prometheus binaries (Debian's `prometheus` package, installed by
// scripts/setup): validate an exposition with `promtool check metrics`, and run a private
// Prometheus server that scrapes test endpoints and answers PromQL queries.
//
// Everything binds to 127.0.0.1 on ports picked at run time, so tests can run in parallel and never
// touch a system Prometheus on :9090. Errors are reported by throwing std::runtime_error (or
// std::system_error for failed system calls) with a message meant to be read in a test log.
//
// Limits of promtool 2.42 (found by trying it): `check metrics` parses the 0.0.4 text format only.
// It ignores `# EOF` and `# UNIT` (they are comments there) but fails on exemplars and fractional
// timestamps, and lints OpenMetrics counters (`# TYPE foo counter` + `foo_total`) as having no
// HELP. It cannot validate OpenMetrics text; scrape it with PrometheusServer instead.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace adminara::obs::testing {

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read, closed). Another
/// process may take it before the caller binds it; callers that can, bind port 0 themselves.
/// Throws std::system_error when no socket can be bound.
int free_loopback_port();

/// The whole content of `path` (empty when it cannot be read).
std::string read_file(const std::filesystem::path& path);

struct PromtoolResult {
  int exit_code;       // promtool's exit status: 0 valid, 1 parse error, 3 lint problems
  std::string output;  // its stdout and stderr together
};

/// Runs `/usr/bin/promtool check metrics` with `exposition` on its stdin and waits for it.
/// Throws std::runtime_error when promtool cannot be run (for example, not installed).
/// Thread-safe (each call runs its own process).
PromtoolResult promtool_check_metrics(std::string_view exposition);

/// A private /usr/bin/prometheus child process with its configuration and TSDB in a temporary
/// directory, listening on 127.0.0.1:<free port>. Construction returns once the server reports
/// ready; destruction stops it (SIGTERM, then SIGKILL after 10 s) and removes the directory.
///
/// The child is also killed (PR_SET_PDEATHSIG) when the thread that constructed the server exits,
/// so a crashed test leaves nothing running: construct it on a thread that outlives it (the test's
/// own thread). The methods are not thread-safe: use an instance from one thread at a time.
class PrometheusServer {
 public:
  struct Options {
    std::vector<std::string> targets;  // "127.0.0.1:PORT", scraped at /metrics
    std::string scrape_interval = "1s";
    bool exemplar_storage = false;  // --enable-feature=exemplar-storage
    std::string job = "adminara";
    /// The whole prometheus.yml, used instead of one built from the fields above (targets must
    /// still list what wait_for_scrapes() waits for).
    std::string config_yaml;
    /// Files written next to prometheus.yml before start (name, content): rule files.
    std::vector<std::pair<std::string, std::string>> files;
  };

  /// Starts the server and waits up to 30 s for /-/ready. Throws std::runtime_error (including
  /// the end of the server's log) when it exits or does not become ready in time.
  explicit PrometheusServer(Options options);
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  /// The port of the server's web API and UI on 127.0.0.1.
  int port() const { return port_; }

  /// Evaluates `promql` now (GET /api/v1/query) and returns `data.result` (for a vector, an
  /// array of {"metric": {...}, "value": [time, "value"]}). Throws std::runtime_error with
  /// Prometheus' error text when the request or the query fails.
  nlohmann::json query(const std::string& promql) const;

  /// GET `path` of the HTTP API (e.g. /api/v1/alerts) and its `data`. Throws like query().
  nlohmann::json get(const std::string& path) const;
  /// GET /api/v1/query_exemplars for [start, end] (Unix seconds); returns `data` (an array of
  /// {"seriesLabels": {...}, "exemplars": [...]}). Needs Options::exemplar_storage. Throws like
  /// query().
  nlohmann::json query_exemplars(const std::string& promql, double start, double end) const;

  /// Waits until `up` of this job has been 1 in at least `n` scrapes of every target. Throws
  /// std::runtime_error on timeout, naming the targets and their last scrape error.
  void wait_for_scrapes(int n, std::chrono::seconds timeout) const;

  /// The last ~30 lines of the server's log (stdout and stderr; it logs at level warn).
  std::string log_tail() const;

 private:
  using ApiParams = std::vector<std::pair<std::string, std::string>>;
  // GET <path>?<params> from the server's API; returns `data`, or throws with the error text.
  nlohmann::json api_get(const std::string& path, const ApiParams& params) const;
  void start(const std::filesystem::path& config);
  void stop() noexcept;

  Options options_;
  std::filesystem::path dir_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

/// Any program as a child process: environment = this process' plus `env` overrides, stdin
/// from /dev/null, stdout and stderr to files. Killed (SIGKILL) by the destructor if still
/// running, and when the constructing thread exits (PR_SET_PDEATHSIG). Not thread-safe.
class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;  // argv[0] is the program's path
    std::vector<std::pair<std::string, std::string>> env;
    std::filesystem::path stdout_path;
    std::filesystem::path stderr_path;
  };
  /// Starts it. Throws std::runtime_error when argv[0] is not executable, std::system_error
  /// when the files cannot be opened or fork fails.
  explicit ChildProcess(const Options& options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void signal(int sig);
  /// Its exit code (128 + signal when killed) once it exited within `timeout`; else nullopt.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// What it wrote to stdout / stderr so far.
  std::string output() const;
  std::string errors() const;

 private:
  Options options_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace adminara::obs::testing
