#include "adminara/obs/context.h"

namespace adminara::obs {
namespace {
thread_local const Context* t_current = nullptr;
}  // namespace

namespace detail {
const Context* current_context() noexcept { return t_current; }
}  // namespace detail

Context Context::current() {
  const Context* c = t_current;
  if (c == nullptr) return Context();
  Context copy = *c;
  copy.local_span_ = nullptr;  // the copy may travel to another thread
  return copy;
}

const Baggage& Context::baggage() const {
  static const Baggage kEmpty;
  return baggage_ ? *baggage_ : kEmpty;
}

Context Context::with_span_context(SpanContext sc) const {
  Context c;
  c.span_context_ = std::move(sc);
  c.baggage_ = baggage_;
  return c;
}

Context Context::with_baggage(Baggage b) const {
  Context c = *this;
  c.local_span_ = nullptr;
  c.baggage_ = b.empty() ? nullptr : std::make_shared<const Baggage>(std::move(b));
  return c;
}

Scope Context::activate() const {
  Context c = *this;
  c.local_span_ = nullptr;
  return Scope(std::move(c));
}

Scope::Scope(Context ctx) : ctx_(std::move(ctx)), previous_(t_current) { t_current = &ctx_; }

Scope::~Scope() { t_current = previous_; }

}  // namespace adminara::obs
