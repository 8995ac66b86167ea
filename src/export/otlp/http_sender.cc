#include "export/otlp/http_sender.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <exception>

#include "common/gzip.h"
#include "common/log.h"
#include "common/random.h"

namespace adminara::obs::otlp {
namespace {

#ifndef ADMINARA_OBS_VERSION
#error "ADMINARA_OBS_VERSION is defined by src/export/CMakeLists.txt from the project version"
#endif
// OTLP's recommended form, with the SDK's own token.
constexpr std::string_view kUserAgent =
    "OTel-OTLP-Exporter-Cpp/" ADMINARA_OBS_VERSION " adminara-obs";

bool retryable_status(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::string clip(std::string_view s, std::size_t n = 200) {
  return std::string(s.substr(0, n)) + (s.size() > n ? "..." : "");
}

net::HttpClientOptions client_options(const config::OtlpExporterConfig& c) {
  net::HttpClientOptions o;
  o.scheme = c.endpoint.scheme;
  o.host = c.endpoint.host;
  o.port = c.endpoint.port;
  // Without a CA file the system's default store is trusted.
  o.ca_file = c.certificate;
  o.client_certificate = c.client_certificate;
  o.client_key = c.client_key;
  o.max_response_bytes = OtlpHttpSender::kMaxResponseBytes;
  return o;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_unix_seconds) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  std::int64_t seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;
    return std::chrono::milliseconds(std::min<std::int64_t>(seconds, 86400) * 1000);
  }
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* rest = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (rest == nullptr || *rest != '\0') return std::nullopt;
  const std::int64_t at = timegm(&tm);
  return std::chrono::milliseconds(std::clamp<std::int64_t>(at - now_unix_seconds, 0, 86400) *
                                   1000);
}

OtlpHttpSender::OtlpHttpSender(config::OtlpExporterConfig config, std::string signal_name,
                               OtlpStats& stats, RetryPolicy retry)
    : config_(std::move(config)),
      signal_(std::move(signal_name)),
      encoding_(config_.protocol == config::OtlpProtocol::kHttpJson ? Encoding::kJson
                                                                    : Encoding::kProtobuf),
      retry_(retry),
      stats_(stats),
      client_(client_options(config_)) {}

OtlpHttpSender::~OtlpHttpSender() = default;

void OtlpHttpSender::cancel() {
  {
    std::lock_guard lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
  // Closes the kept-alive connection (and ends a request in flight): the SDK's instances live
  // until exit, and an idle connection would otherwise stay open until the collector drops it.
  client_.cancel();
}

void OtlpHttpSender::cap_deadline(Clock::time_point deadline) {
  {
    std::lock_guard lock(mu_);
    cap_ = std::min(cap_, deadline);
  }
  cv_.notify_all();
}

bool OtlpHttpSender::sleep_for(Clock::duration d) {
  std::unique_lock lock(mu_);
  const auto until = Clock::now() + d;
  // A cap_deadline() before `until` ends the wait too: the retry could not happen in time.
  cv_.wait_until(lock, until, [&] { return cancelled_ || cap_ <= until; });
  return !cancelled_ && cap_ > until;
}

void OtlpHttpSender::log_failure(const std::string& message) {
  const auto now = Clock::now();
  if (last_log_ != Clock::time_point{} && now - last_log_ < kLogInterval) {
    ++unlogged_failures_;
    return;
  }
  std::string line = "OTLP " + signal_ + " export to " + config_.endpoint.url() + ": " + message;
  if (unlogged_failures_ > 0) {
    line += " (" + std::to_string(unlogged_failures_) + " more failures since the last message)";
  }
  common::log_warn(line);
  last_log_ = now;
  unlogged_failures_ = 0;
}

OtlpHttpSender::Result OtlpHttpSender::send(std::string_view body, Clock::time_point deadline) {
  Result result;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) {
      log_failure("not sent: the exporter is shut down");
      return result;
    }
    deadline = std::min(deadline, cap_);
  }
  if (body.size() > kMaxRequestBytes) {
    // OTLP: a client must not send a request over the receivers' recommended limit.
    stats_.export_failures.fetch_add(1, std::memory_order_relaxed);
    log_failure("not sent: the request has " + std::to_string(body.size()) +
                " bytes, more than the 64 MiB OTLP receivers accept; the data is dropped");
    return result;
  }
  net::HttpClient::Headers headers;
  headers.reserve(config_.headers.size() + 3);
  headers.emplace_back(
      "Content-Type", encoding_ == Encoding::kJson ? "application/json" : "application/x-protobuf");
  headers.emplace_back("User-Agent", std::string(kUserAgent));
  std::string compressed;
  if (config_.gzip) {
    try {
      compressed = common::gzip(body);
    } catch (const std::exception& e) {
      stats_.export_failures.fetch_add(1, std::memory_order_relaxed);
      log_failure(std::string("not sent: ") + e.what() + "; the data is dropped");
      return result;
    }
    body = compressed;
    headers.emplace_back("Content-Encoding", "gzip");
  }
  // The configured headers last: they may carry credentials, and the client never logs them.
  for (const auto& [k, v] : config_.headers) headers.emplace_back(k, v);

  auto backoff = std::chrono::duration<double, std::milli>(retry_.initial_backoff);
  std::string failure;
  for (;;) {
    const auto now = Clock::now();
    if (now >= deadline) {
      failure += failure.empty() ? "" : "; ";
      failure += "the export timeout passed";
      break;
    }
    ++result.attempts;
    stats_.requests.fetch_add(1, std::memory_order_relaxed);
    if (result.attempts > 1) stats_.retries.fetch_add(1, std::memory_order_relaxed);

    // Each attempt may use what is left of the export timeout.
    const auto res = client_.request("POST", config_.endpoint.path, headers, body, deadline);
    std::optional<std::chrono::milliseconds> retry_after;
    if (!res.ok()) {
      result.last_status = res.status;
      failure = "request failed: " + res.message;
      // A collector that answers more than an export response can hold is not asked again;
      // after cancel() there is nobody to ask.
      if (res.error == net::HttpClientError::kResponseTooLarge ||
          res.error == net::HttpClientError::kCancelled ||
          res.error == net::HttpClientError::kInvalidRequest ||
          res.error == net::HttpClientError::kTlsSetup) {
        failure += ", not retried";
        break;
      }
    } else {
      result.last_status = res.status;
      if (res.status >= 200 && res.status < 300) {
        const auto ps = decode_partial_success(res.body, encoding_);
        if (ps && (ps->rejected > 0 || !ps->error_message.empty())) {
          result.rejected = ps->rejected;
          stats_.rejected.fetch_add(
              static_cast<std::uint64_t>(std::max<std::int64_t>(0, ps->rejected)),
              std::memory_order_relaxed);
          log_failure("partial success: " + std::to_string(ps->rejected) + " rejected" +
                      (ps->error_message.empty() ? "" : ": " + clip(ps->error_message)));
        }
        result.ok = true;
        return result;
      }
      std::string message = decode_error_message(res.body, encoding_);
      failure = "HTTP " + std::to_string(res.status) +
                (message.empty() ? "" : " (" + clip(message) + ")");
      if (!retryable_status(res.status)) {
        failure += ", not retried";
        break;
      }
      if (const auto value = res.header("Retry-After")) {
        retry_after =
            parse_retry_after(*value, std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
      }
    }
    if (result.attempts >= retry_.max_attempts) {
      failure += "; gave up after " + std::to_string(result.attempts) + " attempts";
      break;
    }
    // Exponential backoff with jitter (a random point in [backoff/2, backoff]), unless the
    // server said how long to wait.
    Clock::duration wait;
    if (retry_after) {
      wait = *retry_after;
    } else {
      const double jitter = 0.5 + 0.5 * static_cast<double>(common::random_u64() >> 11) * 0x1p-53;
      wait = std::chrono::duration_cast<Clock::duration>(backoff * jitter);
      backoff = std::min<std::chrono::duration<double, std::milli>>(backoff * retry_.multiplier,
                                                                    retry_.max_backoff);
    }
    {
      std::lock_guard lock(mu_);
      deadline = std::min(deadline, cap_);
    }
    if (Clock::now() + wait >= deadline) {
      failure += "; the next retry would pass the export timeout";
      break;
    }
    if (!sleep_for(wait)) {
      failure += "; shutdown ended the wait for the next retry";
      break;
    }
  }
  stats_.export_failures.fetch_add(1, std::memory_order_relaxed);
  log_failure(failure + "; the data is dropped");
  return result;
}

}  // namespace adminara::obs::otlp
