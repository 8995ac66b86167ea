// libFuzzer entry point for the tracestate round-trip check (see checks.h).
#include "checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return adminara::obs::fuzzing::check_tracestate(data, size);
}
