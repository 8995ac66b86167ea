// Identity of a span as it travels between threads, processes and jobs: trace id, span id, trace
// flags and W3C tracestate (W3C Trace Context, sections 3.2 and 3.3).
//
// Thread-safety: immutable value types; safe to copy and read from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace adminara::obs {

/// A 16-byte trace id. All-zero is the invalid id.
struct TraceId {
  std::array<std::uint8_t, 16> bytes{};

  bool is_valid() const;
  /// 32 lowercase hex characters.
  std::string to_hex() const;
  /// Writes 32 lowercase hex characters to `out` (no terminator).
  void write_hex(char* out) const;
  /// Parses exactly 32 lowercase hex characters; nullopt otherwise (uppercase is rejected, as W3C
  /// requires). An all-zero id parses but is not valid().
  static std::optional<TraceId> from_hex(std::string_view hex);

  friend bool operator==(const TraceId&, const TraceId&) = default;
};

/// An 8-byte span id. All-zero is the invalid id.
struct SpanId {
  std::array<std::uint8_t, 8> bytes{};

  bool is_valid() const;
  /// 16 lowercase hex characters.
  std::string to_hex() const;
  void write_hex(char* out) const;
  static std::optional<SpanId> from_hex(std::string_view hex);

  friend bool operator==(const SpanId&, const SpanId&) = default;
};

/// W3C trace-flags byte. Bit 0 = sampled, bit 1 = random trace id (Level 2).
struct TraceFlags {
  static constexpr std::uint8_t kSampled = 0x01;
  static constexpr std::uint8_t kRandom = 0x02;
  std::uint8_t value = 0;

  bool sampled() const { return (value & kSampled) != 0; }
  friend bool operator==(const TraceFlags&, const TraceFlags&) = default;
};

/// W3C `tracestate`: an ordered list of vendor key/value entries (at most 32).
/// Immutable once built; mutating operations return a new TraceState.
class TraceState {
 public:
  static constexpr std::size_t kMaxEntries = 32;
  using Entry = std::pair<std::string, std::string>;

  TraceState() = default;

  /// Parses a tracestate header value (several headers joined by ','). Per W3C: empty members and
  /// surrounding whitespace are ignored; an entry with an invalid key or value, a duplicated key,
  /// or more than 32 entries makes the whole header invalid, and an empty TraceState is returned.
  static TraceState parse(std::string_view header);

  /// The header form, `k1=v1,k2=v2`; empty when there are no entries.
  std::string serialize() const;

  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }
  /// The value for `key`, or nullopt.
  std::optional<std::string_view> get(std::string_view key) const;
  /// Returns a copy with `key=value` moved to the front (W3C mutation rule). When the key or
  /// value is invalid the copy is unchanged; when full, the right-most entry is dropped.
  TraceState set(std::string_view key, std::string_view value) const;
  /// Returns a copy without `key`.
  TraceState erase(std::string_view key) const;

  /// A W3C Level 2 key: `[a-z0-9][a-z0-9_*/-]{0,255}`, or `tenant@system` with a tenant of
  /// `[a-z0-9][a-z0-9_*/-]{0,240}` and a system of `[a-z][a-z0-9_*/-]{0,13}`.
  static bool is_valid_key(std::string_view key);
  /// 1 to 256 printable ASCII characters (0x20-0x7e) other than ',' and '=', not ending in a space.
  static bool is_valid_value(std::string_view value);

  friend bool operator==(const TraceState&, const TraceState&) = default;

 private:
  std::vector<Entry> entries_;
};

/// The propagated part of a span: ids, flags, tracestate and whether it came from another
/// process. A default-constructed SpanContext is invalid (no parent).
class SpanContext {
 public:
  SpanContext() = default;
  SpanContext(TraceId trace_id, SpanId span_id, TraceFlags flags, bool is_remote,
              std::shared_ptr<const TraceState> trace_state = nullptr)
      : trace_id_(trace_id),
        span_id_(span_id),
        flags_(flags),
        is_remote_(is_remote),
        trace_state_(std::move(trace_state)) {}

  const TraceId& trace_id() const { return trace_id_; }
  const SpanId& span_id() const { return span_id_; }
  TraceFlags trace_flags() const { return flags_; }
  bool is_sampled() const { return flags_.sampled(); }
  bool is_remote() const { return is_remote_; }
  /// Valid when both ids are valid (non-zero).
  bool is_valid() const { return trace_id_.is_valid() && span_id_.is_valid(); }
  /// Never null for convenience: returns a shared empty TraceState when there is none.
  const TraceState& trace_state() const;
  const std::shared_ptr<const TraceState>& trace_state_ptr() const { return trace_state_; }

 private:
  TraceId trace_id_;
  SpanId span_id_;
  TraceFlags flags_;
  bool is_remote_ = false;
  std::shared_ptr<const TraceState> trace_state_;
};

}  // namespace adminara::obs
