// Counts heap allocations made through global operator new on the calling thread. Linking
// allocation_counter.cc into a test binary replaces operator new/delete for the whole binary.
#pragma once

#include <cstddef>

namespace adminara::obs::testing {

/// Allocations made so far by this thread.
std::size_t allocation_count();

}  // namespace adminara::obs::testing
