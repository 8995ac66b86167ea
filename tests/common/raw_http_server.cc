#include "tests/common/raw_http_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace adminara::obs::testing {

namespace {

std::size_t content_length(const std::string& head) {
  std::string lower;
  for (char c : head) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  const auto at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  return std::stoul(head.substr(at + 17));
}

}  // namespace

bool RawHttpServer::Connection::read_request(std::string* request) {
  std::size_t need = std::string::npos;
  for (;;) {
    if (need == std::string::npos) {
      const auto end = pending_.find("\r\n\r\n");
      if (end != std::string::npos) need = end + 4 + content_length(pending_.substr(0, end + 2));
    }
    if (need != std::string::npos && pending_.size() >= need) {
      if (request != nullptr) *request = pending_.substr(0, need);
      pending_.erase(0, need);
      server_.requests_.fetch_add(1);
      return true;
    }
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
  }
}

bool RawHttpServer::Connection::write(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    server_.bytes_written_.fetch_add(static_cast<std::uint64_t>(n));
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void RawHttpServer::Connection::wait_for_close() {
  char buf[4096];
  while (::recv(fd_, buf, sizeof buf, 0) > 0) {
  }
}

RawHttpServer::RawHttpServer(Script script) : script_(std::move(script)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("RawHttpServer: cannot listen");
  }
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  accept_thread_ = std::thread([this] {
    for (;;) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0 || stopping_.load()) {
        if (fd >= 0) ::close(fd);
        return;
      }
      const int sndbuf = 64 * 1024;
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
      const int index = connections_.fetch_add(1);
      std::lock_guard lock(mu_);
      fds_.push_back(fd);
      threads_.emplace_back([this, fd, index] {
        Connection c(*this, fd, index);
        script_(c);
        ::shutdown(fd, SHUT_RDWR);
        finished_.fetch_add(1);
      });
    }
  });
}

RawHttpServer::~RawHttpServer() {
  stopping_.store(true);
  ::shutdown(listen_fd_, SHUT_RDWR);
  accept_thread_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  for (int fd : fds_) ::close(fd);
}

bool RawHttpServer::eventually(const std::function<bool()>& pred) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace adminara::obs::testing
