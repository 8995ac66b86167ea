// Span (the handle) and SpanRecord (its storage): attribute, event and link recording with the
// OTel span limits.
#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>

#include "adminara/obs/span.h"
#include "adminara/obs/tracer.h"
#include "common/clock.h"
#include "common/strings.h"
#include "sdk/trace/span_record.h"
#include "sdk/trace/tracer_core.h"

namespace adminara::obs {
namespace detail {
namespace {

// Truncates to at most `max` bytes without splitting a UTF-8 sequence.
void truncate_utf8(std::string& s, std::uint32_t max) {
  if (s.size() <= max) return;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  s.resize(cut);
}

// Appends attributes to `out` honouring a count limit; returns how many were dropped.
std::uint32_t append_limited(std::vector<KeyValue>& out, Attributes attributes,
                             std::uint32_t count_limit, std::uint32_t length_limit) {
  std::uint32_t dropped = 0;
  for (const auto& a : attributes) {
    KeyValue* existing = nullptr;
    for (auto& kv : out) {
      if (kv.key == a.key) existing = &kv;
    }
    AttributeValue v = a.value.to_value();
    truncate_value(v, length_limit);
    if (existing != nullptr) {
      existing->value = std::move(v);
    } else if (out.size() < count_limit) {
      out.push_back(KeyValue{std::string(a.key), std::move(v)});
    } else {
      ++dropped;
    }
  }
  return dropped;
}

}  // namespace

void truncate_value(AttributeValue& value, std::uint32_t max_length) {
  if (max_length == SpanLimits::kNoLimit) return;
  auto& st = value.storage();
  if (auto* s = std::get_if<std::string>(&st)) {
    truncate_utf8(*s, max_length);
  } else if (auto* arr = std::get_if<std::vector<std::string>>(&st)) {
    for (auto& e : *arr) truncate_utf8(e, max_length);
  }
}

void SpanRecord::set_attribute(std::string_view key, AttributeView value,
                               const SpanLimits& limits) {
  auto& attrs = data.attributes;
  KeyValue* slot = nullptr;
  for (std::uint32_t i = 0; i < attr_count_; ++i) {
    if (attrs[i].key == key) {
      slot = &attrs[i];
      break;
    }
  }
  if (slot == nullptr) {
    if (attr_count_ >= limits.attribute_count) {
      ++data.dropped_attributes_count;
      return;
    }
    if (attr_count_ == attrs.size()) {
      if (!spare_.empty()) {
        attrs.push_back(std::move(spare_.back()));
        spare_.pop_back();
      } else {
        attrs.emplace_back();
      }
    }
    slot = &attrs[attr_count_++];
    common::assign_string(slot->key, key);  // reuses the slot's capacity
  }
  value.assign_to(slot->value);
  truncate_value(slot->value, limits.attribute_value_length);
}

void SpanRecord::add_event(std::string_view name, std::uint64_t time_unix_nano,
                           Attributes attributes, const SpanLimits& limits) {
  if (data.events.size() >= limits.event_count) {
    ++data.dropped_events_count;
    return;
  }
  SpanEvent& ev = data.events.emplace_back();
  ev.name.assign(name);
  ev.time_unix_nano = time_unix_nano;
  ev.dropped_attributes_count = append_limited(
      ev.attributes, attributes, limits.event_attribute_count, limits.attribute_value_length);
}

void SpanRecord::add_link(const SpanContext& ctx, Attributes attributes, const SpanLimits& limits) {
  if (!ctx.is_valid()) return;
  if (data.links.size() >= limits.link_count) {
    ++data.dropped_links_count;
    return;
  }
  SpanLink& link = data.links.emplace_back();
  link.context = ctx;
  link.dropped_attributes_count = append_limited(
      link.attributes, attributes, limits.link_attribute_count, limits.attribute_value_length);
}

}  // namespace detail

Span::Span(Span&& other) noexcept
    : context_(std::move(other.context_)), record_(std::exchange(other.record_, nullptr)) {}

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    end();
    context_ = std::move(other.context_);
    record_ = std::exchange(other.record_, nullptr);
  }
  return *this;
}

void Span::record_attribute(std::string_view key, AttributeView value) {
  record_->set_attribute(key, value, record_->core->limits());
}

Span& Span::set_attributes(Attributes attributes) {
  if (record_ == nullptr) return *this;
  for (const auto& a : attributes) {
    record_->set_attribute(a.key, a.value, record_->core->limits());
  }
  return *this;
}

Span& Span::add_event(std::string_view name, Attributes attributes) {
  if (record_ != nullptr) {
    record_->add_event(name, common::WallClockOffset::to_wall(common::monotonic_ns()), attributes,
                       record_->core->limits());
  }
  return *this;
}

Span& Span::add_link(const SpanContext& linked, Attributes attributes) {
  if (record_ != nullptr) record_->add_link(linked, attributes, record_->core->limits());
  return *this;
}

Span& Span::set_status(StatusCode code, std::string_view description) {
  if (record_ == nullptr || code == StatusCode::kUnset) return *this;
  Status& st = record_->data.status;
  if (st.code == StatusCode::kOk) return *this;  // Ok is final
  st.code = code;
  if (code == StatusCode::kError) {
    st.description.assign(description);
  } else {
    st.description.clear();  // a description is only kept with Error
  }
  return *this;
}

Span& Span::record_exception(const std::exception& e) {
  if (record_ == nullptr) return *this;
  const char* mangled = typeid(e).name();
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  record_exception(status == 0 && demangled != nullptr ? demangled : mangled, e.what());
  std::free(demangled);
  return *this;
}

Span& Span::record_exception(std::string_view type, std::string_view message) {
  return add_event("exception", {{"exception.type", type}, {"exception.message", message}});
}

Span& Span::update_name(std::string_view name) {
  if (record_ != nullptr) record_->data.name.assign(name);
  return *this;
}

void Span::end_recording() {
  detail::SpanRecord* r = std::exchange(record_, nullptr);
  r->core->end_span(r);
}

Scope Span::activate() const {
  Context c;
  const Context* cur = detail::current_context();
  if (cur != nullptr) c = *cur;  // keep the baggage
  c.span_context_ = context_;
  c.local_span_ = const_cast<Span*>(this);
  return Scope(std::move(c));
}

Span* current_span() {
  const Context* c = detail::current_context();
  if (c == nullptr || c->local_span_ == nullptr || !c->local_span_->is_recording()) return nullptr;
  return c->local_span_;
}

std::uint64_t Span::elapsed_nanos() const {
  if (record_ == nullptr) return 0;
  return common::monotonic_ns() - record_->start_monotonic_ns;
}

namespace detail {

void finish_traced_call_ok(Span& span) noexcept {
  if (!span.is_recording()) return;
  span.set_attribute("duration_ms", static_cast<double>(span.elapsed_nanos()) / 1e6);
  span.set_attribute("status", "success");
}

void finish_traced_call_error(Span& span, std::exception_ptr error) noexcept {
  if (!span.is_recording()) return;
  std::string message = "unknown exception";
  try {
    if (error) std::rethrow_exception(error);
  } catch (const std::exception& e) {
    message = e.what();
    span.record_exception(e);
  } catch (...) {
    span.record_exception("unknown", message);
  }
  span.set_attribute("duration_ms", static_cast<double>(span.elapsed_nanos()) / 1e6);
  span.set_attribute("status", "error");
  span.set_attribute("error.message", message);
  span.set_status(StatusCode::kError, message);
}

}  // namespace detail

}  // namespace adminara::obs
