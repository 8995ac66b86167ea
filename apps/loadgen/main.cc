// adminara-loadgen: realistic traffic against adminara-server. Customers join the queue at a
// rate (Poisson arrivals), ask for TURN credentials and check their place; admins take the
// longest-waiting customer, report how long WebRTC took to connect (log-normal, with a share of
// slow connections) and end the call after a while. Each customer journey carries its own W3C
// traceparent, as an instrumented browser would.
//
//   adminara-loadgen --url http://127.0.0.1:8080 --duration 30s --rate 20
//   adminara-loadgen --count 100 --rate 50 --slow-fraction 0.5 --quiet
//
// A live progress line goes to stderr; at the end a human summary (stderr) and one JSON line
// with every count (stdout), so a test can compare it with what Prometheus shows. Exit 0 when
// every request got the answer it expected, 1 otherwise, 2 for bad arguments.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "config.h"  // parse_duration

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Options {
  std::string url = "http://127.0.0.1:8080";
  std::optional<milliseconds> duration;
  std::optional<long> count;
  double rate = 20;  // customers per second
  int admins = 8;
  double slow_fraction = 0.05;
  double abandon_fraction = 0.0;
  milliseconds max_call{400};
  milliseconds drain_timeout{10000};
  std::uint64_t seed = 0;  // 0: random
  bool quiet = false;
};

const char* kUsage =
    "usage: adminara-loadgen [--url URL] [--duration D | --count N] [--rate R] [--admins A]\n"
    "                        [--slow-fraction F] [--abandon-fraction F] [--max-call D]\n"
    "                        [--drain-timeout D] [--seed S] [--quiet]\n"
    "  --url             server base URL (default http://127.0.0.1:8080)\n"
    "  --duration        how long customers keep arriving, e.g. 30s (default 30s without --count)\n"
    "  --count           how many customers arrive in all (stops earlier than --duration)\n"
    "  --rate            customers per second, > 0 and <= 10000 (default 20)\n"
    "  --admins          admins taking customers concurrently, 1 to 256 (default 8)\n"
    "  --slow-fraction   share of calls whose WebRTC connection is slow, 6-12 s (default 0.05)\n"
    "  --abandon-fraction share of assigned calls ended without connecting (default 0)\n"
    "  --max-call        longest simulated call, e.g. 400ms (default 400ms)\n"
    "  --drain-timeout   after arrivals stop, how long admins may take to empty the queue\n"
    "  --seed            random seed, for repeatable runs (default: random)\n"
    "  --quiet           no progress line\n";

[[noreturn]] void bad_argument(const std::string& message) {
  std::cerr << "adminara-loadgen: " << message << "\n" << kUsage;
  std::exit(2);
}

double parse_number(const std::string& flag, const std::string& v, double min, double max) {
  try {
    std::size_t used = 0;
    double d = std::stod(v, &used);
    if (used == v.size() && d >= min && d <= max) return d;
  } catch (const std::exception&) {
  }
  bad_argument(flag + "=\"" + v + "\": expected a number from " + std::to_string(min) + " to " +
               std::to_string(max));
}

milliseconds parse_time(const std::string& flag, const std::string& v) {
  auto d = adminara::server::parse_duration(v);
  if (!d || d->count() <= 0) {
    bad_argument(flag + "=\"" + v + "\": expected a duration such as 500ms, 30s, 5m");
  }
  return *d;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (arg == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      bad_argument(arg + " needs a value");
    }
    if (arg == "--url") {
      if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
        bad_argument("--url=\"" + value + "\": expected http://host:port");
      }
      o.url = value;
    } else if (arg == "--duration") {
      o.duration = parse_time(arg, value);
    } else if (arg == "--count") {
      o.count = static_cast<long>(parse_number(arg, value, 1, 1e9));
    } else if (arg == "--rate") {
      o.rate = parse_number(arg, value, 0.001, 10000);
    } else if (arg == "--admins") {
      o.admins = static_cast<int>(parse_number(arg, value, 1, 256));
    } else if (arg == "--slow-fraction") {
      o.slow_fraction = parse_number(arg, value, 0, 1);
    } else if (arg == "--abandon-fraction") {
      o.abandon_fraction = parse_number(arg, value, 0, 1);
    } else if (arg == "--max-call") {
      o.max_call = parse_time(arg, value);
    } else if (arg == "--drain-timeout") {
      o.drain_timeout = parse_time(arg, value);
    } else if (arg == "--seed") {
      o.seed = static_cast<std::uint64_t>(parse_number(arg, value, 0, 1e18));
    } else {
      bad_argument("unknown argument '" + arg + "'");
    }
  }
  if (!o.duration && !o.count) o.duration = milliseconds(30000);
  return o;
}

struct Counters {
  std::atomic<long> requests{0};
  std::atomic<long> joined{0};
  std::atomic<long> queue_full{0};
  std::atomic<long> credentials{0};
  std::atomic<long> status_checks{0};
  std::atomic<long> assigned{0};
  std::atomic<long> connected{0};
  std::atomic<long> slow_connections{0};
  std::atomic<long> abandoned{0};
  std::atomic<long> ended{0};
  std::atomic<long> errors{0};
  std::atomic<long> connection_ms_sum{0};  // whole milliseconds, as sent
  std::atomic<long> queue_wait_ms_sum{0};  // as the server reported it
};

class Load {
 public:
  explicit Load(Options o) : o_(std::move(o)) {
    std::random_device rd;
    seed_ = o_.seed != 0 ? o_.seed : (static_cast<std::uint64_t>(rd()) << 32 | rd());
  }

  int run() {
    start_ = Clock::now();
    std::vector<std::thread> threads;
    for (int a = 0; a < o_.admins; ++a) threads.emplace_back([this, a] { admin(a); });
    std::thread progress;
    if (!o_.quiet) progress = std::thread([this] { show_progress(); });
    customers();
    arrivals_done_.store(true);
    for (auto& t : threads) t.join();
    finished_.store(true);
    if (progress.joinable()) progress.join();
    return summary();
  }

 private:
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>(o_.url);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);  // a request's header and body writes must not wait on Nagle
    c->set_connection_timeout(std::chrono::seconds(5));
    c->set_read_timeout(std::chrono::seconds(30));
    return c;
  }

  static std::string hex(std::mt19937_64& rng, int bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < bytes; i += 8) {
      std::uint64_t v = rng();
      for (int k = 0; k < 16 && static_cast<int>(s.size()) < bytes * 2; ++k, v >>= 4) {
        s += kHex[v & 15];
      }
    }
    return s;
  }

  // A traceparent for a journey: a random trace id and parent id, sampled.
  static httplib::Headers trace_headers(std::mt19937_64& rng) {
    std::string trace = hex(rng, 16);
    std::string parent = hex(rng, 8);
    if (trace == std::string(32, '0')) trace[31] = '1';
    if (parent == std::string(16, '0')) parent[15] = '1';
    return {{"traceparent", "00-" + trace + "-" + parent + "-01"}};
  }

  // Counts the request; true when the status is one of `ok`.
  bool check(const httplib::Result& r, std::initializer_list<int> ok, const char* what) {
    counters_.requests.fetch_add(1);
    if (r) {
      for (int s : ok) {
        if (r->status == s) return true;
      }
    }
    counters_.errors.fetch_add(1);
    std::lock_guard lock(mu_);
    if (error_samples_.size() < 10) {
      error_samples_.push_back(std::string(what) + ": " +
                               (r ? "HTTP " + std::to_string(r->status) + " " + r->body
                                  : "connection error " + httplib::to_string(r.error())));
    }
    return false;
  }

  void customers() {
    auto http = client();
    std::mt19937_64 rng(seed_);
    std::exponential_distribution<double> gap(o_.rate);
    auto next = Clock::now();
    for (long n = 0;; ++n) {
      if (o_.count && n >= *o_.count) break;
      if (o_.duration && Clock::now() - start_ >= *o_.duration) break;
      std::this_thread::sleep_until(next);
      next += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(rng)));
      const std::string name = "customer-" + std::to_string(n);
      const httplib::Headers headers = trace_headers(rng);
      auto joined =
          http->Post("/api/queue", headers, Json{{"customer", name}}.dump(), "application/json");
      if (joined && joined->status == 503) {
        counters_.requests.fetch_add(1);
        counters_.queue_full.fetch_add(1);
        continue;
      }
      if (!check(joined, {201}, "POST /api/queue")) continue;
      counters_.joined.fetch_add(1);
      const std::string ticket = Json::parse(joined->body).value("ticket", "");
      if (check(http->Get("/api/turn-credentials?user=" + name, headers), {200},
                "GET /api/turn-credentials")) {
        counters_.credentials.fetch_add(1);
      }
      if (check(http->Get("/api/queue/" + ticket, headers), {200}, "GET /api/queue/{ticket}")) {
        counters_.status_checks.fetch_add(1);
      }
    }
  }

  void admin(int index) {
    auto http = client();
    std::mt19937_64 rng(seed_ + 7919 * static_cast<std::uint64_t>(index + 1));
    std::uniform_real_distribution<double> unit(0, 1);
    std::lognormal_distribution<double> normal_connect(std::log(400.0), 0.6);
    std::uniform_real_distribution<double> slow_connect(6000, 12000);
    const std::string body = Json{{"admin", "admin-" + std::to_string(index)}}.dump();
    std::optional<Clock::time_point> drain_deadline;
    while (true) {
      if (arrivals_done_.load() && !drain_deadline) {
        drain_deadline = Clock::now() + o_.drain_timeout;
      }
      if (drain_deadline && Clock::now() >= *drain_deadline) break;
      const httplib::Headers headers = trace_headers(rng);
      auto next = http->Post("/api/queue/next", headers, body, "application/json");
      if (!check(next, {200, 204}, "POST /api/queue/next")) {
        std::this_thread::sleep_for(milliseconds(100));
        continue;
      }
      if (next->status == 204) {
        if (drain_deadline) break;  // arrivals over and nobody waits: done
        std::this_thread::sleep_for(milliseconds(20));
        continue;
      }
      counters_.assigned.fetch_add(1);
      const Json t = Json::parse(next->body);
      const std::string ticket = t.value("ticket", "");
      counters_.queue_wait_ms_sum.fetch_add(t.value("waited_ms", 0L));
      if (unit(rng) >= o_.abandon_fraction) {
        const bool slow = unit(rng) < o_.slow_fraction;
        const long ms =
            std::lround(std::clamp(slow ? slow_connect(rng) : normal_connect(rng), 20.0, 600000.0));
        if (check(http->Post("/api/calls/" + ticket + "/connected", headers,
                             Json{{"connection_ms", ms}}.dump(), "application/json"),
                  {200}, "POST /api/calls/{ticket}/connected")) {
          counters_.connected.fetch_add(1);
          counters_.connection_ms_sum.fetch_add(ms);
          if (slow) counters_.slow_connections.fetch_add(1);
        }
        std::uniform_int_distribution<long> call(0, o_.max_call.count());
        std::this_thread::sleep_for(milliseconds(call(rng)));
      } else {
        counters_.abandoned.fetch_add(1);
      }
      if (check(http->Post("/api/calls/" + ticket + "/ended", headers, "", "application/json"),
                {200}, "POST /api/calls/{ticket}/ended")) {
        counters_.ended.fetch_add(1);
      }
    }
  }

  double elapsed_s() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void show_progress() {
    while (!finished_.load()) {
      std::this_thread::sleep_for(milliseconds(250));
      const double s = elapsed_s();
      std::fprintf(stderr,
                   "\r%6.1fs  joined %ld  assigned %ld  connected %ld  ended %ld  errors %ld  "
                   "%.0f req/s   ",
                   s, counters_.joined.load(), counters_.assigned.load(),
                   counters_.connected.load(), counters_.ended.load(), counters_.errors.load(),
                   static_cast<double>(counters_.requests.load()) / std::max(s, 0.001));
    }
    std::fprintf(stderr, "\n");
  }

  int summary() {
    const double s = elapsed_s();
    const Counters& c = counters_;
    Json j = {{"url", o_.url},
              {"seed", seed_},
              {"elapsed_s", std::round(s * 1000) / 1000},
              {"requests", c.requests.load()},
              {"customers_joined", c.joined.load()},
              {"queue_full", c.queue_full.load()},
              {"credentials_issued", c.credentials.load()},
              {"status_checks", c.status_checks.load()},
              {"assigned", c.assigned.load()},
              {"connected", c.connected.load()},
              {"slow_connections", c.slow_connections.load()},
              {"abandoned", c.abandoned.load()},
              {"ended", c.ended.load()},
              {"errors", c.errors.load()},
              {"connection_ms_sum", c.connection_ms_sum.load()},
              {"queue_wait_ms_sum", c.queue_wait_ms_sum.load()},
              {"still_waiting", c.joined.load() - c.assigned.load()}};
    std::fprintf(stderr,
                 "sent %ld requests in %.1fs: %ld customers joined (%ld refused, queue full), "
                 "%ld assigned, %ld connected (%ld slow), %ld ended, %ld credential requests, "
                 "%ld errors\n",
                 c.requests.load(), s, c.joined.load(), c.queue_full.load(), c.assigned.load(),
                 c.connected.load(), c.slow_connections.load(), c.ended.load(),
                 c.credentials.load(), c.errors.load());
    if (c.connected.load() > 0) {
      std::fprintf(stderr, "mean WebRTC connection time sent: %.1f ms\n",
                   static_cast<double>(c.connection_ms_sum.load()) /
                       static_cast<double>(c.connected.load()));
    }
    for (const auto& e : error_samples_) std::fprintf(stderr, "error: %s\n", e.c_str());
    std::cout << j.dump() << std::endl;
    return c.errors.load() == 0 ? 0 : 1;
  }

  Options o_;
  std::uint64_t seed_ = 0;
  Clock::time_point start_;
  Counters counters_;
  std::atomic<bool> arrivals_done_{false};
  std::atomic<bool> finished_{false};
  std::mutex mu_;
  std::vector<std::string> error_samples_;
};

}  // namespace

int main(int argc, char** argv) {
  Load load(parse_args(argc, argv));
  return load.run();
}
