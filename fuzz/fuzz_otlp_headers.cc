// libFuzzer entry point for the OTEL_EXPORTER_OTLP_*_HEADERS parser check (see checks.h).
#include "checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return adminara::obs::fuzzing::check_otlp_headers(data, size);
}
