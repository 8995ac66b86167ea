// A Redis client for programs that keep their own state on the Redis their job queues use (the
// reference service's customer queue and TURN secrets, docs/api.md): the same connection pool,
// reconnection with backoff and Lua script calls the Redis jobs backend runs on, so one
// configuration (a `redis://` URL) and one set of self-metrics cover both.
//
//   obs::jobs::RedisClient redis("redis://127.0.0.1:6379/0");
//   redis.command({"HSET", "app:turn", "version", "3"});
//   static const obs::jobs::RedisScript bump(R"lua(return redis.call('INCR', KEYS[1]))lua");
//   long long n = redis.run(bump, {"app:counter"}, {}).as_int();
//
// Thread-safety: RedisClient and RedisScript may be used from any number of threads at once.
// Errors: RedisError (the URL is invalid, or Redis stayed unreachable for retry_for, or refused a
// command); its message names the server without the password and the cause.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace adminara::obs::jobs {

namespace redis {
class Pool;
class Script;
}  // namespace redis

/// A Redis URL that cannot be used, or a Redis call that failed for good (the server stayed
/// unreachable for RedisOptions::retry_for, or refused a command). The message names the server
/// (never the password) and the cause.
class RedisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws RedisError naming what is wrong with `url` and the accepted form
/// (`redis://[user:password@]host[:port][/db]`; `rediss://` is refused: Debian 12's hiredis has no
/// TLS). The message never contains the password.
void check_redis_url(std::string_view url);

/// `url` with its password replaced by "***" (`redis://user:***@host`), for logs and printed
/// configurations.
std::string masked_redis_url(std::string_view url);

/// One reply, copied out of the connection.
struct RedisReply {
  enum class Type : std::uint8_t { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  long long integer = 0;
  std::string str;  // string, status and error replies
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
  /// The integer (also from a string reply holding one); throws RedisError otherwise.
  long long as_int() const;
  /// The string (string or status); throws RedisError for other types.
  const std::string& as_string() const;
};

/// A Lua script, called by its SHA1: loaded once per server, and again when a restarted server
/// answers NOSCRIPT. Cheap to share; keep one per script text (a function-local static is
/// typical).
class RedisScript {
 public:
  explicit RedisScript(std::string lua);
  ~RedisScript();
  RedisScript(const RedisScript&) = delete;
  RedisScript& operator=(const RedisScript&) = delete;
  const std::string& text() const;

 private:
  friend class RedisClient;
  std::unique_ptr<redis::Script> script_;
};

struct RedisClientOptions {
  std::chrono::milliseconds connect_timeout{2000};
  /// How long one reply may take before the connection counts as broken.
  std::chrono::milliseconds command_timeout{5000};
  /// How long a call keeps retrying a lost connection (backoff from 10 ms to 1 s) before it
  /// throws RedisError. A call may therefore run twice when a connection broke after the server
  /// executed it: make writes idempotent (scripts help).
  std::chrono::milliseconds retry_for{30000};
};

/// Connections to one Redis server, opened lazily (the first call connects) and reused.
/// Owns its connections; they close with it.
class RedisClient {
 public:
  /// Throws RedisError when `url` is invalid; does not connect.
  explicit RedisClient(std::string_view url, RedisClientOptions options = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// Sends one command; an error reply is returned as a reply of Type::kError.
  RedisReply command(const std::vector<std::string>& argv);
  /// Sends the commands in one write on one connection and returns their replies in order.
  std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);
  /// Runs `script` with `keys` and `args` (EVALSHA); an error reply throws RedisError.
  RedisReply run(const RedisScript& script, const std::vector<std::string>& keys,
                 const std::vector<std::string>& args);

 private:
  std::unique_ptr<redis::Pool> pool_;
};

}  // namespace adminara::obs::jobs
