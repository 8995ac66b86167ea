#include "tests/common/redis_server.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/integration/prometheus_harness.h"

namespace adminara::obs::testing {
namespace {

bool answers_ping(int port) {
  timeval tv{0, 200000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  bool ok = false;
  if (c != nullptr && c->err == 0) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    ok = r != nullptr && r->type == REDIS_REPLY_STATUS && std::string(r->str) == "PONG";
    if (r != nullptr) freeReplyObject(r);
  }
  if (c != nullptr) redisFree(c);
  return ok;
}

}  // namespace

RedisServer::RedisServer(bool durable) : durable_(durable) {
  dir_ = std::filesystem::temp_directory_path() /
         ("adminara-redis-" + std::to_string(::getpid()) + "-" +
          std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir_);
  port_ = free_loopback_port();
  start();
}

RedisServer::~RedisServer() {
  kill();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RedisServer::url() const {
  return "redis://127.0.0.1:" + std::to_string(port_);
}

void RedisServer::start() {
  std::vector<std::string> argv = {"/usr/bin/redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--dir",
                                   dir_.string(),
                                   "--logfile",
                                   ""};
  if (durable_) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    argv.insert(argv.end(), {"--appendonly", "no"});
  }
  process_ =
      std::make_unique<ChildProcess>(ChildProcess::Options{.argv = std::move(argv),
                                                           .stdout_path = dir_ / "redis.out",
                                                           .stderr_path = dir_ / "redis.err"});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!answers_ping(port_)) {
    if (process_->wait(std::chrono::milliseconds(0)) ||
        std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("redis-server on port " + std::to_string(port_) +
                               " did not start: " + process_->output() + process_->errors());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void RedisServer::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(10));
  process_.reset();
}

void RedisServer::restart() {
  kill();
  start();
}

RedisServer& shared_redis_server() {
  static RedisServer server;
  return server;
}

}  // namespace adminara::obs::testing
