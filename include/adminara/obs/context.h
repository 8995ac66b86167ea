// Context: what is "current" on a thread (the active span's identity and the baggage), and the
// Scope that makes a Context current and restores the previous one.
//
//   auto span = obs::start_span("work");
//   {
//     auto scope = span.activate();          // children started here parent on `span`
//     auto child = obs::start_span("step");
//   }                                         // previous context restored
//
//   obs::Context ctx = obs::Context::current();  // capture ...
//   pool.submit([ctx] { auto s = ctx.activate(); obs::start_span("on.worker"); });  // ... resume
//
// Thread-safety: Context is an immutable value; copy it freely across threads. The current
// context is per thread. A Scope must be destroyed on the thread that created it, in reverse
// order of creation (it is a stack object and cannot be moved).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adminara/obs/span_context.h"

namespace adminara::obs {

class Span;

/// The span active on this thread, for adding attributes or events to it from deeper code.
/// Returns nullptr when no recording span is active here. The pointer is valid while that
/// span's Scope is.
Span* current_span();

/// W3C baggage: application key/value pairs propagated with the trace. Immutable; mutating
/// operations return a new Baggage.
class Baggage {
 public:
  struct Entry {
    std::string key;
    std::string value;     // decoded value
    std::string metadata;  // the `;`-separated properties, verbatim (may be empty)
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  static constexpr std::size_t kMaxMembers = 64;
  static constexpr std::size_t kMaxBytes = 8192;

  Baggage() = default;

  /// Parses a `baggage` header value (several headers joined by ','). Invalid members are
  /// skipped; values are percent-decoded (invalid UTF-8 becomes U+FFFD; a '%' that does not
  /// start an escape is kept as is). Members past the W3C limits (64 members, 8192 bytes) are
  /// dropped whole. Repeated keys are kept in order.
  static Baggage parse(std::string_view header);
  /// The header form with values percent-encoded; members that would exceed the limits are left
  /// out whole. Empty when there are no entries.
  std::string serialize() const;

  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }
  /// The value of the last entry of `key` (a repeated key acts like a map filled in order).
  std::optional<std::string_view> get(std::string_view key) const;
  /// Returns a copy with `key` set (replacing an existing entry of that key in place; later
  /// repeats of it are removed). The value is stored as valid UTF-8 (invalid bytes become
  /// U+FFFD, as a receiver would decode them); `metadata` is the properties in header form.
  /// An invalid key (not an RFC 7230 token) or invalid metadata leaves the copy unchanged.
  /// No limit is applied here: serialize() leaves out what does not fit.
  Baggage set(std::string_view key, std::string_view value, std::string_view metadata = {}) const;
  /// Returns a copy without any entry of `key`.
  Baggage erase(std::string_view key) const;

  friend bool operator==(const Baggage&, const Baggage&) = default;

 private:
  std::vector<Entry> entries_;
};

class Scope;

/// An immutable snapshot of what is current: the span context to parent new spans on, and the
/// baggage. Cheap to copy (ids inline, tracestate and baggage shared).
class Context {
 public:
  Context() = default;

  /// A copy of this thread's current context (empty when nothing is active).
  static Context current();

  const SpanContext& span_context() const { return span_context_; }
  /// Never null: an empty Baggage when none is set.
  const Baggage& baggage() const;
  const std::shared_ptr<const Baggage>& baggage_ptr() const { return baggage_; }

  Context with_span_context(SpanContext sc) const;
  Context with_baggage(Baggage b) const;

  /// Makes this context current on the calling thread until the returned Scope is destroyed.
  [[nodiscard]] Scope activate() const;

 private:
  friend class Span;
  friend class Scope;
  friend Span* current_span();
  SpanContext span_context_;
  std::shared_ptr<const Baggage> baggage_;
  // The Span handle this context was activated from on this thread (see current_span()); lets
  // instrumentation add events to "the active span". Never carried across threads.
  Span* local_span_ = nullptr;
};

/// Keeps a Context current on this thread for its lifetime; restores the previous one on
/// destruction. Not copyable or movable (it lives on the stack of the code it covers).
class [[nodiscard]] Scope {
 public:
  explicit Scope(Context ctx);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Context ctx_;
  const Context* previous_;
};

namespace detail {
// This thread's current context (points into the innermost live Scope). Inline so the span
// start path reads it without a call.
inline thread_local const Context* t_current_context = nullptr;
/// The current context of this thread without copying it (nullptr when none is active).
inline const Context* current_context() noexcept {
  return t_current_context;
}
}  // namespace detail

}  // namespace adminara::obs
