// The StateStore on Redis, so that several adminara-server instances share one customer queue,
// the calls and the TURN secrets. Every operation is one Lua script (atomic across instances).
// Keys, under `<prefix>:`:
//   ticket:<id>   hash: customer, state, created, assigned, connected, finished, admin,
//                 connection_ms, end_reason
//   waiting       zset: id by arrival number (INCR seq), the queue order
//   assigned, connected, finished   zsets: id by the time it entered that state
//   turn          hash: current, previous, previous_valid_until, version
// It runs on the library's Redis client (adminara/obs/redis.h), the pool the jobs use.
#include <cstdio>

#include "adminara/obs/redis.h"
#include "state_store.h"

namespace adminara::server {
namespace {

using Reply = obs::jobs::RedisReply;
using obs::jobs::RedisClient;
using obs::jobs::RedisScript;

constexpr const char* kPrelude = R"lua(
local P = ARGV[1]
local rcall = redis.call
local function ticket(id)
  return rcall("HGETALL", P .. "ticket:" .. id)
end
local function finish(id, state, from, reason, now)
  rcall("ZREM", P .. from, id)
  rcall("HSET", P .. "ticket:" .. id, "state", state, "end_reason", reason, "finished", now)
  rcall("ZADD", P .. "finished", now, id)
end
)lua";

// ARGV: P, id, customer, created, max waiting. Returns the position, or 0 when full.
const RedisScript& enqueue_script() {
  static const RedisScript s(std::string(kPrelude) + R"lua(
if rcall("ZCARD", P .. "waiting") >= tonumber(ARGV[5]) then return 0 end
local seq = rcall("INCR", P .. "seq")
rcall("HSET", P .. "ticket:" .. ARGV[2], "customer", ARGV[3], "state", "waiting", "created", ARGV[4])
rcall("ZADD", P .. "waiting", seq, ARGV[2])
return rcall("ZCARD", P .. "waiting")
)lua");
  return s;
}

// ARGV: P, id. Returns the 1-based position of a waiting ticket, else 0.
const RedisScript& position_script() {
  static const RedisScript s(std::string(kPrelude) + R"lua(
local rank = rcall("ZRANK", P .. "waiting", ARGV[2])
if not rank then return 0 end
return rank + 1
)lua");
  return s;
}

// ARGV: P, admin, now. Returns {} or {id, ticket fields}.
const RedisScript& assign_script() {
  static const RedisScript s(std::string(kPrelude) + R"lua(
local first = rcall("ZPOPMIN", P .. "waiting")
if not first[1] then return {} end
local id = first[1]
rcall("HSET", P .. "ticket:" .. id, "state", "assigned", "assigned", ARGV[3], "admin", ARGV[2])
rcall("ZADD", P .. "assigned", ARGV[3], id)
return {id, ticket(id)}
)lua");
  return s;
}

// ARGV: P, id, "connect" | "end", now, connection ms. Returns {code, fields}: 0 done,
// 1 unknown ticket, 2 wrong state.
const RedisScript& transition_script() {
  static const RedisScript s(std::string(kPrelude) + R"lua(
local id, op, now = ARGV[2], ARGV[3], ARGV[4]
local key = P .. "ticket:" .. id
local state = rcall("HGET", key, "state")
if not state then return {1, {}} end
if op == "connect" then
  if state ~= "assigned" then return {2, ticket(id)} end
  rcall("ZREM", P .. "assigned", id)
  rcall("HSET", key, "state", "connected", "connected", now, "connection_ms", ARGV[5])
  rcall("ZADD", P .. "connected", now, id)
else
  if state ~= "assigned" and state ~= "connected" then return {2, ticket(id)} end
  finish(id, "ended", state, "ended", now)
end
return {0, ticket(id)}
)lua");
  return s;
}

// ARGV: P, max wait, connect timeout, max call, now. Returns {waited, connect, call}.
const RedisScript& expire_script() {
  static const RedisScript s(std::string(kPrelude) + R"lua(
local maxWait, connectTimeout, maxCall, now =
  tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local waited = 0
-- The queue is in arrival order: stop at the first ticket still within its wait.
for _, id in ipairs(rcall("ZRANGE", P .. "waiting", 0, -1)) do
  local created = tonumber(rcall("HGET", P .. "ticket:" .. id, "created")) or 0
  if now - created <= maxWait then break end
  finish(id, "expired", "waiting", "wait_timeout", now)
  waited = waited + 1
end
local function expireBefore(set, limit, reason)
  local ids = rcall("ZRANGEBYSCORE", P .. set, "-inf", "(" .. (now - limit))
  for _, id in ipairs(ids) do finish(id, "expired", set, reason, now) end
  return #ids
end
local connect = expireBefore("assigned", connectTimeout, "connect_timeout")
local call = expireBefore("connected", maxCall, "call_timeout")
return {waited, connect, call}
)lua");
  return s;
}

// ARGV: P, finished before. Returns how many tickets were removed.
const RedisScript& purge_script() {
  static const RedisScript s(std::string(kPrelude) + R"lua(
local ids = rcall("ZRANGEBYSCORE", P .. "finished", "-inf", "(" .. ARGV[2])
for _, id in ipairs(ids) do
  rcall("DEL", P .. "ticket:" .. id)
  rcall("ZREM", P .. "finished", id)
end
return #ids
)lua");
  return s;
}

// ARGV: P, secret, previous valid until. Returns {current, previous, valid until, version}.
const RedisScript& rotate_script() {
  static const RedisScript s(std::string(kPrelude) + R"lua(
local key = P .. "turn"
local current = rcall("HGET", key, "current") or ""
local validUntil = ARGV[3]
if current == "" then validUntil = "0" end
local version = rcall("HINCRBY", key, "version", 1)
rcall("HSET", key, "current", ARGV[2], "previous", current, "previous_valid_until", validUntil)
return {ARGV[2], current, validUntil, version}
)lua");
  return s;
}

std::int64_t to_i64(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

std::optional<TicketState> parse_state(std::string_view s) {
  for (TicketState t : {TicketState::kWaiting, TicketState::kAssigned, TicketState::kConnected,
                        TicketState::kEnded, TicketState::kExpired}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

Ticket decode(std::string id, const Reply& fields) {
  Ticket t;
  t.id = std::move(id);
  for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    const std::string& k = fields.elements[i].str;
    const std::string& v = fields.elements[i + 1].str;
    if (k == "customer") {
      t.customer = v;
    } else if (k == "state") {
      t.state = parse_state(v).value_or(TicketState::kExpired);
    } else if (k == "created") {
      t.created_ms = to_i64(v);
    } else if (k == "assigned") {
      t.assigned_ms = to_i64(v);
    } else if (k == "connected") {
      t.connected_ms = to_i64(v);
    } else if (k == "finished") {
      t.finished_ms = to_i64(v);
    } else if (k == "admin") {
      t.admin = v;
    } else if (k == "connection_ms") {
      t.connection_ms = std::stod(v);
    } else if (k == "end_reason") {
      t.end_reason = v;
    }
  }
  return t;
}

class RedisStateStore final : public StateStore {
 public:
  RedisStateStore(const std::string& url, const std::string& prefix)
      : redis_(url), p_(prefix + ":") {}

  std::optional<std::size_t> enqueue(Ticket ticket, std::size_t max_waiting) override {
    const long long pos =
        run(enqueue_script(), {ticket.id, ticket.customer, std::to_string(ticket.created_ms),
                               std::to_string(max_waiting)})
            .as_int();
    if (pos == 0) return std::nullopt;
    return static_cast<std::size_t>(pos);
  }

  std::optional<Ticket> get(std::string_view id) const override {
    const Reply r = redis_.command({"HGETALL", p_ + "ticket:" + std::string(id)});
    if (r.elements.empty()) return std::nullopt;
    return decode(std::string(id), r);
  }

  std::size_t position(std::string_view id) const override {
    return static_cast<std::size_t>(run(position_script(), {std::string(id)}).as_int());
  }

  std::optional<Ticket> assign_next(std::string_view admin, std::int64_t now_ms) override {
    const Reply r = run(assign_script(), {std::string(admin), std::to_string(now_ms)});
    if (r.elements.empty()) return std::nullopt;
    return decode(r.elements[0].str, r.elements[1]);
  }

  Transition connect(std::string_view id, double connection_ms, std::int64_t now_ms,
                     Ticket* out) override {
    char ms[40];
    std::snprintf(ms, sizeof ms, "%.17g", connection_ms);
    return transition(id, "connect", now_ms, ms, out);
  }

  Transition end(std::string_view id, std::int64_t now_ms, Ticket* out) override {
    return transition(id, "end", now_ms, "", out);
  }

  ExpiryResult expire(const ExpiryLimits& limits, std::int64_t now_ms) override {
    const Reply r =
        run(expire_script(),
            {std::to_string(limits.max_wait_ms), std::to_string(limits.connect_timeout_ms),
             std::to_string(limits.max_call_ms), std::to_string(now_ms)});
    return {static_cast<std::size_t>(r.elements.at(0).as_int()),
            static_cast<std::size_t>(r.elements.at(1).as_int()),
            static_cast<std::size_t>(r.elements.at(2).as_int())};
  }

  std::size_t purge_finished(std::int64_t finished_before_ms) override {
    return static_cast<std::size_t>(
        run(purge_script(), {std::to_string(finished_before_ms)}).as_int());
  }

  TicketCounts counts() const override {
    const auto replies = redis_.pipeline({{"ZCARD", p_ + "waiting"},
                                          {"ZCARD", p_ + "assigned"},
                                          {"ZCARD", p_ + "connected"},
                                          {"ZCARD", p_ + "finished"}});
    auto n = [&](std::size_t i) { return static_cast<std::size_t>(replies.at(i).as_int()); };
    return {n(0), n(1), n(2), n(3)};
  }

  TurnSecrets turn_secrets() const override {
    const Reply r = redis_.command(
        {"HMGET", p_ + "turn", "current", "previous", "previous_valid_until", "version"});
    return {r.elements.at(0).str, r.elements.at(1).str, to_i64(r.elements.at(2).str),
            static_cast<std::uint64_t>(to_i64(r.elements.at(3).str))};
  }

  TurnSecrets rotate_turn_secret(std::string secret,
                                 std::int64_t previous_valid_until_ms) override {
    const Reply r =
        run(rotate_script(), {std::move(secret), std::to_string(previous_valid_until_ms)});
    return {r.elements.at(0).str, r.elements.at(1).str, to_i64(r.elements.at(2).str),
            static_cast<std::uint64_t>(r.elements.at(3).as_int())};
  }

 private:
  Reply run(const RedisScript& s, std::vector<std::string> args) const {
    args.insert(args.begin(), p_);
    return redis_.run(s, {p_ + "turn"}, args);
  }

  Transition transition(std::string_view id, const char* op, std::int64_t now_ms,
                        const std::string& connection_ms, Ticket* out) {
    const Reply r =
        run(transition_script(), {std::string(id), op, std::to_string(now_ms), connection_ms});
    const long long code = r.elements.at(0).as_int();
    if (code == 1) return Transition::kUnknownTicket;
    if (out) *out = decode(std::string(id), r.elements.at(1));
    return code == 0 ? Transition::kDone : Transition::kWrongState;
  }

  mutable RedisClient redis_;
  const std::string p_;
};

}  // namespace

std::unique_ptr<StateStore> make_redis_state_store(const std::string& url,
                                                   const std::string& prefix) {
  return std::make_unique<RedisStateStore>(url, prefix);
}

}  // namespace adminara::server
