#include "adminara/obs/context.h"

namespace adminara::obs {
Context Context::current() {
  const Context* c = detail::t_current_context;
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

Scope::Scope(Context ctx) : ctx_(std::move(ctx)), previous_(detail::t_current_context) {
  detail::t_current_context = &ctx_;
}

Scope::~Scope() {
  detail::t_current_context = previous_;
}

}  // namespace adminara::obs
