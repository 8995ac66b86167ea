#include "jobs/redis/redis_client.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <exception>
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

long long Reply::as_int() const {
  if (type == Type::kInteger) return integer;
  if (type == Type::kString) {
    long long v = 0;
    const auto [p, ec] = std::from_chars(str.data(), str.data() + str.size(), v);
    if (ec == std::errc() && p == str.data() + str.size()) return v;
  }
  throw RedisError("redis: expected an integer reply");
}

const std::string& Reply::as_string() const {
  if (type == Type::kString || type == Type::kStatus) return str;
  throw RedisError("redis: expected a string reply");
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
  std::vector<const char*> ptrs;
  std::vector<std::size_t> lens;
  for (const auto& argv : commands) {
    ptrs.clear();
    lens.clear();
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data()) !=
        REDIS_OK) {
      broken_ = true;
      throw RedisConnectionError(std::string("redis: cannot send: ") + ctx_->errstr);
    }
  }
  std::vector<Reply> out;
  out.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) out.push_back(read_reply());
  return out;
}

std::string Script::sha(RedisConnection& c, bool reload) const {
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

Reply Script::run(RedisConnection& c, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args) const {
  return std::move(run_pipelined(c, keys, {args}).front());
}

std::vector<Reply> Script::run_pipelined(RedisConnection& c, const std::vector<std::string>& keys,
                                         const std::vector<std::vector<std::string>>& calls) const {
  std::vector<ScriptCall> each;
  each.reserve(calls.size());
  for (const auto& args : calls) each.push_back({this, &keys, &args});
  std::vector<Reply> replies = run_each(c, each);
  for (const Reply& r : replies) {
    if (r.type == Reply::Type::kError) throw RedisReplyError(r.str);
  }
  return replies;
}

std::vector<Reply> Script::run_each(RedisConnection& c, const std::vector<ScriptCall>& calls) {
  std::vector<std::vector<std::string>> argvs;
  argvs.reserve(calls.size());
  for (const ScriptCall& call : calls) {
    argvs.push_back(call.script->evalsha(call.script->sha(c, false), *call.keys, *call.args));
  }
  std::vector<Reply> replies = c.pipeline(argvs);
  // NOSCRIPT: the server lost its script cache (restart, SCRIPT FLUSH); those calls did not run.
  std::vector<std::size_t> again;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].type == Reply::Type::kError && replies[i].str.starts_with("NOSCRIPT")) {
      again.push_back(i);
    }
  }
  if (!again.empty()) {
    std::vector<std::vector<std::string>> retry;
    for (std::size_t i : again) {
      const ScriptCall& call = calls[i];
      // Each script is loaded again once, however many of its calls were refused.
      bool reloaded = false;
      for (std::size_t j : again) {
        if (j == i) break;
        reloaded = reloaded || calls[j].script == call.script;
      }
      retry.push_back(call.script->evalsha(call.script->sha(c, !reloaded), *call.keys, *call.args));
    }
    std::vector<Reply> second = c.pipeline(retry);
    for (std::size_t j = 0; j < again.size(); ++j) replies[again[j]] = std::move(second[j]);
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

// A script call waiting for the shared connection. Lives on its caller's stack; the leader
// touches it only under shared_mu_ after queueing, and notifies it while holding shared_mu_, so
// the caller (who checks `state` under shared_mu_) cannot return and destroy it mid-notify.
struct Pool::Waiting {
  enum class State : std::uint8_t { kQueued, kLead, kDone };
  ScriptCall call;
  State state = State::kQueued;
  std::condition_variable cv;
  Reply reply;
  std::exception_ptr error;
};

Reply Pool::run(const Script& script, const std::vector<std::string>& keys,
                const std::vector<std::string>& args) {
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    Waiting w{.call = {&script, &keys, &args}};
    run_shared(w);
    stats_.commands.fetch_add(1, std::memory_order_relaxed);
    try {
      if (w.error) std::rethrow_exception(w.error);
      if (w.reply.type == Reply::Type::kError) throw RedisReplyError(w.reply.str);
      if (failing_.load(std::memory_order_relaxed)) recovered();
      return std::move(w.reply);
    } catch (const RedisConnectionError& e) {
      if (!backoff(attempt, started, e)) throw;
    } catch (const RedisReplyError& e) {
      const std::string_view code = e.code();
      if (code != "LOADING" && code != "BUSY") {
        stats_.reply_errors.fetch_add(1, std::memory_order_relaxed);
        throw;
      }
      if (!backoff(attempt, started, e)) throw;
    }
  }
}

void Pool::run_shared(Waiting& w) {
  std::unique_lock lock(shared_mu_);
  queued_.push_back(&w);
  if (leading_) {
    w.cv.wait(lock, [&] { return w.state != Waiting::State::kQueued; });
    if (w.state == Waiting::State::kDone) return;
    // Handed the lead: our call is still queued, and goes in the batch we send now.
  } else {
    leading_ = true;
  }
  batch_.swap(queued_);
  lock.unlock();
  send_batch(batch_);
  lock.lock();
  for (Waiting* other : batch_) {
    other->state = Waiting::State::kDone;
    if (other != &w) other->cv.notify_one();
  }
  batch_.clear();
  if (queued_.empty()) {
    leading_ = false;
  } else {
    queued_.front()->state = Waiting::State::kLead;
    queued_.front()->cv.notify_one();
  }
}

void Pool::send_batch(const std::vector<Waiting*>& batch) {
  batch_calls_.clear();
  for (const Waiting* w : batch) batch_calls_.push_back(w->call);
  try {
    if (shared_ == nullptr || shared_->broken()) {
      shared_.reset();
      shared_ = acquire();
    }
    std::vector<Reply> replies = Script::run_each(*shared_, batch_calls_);
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->reply = std::move(replies[i]);
  } catch (...) {
    // The connection broke (or could not be opened): every call of the batch retries.
    if (shared_ != nullptr && shared_->broken()) shared_.reset();
    const std::exception_ptr error = std::current_exception();
    for (Waiting* w : batch) w->error = error;
  }
}

}  // namespace adminara::obs::jobs::redis
