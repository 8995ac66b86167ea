#include "tests/integration/prometheus_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <httplib.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

namespace adminara::obs::testing {
namespace {

// Debian's paths (package `prometheus`, see scripts/setup).
constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr const char* kPromtool = "/usr/bin/promtool";

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// A descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// fork + exec of `argv` with stdin from `in_fd`, stdout to `out_fd` and stderr to `err_fd` (-1:
// out_fd too); every other descriptor is closed in the child. `env` replaces the environment
// when not null. The child gets SIGKILL when the calling thread exits (PR_SET_PDEATHSIG), so
// nothing outlives a crashed test.
pid_t spawn(const std::vector<std::string>& argv, int in_fd, int out_fd, int err_fd = -1,
            const std::vector<std::string>* env = nullptr) {
  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (env != nullptr) {
    for (const std::string& e : *env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  if (err_fd < 0) err_fd = out_fd;
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) ::_exit(127);
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 65536; ++fd) ::close(fd);
    }
    if (env != nullptr) {
      ::execve(args[0], args.data(), envp.data());
    } else {
      ::execv(args[0], args.data());
    }
    constexpr std::string_view kFailed = "exec failed\n";
    [[maybe_unused]] ssize_t ignored = ::write(2, kFailed.data(), kFailed.size());
    ::_exit(127);
  }
  return pid;
}

// waitpid() without EINTR; returns the status.
int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  return status;
}

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void require_executable(const char* path) {
  if (::access(path, X_OK) != 0) {
    throw std::runtime_error(std::string(path) +
                             " is not installed (package `prometheus`): run scripts/setup");
  }
}

std::filesystem::path make_temp_dir(const std::string& prefix) {
  std::string tmpl = std::filesystem::temp_directory_path() / (prefix + ".XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) throw_errno("mkdtemp " + tmpl);
  return tmpl;
}

// A PromQL string literal (JSON's escaping is a subset of what PromQL accepts).
std::string promql_string(const std::string& s) {
  return nlohmann::json(s).dump();
}

}  // namespace

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int free_loopback_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) throw_errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  // The sockets API takes a sockaddr*; sockaddr_in is the documented way to fill one.
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw_errno("bind");
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw_errno("getsockname");
  }
  return ntohs(addr.sin_port);
}

PromtoolResult promtool_check_metrics(std::string_view exposition) {
  require_executable(kPromtool);
  // stdin from an unlinked temporary file: no pipe to keep fed while reading promtool's output.
  std::string tmpl = std::filesystem::temp_directory_path() / "promtool-input.XXXXXX";
  Fd input(::mkostemp(tmpl.data(), O_CLOEXEC));
  if (input.get() < 0) throw_errno("mkostemp " + tmpl);
  ::unlink(tmpl.c_str());
  write_all(input.get(), exposition);
  if (::lseek(input.get(), 0, SEEK_SET) != 0) throw_errno("lseek");

  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) throw_errno("pipe2");
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);
  pid_t pid = spawn({kPromtool, "check", "metrics"}, input.get(), write_end.get());
  write_end.reset();

  PromtoolResult result{.exit_code = -1, .output = {}};
  std::array<char, 4096> buf;
  for (;;) {
    ssize_t n = ::read(read_end.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buf.data(), static_cast<std::size_t>(n));
  }
  result.exit_code = exit_code(wait_for(pid));
  return result;
}

PrometheusServer::PrometheusServer(Options options) : options_(std::move(options)) {
  require_executable(kPrometheus);
  dir_ = make_temp_dir("adminara-prometheus");
  log_ = dir_ / "prometheus.log";
  try {
    // JSON is YAML, and dumping it quotes every string correctly.
    nlohmann::json targets = options_.targets;
    nlohmann::json config = {{"global",
                              {{"scrape_interval", options_.scrape_interval},
                               {"scrape_timeout", options_.scrape_interval}}},
                             {"scrape_configs",
                              {{{"job_name", options_.job},
                                {"metrics_path", "/metrics"},
                                {"static_configs", {{{"targets", targets}}}}}}}};
    const std::filesystem::path config_path = dir_ / "prometheus.yml";
    if (options_.config_yaml.empty()) {
      std::ofstream(config_path) << config.dump(2) << '\n';
    } else {
      std::ofstream(config_path) << options_.config_yaml;
    }
    for (const auto& [name, text] : options_.files) std::ofstream(dir_ / name) << text;
    start(config_path);
  } catch (...) {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw;
  }
}

PrometheusServer::~PrometheusServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void PrometheusServer::start(const std::filesystem::path& config) {
  constexpr int kAttempts = 3;  // free_loopback_port() can race with another process
  for (int attempt = 1;; ++attempt) {
    port_ = free_loopback_port();
    std::vector<std::string> argv = {kPrometheus, "--config.file=" + config.string(),
                                     "--storage.tsdb.path=" + (dir_ / "data").string(),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--log.level=warn"};
    if (options_.exemplar_storage) argv.push_back("--enable-feature=exemplar-storage");
    {
      Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      Fd log(::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (null_in.get() < 0 || log.get() < 0) throw_errno("open /dev/null or " + log_.string());
      pid_ = spawn(argv, null_in.get(), log.get());
    }

    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(1);
    client.set_read_timeout(1);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        const std::string tail = log_tail();
        if (attempt < kAttempts && tail.find("address already in use") != std::string::npos) break;
        throw std::runtime_error("prometheus exited with status " +
                                 std::to_string(exit_code(status)) +
                                 " before it was ready; log:\n" + tail);
      }
      if (auto res = client.Get("/-/ready"); res && res->status == 200) return;
      if (Clock::now() > deadline) {
        throw std::runtime_error("prometheus on 127.0.0.1:" + std::to_string(port_) +
                                 " was not ready after 30 s; log:\n" + log_tail());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

void PrometheusServer::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (Clock::now() < deadline) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

nlohmann::json PrometheusServer::api_get(const std::string& path, const ApiParams& params) const {
  httplib::Client client("127.0.0.1", port_);
  client.set_connection_timeout(5);
  client.set_read_timeout(30);
  httplib::Params query(params.begin(), params.end());
  auto res = client.Get(path, query, httplib::Headers{});
  if (!res) {
    throw std::runtime_error("GET " + path +
                             " from prometheus failed: " + httplib::to_string(res.error()));
  }
  nlohmann::json body = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || body.value("status", "") != "success") {
    std::string detail = body.is_discarded()
                             ? res->body
                             : body.value("errorType", "") + ": " + body.value("error", "");
    throw std::runtime_error("GET " + path + " (HTTP " + std::to_string(res->status) +
                             ") failed: " + detail);
  }
  return body["data"];
}

nlohmann::json PrometheusServer::get(const std::string& path) const {
  return api_get(path, {});
}

nlohmann::json PrometheusServer::query(const std::string& promql) const {
  try {
    return api_get("/api/v1/query", {{"query", promql}})["result"];
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("query " + promql + ": " + e.what());
  }
}

nlohmann::json PrometheusServer::query_exemplars(const std::string& promql, double start,
                                                 double end) const {
  auto seconds = [](double t) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", t);
    return std::string(buf);
  };
  try {
    return api_get("/api/v1/query_exemplars",
                   {{"query", promql}, {"start", seconds(start)}, {"end", seconds(end)}});
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("exemplar query " + promql + ": " + e.what());
  }
}

void PrometheusServer::wait_for_scrapes(int n, std::chrono::seconds timeout) const {
  // up is 1 after a successful scrape and 0 after a failed one, so its sum over the whole run is
  // the number of successful scrapes of each target (instance = the target's address).
  const std::string promql = "sum_over_time(up{job=" + promql_string(options_.job) + "}[1h])";
  const auto deadline = Clock::now() + timeout;
  std::map<std::string, double> successes;
  for (;;) {
    successes.clear();
    for (const nlohmann::json& series : query(promql)) {
      successes[series["metric"].value("instance", "")] =
          std::stod(series["value"][1].get<std::string>());
    }
    bool done = true;
    for (const std::string& target : options_.targets) {
      auto it = successes.find(target);
      done = done && it != successes.end() && it->second >= n;
    }
    if (done) return;
    if (Clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }

  // Name every configured target, also those Prometheus has not picked up yet (its scrape
  // manager applies a new target list only every 5 s).
  std::map<std::string, std::string> state;
  try {
    const nlohmann::json targets = api_get("/api/v1/targets", {});
    for (const nlohmann::json& t : targets["activeTargets"]) {
      state[t["labels"].value("instance", "")] =
          "health " + t.value("health", "") + ", last error \"" + t.value("lastError", "") + "\"";
    }
  } catch (const std::exception& e) {
    state.clear();
    state[""] = std::string("targets unavailable: ") + e.what();
  }
  std::string report = "prometheus did not scrape every target " + std::to_string(n) +
                       " times successfully within " + std::to_string(timeout.count()) + " s:";
  for (const std::string& target : options_.targets) {
    auto it = state.find(target);
    report += "\n  " + target + ": " + std::to_string(static_cast<long>(successes[target])) +
              " successful scrapes, " + (it == state.end() ? "not a target yet" : it->second);
  }
  if (state.contains("")) report += "\n  (" + state[""] + ")";
  throw std::runtime_error(report + "\nlog:\n" + log_tail());
}

std::string PrometheusServer::log_tail() const {
  constexpr int kLines = 30;
  std::string text = read_file(log_);
  std::size_t start = text.size();
  for (int lines = 0; start > 0 && lines <= kLines;) {
    --start;
    if (text[start] == '\n') ++lines;
  }
  if (start > 0) ++start;  // just after the newline that ends the line before the tail
  return text.substr(start);
}

ChildProcess::ChildProcess(const Options& options) : options_(options) {
  if (options.argv.empty() || ::access(options.argv[0].c_str(), X_OK) != 0) {
    throw std::runtime_error(
        (options.argv.empty() ? std::string("(no program)") : options.argv[0]) +
        " is not an executable file");
  }
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string_view::npos) vars[std::string(kv.substr(0, eq))] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) vars[k] = v;
  std::vector<std::string> env;
  for (const auto& [k, v] : vars) env.push_back(k + "=" + v);

  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  Fd out(::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  Fd err(::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (null_in.get() < 0 || out.get() < 0 || err.get() < 0) {
    throw_errno("open " + options.stdout_path.string() + " or " + options.stderr_path.string());
  }
  pid_ = spawn(options.argv, null_in.get(), out.get(), err.get(), &env);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait_for(pid_);
  }
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_code_;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      exit_code_ = exit_code(status);
      return exit_code_;
    }
    if (r < 0 && errno != EINTR) throw_errno("waitpid");
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string ChildProcess::output() const {
  return read_file(options_.stdout_path);
}

std::string ChildProcess::errors() const {
  return read_file(options_.stderr_path);
}

}  // namespace adminara::obs::testing
