// A private redis-server for tests (Debian's `redis-server`, installed by scripts/setup): started
// on 127.0.0.1 and a free port, without persistence, in a temporary directory; stopped by the
// destructor. Errors throw std::runtime_error with the server's log.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace adminara::obs::testing {

class ChildProcess;

class RedisServer {
 public:
  /// Starts the server and returns once it answers PING (10 s at most). `durable`: with an
  /// append-only file fsynced on every write, so that a killed server restarts with every
  /// acknowledged write.
  explicit RedisServer(bool durable = false);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  /// redis://127.0.0.1:<port>
  std::string url() const;
  /// Stops the server (SIGKILL) and starts it again on the same port: empty, or with every
  /// acknowledged write when durable.
  void restart();
  /// Stops it (SIGKILL) without starting it again; start() brings it back.
  void kill();
  void start();

 private:
  std::filesystem::path dir_;
  bool durable_ = false;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

/// One server for the whole test process, started on first use (on the calling thread, which
/// must outlive it: the main thread).
RedisServer& shared_redis_server();

}  // namespace adminara::obs::testing
