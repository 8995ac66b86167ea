#include <cstring>

#include "adminara/obs/span_context.h"
#include "common/hex.h"

namespace adminara::obs {
namespace {
template <std::size_t N>
bool any_nonzero(const std::array<std::uint8_t, N>& b) {
  std::uint8_t acc = 0;
  for (auto x : b) acc |= x;
  return acc != 0;
}
}  // namespace

bool TraceId::is_valid() const {
  return any_nonzero(bytes);
}
void TraceId::write_hex(char* out) const {
  common::write_hex(bytes.data(), bytes.size(), out);
}
std::string TraceId::to_hex() const {
  std::string s(32, '0');
  write_hex(s.data());
  return s;
}
std::optional<TraceId> TraceId::from_hex(std::string_view hex) {
  TraceId id;
  if (!common::read_hex(hex, id.bytes.data(), id.bytes.size())) return std::nullopt;
  return id;
}

bool SpanId::is_valid() const {
  return any_nonzero(bytes);
}
void SpanId::write_hex(char* out) const {
  common::write_hex(bytes.data(), bytes.size(), out);
}
std::string SpanId::to_hex() const {
  std::string s(16, '0');
  write_hex(s.data());
  return s;
}
std::optional<SpanId> SpanId::from_hex(std::string_view hex) {
  SpanId id;
  if (!common::read_hex(hex, id.bytes.data(), id.bytes.size())) return std::nullopt;
  return id;
}

const TraceState& SpanContext::trace_state() const {
  static const TraceState kEmpty;
  return trace_state_ ? *trace_state_ : kEmpty;
}

}  // namespace adminara::obs
