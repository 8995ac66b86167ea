#include "service.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

namespace adminara::server {
namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

// `n` bytes from the OS's CSPRNG (OpenSSL). Throws std::runtime_error if it fails.
std::vector<unsigned char> random_bytes(std::size_t n) {
  std::vector<unsigned char> buf(n);
  if (RAND_bytes(buf.data(), static_cast<int>(n)) != 1) {
    throw std::runtime_error("the system's random number generator failed");
  }
  return buf;
}

std::string random_hex(std::size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : random_bytes(bytes)) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// A ticket id is its holder's access token to the API: spans carry this reference instead, the
// first 64 bits of HMAC-SHA256 under a key drawn at start, so the spans of one ticket can be
// found together in this process' traces but the id cannot be recovered from them.
std::string ticket_ref(std::string_view id) {
  static const std::string key = random_hex(32);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(id.data()), id.size(), mac, &len) == nullptr) {
    return "unavailable";
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 8 && i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

// Valid UTF-8 without control characters (C0, DEL), 1 to 128 bytes. Returns what is wrong, or
// an empty string.
std::string check_name(std::string_view value, std::string_view what, bool allow_colon) {
  if (value.empty()) return std::string(what) + " is empty";
  if (value.size() > 128) return std::string(what) + " is longer than 128 bytes";
  for (std::size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x20 || c == 0x7f) return std::string(what) + " contains a control character";
    if (c == ':' && !allow_colon) return std::string(what) + " contains ':'";
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xe  ? 3
                      : (c >> 3) == 0x1e ? 4
                                         : 0;
    if (len == 0 || i + len > value.size()) return std::string(what) + " is not valid UTF-8";
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(value[i + k]) & 0xc0) != 0x80) {
        return std::string(what) + " is not valid UTF-8";
      }
    }
    i += len;
  }
  return {};
}

}  // namespace

std::string turn_credential(std::string_view secret, std::string_view username) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(username.data()), username.size(), mac,
           &mac_len) == nullptr) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  return base64(mac, mac_len);
}

std::string random_secret_base64(std::size_t n) {
  const std::vector<unsigned char> buf = random_bytes(n);
  return base64(buf.data(), n);
}

AdminAraService::AdminAraService(ServerConfig config, StateStore& store, obs::Meter meter,
                                 NowFn now)
    : config_(std::move(config)),
      store_(store),
      now_(now ? std::move(now) : NowFn(system_now_ms)),
      metrics_(obs::create_metrics(meter)) {
  tickets_created_ = meter.create_counter("adminara.tickets.created",
                                          {.description = "Customers who joined the queue"});
  calls_ended_ =
      meter.create_counter("adminara.calls.ended", {.description = "Calls ended by a client"});
  credentials_issued_ = meter.create_counter("adminara.turn_credentials.issued",
                                             {.description = "TURN credentials issued"});
  tickets_expired_ = meter.create_counter(
      "adminara.tickets.expired", {.description = "Tickets expired by session_cleanup, by reason"});
  // Series whose labels are known up front exist from the start, at 0: a rate() over them is 0
  // rather than no data (bind() creates a series without recording).
  tickets_created_.bind();
  calls_ended_.bind();
  credentials_issued_.bind();
  for (const char* reason : {"wait_timeout", "connect_timeout", "call_timeout"}) {
    tickets_expired_.bind({{"reason", reason}});
  }
  gauges_.push_back(meter.create_observable_gauge(
      "adminara.queue.waiting",
      [this](obs::ObservableResult& r) { r.observe(static_cast<double>(store_.counts().waiting)); },
      {.description = "Customers waiting in the queue now"}));
  gauges_.push_back(meter.create_observable_gauge(
      "adminara.calls.active",
      [this](obs::ObservableResult& r) {
        const TicketCounts c = store_.counts();
        r.observe(static_cast<double>(c.assigned), {{"state", "assigned"}});
        r.observe(static_cast<double>(c.connected), {{"state", "connected"}});
      },
      {.description = "Calls in progress: assigned to an admin, or connected"}));
}

AdminAraService::~AdminAraService() {
  for (auto& g : gauges_) g.remove();
}

AdminAraService::Joined AdminAraService::join(std::string_view customer) {
  if (auto problem = check_name(customer, "customer", true); !problem.empty()) {
    throw ApiError(400, problem + "; expected 1 to 128 bytes of UTF-8 text");
  }
  Ticket t;
  t.id = "t-" + random_hex(12);
  t.customer = std::string(customer);
  t.created_ms = now_();
  auto position = store_.enqueue(t, config_.queue_max_length);
  if (!position) {
    throw ApiError(503, "the queue is full (" + std::to_string(config_.queue_max_length) +
                            " customers waiting); try again later");
  }
  tickets_created_.add(1);
  obs::Span* span = obs::current_span();
  if (span != nullptr) span->set_attribute("adminara.ticket.ref", ticket_ref(t.id));
  return {std::move(t), *position};
}

std::pair<Ticket, std::size_t> AdminAraService::status(std::string_view ticket_id) const {
  auto t = store_.get(ticket_id);
  if (!t) throw ApiError(404, "unknown ticket");
  const std::size_t position = t->state == TicketState::kWaiting ? store_.position(ticket_id) : 0;
  return {std::move(*t), position};
}

std::optional<Ticket> AdminAraService::next(std::string_view admin) {
  if (auto problem = check_name(admin, "admin", true); !problem.empty()) {
    throw ApiError(400, problem + "; expected 1 to 128 bytes of UTF-8 text");
  }
  auto measure = obs::get_profiler().scope("queue.assign");
  auto t = store_.assign_next(admin, now_());
  if (!t) return std::nullopt;
  const auto waited = static_cast<double>(t->assigned_ms - t->created_ms);
  metrics_.queue_wait_time.record(waited);
  if (obs::Span* span = obs::current_span()) {
    span->set_attribute("adminara.ticket.ref", ticket_ref(t->id));
    span->set_attribute("adminara.queue.wait_ms", waited);
  }
  return t;
}

namespace {
[[noreturn]] void throw_transition(Transition r, const Ticket& t, std::string_view needs) {
  if (r == Transition::kUnknownTicket) {
    throw ApiError(404, "unknown ticket");
  }
  throw ApiError(409, "the ticket is " + std::string(to_string(t.state)) + "; this needs " +
                          std::string(needs));
}
}  // namespace

Ticket AdminAraService::connected(std::string_view ticket_id, double connection_ms) {
  if (!std::isfinite(connection_ms) || connection_ms < 0 || connection_ms > 600000) {
    throw ApiError(400, "connection_ms must be a number from 0 to 600000 (milliseconds)");
  }
  Ticket t;
  const Transition r = store_.connect(ticket_id, connection_ms, now_(), &t);
  if (r != Transition::kDone) throw_transition(r, t, "an assigned ticket");
  metrics_.webrtc_connection_time.record(connection_ms);
  if (obs::Span* span = obs::current_span()) {
    span->set_attribute("adminara.ticket.ref", ticket_ref(t.id));
    span->set_attribute("webrtc.connection_ms", connection_ms);
  }
  return t;
}

Ticket AdminAraService::ended(std::string_view ticket_id) {
  Ticket t;
  const Transition r = store_.end(ticket_id, now_(), &t);
  if (r != Transition::kDone) {
    throw_transition(r, t, "an assigned or connected ticket");
  }
  calls_ended_.add(1);
  return t;
}

TurnCredentials AdminAraService::turn_credentials(std::string_view user) {
  if (auto problem = check_name(user, "user", false); !problem.empty()) {
    throw ApiError(400, problem +
                            "; expected 1 to 128 bytes of UTF-8 text without ':' or control "
                            "characters");
  }
  const TurnSecrets secrets = store_.turn_secrets();
  if (secrets.current.empty()) throw ApiError(503, "no TURN secret yet; try again shortly");
  TurnCredentials c;
  c.ttl_s = config_.turn_credential_ttl.count() / 1000;
  c.username = std::to_string(now_() / 1000 + c.ttl_s) + ":" + std::string(user);
  c.credential = turn_credential(secrets.current, c.username);
  c.uris = config_.turn_uris;
  credentials_issued_.add(1);
  return c;
}

void AdminAraService::ensure_turn_secret() {
  if (!store_.turn_secrets().current.empty()) return;
  std::string secret = random_secret_base64(32);
  write_secrets_file(TurnSecrets{secret, {}, 0, 1});
  store_.rotate_turn_secret(std::move(secret), 0);
}

// The secrets file is written first: if that fails, the job fails and nothing changed, so the
// TURN server and this service never disagree about the current secret.
obs::jobs::Json AdminAraService::rotate_turn_secret() {
  const std::int64_t valid_until = now_() + config_.turn_credential_ttl.count();
  std::string secret = random_secret_base64(32);
  const TurnSecrets before = store_.turn_secrets();
  write_secrets_file(TurnSecrets{secret, before.current, valid_until, before.version + 1});
  const TurnSecrets s = store_.rotate_turn_secret(std::move(secret), valid_until);
  return {{"version", s.version}, {"previous_valid_until_ms", s.previous_valid_until_ms}};
}

obs::jobs::Json AdminAraService::cleanup_sessions() {
  const ExpiryLimits limits{config_.queue_max_wait.count(), config_.call_connect_timeout.count(),
                            config_.call_max_duration.count()};
  const std::int64_t now = now_();
  const ExpiryResult r = store_.expire(limits, now);
  // The previous TURN secret's validity passed: the TURN server should stop accepting it.
  bool dropped_previous = false;
  if (file_lists_previous_.load()) {
    const TurnSecrets s = store_.turn_secrets();
    if (s.previous_valid_until_ms <= now) {
      write_secrets_file(s);
      dropped_previous = true;
    }
  }
  if (r.wait_expired)
    tickets_expired_.add(static_cast<double>(r.wait_expired), {{"reason", "wait_timeout"}});
  if (r.connect_expired)
    tickets_expired_.add(static_cast<double>(r.connect_expired), {{"reason", "connect_timeout"}});
  if (r.calls_timed_out)
    tickets_expired_.add(static_cast<double>(r.calls_timed_out), {{"reason", "call_timeout"}});
  return {{"wait_expired", r.wait_expired},
          {"connect_expired", r.connect_expired},
          {"calls_timed_out", r.calls_timed_out},
          {"previous_turn_secret_dropped", dropped_previous}};
}

obs::jobs::Json AdminAraService::apply_retention() {
  const std::size_t n = store_.purge_finished(now_() - config_.retention_period.count());
  return {{"deleted", n}};
}

// The file a TURN server's secret store is fed from: the current secret, then the previous one
// while it is valid, one per line. Written to a temporary file with mode 0600 and renamed, so a
// reader never sees half a file.
void AdminAraService::write_secrets_file(const TurnSecrets& secrets) {
  const std::string& path = config_.turn_secrets_file;
  if (path.empty()) return;
  const std::string tmp = path + ".tmp";
  const mode_t old_mask = ::umask(077);
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << secrets.current << "\n";
    if (!secrets.previous.empty() && secrets.previous_valid_until_ms > now_()) {
      out << secrets.previous << "\n";
    }
    out.flush();
    if (!out) {
      ::umask(old_mask);
      throw std::runtime_error("cannot write TURN_SECRETS_FILE '" + tmp +
                               "': " + std::strerror(errno));
    }
  }
  ::umask(old_mask);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot rename '" + tmp + "' to TURN_SECRETS_FILE '" + path +
                             "': " + std::strerror(errno));
  }
  file_lists_previous_.store(!secrets.previous.empty() && secrets.previous_valid_until_ms > now_());
}

}  // namespace adminara::server
