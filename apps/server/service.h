// The AdminAra domain: customers join the queue, admins take the longest-waiting one, the
// browser reports how long WebRTC took to connect, calls end; TURN credentials for the calls;
// and the maintenance work (secret rotation, cleanup, retention) the jobs run. It records the
// design's metrics (queue_wait_time, webrtc_connection_time) and the service's own.
//
// HTTP-free so it can be tested directly; http_api.h maps it onto routes. Errors a client caused
// are thrown as ApiError with the HTTP status and a message naming the problem.
//
// Thread-safety: every method may be called concurrently (the store serialises state changes).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs.h"
#include "config.h"
#include "state_store.h"

namespace adminara::server {

/// A request the service refuses: `status` is the HTTP status to answer with.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

/// Unix milliseconds now; replaceable in tests.
using NowFn = std::function<std::int64_t()>;

/// TURN REST API credentials (coturn `use-auth-secret`).
struct TurnCredentials {
  std::string username;    // "<expiry unix seconds>:<user>"
  std::string credential;  // base64(HMAC-SHA1(secret, username))
  std::int64_t ttl_s = 0;
  std::vector<std::string> uris;
};

/// base64(HMAC-SHA1(secret, message)): the credential coturn computes for a username.
std::string turn_credential(std::string_view secret, std::string_view username);

/// `n` random bytes from the OS's CSPRNG, base64-encoded. Throws std::runtime_error if the
/// generator fails.
std::string random_secret_base64(std::size_t n);

class AdminAraService {
 public:
  /// `store` must outlive the service. `meter` may be a disabled meter (nothing recorded).
  AdminAraService(ServerConfig config, StateStore& store, obs::Meter meter, NowFn now = {});
  ~AdminAraService();
  AdminAraService(const AdminAraService&) = delete;
  AdminAraService& operator=(const AdminAraService&) = delete;

  /// Result of join(): the new ticket and its 1-based position.
  struct Joined {
    Ticket ticket;
    std::size_t position = 0;
  };
  /// A customer joins the queue. 400 for a bad name, 503 when the queue is full.
  Joined join(std::string_view customer);
  /// The ticket and, while waiting, its position. 404 when unknown.
  std::pair<Ticket, std::size_t> status(std::string_view ticket_id) const;
  /// The admin takes the longest-waiting customer; records queue_wait_time. nullopt when nobody
  /// waits. 400 for a bad admin name.
  std::optional<Ticket> next(std::string_view admin);
  /// The browser reports the WebRTC connection time (0 to 600000 ms); records
  /// webrtc_connection_time. 404 unknown ticket, 409 when the ticket is not assigned.
  Ticket connected(std::string_view ticket_id, double connection_ms);
  /// The call ended. 404 unknown ticket, 409 when it is not assigned or connected.
  Ticket ended(std::string_view ticket_id);
  /// Credentials for `user` (1 to 128 characters, no ':' or control characters; else 400).
  TurnCredentials turn_credentials(std::string_view user);

  /// The maintenance jobs. Each returns a JSON summary without any secret. cleanup_sessions()
  /// also rewrites TURN_SECRETS_FILE without the previous secret once its validity has passed.
  obs::jobs::Json rotate_turn_secret();
  obs::jobs::Json cleanup_sessions();
  obs::jobs::Json apply_retention();

  /// Makes sure a TURN secret exists (the first one is made at start, not by the schedule).
  void ensure_turn_secret();

  const ServerConfig& config() const { return config_; }
  StateStore& store() { return store_; }

 private:
  void write_secrets_file(const TurnSecrets& secrets);

  // The secrets file lists a previous secret (so session_cleanup drops it once it expired).
  std::atomic<bool> file_lists_previous_{false};

  ServerConfig config_;
  StateStore& store_;
  NowFn now_;
  obs::AdminAraMetrics metrics_;
  obs::Counter tickets_created_;
  obs::Counter calls_ended_;
  obs::Counter credentials_issued_;
  obs::Counter tickets_expired_;
  std::vector<obs::ObservableInstrument> gauges_;
};

}  // namespace adminara::server
