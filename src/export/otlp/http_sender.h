// OtlpHttpSender: posts OTLP request bodies to one endpoint over HTTP or HTTPS (net::HttpClient,
// keep-alive), with OTLP's failure rules (opentelemetry-proto's docs/specification.md, OTLP/HTTP
// "Failures" and "Throttling"): 429, 502, 503, 504 and
// connection errors are retried with exponential backoff and jitter, honouring Retry-After, all
// within the caller's deadline; 400 and every other status are not retried; a partial success is
// logged with its count. A response over kMaxResponseBytes (OTLP responses are small messages)
// fails the export without being retried and closes the connection. Failures are logged at most
// once per kLogInterval (with the number of failures in between) and counted in OtlpStats.
//
// Thread-safety: send() is called by one thread at a time (the batch processor's worker or the
// metric reader). cancel() and cap_deadline() may be called from any thread, concurrently with
// send(). Errors: send() never throws; it reports the outcome in its result.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "export/otlp/encoder.h"
#include "net/http_client.h"
#include "sdk/config/otlp_config.h"

namespace adminara::obs::otlp {

/// Counters of one signal's OTLP exporter, read by the self-metrics. All relaxed atomics.
struct OtlpStats {
  std::atomic<std::uint64_t> requests{0};         // HTTP requests attempted (retries included)
  std::atomic<std::uint64_t> retries{0};          // attempts after the first
  std::atomic<std::uint64_t> export_failures{0};  // exports given up (the data is lost)
  std::atomic<std::uint64_t> rejected{0};         // items the receiver rejected (partial success)
  std::atomic<std::uint64_t> points_exported{0};  // metrics only: data points accepted
  std::atomic<std::uint64_t> points_dropped{0};   // metrics only: points failed or rejected
};

/// How failed attempts are retried. The spec gives no numbers; these defaults are
/// opentelemetry-java's (5 attempts, 1 s initial backoff, x1.5, at most 5 s).
struct RetryPolicy {
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double multiplier = 1.5;
};

class OtlpHttpSender {
 public:
  using Clock = std::chrono::steady_clock;

  /// `stats` is not owned and must outlive the sender. `signal_name` ("traces", "metrics")
  /// appears in log messages.
  OtlpHttpSender(config::OtlpExporterConfig config, std::string signal_name, OtlpStats& stats,
                 RetryPolicy retry = {});
  ~OtlpHttpSender();
  OtlpHttpSender(const OtlpHttpSender&) = delete;
  OtlpHttpSender& operator=(const OtlpHttpSender&) = delete;

  struct Result {
    bool ok = false;            // delivered (fully or partially accepted)
    std::int64_t rejected = 0;  // partial success: items the receiver rejected
    int attempts = 0;
    int last_status = 0;  // HTTP status of the last answer, 0 when there was none
  };

  /// Posts `body` (already encoded per the configured protocol), retrying per the policy until
  /// `deadline` (also bounded by cap_deadline()).
  Result send(std::string_view body, Clock::time_point deadline);

  /// Stops waiting between retries, closes the connection (a request in flight fails) and makes
  /// later sends fail at once. Irreversible.
  void cancel();
  /// From now on no send runs past `deadline` (used by shutdown to bound the final flush).
  void cap_deadline(Clock::time_point deadline);

  Encoding encoding() const { return encoding_; }
  const config::OtlpExporterConfig& config() const { return config_; }

  /// Larger request bodies are not sent (OTLP's recommended receiver limit, before compression).
  static constexpr std::size_t kMaxRequestBytes = std::size_t{64} << 20;
  /// Larger response bodies (after 64 KiB of head) fail the export: an export response is a
  /// small protobuf or JSON message (a partial success at most), so more is a misbehaving peer.
  static constexpr std::uint64_t kMaxResponseBytes = std::uint64_t{4} << 20;
  /// Minimum time between two failure log lines of one sender.
  static constexpr std::chrono::seconds kLogInterval{10};

 private:
  void log_failure(const std::string& message);
  // Waits `d` unless cancelled first; false when cancelled.
  bool sleep_for(Clock::duration d);

  const config::OtlpExporterConfig config_;
  const std::string signal_;
  const Encoding encoding_;
  const RetryPolicy retry_;
  OtlpStats& stats_;
  net::HttpClient client_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;                            // guarded by mu_
  Clock::time_point cap_ = Clock::time_point::max();  // guarded by mu_

  Clock::time_point last_log_{};  // send() thread only
  std::uint64_t unlogged_failures_ = 0;
};

/// Parses a Retry-After value: delay-seconds, or an IMF-fixdate HTTP-date (relative to `now`,
/// seconds since the Unix epoch). nullopt when it is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_unix_seconds);

}  // namespace adminara::obs::otlp
