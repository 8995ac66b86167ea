#include "jobs/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <thread>

#include "common/log.h"

namespace adminara::obs::jobs::redis {
namespace {

constexpr std::string_view kUrlForm = "accepted: redis://[user:password@]host[:port][/db]";

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

Reply copy_reply(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i)
        out.elements.push_back(copy_reply(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

// A command's arguments as hiredis takes them (pointers and lengths into the strings).
struct ArgvView {
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
  void point_at(const std::vector<std::string>& argv) {
    ptrs.clear();
    lens.clear();
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
  }
  int argc() const { return static_cast<int>(ptrs.size()); }
};

// NOSCRIPT: the server lost its script cache (restart, SCRIPT FLUSH); the call did not run.
bool is_noscript(const Reply& r) {
  return r.type == Reply::Type::kError && r.str.starts_with("NOSCRIPT");
}

int parse_int(std::string_view s, std::string_view what, std::string_view url) {
  int v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) {
    throw RedisError("redis URL \"" + masked_url(url) + "\": bad " + std::string(what) + " \"" +
                     std::string(s) + "\"; " + std::string(kUrlForm));
  }
  return v;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      const auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::string masked_url(std::string_view url) {
  const std::size_t scheme = url.find("://");
  const std::size_t at = url.rfind('@');
  if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme) {
    return std::string(url);
  }
  const std::size_t start = scheme + 3;
  const std::size_t colon = url.find(':', start);
  const std::size_t secret = colon != std::string_view::npos && colon < at ? colon + 1 : start;
  return std::string(url.substr(0, secret)) + "***" + std::string(url.substr(at));
}

std::string RedisUrl::display() const {
  return host + ":" + std::to_string(port) + "/" + std::to_string(db);
}

RedisUrl parse_redis_url(std::string_view url) {
  const std::string whole = masked_url(url);
  if (url.starts_with("rediss://")) {
    throw RedisError("redis URL \"" + whole +
                     "\": TLS (rediss://) is not supported by the packaged hiredis 0.14; " +
                     std::string(kUrlForm));
  }
  if (!url.starts_with("redis://")) {
    throw RedisError("redis URL \"" + whole + "\": unknown scheme; " + std::string(kUrlForm));
  }
  std::string_view rest = url.substr(8);
  RedisUrl out;
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (const std::size_t colon = cred.find(':'); colon != std::string_view::npos) {
      out.user = percent_decode(cred.substr(0, colon));
      out.password = percent_decode(cred.substr(colon + 1));
    } else {
      out.password = percent_decode(cred);  // redis://secret@host: a password alone
    }
  }
  std::string_view hostport = rest;
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) out.db = parse_int(db, "database number", url);
  }
  if (hostport.starts_with('[')) {  // [::1]:6379
    const std::size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      throw RedisError("redis URL \"" + whole + "\": unclosed '[' in the host; " +
                       std::string(kUrlForm));
    }
    out.host = std::string(hostport.substr(1, close - 1));
    hostport = hostport.substr(close + 1);
    if (hostport.starts_with(':')) out.port = parse_int(hostport.substr(1), "port", url);
  } else if (const std::size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(hostport.substr(0, colon));
    out.port = parse_int(hostport.substr(colon + 1), "port", url);
  } else if (!hostport.empty()) {
    out.host = std::string(hostport);
  }
  if (out.host.empty()) {
    throw RedisError("redis URL \"" + whole + "\": empty host; " + std::string(kUrlForm));
  }
  if (out.port < 1 || out.port > 65535) {
    throw RedisError("redis URL \"" + whole + "\": port out of range 1-65535; " +
                     std::string(kUrlForm));
  }
  return out;
}

std::string_view RedisReplyError::code() const {
  const std::string_view m = what();
  return m.substr(0, m.find(' '));
}

RedisConnection::RedisConnection(const RedisUrl& url, std::chrono::milliseconds connect_timeout,
                                 std::chrono::milliseconds command_timeout,
                                 std::string_view client_name) {
  ctx_ = redisConnectWithTimeout(url.host.c_str(), url.port, to_timeval(connect_timeout));
  if (ctx_ == nullptr || ctx_->err != 0) {
    const std::string why = ctx_ != nullptr ? ctx_->errstr : "out of memory";
    if (ctx_ != nullptr) redisFree(ctx_);
    ctx_ = nullptr;
    throw RedisConnectionError("redis " + url.display() + ": cannot connect: " + why);
  }
  redisEnableKeepAlive(ctx_);
  set_timeout(command_timeout);
  auto check = [&](const std::vector<std::string>& argv) {
    const Reply r = command(argv);
    if (r.type == Reply::Type::kError) {
      throw RedisReplyError(r.str + " (redis " + url.display() + ", " + argv[0] + ")");
    }
  };
  try {
    if (!url.password.empty()) {
      if (url.user.empty()) {
        check({"AUTH", url.password});
      } else {
        check({"AUTH", url.user, url.password});
      }
    }
    if (url.db != 0) check({"SELECT", std::to_string(url.db)});
    if (!client_name.empty()) check({"CLIENT", "SETNAME", std::string(client_name)});
  } catch (...) {
    redisFree(ctx_);
    ctx_ = nullptr;
    throw;
  }
}

RedisConnection::~RedisConnection() {
  if (ctx_ != nullptr) redisFree(ctx_);
}

int RedisConnection::fd() const {
  return ctx_->fd;
}

void RedisConnection::set_timeout(std::chrono::milliseconds timeout) {
  redisSetTimeout(ctx_, to_timeval(timeout));
}

Reply RedisConnection::read_reply() {
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
    broken_ = true;
    throw RedisConnectionError(std::string("redis: connection lost: ") +
                               (ctx_->errstr[0] != '\0' ? ctx_->errstr : "no reply"));
  }
  Reply r = copy_reply(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return r;
}

Reply RedisConnection::command(const std::vector<std::string>& argv) {
  return pipeline({argv}).front();
}

std::vector<Reply> RedisConnection::pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (broken_) throw RedisConnectionError("redis: connection lost earlier");
  ArgvView view;
  for (const auto& argv : commands) {
    view.point_at(argv);
    if (redisAppendCommandArgv(ctx_, view.argc(), view.ptrs.data(), view.lens.data()) != REDIS_OK) {
      broken_ = true;
      throw RedisConnectionError(std::string("redis: cannot send: ") + ctx_->errstr);
    }
  }
  std::vector<Reply> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) out.push_back(read_reply());
  return out;
}

// A call waiting for its reply. Lives on its caller's stack. The reader fills it in and
// notifies it while holding mu_, and its caller checks `done` under mu_, so the caller cannot
// return (destroying it) before the notification is over.
struct SharedConnection::Call {
  bool done = false;
  Reply reply;
  std::string error;  // not empty: the connection broke
  std::condition_variable cv;
};

SharedConnection::SharedConnection(const RedisUrl& url, std::chrono::milliseconds connect_timeout,
                                   std::chrono::milliseconds command_timeout)
    : conn_(std::make_unique<RedisConnection>(url, connect_timeout, command_timeout)),
      reader_(redisReaderCreate()) {
  if (reader_ == nullptr) throw std::bad_alloc();
}

SharedConnection::~SharedConnection() {
  redisReaderFree(reader_);
}

bool SharedConnection::broken() const {
  std::lock_guard lock(mu_);
  return broken_;
}

void SharedConnection::fail_all(const std::string& why) {
  if (!broken_) {
    broken_ = true;
    broken_why_ = why;
  }
  for (Call* c : in_flight_) {
    c->error = broken_why_;
    c->done = true;
    c->cv.notify_one();
  }
  in_flight_.clear();
}

Reply SharedConnection::command(const std::vector<std::string>& argv) {
  ArgvView view;
  view.point_at(argv);
  char* cmd = nullptr;
  const int len = redisFormatCommandArgv(&cmd, view.argc(), view.ptrs.data(), view.lens.data());
  if (len < 0) throw std::bad_alloc();
  std::unique_ptr<char, void (*)(char*)> owned(cmd, redisFreeCommand);

  Call call;
  {
    // The order of in_flight_ must be the order on the wire: queue and write under write_mu_.
    // mu_ is not held while writing, so the reader can go on handing out replies meanwhile.
    std::lock_guard write_lock(write_mu_);
    {
      std::lock_guard lock(mu_);
      if (broken_) throw RedisConnectionError("redis: connection lost earlier: " + broken_why_);
      in_flight_.push_back(&call);
    }
    std::size_t sent = 0;
    while (sent < static_cast<std::size_t>(len)) {
      const ssize_t n = ::send(conn_->fd(), cmd + sent, len - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const std::string why = std::string("cannot send: ") + std::strerror(errno);
        std::lock_guard lock(mu_);
        fail_all(why);
        break;
      }
      sent += static_cast<std::size_t>(n);
    }
  }

  std::unique_lock lock(mu_);
  while (!call.done) {
    if (!reading_) {
      reading_ = true;
      lock.unlock();
      read_until(call);
      lock.lock();
      reading_ = false;
      // Someone else still waits: they read next.
      if (!in_flight_.empty()) in_flight_.front()->cv.notify_one();
    } else {
      call.cv.wait(lock);
    }
  }
  if (!call.error.empty()) throw RedisConnectionError("redis: connection lost: " + call.error);
  return std::move(call.reply);
}

void SharedConnection::read_until(Call& mine) {
  char buf[16 * 1024];
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
      std::lock_guard lock(mu_);
      fail_all(std::string("protocol error: ") + reader_->errstr);
      return;
    }
    if (raw == nullptr) {
      const ssize_t n = ::recv(conn_->fd(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        // EAGAIN: the socket's receive timeout (the command timeout) passed without a reply.
        const std::string why =
            n == 0 ? "closed by the server"
                   : (errno == EAGAIN || errno == EWOULDBLOCK ? "no reply within the timeout"
                                                              : std::strerror(errno));
        std::lock_guard lock(mu_);
        fail_all(why);
        return;
      }
      redisReaderFeed(reader_, buf, static_cast<std::size_t>(n));
      continue;
    }
    Reply reply = copy_reply(static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    std::lock_guard lock(mu_);
    if (in_flight_.empty()) {
      fail_all("a reply nobody asked for");
      return;
    }
    Call* owner = in_flight_.front();
    in_flight_.pop_front();
    owner->reply = std::move(reply);
    owner->done = true;
    if (owner == &mine) return;
    owner->cv.notify_one();
  }
}

template <typename Connection>
std::string Script::sha(Connection& c, bool reload) const {
  {
    std::lock_guard lock(mu_);
    if (!reload && !sha_.empty()) return sha_;
  }
  const Reply loaded = c.command({"SCRIPT", "LOAD", text_});
  if (loaded.type == Reply::Type::kError) throw RedisReplyError(loaded.str + " (SCRIPT LOAD)");
  std::lock_guard lock(mu_);
  sha_ = loaded.as_string();
  return sha_;
}

std::vector<std::string> Script::evalsha(const std::string& sha,
                                         const std::vector<std::string>& keys,
                                         const std::vector<std::string>& args) const {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.emplace_back("EVALSHA");
  argv.push_back(sha);
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Reply Script::run(SharedConnection& c, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args) const {
  Reply r = c.command(evalsha(sha(c, false), keys, args));
  if (is_noscript(r)) r = c.command(evalsha(sha(c, true), keys, args));
  return r;
}

std::vector<Reply> Script::run_pipelined(RedisConnection& c, const std::vector<std::string>& keys,
                                         const std::vector<std::vector<std::string>>& calls) const {
  std::vector<std::vector<std::string>> argvs;
  argvs.reserve(calls.size());
  const std::string first = sha(c, false);
  for (const auto& args : calls) argvs.push_back(evalsha(first, keys, args));
  std::vector<Reply> replies = c.pipeline(argvs);
  std::vector<std::size_t> again;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (is_noscript(replies[i])) again.push_back(i);
  }
  if (!again.empty()) {
    const std::string loaded = sha(c, true);
    std::vector<std::vector<std::string>> retry;
    for (std::size_t i : again) retry.push_back(evalsha(loaded, keys, calls[i]));
    std::vector<Reply> second = c.pipeline(retry);
    for (std::size_t j = 0; j < again.size(); ++j) replies[again[j]] = std::move(second[j]);
  }
  for (const Reply& r : replies) {
    if (r.type == Reply::Type::kError) throw RedisReplyError(r.str);
  }
  return replies;
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {}
Pool::~Pool() = default;

std::unique_ptr<RedisConnection> Pool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<RedisConnection> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return std::make_unique<RedisConnection>(options_.url, options_.connect_timeout,
                                           options_.command_timeout);
}

void Pool::release(std::unique_ptr<RedisConnection> c) {
  if (c->broken()) return;
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(c));
}

bool Pool::backoff(int attempt, std::chrono::steady_clock::time_point started,
                   const RedisError& e) {
  stats_.connection_errors.fetch_add(1, std::memory_order_relaxed);
  {
    // Connections opened before the failure are probably broken too (a server restart).
    std::lock_guard lock(mu_);
    idle_.clear();
  }
  if (!failing_.exchange(true)) {
    common::log_warn("redis " + options_.url.display() + ": " + e.what() +
                     "; retrying with backoff for up to " +
                     std::to_string(options_.retry_for.count()) + " ms");
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  if (elapsed >= options_.retry_for) {
    stats_.gave_up.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const auto delay =
      std::chrono::milliseconds(std::min<long long>(1000, 10LL << std::min(attempt, 7)));
  std::this_thread::sleep_for(delay);
  stats_.reconnects.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void Pool::recovered() {
  if (failing_.exchange(false)) {
    common::log(common::LogLevel::kInfo, "redis " + options_.url.display() + ": reconnected");
  }
}

std::unique_ptr<RedisConnection> Pool::open_dedicated(std::string_view client_name) {
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    try {
      auto c = std::make_unique<RedisConnection>(options_.url, options_.connect_timeout,
                                                 options_.command_timeout, client_name);
      if (failing_.load(std::memory_order_relaxed)) recovered();
      return c;
    } catch (const RedisConnectionError& e) {
      if (!backoff(attempt, started, e)) throw;
    }
  }
}

Reply Pool::command(const std::vector<std::string>& argv) {
  return with_connection([&](RedisConnection& c) {
    Reply r = c.command(argv);
    if (r.type == Reply::Type::kError) throw RedisReplyError(r.str + " (" + argv[0] + ")");
    return r;
  });
}

Reply Pool::run(const Script& script, const std::vector<std::string>& keys,
                const std::vector<std::string>& args) {
  return retrying([&] {
    std::shared_ptr<SharedConnection> c;
    {
      std::lock_guard lock(mu_);
      if (shared_ == nullptr || shared_->broken()) {
        shared_.reset();
        shared_ = std::make_shared<SharedConnection>(options_.url, options_.connect_timeout,
                                                     options_.command_timeout);
      }
      c = shared_;
    }
    stats_.commands.fetch_add(1, std::memory_order_relaxed);
    Reply r = script.run(*c, keys, args);
    if (r.type == Reply::Type::kError) throw RedisReplyError(r.str);
    return r;
  });
}

}  // namespace adminara::obs::jobs::redis
