// The service's state: customer tickets (the queue and the calls they become) and the TURN
// secrets. StateStore is the interface the in-memory and the Redis store implement; every operation
// is one atomic step, so a request never leaves state half-changed.
//
// Thread-safety: implementations are safe to call from any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace adminara::server {

/// Where a ticket is in its life: waiting in the queue, assigned to an admin, in a connected
/// call, then ended or expired (both final).
enum class TicketState { kWaiting, kAssigned, kConnected, kEnded, kExpired };

/// `waiting`, `assigned`, `connected`, `ended`, `expired`.
std::string_view to_string(TicketState state);

/// One customer's ticket. Times are Unix milliseconds; 0 means "not yet".
struct Ticket {
  std::string id;
  std::string customer;
  TicketState state = TicketState::kWaiting;
  std::int64_t created_ms = 0;
  std::int64_t assigned_ms = 0;
  std::int64_t connected_ms = 0;
  std::int64_t finished_ms = 0;  // ended or expired
  std::string admin;
  double connection_ms = -1;  // as the browser reported it; -1 until connected
  std::string end_reason;     // ended: "ended"; expired: wait_timeout, connect_timeout,
                              // call_timeout
};

/// The TURN secrets: credentials are issued with `current`; `previous` (empty before the first
/// rotation) still verifies until `previous_valid_until_ms`.
struct TurnSecrets {
  std::string current;
  std::string previous;
  std::int64_t previous_valid_until_ms = 0;
  std::uint64_t version = 0;  // rotations so far (0: none yet)
};

/// Limits enforced by StateStore::expire().
struct ExpiryLimits {
  std::int64_t max_wait_ms = 0;         // waiting longer: expired (wait_timeout)
  std::int64_t connect_timeout_ms = 0;  // assigned and not connected: expired (connect_timeout)
  std::int64_t max_call_ms = 0;         // connected longer: expired (call_timeout)
};

/// What expire() changed.
struct ExpiryResult {
  std::size_t wait_expired = 0;
  std::size_t connect_expired = 0;
  std::size_t calls_timed_out = 0;
};

/// Tickets per state right now (ended and expired together as finished).
struct TicketCounts {
  std::size_t waiting = 0;
  std::size_t assigned = 0;
  std::size_t connected = 0;
  std::size_t finished = 0;
};

/// Result of a state change asked for by a client.
enum class Transition { kDone, kUnknownTicket, kWrongState };

/// The store. Tickets are kept until purge_finished() removes them.
class StateStore {
 public:
  virtual ~StateStore() = default;

  /// Adds `ticket` (state waiting, unique id) at the end of the queue; its 1-based position, or
  /// nullopt (nothing added) when `max_waiting` tickets already wait.
  virtual std::optional<std::size_t> enqueue(Ticket ticket, std::size_t max_waiting) = 0;
  /// A copy of the ticket; nullopt when unknown or purged.
  virtual std::optional<Ticket> get(std::string_view id) const = 0;
  /// 1-based position of a waiting ticket; 0 when it is not waiting (or unknown).
  virtual std::size_t position(std::string_view id) const = 0;
  /// Takes the longest-waiting ticket for `admin` (state assigned); nullopt when none waits.
  virtual std::optional<Ticket> assign_next(std::string_view admin, std::int64_t now_ms) = 0;
  /// assigned -> connected, recording the reported connection time. `*out` gets the ticket as
  /// it is after the call (also on kWrongState, to name its state).
  virtual Transition connect(std::string_view id, double connection_ms, std::int64_t now_ms,
                             Ticket* out) = 0;
  /// assigned or connected -> ended.
  virtual Transition end(std::string_view id, std::int64_t now_ms, Ticket* out) = 0;
  /// Expires tickets past `limits` at `now_ms`.
  virtual ExpiryResult expire(const ExpiryLimits& limits, std::int64_t now_ms) = 0;
  /// Removes finished tickets whose finish time is before `finished_before_ms`; how many.
  virtual std::size_t purge_finished(std::int64_t finished_before_ms) = 0;
  virtual TicketCounts counts() const = 0;

  virtual TurnSecrets turn_secrets() const = 0;
  /// Makes `secret` current; the old current becomes previous, valid until
  /// `previous_valid_until_ms`. Returns the new state.
  virtual TurnSecrets rotate_turn_secret(std::string secret,
                                         std::int64_t previous_valid_until_ms) = 0;
};

/// The in-memory store (one process; what the server uses by default).
std::unique_ptr<StateStore> make_memory_state_store();

/// A store on Redis (keys under `<prefix>:`), shared by every server on that Redis. Connects
/// lazily; calls retry a lost connection for 30 s, then throw obs::jobs::RedisError. Throws
/// obs::jobs::RedisError for an invalid URL.
std::unique_ptr<StateStore> make_redis_state_store(const std::string& url,
                                                   const std::string& prefix = "adminara");

}  // namespace adminara::server
