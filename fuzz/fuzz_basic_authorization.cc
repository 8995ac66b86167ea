// libFuzzer entry point for the Authorization: Basic parser (see checks.h).
#include "checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return adminara::obs::fuzzing::check_basic_authorization(data, size);
}
