// Kept in its own translation unit: when the replacement operators are visible to the code that
// calls them, g++ inlines them and reports a spurious -Wmismatched-new-delete.
#include "tests/common/allocation_counter.h"

#include <cstdlib>
#include <new>

namespace {
thread_local std::size_t t_allocations = 0;
}  // namespace

namespace adminara::obs::testing {
std::size_t allocation_count() {
  return t_allocations;
}
}  // namespace adminara::obs::testing

void* operator new(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
