// W3C traceparent parsing/formatting (W3C Trace Context, section 3.2) and the inject/extract glue.
// The traceparent paths are allocation-free: they run on every incoming and outgoing request.
#include "adminara/obs/propagation.h"

#include <memory>

#include "api/header_list.h"
#include "common/hex.h"

namespace adminara::obs {
namespace {

// Offsets in `vv-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>`.
constexpr std::size_t kTraceIdAt = 3;
constexpr std::size_t kParentIdAt = 36;
constexpr std::size_t kFlagsAt = 53;
constexpr std::uint8_t kSentFlags = TraceFlags::kSampled | TraceFlags::kRandom;

}  // namespace

std::optional<SpanContext> parse_traceparent(std::string_view value) {
  value = detail::trim_ows(value);
  if (value.size() < kTraceparentSize) return std::nullopt;
  std::uint8_t version = 0;
  if (!common::read_hex(value.substr(0, 2), &version, 1) || value[2] != '-') return std::nullopt;
  if (version == 0xff) return std::nullopt;
  if (version == 0x00) {
    if (value.size() != kTraceparentSize) return std::nullopt;
  } else if (value.size() > kTraceparentSize) {
    // A future version may append fields, always after a '-'. A ',' can only come from joining
    // repeated headers, and a repeated traceparent is invalid whatever its version.
    std::string_view rest = value.substr(kTraceparentSize);
    if (rest[0] != '-' || rest.find(',') != std::string_view::npos) return std::nullopt;
  }
  if (value[kParentIdAt - 1] != '-' || value[kFlagsAt - 1] != '-') return std::nullopt;
  TraceId trace_id;
  SpanId parent_id;
  std::uint8_t flags = 0;
  if (!common::read_hex(value.substr(kTraceIdAt, 32), trace_id.bytes.data(), 16) ||
      !common::read_hex(value.substr(kParentIdAt, 16), parent_id.bytes.data(), 8) ||
      !common::read_hex(value.substr(kFlagsAt, 2), &flags, 1)) {
    return std::nullopt;
  }
  if (!trace_id.is_valid() || !parent_id.is_valid()) return std::nullopt;
  return SpanContext(trace_id, parent_id, TraceFlags{flags}, /*is_remote=*/true);
}

bool format_traceparent(const SpanContext& sc, char* out) {
  if (!sc.is_valid()) return false;
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  sc.trace_id().write_hex(out + kTraceIdAt);
  out[kParentIdAt - 1] = '-';
  sc.span_id().write_hex(out + kParentIdAt);
  out[kFlagsAt - 1] = '-';
  const std::uint8_t flags = sc.trace_flags().value & kSentFlags;
  common::write_hex(&flags, 1, out + kFlagsAt);
  return true;
}

std::string format_traceparent(const SpanContext& sc) {
  char buf[kTraceparentSize];
  if (!format_traceparent(sc, buf)) return {};
  return std::string(buf, sizeof buf);
}

void inject(const Context& ctx, const HeaderSetter& set) {
  if (!set) return;
  const SpanContext& sc = ctx.span_context();
  char buf[kTraceparentSize];
  if (format_traceparent(sc, buf)) {
    set(kTraceparentHeader, std::string_view(buf, sizeof buf));
    // tracestate travels only with a traceparent: on its own the receiver discards it.
    if (const auto& ts = sc.trace_state_ptr(); ts != nullptr && !ts->empty()) {
      set(kTracestateHeader, ts->serialize());
    }
  }
  if (const auto& baggage = ctx.baggage_ptr(); baggage != nullptr && !baggage->empty()) {
    std::string value = baggage->serialize();
    if (!value.empty()) set(kBaggageHeader, value);
  }
}

Context extract(const HeaderGetter& get) {
  Context ctx;
  if (!get) return ctx;
  if (std::optional<std::string> traceparent = get(kTraceparentHeader)) {
    if (std::optional<SpanContext> parent = parse_traceparent(*traceparent)) {
      std::shared_ptr<const TraceState> trace_state;
      if (std::optional<std::string> raw = get(kTracestateHeader)) {
        TraceState parsed = TraceState::parse(*raw);
        if (!parsed.empty()) trace_state = std::make_shared<const TraceState>(std::move(parsed));
      }
      ctx = ctx.with_span_context(SpanContext(parent->trace_id(), parent->span_id(),
                                              parent->trace_flags(), /*is_remote=*/true,
                                              std::move(trace_state)));
    }
  }
  if (std::optional<std::string> raw = get(kBaggageHeader)) {
    Baggage baggage = Baggage::parse(*raw);
    if (!baggage.empty()) ctx = ctx.with_baggage(std::move(baggage));
  }
  return ctx;
}

}  // namespace adminara::obs
