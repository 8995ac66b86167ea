// libFuzzer entry point for the cron parser and next-run check (see checks.h).
#include "checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return adminara::obs::fuzzing::check_cron(data, size);
}
