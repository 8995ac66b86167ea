#include "adminara/obs/version.h"

#include "adminara/obs/observability.h"

namespace adminara::obs {

// Defined in the library (not inline in a header) so it reports the version that was linked.
std::string_view version() {
  return kVersion;
}

}  // namespace adminara::obs
