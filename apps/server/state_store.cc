#include "state_store.h"

#include <iterator>
#include <map>
#include <mutex>
#include <unordered_map>

namespace adminara::server {

std::string_view to_string(TicketState state) {
  switch (state) {
    case TicketState::kWaiting:
      return "waiting";
    case TicketState::kAssigned:
      return "assigned";
    case TicketState::kConnected:
      return "connected";
    case TicketState::kEnded:
      return "ended";
    case TicketState::kExpired:
      return "expired";
  }
  return "unknown";
}

namespace {

bool is_finished(TicketState s) {
  return s == TicketState::kEnded || s == TicketState::kExpired;
}

// One mutex over everything: every operation is short (the queue scan in position() is bounded
// by QUEUE_MAX_LENGTH), and one lock makes each operation trivially atomic.
class MemoryStateStore final : public StateStore {
 public:
  std::optional<std::size_t> enqueue(Ticket ticket, std::size_t max_waiting) override {
    std::lock_guard lock(mu_);
    if (waiting_.size() >= max_waiting) return std::nullopt;
    const std::uint64_t seq = next_seq_++;
    waiting_.emplace(seq, ticket.id);
    std::string id = ticket.id;
    tickets_.emplace(std::move(id), Entry{std::move(ticket), seq});
    return waiting_.size();
  }

  std::optional<Ticket> get(std::string_view id) const override {
    std::lock_guard lock(mu_);
    auto it = tickets_.find(std::string(id));
    if (it == tickets_.end()) return std::nullopt;
    return it->second.ticket;
  }

  std::size_t position(std::string_view id) const override {
    std::lock_guard lock(mu_);
    auto it = tickets_.find(std::string(id));
    if (it == tickets_.end() || it->second.ticket.state != TicketState::kWaiting) return 0;
    auto w = waiting_.find(it->second.seq);
    return static_cast<std::size_t>(std::distance(waiting_.begin(), w)) + 1;
  }

  std::optional<Ticket> assign_next(std::string_view admin, std::int64_t now_ms) override {
    std::lock_guard lock(mu_);
    if (waiting_.empty()) return std::nullopt;
    auto first = waiting_.begin();
    Ticket& t = tickets_.at(first->second).ticket;
    waiting_.erase(first);
    t.state = TicketState::kAssigned;
    t.assigned_ms = now_ms;
    t.admin = std::string(admin);
    ++assigned_;
    return t;
  }

  Transition connect(std::string_view id, double connection_ms, std::int64_t now_ms,
                     Ticket* out) override {
    std::lock_guard lock(mu_);
    auto it = tickets_.find(std::string(id));
    if (it == tickets_.end()) return Transition::kUnknownTicket;
    Ticket& t = it->second.ticket;
    if (t.state != TicketState::kAssigned) {
      if (out) *out = t;
      return Transition::kWrongState;
    }
    t.state = TicketState::kConnected;
    t.connected_ms = now_ms;
    t.connection_ms = connection_ms;
    --assigned_;
    ++connected_;
    if (out) *out = t;
    return Transition::kDone;
  }

  Transition end(std::string_view id, std::int64_t now_ms, Ticket* out) override {
    std::lock_guard lock(mu_);
    auto it = tickets_.find(std::string(id));
    if (it == tickets_.end()) return Transition::kUnknownTicket;
    Ticket& t = it->second.ticket;
    if (t.state != TicketState::kAssigned && t.state != TicketState::kConnected) {
      if (out) *out = t;
      return Transition::kWrongState;
    }
    finish(t, TicketState::kEnded, "ended", now_ms);
    if (out) *out = t;
    return Transition::kDone;
  }

  ExpiryResult expire(const ExpiryLimits& limits, std::int64_t now_ms) override {
    std::lock_guard lock(mu_);
    ExpiryResult r;
    for (auto& [id, entry] : tickets_) {
      Ticket& t = entry.ticket;
      if (t.state == TicketState::kWaiting && now_ms - t.created_ms > limits.max_wait_ms) {
        waiting_.erase(entry.seq);
        finish(t, TicketState::kExpired, "wait_timeout", now_ms);
        ++r.wait_expired;
      } else if (t.state == TicketState::kAssigned &&
                 now_ms - t.assigned_ms > limits.connect_timeout_ms) {
        finish(t, TicketState::kExpired, "connect_timeout", now_ms);
        ++r.connect_expired;
      } else if (t.state == TicketState::kConnected &&
                 now_ms - t.connected_ms > limits.max_call_ms) {
        finish(t, TicketState::kExpired, "call_timeout", now_ms);
        ++r.calls_timed_out;
      }
    }
    return r;
  }

  std::size_t purge_finished(std::int64_t finished_before_ms) override {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (auto it = tickets_.begin(); it != tickets_.end();) {
      const Ticket& t = it->second.ticket;
      if (is_finished(t.state) && t.finished_ms < finished_before_ms) {
        it = tickets_.erase(it);
        --finished_;
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

  TicketCounts counts() const override {
    std::lock_guard lock(mu_);
    return TicketCounts{waiting_.size(), assigned_, connected_, finished_};
  }

  TurnSecrets turn_secrets() const override {
    std::lock_guard lock(mu_);
    return secrets_;
  }

  TurnSecrets rotate_turn_secret(std::string secret,
                                 std::int64_t previous_valid_until_ms) override {
    std::lock_guard lock(mu_);
    secrets_.previous = std::move(secrets_.current);
    secrets_.current = std::move(secret);
    secrets_.previous_valid_until_ms = secrets_.previous.empty() ? 0 : previous_valid_until_ms;
    ++secrets_.version;
    return secrets_;
  }

 private:
  struct Entry {
    Ticket ticket;
    std::uint64_t seq;
  };

  // Moves an assigned, connected or waiting ticket to a final state (the caller removed a
  // waiting one from the queue).
  void finish(Ticket& t, TicketState state, const char* reason, std::int64_t now_ms) {
    if (t.state == TicketState::kAssigned) --assigned_;
    if (t.state == TicketState::kConnected) --connected_;
    t.state = state;
    t.end_reason = reason;
    t.finished_ms = now_ms;
    ++finished_;
  }

  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> tickets_;
  std::map<std::uint64_t, std::string> waiting_;  // queue order
  std::uint64_t next_seq_ = 0;
  std::size_t assigned_ = 0;
  std::size_t connected_ = 0;
  std::size_t finished_ = 0;
  TurnSecrets secrets_;
};

}  // namespace

std::unique_ptr<StateStore> make_memory_state_store() {
  return std::make_unique<MemoryStateStore>();
}

}  // namespace adminara::server
