// A small synchronous Redis client on hiredis for the Redis jobs backend: URL parsing, one
// connection (argv commands, pipelines, replies copied out of hiredis), a pool of connections
// that reconnects with backoff, and Lua scripts called with EVALSHA (loaded again on NOSCRIPT).
//
// Errors: RedisConnectionError when the server cannot be reached or the connection broke (the
// pool retries those), RedisReplyError for an error reply (a bug or a server refusing; not
// retried, except LOADING and BUSY while a restarted server loads its data).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/redis.h"

struct redisContext;
struct redisReader;

namespace adminara::obs::jobs::redis {

/// A parsed `redis://[user:password@]host[:port][/db]` URL.
struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;
  std::string password;
  int db = 0;
  /// host:port/db, without credentials: for log lines and errors.
  std::string display() const;
};

/// `url` with its password replaced by "***" (`redis://user:***@host`, `redis://***@host`), for
/// error messages and printed configurations.
std::string masked_url(std::string_view url);

/// Throws RedisError naming what is wrong and the accepted form. `rediss://` is refused: the
/// packaged hiredis (0.14) has no TLS.
RedisUrl parse_redis_url(std::string_view url);

/// The server could not be reached or the connection broke mid-command.
class RedisConnectionError : public RedisError {
 public:
  using RedisError::RedisError;
};
/// The server answered with an error reply.
class RedisReplyError : public RedisError {
 public:
  using RedisError::RedisError;
  /// The first word of the reply ("NOSCRIPT", "ERR", ...).
  std::string_view code() const;
};

/// One reply (adminara/obs/redis.h).
using Reply = RedisReply;

/// Counters a pool keeps for the self-metrics (adminara_obs_redis_*).
struct RedisStats {
  std::atomic<std::uint64_t> commands{0};
  std::atomic<std::uint64_t> connection_errors{0};  // connects refused, broken connections
  std::atomic<std::uint64_t> reconnects{0};         // new connections after an error
  std::atomic<std::uint64_t> reply_errors{0};       // error replies (other than NOSCRIPT)
  std::atomic<std::uint64_t> gave_up{0};            // calls that failed after retrying
};

/// One connection. Not thread-safe: a pool hands it to one thread at a time.
class RedisConnection {
 public:
  /// Connects, authenticates, selects the db and (when not empty) sets the client name. Throws
  /// RedisConnectionError or RedisReplyError.
  RedisConnection(const RedisUrl& url, std::chrono::milliseconds connect_timeout,
                  std::chrono::milliseconds command_timeout, std::string_view client_name = {});
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Sends one command and returns its reply; an error reply is returned, not thrown.
  /// Throws RedisConnectionError when the connection breaks (the connection is then unusable).
  Reply command(const std::vector<std::string>& argv);
  /// Sends the commands in one write and reads their replies in order.
  std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& commands);
  /// Changes the read timeout (blocking commands wait longer than ordinary ones).
  void set_timeout(std::chrono::milliseconds timeout);
  bool broken() const { return broken_; }
  /// The socket, for SharedConnection (which then does its own I/O on it).
  int fd() const;

 private:
  Reply read_reply();
  redisContext* ctx_ = nullptr;
  bool broken_ = false;
};

/// One connection for many threads, multiplexed: each call writes its command at once (so the
/// commands of concurrent callers are in flight together, pipelined) and waits for its reply;
/// one waiting caller at a time reads the replies in order and hands each to its caller, then
/// passes the reading to the next caller still waiting. A lone caller does its own round trip
/// with no thread hand-off. Under load Redis finds many commands per read and answers them with
/// one write, which is most of what a short script costs it. Thread-safe.
class SharedConnection {
 public:
  /// Connects like RedisConnection (which see for the errors).
  SharedConnection(const RedisUrl& url, std::chrono::milliseconds connect_timeout,
                   std::chrono::milliseconds command_timeout);
  ~SharedConnection();
  SharedConnection(const SharedConnection&) = delete;
  SharedConnection& operator=(const SharedConnection&) = delete;

  /// Sends one command and returns its reply; an error reply is returned, not thrown. Throws
  /// RedisConnectionError when the connection breaks or a reply takes longer than the command
  /// timeout; every call in flight then fails and the connection stays broken.
  Reply command(const std::vector<std::string>& argv);
  bool broken() const;

 private:
  struct Call;
  /// Reads replies until `mine` has one (or the connection breaks); called without mu_ held by
  /// the one caller that is reading.
  void read_until(Call& mine);
  /// Marks the connection broken and fails every call in flight. Needs mu_.
  void fail_all(const std::string& why);

  std::unique_ptr<RedisConnection> conn_;  // connected, authenticated; only its socket is used
  redisReader* reader_ = nullptr;          // only the reading caller touches it
  std::mutex write_mu_;                    // serializes (queue + write) so replies match order
  mutable std::mutex mu_;
  std::deque<Call*> in_flight_;  // guarded by mu_: in the order written, oldest first
  bool reading_ = false;         // guarded by mu_
  bool broken_ = false;          // guarded by mu_
  std::string broken_why_;       // guarded by mu_
};

/// A Lua script, called by its SHA1 (loaded once per server; again after NOSCRIPT).
class Script {
 public:
  explicit Script(std::string text) : text_(std::move(text)) {}
  const std::string& text() const { return text_; }
  /// Runs the script on `c`: EVALSHA, or SCRIPT LOAD + EVALSHA when the server does not know it.
  /// An error reply is returned, not thrown.
  Reply run(SharedConnection& c, const std::vector<std::string>& keys,
            const std::vector<std::string>& args) const;
  /// Runs the script once per element of `calls` (each its ARGV), pipelined in one round trip;
  /// the replies in order. Calls the server answered NOSCRIPT (not run) are loaded and run again.
  std::vector<Reply> run_pipelined(RedisConnection& c, const std::vector<std::string>& keys,
                                   const std::vector<std::vector<std::string>>& calls) const;

 private:
  template <typename Connection>
  std::string sha(Connection& c, bool reload) const;
  std::vector<std::string> evalsha(const std::string& sha, const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args) const;
  std::string text_;
  mutable std::mutex mu_;
  mutable std::string sha_;  // guarded by mu_; empty until loaded
};

struct PoolOptions {
  RedisUrl url;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{5000};
  /// How long a call keeps retrying a lost connection (with backoff) before it throws.
  std::chrono::milliseconds retry_for{30000};
};

/// Connections for any number of threads: a call takes an idle connection (or opens one), runs,
/// and gives it back. A broken connection is dropped; the call is retried on a new one with
/// exponential backoff (10 ms doubling to 1 s) for up to retry_for, and the loss and the recovery
/// are logged once each. Script calls (run()) all go through one SharedConnection, pipelined
/// with each other. Thread-safe.
class Pool {
 public:
  explicit Pool(PoolOptions options);
  ~Pool();

  /// Runs `fn` with a connection; retries it on RedisConnectionError (and LOADING/BUSY replies)
  /// as described above. Other errors propagate. The call may therefore run more than once when
  /// a connection broke after the server executed it (at-least-once).
  template <typename Fn>
  auto with_connection(Fn&& fn) -> decltype(fn(std::declval<RedisConnection&>()));

  /// Opens a dedicated connection (for blocking commands), retrying like with_connection; throws
  /// RedisConnectionError after retry_for.
  std::unique_ptr<RedisConnection> open_dedicated(std::string_view client_name);

  Reply command(const std::vector<std::string>& argv);
  /// Runs the script on the shared connection, retrying like with_connection; error replies
  /// are thrown as RedisReplyError.
  Reply run(const Script& script, const std::vector<std::string>& keys,
            const std::vector<std::string>& args);

  RedisStats& stats() { return stats_; }
  const PoolOptions& options() const { return options_; }

 private:
  /// Calls `attempt` until it returns, retrying on RedisConnectionError (and LOADING/BUSY
  /// replies) with backoff for up to retry_for; other errors propagate.
  template <typename Fn>
  auto retrying(Fn&& attempt) -> decltype(attempt());
  std::unique_ptr<RedisConnection> acquire();
  void release(std::unique_ptr<RedisConnection> c);
  /// Handles a failed attempt: false when the caller should give up and rethrow.
  bool backoff(int attempt, std::chrono::steady_clock::time_point started, const RedisError& e);
  void recovered();

  PoolOptions options_;
  RedisStats stats_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // guarded by mu_
  std::shared_ptr<SharedConnection> shared_;            // guarded by mu_
  std::atomic<bool> failing_{false};
};

template <typename Fn>
auto Pool::retrying(Fn&& attempt) -> decltype(attempt()) {
  const auto started = std::chrono::steady_clock::now();
  for (int n = 0;; ++n) {
    try {
      if constexpr (std::is_void_v<decltype(attempt())>) {
        attempt();
        if (failing_.load(std::memory_order_relaxed)) recovered();
        return;
      } else {
        auto result = attempt();
        if (failing_.load(std::memory_order_relaxed)) recovered();
        return result;
      }
    } catch (const RedisConnectionError& e) {
      if (!backoff(n, started, e)) throw;
    } catch (const RedisReplyError& e) {
      const std::string_view code = e.code();
      if (code != "LOADING" && code != "BUSY") {
        stats_.reply_errors.fetch_add(1, std::memory_order_relaxed);
        throw;
      }
      if (!backoff(n, started, e)) throw;
    }
  }
}

template <typename Fn>
auto Pool::with_connection(Fn&& fn) -> decltype(fn(std::declval<RedisConnection&>())) {
  return retrying([&] {
    // Back to the idle list when done, also after an error reply; dropped when broken.
    struct Lease {
      Pool& pool;
      std::unique_ptr<RedisConnection> c;
      ~Lease() {
        if (c != nullptr) pool.release(std::move(c));
      }
    } lease{*this, acquire()};
    stats_.commands.fetch_add(1, std::memory_order_relaxed);
    return fn(*lease.c);
  });
}

}  // namespace adminara::obs::jobs::redis
