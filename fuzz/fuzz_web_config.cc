// libFuzzer entry point for the exporter-toolkit web configuration parser (see checks.h).
#include "checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return adminara::obs::fuzzing::check_web_config(data, size);
}
