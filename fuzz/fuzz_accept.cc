// libFuzzer entry point for the Prometheus Accept negotiation check (see checks.h).
#include "checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return adminara::obs::fuzzing::check_accept(data, size);
}
