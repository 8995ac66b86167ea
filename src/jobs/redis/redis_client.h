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
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/jobs_backend.h"

struct redisContext;

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

/// One reply, copied out of hiredis.
struct Reply {
  enum class Type : std::uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;  // string, status and error replies
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
  /// The integer (also from a string reply holding one); throws RedisError otherwise.
  long long as_int() const;
  /// The string (string or status); throws RedisError for other types.
  const std::string& as_string() const;
};

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

 private:
  Reply read_reply();
  redisContext* ctx_ = nullptr;
  bool broken_ = false;
};

class Script;

/// One call of a script, for pipelines that mix scripts (Script::run_each). Borrows its parts.
struct ScriptCall {
  const Script* script;
  const std::vector<std::string>* keys;
  const std::vector<std::string>* args;
};

/// A Lua script, called by its SHA1 (loaded once per server; again after NOSCRIPT).
class Script {
 public:
  explicit Script(std::string text) : text_(std::move(text)) {}
  const std::string& text() const { return text_; }
  /// Runs the script on `c`: EVALSHA, or SCRIPT LOAD + EVALSHA when the server does not know it.
  /// Error replies are thrown as RedisReplyError.
  Reply run(RedisConnection& c, const std::vector<std::string>& keys,
            const std::vector<std::string>& args) const;
  /// Runs the script once per element of `calls` (each its ARGV), pipelined in one round trip;
  /// the replies in order. Calls the server answered NOSCRIPT (not run) are loaded and run again.
  std::vector<Reply> run_pipelined(RedisConnection& c, const std::vector<std::string>& keys,
                                   const std::vector<std::vector<std::string>>& calls) const;
  /// Runs `calls` (of any scripts) pipelined in one round trip on `c`; calls the server answered
  /// NOSCRIPT for are loaded and run again. The replies in order, error replies included (not
  /// thrown). Throws RedisConnectionError when the connection breaks.
  static std::vector<Reply> run_each(RedisConnection& c, const std::vector<ScriptCall>& calls);

 private:
  std::string sha(RedisConnection& c, bool reload) const;
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
/// are logged once each. Thread-safe.
///
/// Script calls (run()) from concurrent threads share one connection and are pipelined: the
/// first caller to find it free becomes the leader, sends every call queued by then in one write
/// and reads their replies, then hands the connection to the next queued caller. A lone caller
/// does its own round trip (no thread hand-off); many callers (a worker at concurrency 50) cost
/// Redis one read and one write per batch instead of per call, which is most of a short script's
/// cost on the server.
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
  /// Runs the script on the shared, pipelined connection (see above), retrying like
  /// with_connection. Error replies are thrown as RedisReplyError.
  Reply run(const Script& script, const std::vector<std::string>& keys,
            const std::vector<std::string>& args);

  RedisStats& stats() { return stats_; }
  const PoolOptions& options() const { return options_; }

 private:
  std::unique_ptr<RedisConnection> acquire();
  void release(std::unique_ptr<RedisConnection> c);
  /// Handles a failed attempt: false when the caller should give up and rethrow.
  bool backoff(int attempt, std::chrono::steady_clock::time_point started, const RedisError& e);
  void recovered();

  struct Waiting;
  /// Queues `call` for the shared connection and returns when it has a reply or an error,
  /// having sent a batch itself when it was (or became) the leader.
  void run_shared(Waiting& call);
  /// Sends `batch` on the shared connection (opening it when needed) and fills in each call's
  /// reply or error. Only the leader calls it.
  void send_batch(const std::vector<Waiting*>& batch);

  PoolOptions options_;
  RedisStats stats_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // guarded by mu_
  std::atomic<bool> failing_{false};

  std::mutex shared_mu_;
  std::vector<Waiting*> queued_;             // guarded by shared_mu_
  bool leading_ = false;                     // guarded by shared_mu_: a leader is sending a batch
  std::vector<Waiting*> batch_;              // the leader's
  std::vector<ScriptCall> batch_calls_;      // the leader's
  std::unique_ptr<RedisConnection> shared_;  // the leader's
};

template <typename Fn>
auto Pool::with_connection(Fn&& fn) -> decltype(fn(std::declval<RedisConnection&>())) {
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<RedisConnection> c;
    try {
      c = acquire();
      stats_.commands.fetch_add(1, std::memory_order_relaxed);
      if constexpr (std::is_void_v<decltype(fn(*c))>) {
        fn(*c);
        release(std::move(c));
        if (failing_.load(std::memory_order_relaxed)) recovered();
        return;
      } else {
        auto result = fn(*c);
        release(std::move(c));
        if (failing_.load(std::memory_order_relaxed)) recovered();
        return result;
      }
    } catch (const RedisConnectionError& e) {
      if (!backoff(attempt, started, e)) throw;
    } catch (const RedisReplyError& e) {
      const std::string_view code = e.code();
      if (code != "LOADING" && code != "BUSY") {
        stats_.reply_errors.fetch_add(1, std::memory_order_relaxed);
        if (c && !c->broken()) release(std::move(c));
        throw;
      }
      if (!backoff(attempt, started, e)) throw;
    }
  }
}

}  // namespace adminara::obs::jobs::redis
