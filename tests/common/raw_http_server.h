// RawHttpServer: a plain POSIX TCP server on 127.0.0.1 (ephemeral port) for testing HTTP
// clients against peers that misbehave on purpose: each accepted connection runs the test's
// script on its own thread, with helpers to read requests and write raw bytes. It counts
// connections and the bytes the scripts managed to write, so a test can assert how much a
// client read without timing. Accepted sockets get a small send buffer (64 KiB) so that little
// sits in kernel buffers. The destructor shuts every socket down (waking blocked scripts) and
// joins the threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace adminara::obs::testing {

class RawHttpServer {
 public:
  /// One accepted connection as a script sees it.
  class Connection {
   public:
    Connection(RawHttpServer& server, int fd, int index)
        : server_(server), fd_(fd), index_(index) {}
    /// Reads one request (head, then a Content-Length body) into `request`; false on EOF or
    /// error before a whole request.
    bool read_request(std::string* request = nullptr);
    /// Writes all of `data` (MSG_NOSIGNAL); false once the peer is gone. Counts what was sent.
    bool write(std::string_view data);
    /// Blocks until the peer closes or the server stops.
    void wait_for_close();
    /// 0 for the first connection the server accepted, 1 for the second, ...
    int index() const { return index_; }
    int fd() const { return fd_; }

   private:
    RawHttpServer& server_;
    int fd_;
    int index_;
    std::string pending_;
  };
  using Script = std::function<void(Connection&)>;

  explicit RawHttpServer(Script script);
  ~RawHttpServer();
  RawHttpServer(const RawHttpServer&) = delete;
  RawHttpServer& operator=(const RawHttpServer&) = delete;

  int port() const { return port_; }
  int connections() const { return connections_.load(); }
  /// Scripts that have returned (their connection is closed).
  int finished() const { return finished_.load(); }
  /// Requests read by Connection::read_request, all connections together.
  int requests() const { return requests_.load(); }
  std::uint64_t bytes_written() const { return bytes_written_.load(); }
  /// Waits (bounded: 20 s) until `pred` holds; returns it.
  static bool eventually(const std::function<bool()>& pred);

 private:
  Script script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> finished_{0};
  std::atomic<int> requests_{0};
  std::atomic<std::uint64_t> bytes_written_{0};
  std::mutex mu_;
  std::vector<int> fds_;              // guarded by mu_
  std::vector<std::thread> threads_;  // guarded by mu_
  std::thread accept_thread_;
};

}  // namespace adminara::obs::testing
