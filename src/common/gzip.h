// gzip compression (RFC 1952, one member) with zlib, for HTTP bodies sent or served with
// `Content-Encoding: gzip` (RFC 9110 section 8.4.1.3).
#pragma once

#include <string>
#include <string_view>

namespace adminara::obs::common {

/// `data` compressed as one gzip member at zlib's default level. Thread-safe (no shared state).
/// Throws std::runtime_error when zlib fails (it fails only when memory runs out).
std::string gzip(std::string_view data);

}  // namespace adminara::obs::common
